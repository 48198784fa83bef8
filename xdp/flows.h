/* SPDX-License-Identifier: GPL-2.0 */
/* Flow affinity: the table that keeps an established flow on its backend. Its layout, and why
 * lockless writes are safe, are in anyedge_abi.h.
 */
#ifndef ANYEDGE_FLOWS_H
#define ANYEDGE_FLOWS_H

#include "hash.h"
#include "maps.h"
#include "parse.h"

/* A flow's place in the table: its bucket and, when the table holds the flow, where. */
#define FLOW_AT_NEWEST AE_FLOW_SLOTS /* the bucket's newest */
#define FLOW_NOWHERE (AE_FLOW_SLOTS + 1)

struct flow_ref {
	struct ae_flow_bucket *b;
	struct ae_flow_runs *runs;
	struct ae_flow_cursor *c; /* this CPU's */
	__u32 cpu;
	struct ae_flow *f; /* NULL: the table does not hold the flow */
	__u32 at; /* where f is: a slot, FLOW_AT_NEWEST */
	__u32 e; /* f's entry, when at a slot: as the slot named it when f was found */
	__u32 dup; /* where an older connection of the flow's 5-tuple is, else FLOW_NOWHERE */
};

/* The slot naming entry e for the flow of this hash: its tag is the hash's top bits (the low
 * ones picked the bucket).
 */
static __always_inline __u32 flow_slot(__u32 hash, __u32 e)
{
	return (hash & AE_FLOW_SLOT_TAG) | (e + 1);
}

static __always_inline struct ae_flow *flow_entry(__u32 e)
{
	return bpf_map_lookup_elem(&flows, &e);
}

/* The flow's bucket and this CPU's cursor. A SYN takes an entry, so it reads the cursor now,
 * its page walk overlapping the rest; any other packet mostly hits its bucket's newest and takes
 * none, and reads the cursor only when it does.
 */
static __always_inline void flow_locate(struct flow_ref *r, __u32 hash, int syn)
{
	__u32 idx = hash & AE_FLOW_MASK_IMM, zero = 0;

	r->b = bpf_map_lookup_elem(&flow_index, &idx);
	r->runs = bpf_map_lookup_elem(&flow_runs, &zero);
	r->cpu = bpf_get_smp_processor_id() & (AE_FLOW_MAX_CPUS - 1);
	if (r->runs) {
		r->c = &r->runs->cpu[r->cpu];
		if (syn)
			(void)*(volatile __u32 *)&r->c->next;
	}
}

/* The handshake slot a SYN of this hash writes (flow_insert): the only one its ACK reads. */
static __always_inline __u32 flow_syn_slot(__u32 hash)
{
	return AE_FLOW_OPEN_SLOTS + ((hash >> 22) & (AE_FLOW_SYN_SLOTS - 1));
}

/* The entry's fields, the flow they belong to (its fold hash) and the epoch they were checked
 * under, bound in one word: a sum of products by odd constants, so a change to any one word
 * changes it, and the four products do not wait on each other as a chain of mixes did.
 */
static __always_inline __u32 flow_check(const struct ae_flow *f, __u32 hash, __u32 epoch)
{
	const __u32 *a = (const __u32 *)f->addr;
	__u32 fields = f->family | (__u32)f->vip << 8 | (__u32)f->backend << 16;

	return (hash ^ epoch) * 0x9e3779b1 + fields * 0x85ebca77 + (a[0] ^ a[1]) * 0xc2b2ae3d +
	       (a[2] ^ a[3]) * 0x27d4eb2f;
}

static __always_inline int flow_key_eq(const struct ae_flow_key *a, const struct ae_flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]));
}

/* The entry slot i names (its index in *e), if it is this flow's. */
static __always_inline struct ae_flow *flow_named(const struct flow_ref *r, int i, __u32 tag,
						  const struct ae_flow_key *k, __u32 *e)
{
	__u32 v = r->b->slot[i];
	struct ae_flow *f;

	if (!v || (v ^ tag) > AE_FLOW_SLOT_ENTRY)
		return 0;
	*e = (v & AE_FLOW_SLOT_ENTRY) - 1;
	f = flow_entry(*e);
	return f && flow_key_eq(&f->key, k) ? f : 0;
}

/* Where r->b holds the flow, handshakes first: a SYN that reuses an established flow's 5-tuple
 * opens a new connection, which its ACK must follow; the older one is noted in r->dup, for the
 * ACK to replace.
 */
static __always_inline void flow_find(struct flow_ref *r, __u32 hash, const struct ae_flow_key *k)
{
	__u32 tag = hash & AE_FLOW_SLOT_TAG, e;
	struct ae_flow *f;
	int i;

	r->at = r->dup = FLOW_NOWHERE;
	i = flow_syn_slot(hash);
	f = flow_named(r, i, tag, k, &e);
	if (f) {
		r->f = f;
		r->at = i;
		r->e = e;
	}
	if (flow_key_eq(&r->b->newest.key, k)) {
		if (r->f) {
			r->dup = FLOW_AT_NEWEST;
		} else {
			r->f = &r->b->newest;
			r->at = FLOW_AT_NEWEST;
		}
		return;
	}
#pragma unroll
	for (i = AE_FLOW_OPEN_SLOTS - 1; i >= 0; i--) {
		f = flow_named(r, i, tag, k, &e);
		if (!f)
			continue;
		if (r->f) {
			r->dup = i;
		} else {
			r->f = f;
			r->at = i;
			r->e = e;
		}
		return;
	}
}

