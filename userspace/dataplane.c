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
	uint32_t i;
	int err, r;

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
	dp->ring_keys = calloc(dp->ring_size, sizeof(uint32_t));
	dp->ring_vals = calloc(dp->ring_size, sizeof(uint32_t));
	if (!dp->ring_keys || !dp->ring_vals) {
		err = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < dp->ring_size; i++)
		dp->ring_keys[i] = i;

	dp->skel = anyedge_bpf__open();
	if (!dp->skel) {
		err = -errno;
		pr_warn("dataplane: cannot open the BPF object: %s\n", strerror(-err));
		goto err_free;
	}
	err = bpf_map__set_max_entries(dp->skel->maps.flows, flows);
	if (err)
		goto err_free;
	if (opts && opts->pin_dir) {
		err = dp_pin_prepare(dp, opts);
		if (err)
			goto err_free;
	}
	err = anyedge_bpf__load(dp->skel);
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
	*out = dp;
	return 0;
err_free:
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

static int apply_config(struct dataplane *dp, const struct policy *p, const struct dp_view *v)
{
	struct ae_config c = { 0 };
	uint32_t zero = 0;

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
	return bpf_map_update_elem(bpf_map__fd(dp->skel->maps.config), &zero, &c, BPF_ANY) ?
		       -errno :
		       0;
}

static int assign_ids(struct backend_ids *ids, const struct policy *p)
{
	size_t n = dp_backend_count(p), r, i, k = 0;
	uint32_t id, tries;
	uint32_t *of;

	of = calloc(n + 1, sizeof(*of));
	if (!of)
		return -ENOMEM;
	for (r = 0; r < p->n_regions; r++) {
		for (i = 0; i < p->regions[r].n_backends; i++, k++) {
			const struct inet_addr *a = &p->regions[r].backends[i].addr;

			for (id = 0; id < AE_MAX_BACKENDS; id++)
				if (inet_addr_eq(&ids->addr[id], a))
					break;
			for (tries = 0; id == AE_MAX_BACKENDS && tries < AE_MAX_BACKENDS; tries++) {
				uint32_t c = (ids->next + tries) % AE_MAX_BACKENDS;

				if (!ids->addr[c].family)
					id = c;
			}
			if (id == AE_MAX_BACKENDS) {
				free(of);
				return -E2BIG;
			}
			if (!ids->addr[id].family)
				ids->next = (id + 1) % AE_MAX_BACKENDS;
			ids->addr[id] = *a;
			of[k] = id;
		}
	}
	free(ids->of);
	ids->of = of;
	ids->n = n;
	return 0;
}

static int apply_backends(struct dataplane *dp, const struct policy *p, const struct dp_view *v)
{
	int fd = bpf_map__fd(dp->skel->maps.backends);
	size_t r, i, k = 0;

	for (r = 0; r < p->n_regions; r++) {
		for (i = 0; i < p->regions[r].n_backends; i++, k++) {
			const struct policy_backend *pb = &p->regions[r].backends[i];
			struct ae_backend b = { .family = pb->addr.family, .region = r };
			uint32_t id = dp->ids.of[k];

			memcpy(b.addr, pb->addr.bytes, 16);
			b.flags = v->backend_up[k] ? AE_BACKEND_UP : 0;
			if (bpf_map_update_elem(fd, &id, &b, BPF_ANY))
				return -errno;
		}
	}
	return 0;
}

/* After rings stopped naming them: ids the policy no longer has name nothing, so a flow still
 * holding one is steered afresh.
 */
static int release_ids(struct dataplane *dp)
{
	int fd = bpf_map__fd(dp->skel->maps.backends);
	struct ae_backend none = { 0 };
	bool *keep = calloc(AE_MAX_BACKENDS, sizeof(bool));
	uint32_t id;
	size_t k;
	int err = 0;

	if (!keep)
		return -ENOMEM;
	for (k = 0; k < dp->ids.n; k++)
		keep[dp->ids.of[k]] = true;
	for (id = 0; id < AE_MAX_BACKENDS; id++) {
		if (keep[id] || !dp->ids.addr[id].family)
			continue;
		if (bpf_map_update_elem(fd, &id, &none, BPF_ANY)) {
			err = -errno;
			break;
		}
		memset(&dp->ids.addr[id], 0, sizeof(dp->ids.addr[id]));
	}
	free(keep);
	return err;
}

