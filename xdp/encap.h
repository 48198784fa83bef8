/* SPDX-License-Identifier: GPL-2.0 */
/* Stage 3: wrap the IP packet in an outer IPv4 or IPv6 header toward the backend and rewrite
 * Ethernet for the gateway. The inner packet is not touched; VLAN tags stay as they came.
 */
#ifndef ANYEDGE_ENCAP_H
#define ANYEDGE_ENCAP_H

#include "maps.h"
#include "parse.h"

#define AE_TTL 64

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __always_inline __u16 ipv4_csum(struct iphdr *ip)
{
	__u16 *w = (__u16 *)ip;
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < (int)sizeof(*ip) / 2; i++)
		sum += w[i];
	return csum_fold(sum);
}

/* A MAC address in three 2-byte words: a copy of 6 bytes would go a byte at a time. */
static __always_inline void mac_put(__u8 *to, const __u8 *mac)
{
	const __u16 *m = (const __u16 *)mac;
	__u16 *t = (__u16 *)to;

	t[0] = m[0];
	t[1] = m[1];
	t[2] = m[2];
}

/* Move Ethernet (and VLAN tags) from `from` to the new front, set MACs and the outer type. */
static __always_inline int rewrite_l2(void *data, void *end, const struct pkt *p,
				      const struct ae_config *cfg, __u32 overhead, __u16 outer)
{
	struct ethhdr *eth = data;
	void *old = data + overhead;
	__u32 nv = p->n_vlans;
	__be16 *type;

	if (old + 22 > end || nv > L2_MAX_VLANS)
		return -1;
	/* Tags a word each, of constant size so the verifier sees every access; the two places
	 * lie at least a header apart.
	 */
	if (nv == 2)
		*(__u64 *)(data + 12) = *(const __u64 *)(old + 12);
	else if (nv == 1)
		*(__u32 *)(data + 12) = *(const __u32 *)(old + 12);
	mac_put(eth->h_dest, cfg->gateway_mac);
	mac_put(eth->h_source, cfg->edge_mac);
	type = data + 12 + 4 * nv;
	if ((void *)(type + 1) > end)
		return -1;
	*type = bpf_htons(outer);
	return 0;
}

/* The header is built in registers and stored a word at a time, its checksum summed from the
 * same words: reading back what was just stored in bytes would stall on store forwarding.
 * Words are as the header's bytes sit in memory, so their one's complement sum is the header's.
 */
static __always_inline void fill_ipv4(struct iphdr *o, const struct pkt *p,
				      const struct ae_backend *b, const struct ae_config *cfg)
{
	__u32 w0 = 0x45 | (__u32)p->tos << 8 | (__u32)bpf_htons(p->ip_len + sizeof(*o)) << 16;
	/* an IPv6 inner packet must not be fragmented on the way either */
	__u32 w1 = (p->df || p->family == AE_FAMILY_V6) ? (__u32)bpf_htons(IPV4_DF) << 16 : 0;
	__u32 w2 = AE_TTL | (p->family == AE_FAMILY_V4 ? IPPROTO_IPIP : IPPROTO_IPV6) << 8;
	__u32 src = *(const __u32 *)cfg->src4, dst = *(const __u32 *)b->addr, *w = (__u32 *)o;
	__u64 sum = (__u64)w0 + w1 + w2 + src + dst;

	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	w[0] = w0;
	w[1] = w1;
	w[2] = w2 | (__u32)(~sum & 0xffff) << 16;
	w[3] = src;
	w[4] = dst;
}

static __always_inline void fill_ipv6(struct ipv6hdr *o, const struct pkt *p,
				      const struct ae_backend *b, const struct ae_config *cfg,
				      __u32 hash)
{
	/* version 6, traffic class from the inner packet, flow label from the flow for ECMP */
	*(__be32 *)o = bpf_htonl(6U << 28 | (__u32)p->tos << 20 | (hash & 0xfffff));
	o->payload_len = bpf_htons(p->ip_len);
	o->nexthdr = p->family == AE_FAMILY_V4 ? IPPROTO_IPIP : IPPROTO_IPV6;
	o->hop_limit = AE_TTL;
	__builtin_memcpy(&o->saddr, cfg->src6, 16);
	__builtin_memcpy(&o->daddr, b->addr, 16);
}

static __always_inline __u32 encap_overhead(const struct ae_backend *b)
{
	return b->family == AE_FAMILY_V6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
}

/* XDP_TX when the tunnelled frame is complete, else XDP_DROP with *reason set. The caller has
 * checked that it fits the link.
 */
static __always_inline int encap(struct xdp_md *ctx, const struct pkt *p,
				 const struct ae_backend *b, const struct ae_config *cfg,
				 __u32 *reason)
{
	int v6 = b->family == AE_FAMILY_V6;
	__u32 overhead = encap_overhead(b);
	__u32 l2 = p->l2_len;
	void *data, *end, *outer;

	if (l2 > sizeof(struct ethhdr) + L2_MAX_VLANS * sizeof(struct vlan_tag))
		return XDP_ABORTED; /* parse_l2 never allows it */
	if (v6 ? !cfg->has_src6 : !cfg->has_src4) {
		*reason = AE_DROP_NO_ENCAP_SRC;
		return XDP_DROP;
	}
	if (bpf_xdp_adjust_head(ctx, -(int)overhead)) {
		*reason = AE_DROP_ENCAP_FAILED;
		return XDP_DROP;
	}
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (rewrite_l2(data, end, p, cfg, overhead, v6 ? ETH_P_IPV6 : ETH_P_IP))
		goto broken;
	outer = data + l2;
	if (v6) {
		if (outer + sizeof(struct ipv6hdr) > end)
			goto broken;
		fill_ipv6(outer, p, b, cfg, p->hash);
	} else {
		if (outer + sizeof(struct iphdr) > end)
			goto broken;
		fill_ipv4(outer, p, b, cfg);
	}
	return XDP_TX;
broken:
	/* The head already moved: the frame is half-built and must not leave. */
	*reason = AE_DROP_ENCAP_FAILED;
	return XDP_DROP;
}

#endif /* ANYEDGE_ENCAP_H */