/* The next entry of this CPU's established run (syn: handshake run), taken. */
static __always_inline __u32 flow_take(const struct flow_ref *r, int syn)
{
	__u32 n;

	if (syn) {
		n = r->c->syn_next;
		r->c->syn_next = (n + 1) & ((1U << r->runs->syn_shift) - 1);
		return r->runs->syn_base + (r->cpu << r->runs->syn_shift) + n;
	}
	n = r->c->next;
	r->c->next = (n + 1) & ((1U << r->runs->shift) - 1);
	return (r->cpu << r->runs->shift) + n;
}

/* How many entries of its CPU's established run were taken since entry e: a run's length - 1
 * when the next one taken overwrites it.
 */
static __always_inline __u32 flow_age(const struct flow_ref *r, __u32 e)
{
	__u32 owner = (e >> r->runs->shift) & (AE_FLOW_MAX_CPUS - 1);
	__u32 mask = (1U << r->runs->shift) - 1;

	return (r->runs->cpu[owner].next - (e & mask) - 1) & mask;
}

/* The open slot a flow moved out of its bucket's newest takes: an empty one, else the one whose
 * entry is oldest in its CPU's run (idle, or overwritten already: a flow that keeps sending is
 * copied to its run's head before half a run goes by). The oldest is kept without a branch on
 * it, as the age above the slot number: branching on it would multiply the verifier's states.
 */
static __always_inline __u32 flow_open_slot(const struct flow_ref *r)
{
	__u64 best = 0, key, lt;
	__u32 i;

#pragma unroll
	for (i = 0; i < AE_FLOW_OPEN_SLOTS; i++)
		if (!r->b->slot[i])
			return i;
#pragma unroll
	for (i = 0; i < AE_FLOW_OPEN_SLOTS; i++) {
		key = (__u64)flow_age(r, (r->b->slot[i] & AE_FLOW_SLOT_ENTRY) - 1) << 4 | i;
		lt = (best - key) >> 63; /* best < key: both below 2^36 */
		best ^= (best ^ key) & -lt;
	}
	return best & (AE_FLOW_SLOTS - 1);
}

/* Copy an entry to the head of this CPU's established run, under open slot k; the entry is
 * written before the slot naming it. hash: the flow's.
 */
static __always_inline struct ae_flow *flow_to_run(struct flow_ref *r, const struct ae_flow *f,
						   __u32 hash, __u32 k)
{
	__u32 e = flow_take(r, 0);
	struct ae_flow *g = flow_entry(e);

	if (!g)
		return 0;
	__builtin_memcpy(g, f, sizeof(*g));
	barrier_var(k); /* keep the mask: the verifier cannot see k's bound */
	r->b->slot[k & (AE_FLOW_SLOTS - 1)] = flow_slot(hash, e);
	return g;
}

/* Make room in the bucket's newest: the flow there, unless it is the one about to take its
 * place, moves to an entry under an open slot.
 */
static __always_inline void flow_make_room(struct flow_ref *r)
{
	struct ae_flow *old = &r->b->newest;

	if (!old->key.family || r->dup == FLOW_AT_NEWEST)
		return;
	flow_to_run(r, old, ae_flow_fold(&old->key, AE_FLOW_SEED_IMM), flow_open_slot(r));
}

/* A flow's own packet, its entry trusted. A handshake's first ACK makes it the bucket's newest
 * (an older connection of its 5-tuple under an open slot is dropped); an entry past its run's
 * middle is copied to the run's head, so a flow that keeps sending is never overwritten.
 */
static __always_inline void flow_keep(struct flow_ref *r, __u32 hash)
{
	struct ae_flow *f = r->f;
	__u32 e;

	if (!r->c || r->at == FLOW_AT_NEWEST)
		return;
	if (r->at >= AE_FLOW_OPEN_SLOTS) {
		if (r->dup < AE_FLOW_OPEN_SLOTS) {
			e = r->dup;
			barrier_var(e);
			r->b->slot[e & (AE_FLOW_SLOTS - 1)] = 0;
		}
		flow_make_room(r);
		__builtin_memcpy(&r->b->newest, f, sizeof(*f));
		r->b->slot[r->at & (AE_FLOW_SLOTS - 1)] = 0;
		r->f = &r->b->newest;
		r->at = FLOW_AT_NEWEST;
		return;
	}
	/* past its run's middle, or in another CPU's run (the flow moved here) */
	e = r->e;
	if ((e >> r->runs->shift) != r->cpu || flow_age(r, e) > ((1U << r->runs->shift) - 1) / 2)
		r->f = flow_to_run(r, f, hash, r->at) ?: f;
}

static __always_inline void flow_store(struct ae_flow *f, const struct pkt *p, __u32 epoch,
				       const struct ae_backend *b, __u32 backend, __u32 vip)
{
	f->key = p->flow;
	__builtin_memcpy(f->addr, b->addr, 16);
	f->family = b->family;
	f->vip = vip;
	f->backend = backend;
	f->check = flow_check(f, p->hash, epoch);
}

/* A new flow the table does not hold. A SYN's entry goes to its CPU's handshake run, under
 * the handshake slot its hash picks, written without reading the bucket (a SYN flood costs no
 * reads and evicts no established flow); any other flow becomes the bucket's newest.
 */
static __always_inline void flow_insert(struct flow_ref *r, const struct pkt *p, __u32 epoch,
					const struct ae_backend *b, __u32 backend, __u32 vip)
{
	struct ae_flow *f;
	__u32 e, k;

	if (!r->c)
		return;
	if (!p->syn) {
		flow_make_room(r);
		flow_store(&r->b->newest, p, epoch, b, backend, vip);
		return;
	}
	e = flow_take(r, 1);
	f = flow_entry(e);
	if (!f)
		return;
	flow_store(f, p, epoch, b, backend, vip);
	k = flow_syn_slot(p->hash);
	r->b->slot[k] = flow_slot(p->hash, e);
}

#endif /* ANYEDGE_FLOWS_H */
