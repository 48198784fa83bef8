// SPDX-License-Identifier: GPL-2.0
/* The edge's steering program: VIP packets to the nearest healthy region's backend, tunnelled
 * and sent back out of the NIC; everything else passes untouched. See DESIGN.md, "The path of
 * one packet".
 */
#include "parse.h"
#include "steer.h"
#include "encap.h"
#include "icmp.h"

char LICENSE[] SEC("license") = "GPL";

/* Userspace refuses pinned maps from a program with another ABI. */
const volatile __u32 ae_abi_version = AE_ABI_VERSION;

static __always_inline void count_vip(__u32 id, __u32 bytes, int new_flow)
{
	__u32 i = bpf_get_smp_processor_id() * AE_MAX_VIPS + id;
	struct ae_vip_stats *s;

	if (id >= AE_MAX_VIPS)
		return;
	s = bpf_map_lookup_elem(&vip_stats, &i);
	if (!s)
		return;
	s->packets++;
	s->bytes += bytes;
	s->new_flows += new_flow;
}

static __always_inline int maybe_vip(const struct pkt *p)
{
	__u32 bit = ae_vip_filter_bit(p->dst_fold), word = bit / 64;
	__u64 *w = bpf_map_lookup_elem(&vip_filter, &word);

	return w && (*w & (1ULL << (bit % 64)));
}

static __always_inline int vip_key_eq(const struct ae_vip_key *a, const struct ae_vip_key *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]));
}

/* VIP at (dst, proto, port); fragments and unreadable L4 headers use the port-0 entry. */
static __always_inline int lookup_vip(const struct ae_config *cfg, const struct pkt *p,
				      struct vip_ctx *v)
{
	struct ae_vip_key k = {
		.port = p->l4_ok ? p->flow.dport : 0,
		.proto = p->flow.proto,
		.family = p->family,
	};
	__u32 table = cfg->vip_table, h, i, idx;
	struct ae_vip_slot *s;

	__builtin_memcpy(k.addr, p->flow.dst, 16);
	h = ae_vip_key_hash(&k, table >> 1);
#pragma unroll
	for (i = 0; i < AE_VIP_PROBES; i++) {
		idx = (table & 1) * AE_VIP_SLOTS + ((h + i) & (AE_VIP_SLOTS - 1));
		s = bpf_map_lookup_elem(&vip_keys, &idx);
		if (!s || !s->key.family)
			return -1;
		if (vip_key_eq(&s->key, &k)) {
			v->id = s->id;
			v->info = &s->vip;
			return 0;
		}
	}
	return -1;
}

#define AE_NO_REASON AE_REASON_MAX /* a steered TX: counted in vip_stats, not in reasons */

/* From a parsed VIP-bound packet to its verdict: the flow table, else the VIP and the ring, then
 * the tunnel. XDP_TX with *reason untouched for a steered packet, else a verdict and *reason.
 */
static __always_inline int to_backend(struct xdp_md *ctx, struct pkt *p, __u32 len, __u32 *reason)
{
	struct ae_backend *b = 0, way_b;
	struct flow_ref r = { .at = FLOW_NOWHERE, .dup = FLOW_NOWHERE };
	struct vip_ctx v = {};
	struct ae_config *cfg;
	__u32 zero = 0, epoch;
	int act, new_flow = 0;

	/* The flow's bucket first: its read need not wait for the config's. A SYN opens a new
	 * connection, steered afresh whatever the table remembers of its 5-tuple, and writes its
	 * handshake without reading the bucket (flow_insert).
	 */
	pkt_seal_key(p);
	p->hash = ae_flow_fold(&p->flow, AE_FLOW_SEED_IMM);
	if (p->l4_ok || p->frag) {
		flow_locate(&r, p->hash, p->syn);
		if (r.b && !p->syn)
			flow_find(&r, p->hash, &p->flow);
	}
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg) {
		*reason = AE_DROP_NO_BACKEND;
		return XDP_DROP;
	}
	/* once: a flow written now must carry the epoch whose state it was checked against */
	epoch = cfg->epoch;
	/* established, and nothing it was steered by changed since: straight to the tunnel */
	if (r.f && r.f->check == flow_check(r.f, p->hash, epoch)) {
		__builtin_memcpy(way_b.addr, r.f->addr, 16);
		way_b.family = r.f->family;
		b = &way_b;
		v.id = r.f->vip;
	} else {
		if (lookup_vip(cfg, p, &v)) {
			*reason = p->l4_ok || p->frag ? AE_PASS_NOT_VIP : AE_PASS_MALFORMED;
			return XDP_PASS;
		}
		if (!p->l4_ok && !p->frag) { /* a VIP's packet whose L4 header is cut short */
			*reason = AE_DROP_MALFORMED;
			return XDP_DROP;
		}
		act = steer(p, &v, &r, cfg, epoch, &b, reason, &new_flow);
		if (act != AE_CONTINUE)
			return act;
	}
	/* The flow's own packet, its entry trusted or rewritten: a handshake's first ACK makes it
	 * established, an old entry is renewed. An ICMP error is none of the flow's traffic and
	 * keeps nothing alive.
	 */
	if (r.f && !p->icmp)
		flow_keep(&r, p->hash);
	count_vip(v.id, len, new_flow);
	if (cfg->mtu && p->ip_len + encap_overhead(b) > cfg->mtu) {
		if (p->icmp) { /* never an error about an error (RFC 1122 3.2.2) */
			*reason = AE_DROP_TOO_BIG;
			return XDP_DROP;
		}
		return icmp_too_big(ctx, p, encap_overhead(b), cfg->mtu, reason);
	}
	return encap(ctx, p, b, cfg, reason);
}

/* An ICMP error to a VIP: p->flow becomes the flow whose reply it quotes (parse.h). A
 * subprogram verified once on its own: inlined, its paths would multiply the main path's
 * verifier states past the limit. Returns p->icmp.
 */
__noinline int anyedge_icmp_quote(struct xdp_md *ctx, struct pkt *p)
{
	if (!p)
		return 0;
	parse_icmp_quote(ctx, p);
	return p->icmp;
}

SEC("xdp")
int anyedge_xdp(struct xdp_md *ctx)
{
	__u32 reason = AE_NO_REASON, len = ctx->data_end - ctx->data;
	struct pkt p = {};
	int act;

	act = parse_head(ctx, &p, &reason);
	if (act != AE_CONTINUE)
		goto out;
	if (!maybe_vip(&p)) {
		reason = AE_PASS_NOT_VIP;
		act = XDP_PASS;
		goto out;
	}
	act = parse_rest(ctx, &p, &reason);
	if (act != AE_CONTINUE)
		goto out;
	if (p.flow.proto != IPPROTO_TCP && p.flow.proto != IPPROTO_UDP) {
		if (p.flow.proto != (p.family == AE_FAMILY_V4 ? IPPROTO_ICMP : IPPROTO_ICMPV6) ||
		    !anyedge_icmp_quote(ctx, &p)) {
			/* echo requests to a VIP among them: the edge's own stack has them */
			reason = p.icmp_bad ? AE_PASS_ICMP_UNMATCHED : AE_PASS_NOT_VIP;
			act = XDP_PASS;
			goto out;
		}
	}
	act = to_backend(ctx, &p, len, &reason);
	if (act == XDP_TX && reason == AE_NO_REASON) {
		if (!p.icmp)
			return act;
		reason = AE_TX_ICMP_STEERED;
	}
out:
	count_reason(reason);
	return act;
}