/* The backends region r's ring is built from: up, taking new flows, weight > 0. */
static size_t ring_inputs(const struct backend_ids *ids, const struct policy *p,
			  const struct dp_view *v, size_t r, struct maglev_backend *in)
{
	const struct policy_region *reg = &p->regions[r];
	size_t i, k, n = 0;

	for (i = 0; i < reg->n_backends; i++) {
		k = dp_backend_id(p, r, i);
		if (!v->backend_up[k] || !v->backend_new_flows[k] || !reg->backends[i].weight)
			continue;
		in[n].addr = reg->backends[i].addr;
		in[n].weight = reg->backends[i].weight;
		in[n].id = ids->of[k];
		n++;
	}
	return n;
}

/* Install fd (or clear, fd < 0) in every (vip, r) slot where the VIP lists r. */
static int install_ring(struct dataplane *dp, const struct policy *p, size_t r, int fd)
{
	int outer = bpf_map__fd(dp->skel->maps.rings);
	uint32_t slot;
	size_t v, k, i;
	bool listed;
	int want;

	for (v = 0; v < AE_MAX_VIPS; v++) {
		/* v is a VIP id here: listed when the policy VIP holding it lists r */
		listed = false;
		for (i = 0; i < p->n_vips; i++) {
			if (dp->vids.of[i] != v)
				continue;
			for (k = 0; k < p->vips[i].n_regions; k++)
				listed |= p->vips[i].regions[k] == r;
		}
		slot = v * AE_MAX_REGIONS + r;
		want = listed ? fd : -1;
		/* each slot write waits out an RCU grace period: write only what changed */
		if (dp->slot_fd[slot] == want)
			continue;
		if (want >= 0) {
			if (bpf_map_update_elem(outer, &slot, &want, BPF_ANY))
				return -errno;
		} else if (bpf_map_delete_elem(outer, &slot) && errno != ENOENT) {
			return -errno;
		}
		dp->slot_fd[slot] = want;
	}
	return 0;
}

