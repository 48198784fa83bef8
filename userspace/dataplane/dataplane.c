// SPDX-License-Identifier: GPL-2.0
/* Programs the steering maps. Order matters for traffic in flight: backends exist before rings
 * name them, rings exist before regions come up, and VIPs appear last, so no packet ever sees a
 * half-programmed path. Stale entries are removed only after the new ones are in.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane_impl.h"
#include "log.h"
#include "maglev.h"
#include "rpo.h"

size_t dp_backend_count(const struct policy *p)
{
	size_t r, n = 0;

	for (r = 0; r < p->n_regions; r++)
		n += p->regions[r].n_backends;
	return n;
}

uint32_t dp_backend_id(const struct policy *p, size_t region, size_t i)
{
	size_t r, id = 0;

	for (r = 0; r < region; r++)
		id += p->regions[r].n_backends;
	return (uint32_t)(id + i);
}

int dp_open(const struct policy *p, const struct dp_opts *opts, struct dataplane **out)
{
	uint32_t flows = opts && opts->flow_table_size ? opts->flow_table_size :
							 p->dataplane.flow_table_size;
	struct dataplane *dp;
	int err, r, tmpl_fd = -1;
	uint32_t i;

	if (dp_backend_count(p) > AE_MAX_BACKENDS)
		return -E2BIG;
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->link_fd = -1;
	for (r = 0; r < AE_MAX_REGIONS; r++)
		dp->ring[r].fd = -1;
	for (i = 0; i < AE_RING_SLOTS; i++)
		dp->slot_fd[i] = SLOT_UNKNOWN;
	dp->ring_size = p->dataplane.ring_size;
	dp->ring_keys = calloc(AE_RING_WORDS(dp->ring_size), sizeof(uint32_t));
	dp->ring_vals = calloc(dp->ring_size, sizeof(uint32_t));
	dp->ring_words = calloc(AE_RING_WORDS(dp->ring_size), sizeof(uint64_t));
	if (!dp->ring_keys || !dp->ring_vals || !dp->ring_words) {
		err = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < AE_RING_WORDS(dp->ring_size); i++)
		dp->ring_keys[i] = i;

	dp->skel = anyedge_bpf__open();
	if (!dp->skel) {
		err = -errno;
		pr_warn("dataplane: cannot open the BPF object: %s\n", strerror(-err));
		goto err_free;
	}
	err = shape_maps(dp, flows, &tmpl_fd);
	if (err)
		goto err_free;
	if (opts && opts->pin_dir) {
		err = dp_pin_prepare(dp, opts);
		if (err)
			goto err_free;
	}
	err = set_flow_constants(dp);
	if (err) {
		pr_warn("dataplane: cannot set the flow table's constants: %s\n", strerror(-err));
		goto err_free;
	}
	err = anyedge_bpf__load(dp->skel);
	close(tmpl_fd); /* the rings map keeps the shape it took from it */
	tmpl_fd = -1;
	if (err) {
		pr_warn("dataplane: loading the XDP program failed: %s\n", strerror(-err));
		if (dp->pin_dir[0])
			pr_warn("dataplane: pinned maps under %s may have another shape (flow table "
				"size, ring slots); --replace discards them and their flows\n",
				dp->pin_dir);
		goto err_free;
	}
	if (dp->pin_dir[0]) {
		err = dp_pin_adopt(dp);
		if (err)
			goto err_free;
	}
	if (!dp->adopted) {
		err = init_flows(dp);
		if (err)
			goto err_free;
	}
	err = write_meta(dp);
	if (err)
		goto err_free;
	*out = dp;
	return 0;
err_free:
	if (tmpl_fd >= 0)
		close(tmpl_fd);
	dp_close(dp);
	return err;
}

void dp_close(struct dataplane *dp)
{
	int r;

	if (!dp)
		return;
	if (dp->link_fd >= 0)
		close(dp->link_fd);
	for (r = 0; r < AE_MAX_REGIONS; r++) {
		if (dp->ring[r].fd >= 0)
			close(dp->ring[r].fd);
		free(dp->ring[r].in);
	}
	anyedge_bpf__destroy(dp->skel);
	free(dp->ids.of);
	free(dp->ring_keys);
	free(dp->ring_vals);
	free(dp->ring_words);
	free(dp);
}

