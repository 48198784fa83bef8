/* SPDX-License-Identifier: GPL-2.0 */
/* Flow affinity: the table that keeps an established flow on its backend. Its layout, and why
 * lockless writes are safe, are in anyedge_abi.h.
 */
#ifndef ANYEDGE_FLOWS_H
#define ANYEDGE_FLOWS_H

#include "hash.h"
#include "maps.h"
#include "parse.h"

/* hash: the key's ae_flow_fold with AE_FLOW_SEED_IMM */
static __always_inline struct ae_flow_set *flow_set(__u32 hash)
{
	__u32 idx = hash & AE_FLOW_MASK_IMM;

	return bpf_map_lookup_elem(&flows, &idx);
}

/* The way's fields, the flow they belong to (its fold hash) and the epoch they were checked
 * under, bound in one word: each step is a bijection of its input word. Bit 0 is left clear
 * for the way's state (AE_FLOW_EMBRYONIC).
 */
static __always_inline __u32 flow_check(const struct ae_flow *f, __u32 hash, __u32 epoch)
{
	const __u32 *a = (const __u32 *)f->addr;
	__u32 h = ae_mix(hash ^ epoch, f->family | (__u32)f->vip << 8 | (__u32)f->backend << 16);

	h = ae_mix(h, a[0] ^ a[1]);
	return ae_mix(h, a[2] ^ a[3]) & ~AE_FLOW_EMBRYONIC;
}

static __always_inline int flow_key_eq(const struct ae_flow_key *a, const struct ae_flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]));
}

static __always_inline struct ae_flow *flow_find(struct ae_flow_set *s, const struct ae_flow_key *k)
{
	int i;

#pragma unroll
	for (i = 0; i < AE_FLOW_WAYS; i++)
		if (flow_key_eq(&s->way[i].key, k))
			return &s->way[i];
	return 0;
}

/* Where a flow without a way goes: an empty way, else an embryonic one, else (never for a SYN:
 * NULL) a random one. An evicted flow that comes back is steered afresh: to the same backend
 * while the ring is unchanged. Empty ways fill from the first, where flow_find looks first; the
 * embryonic way is sought from one the flow's hash picks (its high bits: the low ones picked
 * the set), so a flood's SYNs spread over a set's embryonic ways and a real handshake's way
 * outlives more of them.
 */
static __always_inline struct ae_flow *flow_victim(struct ae_flow_set *s, __u32 hash, int syn)
{
	__u32 i, w;

#pragma unroll
	for (i = 0; i < AE_FLOW_WAYS; i++)
		if (!s->way[i].key.family)
			return &s->way[i];
#pragma unroll
	for (i = 0; i < AE_FLOW_WAYS; i++) {
		w = (i + (hash >> 30)) % AE_FLOW_WAYS;
		if (s->way[w].check & AE_FLOW_EMBRYONIC)
			return &s->way[w];
	}
	return syn ? 0 : &s->way[bpf_get_prandom_u32() % AE_FLOW_WAYS];
}

/* state: AE_FLOW_EMBRYONIC for a SYN's way, else 0 */
static __always_inline void flow_store(struct ae_flow *f, const struct pkt *p, __u32 epoch,
				       const struct ae_backend *b, __u32 backend, __u32 vip,
				       __u32 state)
{
	f->key = p->flow;
	__builtin_memcpy(f->addr, b->addr, 16);
	f->family = b->family;
	f->vip = vip;
	f->backend = backend;
	f->check = flow_check(f, p->hash, epoch) | state;
}

#endif /* ANYEDGE_FLOWS_H */