static int new_ring(struct dataplane *dp, const struct maglev_backend *in, size_t n, uint32_t seed)
{
	LIBBPF_OPTS(bpf_map_create_opts, mopts, .map_flags = BPF_F_INNER_MAP);
	uint32_t count = dp->ring_size;
	int fd, err;

	err = maglev_build(in, n, seed, dp->ring_size, dp->ring_vals);
	if (err)
		return err;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ae_ring", sizeof(uint32_t), sizeof(uint32_t),
			    dp->ring_size, &mopts);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_batch(fd, dp->ring_keys, dp->ring_vals, &count, NULL)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int apply_rings(struct dataplane *dp, const struct policy *p, const struct dp_view *v)
{
	struct maglev_backend *in = NULL;
	uint32_t seed = p->dataplane.hash_seed;
	bool reseed = seed != dp->ring_seed;
	size_t r, n;
	int fd, err = 0;

	dp->ring_seed = seed;
	for (r = 0; r < AE_MAX_REGIONS; r++) {
		struct region_ring *rr = &dp->ring[r];

		n = 0;
		if (r < p->n_regions) {
			free(in);
			in = calloc(p->regions[r].n_backends + 1, sizeof(*in));
			if (!in)
				return -ENOMEM;
			n = ring_inputs(&dp->ids, p, v, r, in);
		}
		/* identical inputs give an identical table: keep the installed one */
		if (!reseed && n == rr->n_in && (!n || !memcmp(in, rr->in, n * sizeof(*in)))) {
			err = install_ring(dp, p, r, rr->fd);
			if (err)
				goto out;
			continue;
		}
		fd = -1;
		if (n) {
			fd = new_ring(dp, in, n, seed);
			if (fd == -ENOENT) {
				fd = -1;
			} else if (fd < 0) {
				err = fd;
				goto out;
			}
		}
		err = install_ring(dp, p, r, fd);
		if (err) {
			if (fd >= 0)
				close(fd);
			goto out;
		}
		if (rr->fd >= 0)
			close(rr->fd);
		free(rr->in);
		rr->fd = fd;
		rr->in = in;
		rr->n_in = n;
		in = NULL;
	}
out:
	free(in);
	return err;
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

static int put_prefs(int fd4, int fd6, const struct inet_prefix *pfx, const uint8_t *regions,
		     size_t n)
{
	struct ae_prefs prefs = { .n = n };
	int err;

	memcpy(prefs.regions, regions, n);
	if (pfx->addr.family == AE_FAMILY_V4) {
		struct ae_lpm4_key k = { .prefixlen = pfx->len };

		memcpy(k.addr, pfx->addr.bytes, 4);
		err = bpf_map_update_elem(fd4, &k, &prefs, BPF_ANY);
	} else {
		struct ae_lpm6_key k = { .prefixlen = pfx->len };

		memcpy(k.addr, pfx->addr.bytes, 16);
		err = bpf_map_update_elem(fd6, &k, &prefs, BPF_ANY);
	}
	return err ? -errno : 0;
}

static bool prefix_wanted(const struct policy *p, uint8_t family, const uint8_t *addr, uint32_t len)
{
	size_t i;

	if (!len)
		return true; /* the /0 default */
	for (i = 0; i < p->n_clients; i++) {
		const struct inet_prefix *c = &p->clients[i].prefix;

		if (c->addr.family == family && c->len == len &&
		    !memcmp(c->addr.bytes, addr, family == AE_FAMILY_V4 ? 4 : 16))
			return true;
	}
	return false;
}

/* Delete the keys of an LPM trie that the policy no longer has. */
static int prune_prefs(int fd, const struct policy *p, uint8_t family)
{
	struct ae_lpm6_key cur, next, dead[64];
	size_t n_dead;
	void *prev;
	int err;

	do {
		n_dead = 0;
		prev = NULL;
		while (n_dead < 64 && !bpf_map_get_next_key(fd, prev, &next)) {
			if (!prefix_wanted(p, family, next.addr, next.prefixlen))
				dead[n_dead++] = next;
			cur = next;
			prev = &cur;
		}
		for (size_t i = 0; i < n_dead; i++) {
			err = bpf_map_delete_elem(fd, &dead[i]);
			if (err && errno != ENOENT)
				return -errno;
		}
	} while (n_dead == 64);
	return 0;
}

static int apply_prefs(struct dataplane *dp, const struct policy *p)
{
	int fd4 = bpf_map__fd(dp->skel->maps.client_prefs_v4);
	int fd6 = bpf_map__fd(dp->skel->maps.client_prefs_v6);
	struct inet_prefix any4 = { .addr.family = AE_FAMILY_V4 };
	struct inet_prefix any6 = { .addr.family = AE_FAMILY_V6 };
	uint8_t home = (uint8_t)p->edge.region;
	size_t i;
	int err;

	/* a client no prefix matches prefers the edge's own region, then the VIP's order */
	err = put_prefs(fd4, fd6, &any4, &home, 1);
	if (!err)
		err = put_prefs(fd4, fd6, &any6, &home, 1);
	for (i = 0; !err && i < p->n_clients; i++)
		err = put_prefs(fd4, fd6, &p->clients[i].prefix, p->clients[i].prefer,
				p->clients[i].n_prefer);
	if (!err)
		err = prune_prefs(fd4, p, AE_FAMILY_V4);
	if (!err)
		err = prune_prefs(fd6, p, AE_FAMILY_V6);
	return err;
}

static void vip_key(struct ae_vip_key *k, const struct policy_vip *pv, uint8_t proto, uint16_t port)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, pv->addr.bytes, 16);
	k->family = pv->addr.family;
	k->proto = proto;
	k->port = htons(port);
}

static bool vip_key_wanted(const struct policy *p, const struct ae_vip_key *k)
{
	struct ae_vip_key want;
	size_t v, i;

	for (v = 0; v < p->n_vips; v++) {
		for (i = 0; i < p->vips[v].n_ports; i++) {
			const struct policy_port *pp = &p->vips[v].ports[i];

			vip_key(&want, &p->vips[v], pp->proto, pp->port);
			if (!memcmp(&want, k, sizeof(want)))
				return true;
			vip_key(&want, &p->vips[v], pp->proto, 0);
			if (!memcmp(&want, k, sizeof(want)))
				return true;
		}
	}
	return false;
}

/* Write the words of vip_filter that differ from what the map holds. */
static int write_filter(struct dataplane *dp, const uint64_t *words)
{
	int fd = bpf_map__fd(dp->skel->maps.vip_filter);
	uint32_t i;

	for (i = 0; i < AE_VIP_FILTER_WORDS; i++) {
		if (words[i] == dp->filter[i])
			continue;
		if (bpf_map_update_elem(fd, &i, &words[i], BPF_ANY))
			return -errno;
		dp->filter[i] = words[i];
	}
	return 0;
}