int dp_prog_fd(const struct dataplane *dp)
{
	return bpf_program__fd(dp->skel->progs.anyedge_xdp);
}

int dp_map_fd(const struct dataplane *dp, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(dp->skel->obj, name);

	return m ? bpf_map__fd(m) : -1;
}

int write_config(struct dataplane *dp, const struct ae_config *c)
{
	uint32_t zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.config), &zero, c, BPF_ANY))
		return -errno;
	dp->config = *c;
	return 0;
}

static int apply_config(struct dataplane *dp, const struct policy *p, const struct dp_view *v)
{
	struct ae_config c = { .vip_table = dp->config.vip_table };
	uint32_t epoch = dp->config.epoch + 1;

	memcpy(c.edge_mac, p->edge.has_mac ? p->edge.mac : v->edge_mac, 6);
	memcpy(c.gateway_mac, p->edge.has_gateway_mac ? p->edge.gateway_mac : v->gateway_mac, 6);
	if (p->edge.encap_v4.family) {
		memcpy(c.src4, p->edge.encap_v4.bytes, 4);
		c.has_src4 = 1;
	}
	if (p->edge.encap_v6.family) {
		memcpy(c.src6, p->edge.encap_v6.bytes, 16);
		c.has_src6 = 1;
	}
	c.mtu = v->mtu;
	c.hash_seed = p->dataplane.hash_seed;
	c.ring_size = dp->ring_size;
	c.epoch = epoch ? epoch : 1; /* 0: before any apply */
	return write_config(dp, &c);
}

static int apply_regions(struct dataplane *dp, const struct policy *p, const struct dp_view *v)
{
	int fd = bpf_map__fd(dp->skel->maps.regions);
	uint32_t r;

	for (r = 0; r < AE_MAX_REGIONS; r++) {
		struct ae_region st = { 0 };

		if (r < p->n_regions && v->region_up[r])
			st.flags = AE_REGION_UP;
		if (bpf_map_update_elem(fd, &r, &st, BPF_ANY))
			return -errno;
	}
	return 0;
}

int dp_apply(struct dataplane *dp, const struct policy *p, const struct dp_view *view)
{
	struct dp_view def;
	const struct dp_view *v = view;
	int err;

	if (p->dataplane.ring_size != dp->ring_size)
		return -EINVAL; /* a new ring size needs a new program load */
	if (!v) {
		err = dp_view_default(p, NULL, &def);
		if (err)
			return err;
		v = &def;
	}
	err = assign_ids(&dp->ids, p);
	if (!err)
		err = assign_vip_ids(&dp->vids, p);
	if (!err)
		err = apply_backends(dp, p, v);
	if (!err)
		err = apply_rings(dp, p, v);
	if (!err)
		err = apply_regions(dp, p, v);
	if (!err)
		err = apply_prefs(dp, p);
	if (!err)
		err = apply_vips(dp, p, v);
	if (!err)
		err = release_ids(dp);
	/* last: its new epoch makes every flow be checked against all of the above */
	if (!err)
		err = apply_config(dp, p, v);
	if (err)
		pr_warn("dataplane: programming the maps failed: %s\n", strerror(-err));
	if (!view)
		dp_view_free(&def);
	return err;
}

int dp_view_alloc(struct dp_view *v, size_t n)
{
	memset(v, 0, sizeof(*v));
	/* n + 1: never a zero-size allocation */
	v->backend_up = calloc(n + 1, sizeof(bool));
	v->backend_new_flows = calloc(n + 1, sizeof(bool));
	if (!v->backend_up || !v->backend_new_flows) {
		dp_view_free(v);
		return -ENOMEM;
	}
	return 0;
}

