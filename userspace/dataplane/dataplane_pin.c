// SPDX-License-Identifier: GPL-2.0
/* Pins, adoption and attachment: what lets a controller restart, or crash, while the program
 * goes on forwarding with the last maps, and the next controller take over without a dropped
 * flow. Layout: DIR/<map name> for every map, DIR/link for the XDP link.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane_impl.h"
#include "files.h"
#include "log.h"
#include "xdp_pin.h"

static int pinned_meta(const char *dir, struct ae_meta *m)
{
	char path[PATH_MAX];
	__u32 zero = 0;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/meta", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_map_lookup_elem(fd, &zero, m))
		err = -errno;
	close(fd);
	return err;
}

int dp_pin_prepare(struct dataplane *dp, const struct dp_opts *opts)
{
	char path[PATH_MAX];
	struct ae_meta meta = { 0 };
	struct bpf_map *m;
	__u32 abi;
	int err;

	if (snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s", opts->pin_dir) >=
	    (int)sizeof(dp->pin_dir))
		return -ENAMETOOLONG;
	err = bpffs_mount();
	if (!err)
		err = mkdir_p(dp->pin_dir, 0700);
	if (err) {
		pr_warn("dataplane: cannot prepare %s: %s\n", dp->pin_dir, strerror(-err));
		return err;
	}
	err = pinned_meta(dp->pin_dir, &meta);
	abi = meta.abi_version;
	if (!err && abi != AE_ABI_VERSION) {
		if (!opts->replace && !opts->upgrade) {
			pr_warn("dataplane: pinned state under %s speaks ABI %u, this program %u; "
				"refusing to adopt it (drain the edge to upgrade, see anyedge "
				"upgrade; --replace discards it and its flows)\n",
				dp->pin_dir, abi, AE_ABI_VERSION);
			return -EPROTO;
		}
		pr_warn("dataplane: discarding pinned state of ABI %u under %s (%s)\n", abi,
			dp->pin_dir, opts->replace ? "--replace" : "an upgrade of a drained edge");
		pin_dir_clear(dp->pin_dir, "link"); /* the link keeps the old program forwarding */
		dp->replaced_abi = abi;
	} else if (!err && !opts->replace && meta.ring_size != dp->ring_size) {
		pr_warn("dataplane: pinned maps under %s hold rings of %u entries, the policy wants "
			"%u; refusing to adopt them (--replace discards them and their flows)\n",
			dp->pin_dir, meta.ring_size, dp->ring_size);
		return -EPROTO;
	} else if (!err && opts->replace) {
		pr_warn("dataplane: discarding pinned maps under %s (--replace)\n", dp->pin_dir);
		pin_dir_clear(dp->pin_dir, "link"); /* the link keeps the old program forwarding */
	} else if (!err) {
		dp->flow_seed = meta.flow_seed; /* its flows sit where this seed put them */
	}
	bpf_object__for_each_map(m, dp->skel->obj) {
		/* libbpf reuses a compatible pin at load and pins new maps there; .rodata and
		 * friends belong to one program load, not to the pinned state
		 */
		if (bpf_map__is_internal(m))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, bpf_map__name(m));
		err = bpf_map__set_pin_path(m, path);
		if (err)
			return err;
	}
	return 0;
}

/* Rebuild what the module remembers from the maps themselves: backend ids (flows hold them),
 * the VIP filter words, the config (the epoch to carry on from) and the live copy of vip_keys
 * (VIP ids by name). Rings are rebuilt on the first apply, identically, and swapped in.
 */
int dp_pin_adopt(struct dataplane *dp)
{
	int bfd = bpf_map__fd(dp->skel->maps.backends);
	int ffd = bpf_map__fd(dp->skel->maps.vip_filter);
	int kfd = bpf_map__fd(dp->skel->maps.vip_keys);
	int cfd = bpf_map__fd(dp->skel->maps.config);
	struct ae_meta was = { 0 };
	struct ae_backend b;
	__u32 id, idx, top = 0, zero = 0;
	size_t adopted = 0;

	dp->adopted = !pinned_meta(dp->pin_dir, &was) && was.abi_version == AE_ABI_VERSION;
	for (id = 0; dp->adopted && id < AE_MAX_BACKENDS; id++) {
		if (bpf_map_lookup_elem(bfd, &id, &b) || !b.family)
			continue;
		dp->ids.addr[id].family = b.family;
		memcpy(dp->ids.addr[id].bytes, b.addr, 16);
		dp->ids.next = (id + 1) % AE_MAX_BACKENDS;
		adopted++;
	}
	for (id = 0; dp->adopted && id < AE_VIP_FILTER_WORDS; id++)
		if (bpf_map_lookup_elem(ffd, &id, &dp->filter[id]))
			return -errno;
	if (dp->adopted && bpf_map_lookup_elem(cfd, &zero, &dp->config))
		return -errno;
	for (id = 0; dp->adopted && id < AE_VIP_SLOTS; id++) {
		const struct ae_vip_slot *e = &dp->vip_live[id];

		idx = (dp->config.vip_table & 1) * AE_VIP_SLOTS + id;
		if (bpf_map_lookup_elem(kfd, &idx, &dp->vip_live[id]))
			return -errno;
		if (!e->key.family || e->id >= AE_MAX_VIPS)
			continue;
		dp->vids.name_hash[e->id] = e->vip.name_hash;
		if (e->id + 1 > top)
			top = e->id + 1; /* the search for a free id goes on after the last */
	}
	dp->vids.next = top % AE_MAX_VIPS;
	if (dp->adopted)
		pr_info("dataplane: adopted pinned maps under %s (%zu backends)\n", dp->pin_dir,
			adopted);
	return 0;
}