static void filter_of(const struct policy *p, uint64_t *words)
{
	uint32_t addr[4], bit;
	size_t i;

	memset(words, 0, AE_VIP_FILTER_WORDS * sizeof(*words));
	for (i = 0; i < p->n_vips; i++) {
		memcpy(addr, p->vips[i].addr.bytes, 16);
		bit = ae_vip_filter_bit((const uint8_t *)addr);
		words[bit / 64] |= 1ULL << (bit % 64);
	}
}

static uint32_t fnv1a(uint32_t h, const void *data, size_t len)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static uint32_t vip_name_hash(const struct policy_vip *pv)
{
	uint32_t h = fnv1a(2166136261u, pv->name, strlen(pv->name));

	return h ? h : 1;
}

/* Address and ports, independent of the order the ports are listed in. */
static uint32_t vip_keys_hash(const struct policy_vip *pv)
{
	uint32_t h = fnv1a(2166136261u, &pv->addr, sizeof(pv->addr)), sum = 0, one;
	size_t j;

	for (j = 0; j < pv->n_ports; j++) {
		one = fnv1a(2166136261u, &pv->ports[j].proto, 1);
		one = fnv1a(one, &pv->ports[j].port, 2);
		sum += one;
	}
	return h ^ sum;
}

static int assign_vip_ids(struct vip_ids *ids, const struct policy *p)
{
	bool taken[AE_MAX_VIPS] = { false };
	uint32_t id, tries, nh, kh;
	size_t i;

	for (i = 0; i < p->n_vips; i++) {
		nh = vip_name_hash(&p->vips[i]);
		kh = vip_keys_hash(&p->vips[i]);
		for (id = 0; id < AE_MAX_VIPS; id++)
			if (ids->name_hash[id] == nh && !taken[id])
				break;
		for (tries = 0; id == AE_MAX_VIPS && tries < AE_MAX_VIPS; tries++) {
			uint32_t c = (ids->next + tries) % AE_MAX_VIPS;

			if (!ids->name_hash[c] && !taken[c])
				id = c;
		}
		if (id == AE_MAX_VIPS)
			return -E2BIG;
		if (!ids->name_hash[id] || ids->keys_hash[id] != kh) {
			/* a new meaning for this id: flows that remember the old one re-check */
			if (!ids->name_hash[id])
				ids->next = (id + 1) % AE_MAX_VIPS;
			ids->gen[id] = ++ids->next_gen ? ids->next_gen : ++ids->next_gen;
		}
		ids->name_hash[id] = nh;
		ids->keys_hash[id] = kh;
		taken[id] = true;
		ids->of[i] = id;
	}
	ids->n = p->n_vips;
	return 0;
}