int dp_view_default(const struct policy *p, const bool *down, struct dp_view *v)
{
	struct rpo_region rr[AE_MAX_REGIONS];
	size_t n = dp_backend_count(p), i;
	int err = dp_view_alloc(v, n), t;

	if (err)
		return err;
	for (i = 0; i < n; i++)
		v->backend_up[i] = v->backend_new_flows[i] = true;
	for (i = 0; i < p->n_regions && i < AE_MAX_REGIONS; i++)
		v->region_up[i] = !(down && down[i]);
	/* the daemon's rule, with regions in down[] proven down and the others reporting
	 * replicas in sync (replay has no lag evidence; "0 s behind" is the case it shows)
	 */
	for (i = 0; i < p->n_regions && i < AE_MAX_REGIONS; i++)
		rr[i] = (struct rpo_region){ .up = v->region_up[i],
					     .proven_down = !v->region_up[i],
					     .has_lag = v->region_up[i] };
	for (i = 0; i < p->n_vips && i < AE_MAX_VIPS; i++) {
		v->serving[i] = AE_NO_REGION;
		if (p->vips[i].mode != VIP_ACTIVE_PASSIVE)
			continue;
		t = rpo_auto_target(p, i, p->vips[i].primary, rr);
		v->serving[i] = t >= 0 ? (uint8_t)t : (uint8_t)p->vips[i].primary;
	}
	return 0;
}

void dp_view_free(struct dp_view *v)
{
	free(v->backend_up);
	free(v->backend_new_flows);
	v->backend_up = v->backend_new_flows = NULL;
}

int dp_read_reasons(const struct dataplane *dp, uint64_t counts[AE_REASON_MAX])
{
	int fd = bpf_map__fd(dp->skel->maps.reasons), ncpu = libbpf_num_possible_cpus();
	uint32_t r, c, i;
	uint64_t v;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	for (r = 0; r < AE_REASON_MAX; r++) {
		counts[r] = 0;
		for (c = 0; c < (uint32_t)ncpu; c++) {
			i = c * AE_REASON_STRIDE + r;
			if (!bpf_map_lookup_elem(fd, &i, &v))
				counts[r] += v;
		}
	}
	return 0;
}

uint32_t dp_vip_slot(const struct dataplane *dp, size_t vip)
{
	return vip < dp->vids.n ? dp->vids.of[vip] : AE_MAX_VIPS;
}

int dp_read_vip_stats(const struct dataplane *dp, uint32_t vip, struct ae_vip_stats *out)
{
	return dp_read_vip_stats_slot(dp, dp_vip_slot(dp, vip), out);
}

int dp_read_vip_stats_slot(const struct dataplane *dp, uint32_t vip_id, struct ae_vip_stats *out)
{
	int fd = bpf_map__fd(dp->skel->maps.vip_stats), ncpu = libbpf_num_possible_cpus();
	struct ae_vip_stats v;
	uint32_t c, i;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	memset(out, 0, sizeof(*out));
	if (vip_id >= AE_MAX_VIPS)
		return -ENOENT;
	for (c = 0; c < (uint32_t)ncpu; c++) {
		i = c * AE_MAX_VIPS + vip_id;
		if (bpf_map_lookup_elem(fd, &i, &v))
			return -errno;
		out->packets += v.packets;
		out->bytes += v.bytes;
		out->new_flows += v.new_flows;
	}
	return 0;
}

const char *dp_reason_name(enum ae_reason r)
{
	static const char *const names[AE_REASON_MAX] = {
		[AE_PASS_NOT_IP] = "not_ip",
		[AE_PASS_NOT_VIP] = "not_vip",
		[AE_PASS_MALFORMED] = "pass_malformed",
		[AE_DROP_MALFORMED] = "drop_malformed",
		[AE_DROP_NO_REGION] = "no_region",
		[AE_DROP_PRIMARY_DOWN] = "primary_down",
		[AE_DROP_NO_BACKEND] = "no_backend",
		[AE_DROP_NO_ENCAP_SRC] = "no_encap_source",
		[AE_DROP_TOO_BIG] = "too_big",
		[AE_DROP_ENCAP_FAILED] = "encap_failed",
		[AE_TX_ICMP_TOO_BIG] = "icmp_too_big",
		[AE_DROP_ICMP_REFUSED] = "icmp_refused",
		[AE_DROP_ICMP_RATE] = "icmp_rate",
		[AE_TX_ICMP_STEERED] = "icmp_steered",
		[AE_PASS_ICMP_UNMATCHED] = "icmp_unmatched",
	};

	return r < AE_REASON_MAX && names[r] ? names[r] : "unknown";
}
