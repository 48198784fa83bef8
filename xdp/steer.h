/* SPDX-License-Identifier: GPL-2.0 */
/* Stage 2: from a parsed packet to a backend. Flow affinity first; a new flow takes the client's
 * nearest region that the VIP lists and that is up with a ring, then the backend Maglev names.
 */
#ifndef ANYEDGE_STEER_H
#define ANYEDGE_STEER_H

#include "flows.h"
#include "hash.h"
#include "maps.h"
#include "parse.h"

static __always_inline int region_up(__u32 r)
{
	struct ae_region *st = bpf_map_lookup_elem(&regions, &r);

	return st && (st->flags & AE_REGION_UP);
}

/* The VIP a packet is for: its id and facts. */
struct vip_ctx {
	__u32 id;
	const struct ae_vip *info;
};

/* The ring of (vip, region) when the region is usable for a new flow, else NULL. */
static __always_inline void *usable_ring(const struct vip_ctx *v, __u32 r)
{
	__u32 slot;

	if (r >= AE_MAX_REGIONS || !(v->info->region_mask & (1U << r)) || !region_up(r))
		return 0;
	slot = v->id * AE_MAX_REGIONS + r;
	return bpf_map_lookup_elem(&rings, &slot);
}

static __always_inline struct ae_prefs *client_prefs(const struct pkt *p)
{
	if (p->family == AE_FAMILY_V4) {
		struct ae_lpm4_key k = { .prefixlen = 32 };

		__builtin_memcpy(k.addr, p->flow.src, 4);
		return bpf_map_lookup_elem(&client_prefs_v4, &k);
	} else {
		struct ae_lpm6_key k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, p->flow.src, 16);
		return bpf_map_lookup_elem(&client_prefs_v6, &k);
	}
}

/* Active-active: the client's preferences that the VIP lists, then the VIP's own order. */
static __always_inline void *pick_ring_aa(const struct pkt *p, const struct vip_ctx *v)
{
	const struct ae_vip *vip = v->info;
	struct ae_prefs *prefs = client_prefs(p);
	void *ring;
	int i;

	if (prefs) {
#pragma unroll
		for (i = 0; i < AE_MAX_PREFS; i++) {
			if (i >= prefs->n)
				break;
			ring = usable_ring(v, prefs->regions[i]);
			if (ring)
				return ring;
		}
	}
#pragma unroll
	for (i = 0; i < AE_MAX_VIP_REGIONS; i++) {
		if (i >= vip->n_regions)
			break;
		ring = usable_ring(v, vip->regions[i]);
		if (ring)
			return ring;
	}
	return 0;
}

/* A remembered backend still holds the flow while it and its region are up and, for an
 * active-passive VIP, while its region is still the serving one (no writes to two regions).
 */
static __always_inline struct ae_backend *flow_backend(const struct ae_vip *vip, __u32 id)
{
	struct ae_backend *b = bpf_map_lookup_elem(&backends, &id);

	if (!b || !(b->flags & AE_BACKEND_UP) || b->region >= AE_MAX_REGIONS)
		return 0;
	if (!(vip->region_mask & (1U << b->region)) || !region_up(b->region))
		return 0;
	if (vip->mode == AE_MODE_ACTIVE_PASSIVE && b->region != vip->serving)
		return 0;
	return b;
}

/* A new flow, or one whose backend can no longer hold it: AE_CONTINUE with *out set, or a
 * verdict with *reason set. r->f is the flow's entry when the table has one (never for a SYN:
 * see the caller), r->b its bucket; the flow is (re)written with the epoch the packet started
 * under.
 */
static __always_inline int steer(struct pkt *p, const struct vip_ctx *v, struct flow_ref *r,
				 const struct ae_config *cfg, __u32 epoch, struct ae_backend **out,
				 __u32 *reason, int *new_flow)
{
	struct ae_flow *f = r->f;
	struct ae_backend *b;
	__u32 idx, w, id;
	__u64 *ids;
	void *ring;

	if (f) {
		/* checked under an older epoch (or torn): its backend may still hold it */
		b = flow_backend(v->info, f->backend);
		if (b) {
			flow_store(f, p, epoch, b, f->backend, v->id);
			*out = b;
			return AE_CONTINUE;
		}
	}
	if (v->info->mode == AE_MODE_ACTIVE_PASSIVE) {
		ring = usable_ring(v, v->info->serving);
		if (!ring) {
			*reason = AE_DROP_PRIMARY_DOWN;
			return XDP_DROP;
		}
	} else {
		ring = pick_ring_aa(p, v);
		if (!ring) {
			*reason = AE_DROP_NO_REGION;
			return XDP_DROP;
		}
	}
	if (!cfg->ring_size) {
		*reason = AE_DROP_NO_BACKEND;
		return XDP_DROP;
	}
	idx = ae_flow_hash(&p->flow, cfg->hash_seed) % cfg->ring_size;
	w = idx / AE_RING_WORD_IDS;
	ids = bpf_map_lookup_elem(ring, &w);
	id = ids ? (__u16)(*ids >> AE_RING_ID_SHIFT(idx)) : 0;
	b = ids ? bpf_map_lookup_elem(&backends, &id) : 0;
	if (!b || !b->family) {
		*reason = AE_DROP_NO_BACKEND;
		return XDP_DROP;
	}
	/* An ICMP error takes no entry: a flood of them is as cheap as one. */
	if (f)
		flow_store(f, p, epoch, b, id, v->id);
	else if (r->b && !p->icmp)
		flow_insert(r, p, epoch, b, id, v->id);
	/* a connection counts once, at its SYN; not again when its first ACK writes an entry */
	*new_flow = (p->syn || p->flow.proto != IPPROTO_TCP) && !p->icmp;
	*out = b;
	return AE_CONTINUE;
}

#endif /* ANYEDGE_STEER_H */