static int apply_vips(struct dataplane *dp, const struct policy *p, const struct dp_view *v)
{
	uint64_t want[AE_VIP_FILTER_WORDS], both[AE_VIP_FILTER_WORDS];
	int fd = bpf_map__fd(dp->skel->maps.vips), ifd = bpf_map__fd(dp->skel->maps.vip_info);
	struct ae_vip_key k, next, dead[64];
	bool used[AE_MAX_VIPS] = { false };
	size_t i, j, n_dead;
	uint32_t id;
	void *prev;
	int err;

	/* new VIPs' bits go in before their entries, stale bits come out after theirs */
	filter_of(p, want);
	for (i = 0; i < AE_VIP_FILTER_WORDS; i++)
		both[i] = want[i] | dp->filter[i];
	err = write_filter(dp, both);
	if (err)
		return err;
	for (i = 0; i < p->n_vips; i++) {
		const struct policy_vip *pv = &p->vips[i];
		struct ae_vip_ref ref = { .id = dp->vids.of[i] };
		struct ae_vip info = {
			.mode = pv->mode,
			.serving = v->serving[i],
			.n_regions = pv->n_regions,
		};

		id = ref.id;
		ref.gen = info.gen = dp->vids.gen[id];
		info.name_hash = dp->vids.name_hash[id];
		info.keys_hash = dp->vids.keys_hash[id];
		used[id] = true;
		for (j = 0; j < pv->n_regions; j++) {
			info.regions[j] = pv->regions[j];
			info.region_mask |= 1U << pv->regions[j];
		}
		/* the facts first, then the keys that lead to them */
		if (bpf_map_update_elem(ifd, &id, &info, BPF_ANY))
			return -errno;
		for (j = 0; j < pv->n_ports; j++) {
			/* the port's own entry, and the port-0 entry its fragments use */
			vip_key(&k, pv, pv->ports[j].proto, pv->ports[j].port);
			if (bpf_map_update_elem(fd, &k, &ref, BPF_ANY))
				return -errno;
			vip_key(&k, pv, pv->ports[j].proto, 0);
			if (bpf_map_update_elem(fd, &k, &ref, BPF_ANY))
				return -errno;
		}
	}
	do {
		n_dead = 0;
		prev = NULL;
		while (n_dead < 64 && !bpf_map_get_next_key(fd, prev, &next)) {
			if (!vip_key_wanted(p, &next))
				dead[n_dead++] = next;
			k = next;
			prev = &k;
		}
		for (i = 0; i < n_dead; i++)
			if (bpf_map_delete_elem(fd, &dead[i]) && errno != ENOENT)
				return -errno;
	} while (n_dead == 64);
	/* ids no VIP holds any more: gen 0, so no remembered flow takes its fast path */
	for (id = 0; id < AE_MAX_VIPS; id++) {
		struct ae_vip none = { 0 };

		if (used[id] || !dp->vids.name_hash[id])
			continue;
		if (bpf_map_update_elem(ifd, &id, &none, BPF_ANY))
			return -errno;
		dp->vids.name_hash[id] = dp->vids.keys_hash[id] = 0;
	}
	return write_filter(dp, want);
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
		err = apply_config(dp, p, v);
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
	if (err)
		pr_warn("dataplane: programming the maps failed: %s\n", strerror(-err));
	if (!view)
		dp_view_free(&def);
	return err;
}

/* Serving region of an active-passive VIP with no lag evidence at hand. */
static uint8_t default_serving(const struct policy_vip *pv, const bool *region_up)
{
	size_t k;

	if (pv->mode != VIP_ACTIVE_PASSIVE)
		return AE_NO_REGION;
	if (region_up[pv->primary] || !pv->auto_promote_local)
		return (uint8_t)pv->primary;
	for (k = 0; k < pv->n_regions; k++)
		if (pv->regions[k] != pv->primary && region_up[pv->regions[k]])
			return pv->regions[k];
	return (uint8_t)pv->primary;
}

int dp_view_default(const struct policy *p, const bool *down, struct dp_view *v)
{
	size_t n = dp_backend_count(p), i;

	memset(v, 0, sizeof(*v));
	v->backend_up = calloc(n + 1, sizeof(bool));
	v->backend_new_flows = calloc(n + 1, sizeof(bool));
	if (!v->backend_up || !v->backend_new_flows) {
		dp_view_free(v);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		v->backend_up[i] = v->backend_new_flows[i] = true;
	for (i = 0; i < p->n_regions && i < AE_MAX_REGIONS; i++)
		v->region_up[i] = !(down && down[i]);
	for (i = 0; i < p->n_vips && i < AE_MAX_VIPS; i++)
		v->serving[i] = default_serving(&p->vips[i], v->region_up);
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
	uint64_t *vals;
	uint32_t r;
	int c;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (r = 0; r < AE_REASON_MAX; r++) {
		counts[r] = 0;
		if (bpf_map_lookup_elem(fd, &r, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			counts[r] += vals[c];
	}
	free(vals);
	return 0;
}

int dp_read_vip_stats(const struct dataplane *dp, uint32_t vip, struct ae_vip_stats *out)
{
	uint32_t vip_id = vip < dp->vids.n ? dp->vids.of[vip] : AE_MAX_VIPS;
	int fd = bpf_map__fd(dp->skel->maps.vip_stats), ncpu = libbpf_num_possible_cpus();
	struct ae_vip_stats *vals;
	int c, err = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(fd, &vip_id, vals)) {
		err = -errno;
		goto out;
	}
	for (c = 0; c < ncpu; c++) {
		out->packets += vals[c].packets;
		out->bytes += vals[c].bytes;
		out->new_flows += vals[c].new_flows;
	}
out:
	free(vals);
	return err;
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
	};

	return r < AE_REASON_MAX && names[r] ? names[r] : "unknown";
}
