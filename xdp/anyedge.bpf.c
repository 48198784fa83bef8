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
	struct ae_vip_stats *s = bpf_map_lookup_elem(&vip_stats, &id);

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

/* VIP at (dst, proto, port); fragments and unreadable L4 headers use the port-0 entry. */
static __always_inline int lookup_vip(const struct pkt *p, struct vip_ctx *v)
{
	struct ae_vip_key k = {
		.port = p->l4_ok ? p->flow.dport : 0,
		.proto = p->flow.proto,
		.family = p->family,
	};
	struct ae_vip_ref *ref;

	__builtin_memcpy(k.addr, p->flow.dst, 16);
	ref = bpf_map_lookup_elem(&vips, &k);
	if (!ref)
		return -1;
	v->id = ref->id;
	v->gen = ref->gen;
	v->info = bpf_map_lookup_elem(&vip_info, &v->id);
	/* mid-update, the key may name a gen its VIP no longer has: not ours this instant */
	return v->info && v->info->gen == v->gen ? 0 : -1;
}

/* An established flow whose VIP is still the one it was steered for and whose backend still
 * holds it: no vips lookup, no steering.
 */
static __always_inline struct ae_backend *established(const struct ae_flow *f, struct vip_ctx *v)
{
	v->id = f->vip;
	v->info = bpf_map_lookup_elem(&vip_info, &v->id);
	/* gen 0 (a freed id) never matches: flows only ever remember nonzero gens */
	if (!v->info || v->info->gen != f->vip_gen)
		return 0;
	return flow_backend(v->info, f->backend);
}

SEC("xdp")
int anyedge_xdp(struct xdp_md *ctx)
{
	struct ae_backend *b = 0;
	struct vip_ctx v = {};
	struct pkt p = {};
	struct ae_config *cfg;
	struct ae_flow *f = 0;
	__u32 reason = 0, zero = 0, len = ctx->data_end - ctx->data;
	int act, new_flow = 0;

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
		reason = AE_PASS_NOT_VIP;
		act = XDP_PASS;
		goto out;
	}
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg) {
		reason = AE_DROP_NO_BACKEND;
		act = XDP_DROP;
		goto out;
	}
	if (p.l4_ok || p.frag) {
		f = bpf_map_lookup_elem(&flows, &p.flow);
		if (f) {
			b = established(f, &v);
			if (b)
				goto tunnel;
		}
	}
	if (lookup_vip(&p, &v)) {
		reason = p.l4_ok || p.frag ? AE_PASS_NOT_VIP : AE_PASS_MALFORMED;
		act = XDP_PASS;
		goto out;
	}
	if (!p.l4_ok && !p.frag) { /* a VIP's packet whose L4 header is cut short */
		reason = AE_DROP_MALFORMED;
		act = XDP_DROP;
		goto out;
	}
	act = steer(&p, &v, f, cfg, &b, &reason, &new_flow);
	if (act != AE_CONTINUE)
		goto out;
tunnel:
	count_vip(v.id, len, new_flow);
	if (cfg->mtu && p.ip_len + encap_overhead(b) > cfg->mtu) {
		act = icmp_too_big(ctx, &p, encap_overhead(b), cfg->mtu, &reason);
		goto out;
	}
	act = encap(ctx, &p, b, cfg, &reason);
	if (act == XDP_TX)
		return act;
out:
	count_reason(reason);
	return act;
}
