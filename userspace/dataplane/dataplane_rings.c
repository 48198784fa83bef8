// SPDX-License-Identifier: GPL-2.0
/* Backends and their rings: stable backend ids, the backends map, and one Maglev ring per
 * region, built aside and switched into every (VIP, region) slot that lists the region.
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

int assign_ids(struct backend_ids *ids, const struct policy *p)
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

int apply_backends(struct dataplane *dp, const struct policy *p, const struct dp_view *v)
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
int release_ids(struct dataplane *dp)
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
	bool listed[AE_MAX_VIPS] = { false }; /* by VIP id */
	uint32_t slot;
	size_t v, k;
	int want;

	for (v = 0; v < p->n_vips; v++)
		for (k = 0; k < p->vips[v].n_regions; k++)
			listed[dp->vids.of[v]] |= p->vips[v].regions[k] == r;
	for (v = 0; v < AE_MAX_VIPS; v++) {
		slot = v * AE_MAX_REGIONS + r;
		want = listed[v] ? fd : -1;
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
	uint32_t count = AE_RING_WORDS(dp->ring_size), i;
	int fd, err;

	err = maglev_build(in, n, seed, dp->ring_size, dp->ring_vals);
	if (err)
		return err;
	memset(dp->ring_words, 0, count * sizeof(*dp->ring_words));
	for (i = 0; i < dp->ring_size; i++)
		dp->ring_words[i / AE_RING_WORD_IDS] |= (uint64_t)dp->ring_vals[i]
							<< AE_RING_ID_SHIFT(i);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ae_ring", sizeof(uint32_t), sizeof(uint64_t),
			    count, NULL);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_batch(fd, dp->ring_keys, dp->ring_words, &count, NULL)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int apply_rings(struct dataplane *dp, const struct policy *p, const struct dp_view *v)
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