int dp_read_view(const struct dataplane *dp, const struct policy *p, struct dp_view *v)
{
	int bfd = bpf_map__fd(dp->skel->maps.backends), rfd = bpf_map__fd(dp->skel->maps.regions);
	struct ae_region reg;
	struct ae_backend b;
	struct ae_vip_slot ref;
	size_t r, i, k = 0;
	__u32 id;
	int err;

	err = dp_view_default(p, NULL, v);
	if (err)
		return err;
	for (r = 0; r < p->n_regions; r++) {
		id = r;
		v->region_up[r] = !bpf_map_lookup_elem(rfd, &id, &reg) &&
				  (reg.flags & AE_REGION_UP);
		for (i = 0; i < p->regions[r].n_backends; i++, k++) {
			const struct inet_addr *a = &p->regions[r].backends[i].addr;

			v->backend_up[k] = false;
			for (id = 0; id < AE_MAX_BACKENDS; id++) {
				if (!inet_addr_eq(&dp->ids.addr[id], a))
					continue;
				v->backend_up[k] = !bpf_map_lookup_elem(bfd, &id, &b) &&
						   (b.flags & AE_BACKEND_UP);
				break;
			}
		}
	}
	for (i = 0; i < p->n_vips && i < AE_MAX_VIPS; i++) {
		struct ae_vip_key key = { .family = p->vips[i].addr.family,
					  .proto = p->vips[i].ports[0].proto };

		memcpy(key.addr, p->vips[i].addr.bytes, 16); /* the port-0 entry every VIP has */
		if (!find_vip_key(dp, &key, &ref) && ref.vip.mode == AE_MODE_ACTIVE_PASSIVE)
			v->serving[i] = ref.vip.serving;
	}
	return 0;
}

bool dp_adopted(const struct dataplane *dp)
{
	return dp->adopted;
}

uint32_t dp_replaced_abi(const struct dataplane *dp)
{
	return dp->replaced_abi;
}

static __u32 prog_id(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(prog_fd, &info, &len) ? 0 : info.id;
}

int dp_attach(struct dataplane *dp, const char *ifname, const char **mode)
{
	int ifindex = if_nametoindex(ifname), prog_fd = dp_prog_fd(dp), fd, err;
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];

	if (!ifindex)
		return -ENODEV;
	if (dp->pin_dir[0]) {
		snprintf(path, sizeof(path), "%s/link", dp->pin_dir);
		fd = bpf_obj_get(path);
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.xdp.ifindex == (__u32)ifindex) {
			/* the link stays, its program is swapped: no packet meets no program */
			if (bpf_link_update(fd, prog_fd, NULL)) {
				err = -errno;
				close(fd);
				return err;
			}
			dp->link_fd = fd;
			*mode = xdp_attach_mode(ifindex, prog_id(prog_fd));
			return 0;
		}
		if (fd >= 0) {
			pr_info("dataplane: removing a stale link pin (interface gone or renamed)\n");
			close(fd);
			unlink(path);
		}
	}
	fd = xdp_link_create(prog_fd, ifindex, ifname, mode);
	if (fd < 0)
		return fd;
	/* attaching again (the interface was re-created): the old link died with its device */
	if (dp->link_fd >= 0)
		close(dp->link_fd);
	if (dp->pin_dir[0]) {
		err = pin_replace(fd, dp->pin_dir, "link");
		if (err) {
			close(fd);
			return err;
		}
	}
	dp->link_fd = fd;
	return 0;
}

int dp_unpin(const char *pin_dir)
{
	int err;

	/* the link goes with the rest: the program detaches once no process holds it */
	err = pin_dir_clear(pin_dir, NULL);
	if (err)
		return err;
	if (rmdir(pin_dir))
		return -errno;
	rmdir(DP_PIN_BASE); /* best effort: the last edge leaves no empty folder behind */
	return 0;
}
