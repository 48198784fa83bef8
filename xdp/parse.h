/* SPDX-License-Identifier: GPL-2.0 */
/* Stage 1: parse Ethernet, up to two VLAN tags, IPv4 (options allowed) or IPv6 (extension
 * headers, fragments), then TCP or UDP ports. Every read is bounds-checked against data_end.
 */
#ifndef ANYEDGE_PARSE_H
#define ANYEDGE_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#include "anyedge_abi.h"
#include "l2.h"

#define AE_CONTINUE -1 /* a stage's "no verdict yet, go on" */
#define AE_MAX_EXT_HDRS 4 /* IPv6 extension headers walked before giving up */

#define IPV4_DF 0x4000

struct pkt {
	struct ae_flow_key flow; /* first: the hash reads it as 32-bit words */
	__u32 l2_len; /* Ethernet + VLAN tags: 14, 18 or 22 */
	__u32 n_vlans;
	__u32 ip_len; /* the IP packet's own length (frame padding excluded) */
	__u32 l4_off; /* where the IP payload starts, from the frame's start */
	__u32 l4_len; /* and its length */
	__u8 family; /* AE_FAMILY_V4 / AE_FAMILY_V6 */
	__u8 tos; /* IPv4 TOS or IPv6 traffic class */
	__u8 df; /* IPv4 don't-fragment bit */
	__u8 frag; /* any fragment, first included: steered without ports */
	__u8 l4_ok; /* ports were read from a complete L4 header */
	__u8 syn; /* a TCP SYN without ACK: a connection's first packet */
	__u8 icmp; /* an ICMP error about a VIP flow's reply: flow is that flow's (icmp.h) */
	__u8 icmp_bad; /* an ICMP error whose quote is cut short or no VIP flow's reply */
	__u16 l3_proto; /* ETH_P_IP or ETH_P_IPV6 */
	__u32 dst_fold; /* the destination's 32-bit words xor-ed: the VIP filter's input */
	__u32 hash; /* ae_flow_fold of flow: its bucket in the flow table and its IPv6 flow label */
};

/* The key's last 8 bytes (ports, proto, family), written by the parse a field at a time, stored
 * again as one word: the hash and every key compare load them whole, and a load fed by several
 * smaller stores waits for them to reach the cache (~10 cycles each) instead of forwarding.
 */
static __always_inline void pkt_seal_key(struct pkt *p)
{
	__u64 w = (__u64)p->flow.sport | (__u64)p->flow.dport << 16 | (__u64)p->flow.proto << 32 |
		  (__u64)p->flow.family << 40;

	*(__u64 *)&p->flow.sport = w;
}

static __always_inline int parse_l2(void *data, void *end, struct pkt *p, __u16 *proto)
{
	__be16 h;
	int n = l2_walk(data, end, &p->l2_len, &h);

	if (n < 0)
		return -1;
	p->n_vlans = n;
	*proto = bpf_ntohs(h);
	return 0;
}

/* An IPv4 address as the first 8 bytes of a key's address, the rest zero, in one store: keys
 * are compared 8 bytes at a time, and a load spanning two stores (this one and the key's zeroing)
 * waits for both to reach the cache instead of forwarding.
 */
static __always_inline __u64 v4_word(__be32 a)
{
	__u64 w = 0;

	__builtin_memcpy(&w, &a, sizeof(a));
	return w;
}

/* 0: IPv4 header parsed, *l4 set and *l4_len the bytes the IP packet has from there; -1:
 * truncated or inconsistent.
 */
static __always_inline int parse_ipv4(void *data, void *end, struct pkt *p, void **l4,
				      __u32 *l4_len)
{
	__u32 l2 = p->l2_len, hl, tot;
	struct iphdr *ip;
	__u16 frag;

	if (l2 > L2_MAX_LEN) /* parse_l2 never allows it; the verifier must see it too */
		return -1;
	ip = data + l2;
	if ((void *)(ip + 1) > end)
		return -1;
	/* the ethertype says IPv4; the header must too, or it is no packet we can read */
	if (ip->version != 4)
		return -1;
	hl = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (hl < sizeof(*ip) || tot < hl || (void *)ip + tot > end)
		return -1;
	frag = bpf_ntohs(ip->frag_off);
	p->family = AE_FAMILY_V4;
	p->ip_len = tot;
	p->tos = ip->tos;
	p->df = !!(frag & IPV4_DF);
	p->frag = !!(frag & IPV4_FRAG_MASK);
	p->flow.family = AE_FAMILY_V4;
	p->flow.proto = ip->protocol;
	*(__u64 *)p->flow.src = v4_word(ip->saddr);
	*(__u64 *)p->flow.dst = v4_word(ip->daddr);
	*l4 = (void *)ip + hl;
	*l4_len = tot - hl;
	p->l4_off = l2 + hl;
	p->l4_len = *l4_len;
	return 0;
}

struct ipv6_ext {
	__u8 next;
	__u8 len; /* 8-byte units beyond the first 8 */
};

struct ipv6_frag {
	__u8 next;
	__u8 reserved;
	__be16 off_flags;
	__be32 id;
};

static __always_inline int parse_ipv6(void *data, void *end, struct pkt *p, void **l4,
				      __u32 *l4_len)
{
	__u32 l2 = p->l2_len, off = sizeof(struct ipv6hdr);
	struct ipv6hdr *ip6;
	void *cur;
	__u8 next;
	int i;

	if (l2 > L2_MAX_LEN)
		return -1;
	ip6 = data + l2;
	cur = ip6 + 1;
	if (cur > end || ip6->version != 6)
		return -1;
	p->ip_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	if ((void *)ip6 + p->ip_len > end || !ip6->payload_len) /* jumbograms unsupported */
		return -1;
	p->family = AE_FAMILY_V6;
	p->tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
	p->flow.family = AE_FAMILY_V6;
	__builtin_memcpy(p->flow.src, &ip6->saddr, 16);
	__builtin_memcpy(p->flow.dst, &ip6->daddr, 16);
	next = ip6->nexthdr;
#pragma unroll
	for (i = 0; i < AE_MAX_EXT_HDRS; i++) {
		if (next == IPPROTO_FRAGMENT) {
			struct ipv6_frag *fh = cur;

			if ((void *)(fh + 1) > end)
				return -1;
			p->frag = 1;
			next = fh->next;
			cur = fh + 1;
			off += sizeof(*fh);
		} else if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
			   next == IPPROTO_DSTOPTS) {
			struct ipv6_ext *eh = cur;

			if ((void *)(eh + 1) > end)
				return -1;
			next = eh->next;
			cur += (eh->len + 1) * 8;
			off += (eh->len + 1) * 8;
		} else {
			break;
		}
	}
	/* extension headers that claim more than the packet holds: inconsistent */
	if (off > p->ip_len)
		return -1;
	p->flow.proto = next;
	*l4 = cur;
	*l4_len = p->ip_len - off;
	p->l4_off = l2 + off;
	p->l4_len = *l4_len;
	return 0;
}

/* From RFC 792 and RFC 4443 (linux/icmp.h pulls in libc headers the BPF target lacks). */
#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG 2
#define ICMP_HDR_LEN 8

/* An ICMP error carries the start of the packet that caused it. When that packet is a reply a
 * backend sent from a VIP (DSR: its source is the VIP this error came to), the error belongs to
 * the flow client -> VIP: p->flow becomes that flow's key, so the flow table and the ring find
 * the backend that sent the reply (Katran, GLB and Unimog route these too). The quote must lie
 * within the error (len bytes at l4) and be a first piece of TCP or UDP; otherwise icmp_bad.
 */
static __always_inline void parse_icmp_quote(struct xdp_md *ctx, struct pkt *p)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end, *l4;
	__u32 len = p->l4_len, off = p->l4_off;
	__u8 *icmp;
	__be16 *ports;
	__u32 hl;

	if (p->frag || off > 512) /* no quote in a fragment; IP headers end before 512 */
		return;
	l4 = data + off;
	icmp = l4;
	if ((void *)(icmp + ICMP_HDR_LEN) > end || len < ICMP_HDR_LEN)
		return;
	if (p->flow.proto == IPPROTO_ICMP ?
		    icmp[0] != ICMP_DEST_UNREACH :
		    icmp[0] != ICMPV6_DEST_UNREACH && icmp[0] != ICMPV6_PKT_TOOBIG)
		return; /* echo and the rest: the edge's own stack answers or drops them */
	p->icmp_bad = 1;
	if (p->flow.proto == IPPROTO_ICMP) {
		struct iphdr *q = l4 + ICMP_HDR_LEN;

		if ((void *)(q + 1) > end || q->version != 4 || q->ihl < 5 ||
		    (q->frag_off & bpf_htons(0x1fff)) ||
		    (q->protocol != IPPROTO_TCP && q->protocol != IPPROTO_UDP) ||
		    q->saddr != *(const __be32 *)p->flow.dst)
			return;
		hl = q->ihl * 4;
		ports = (void *)q + hl;
		if ((void *)(ports + 2) > end || ICMP_HDR_LEN + hl + 4 > len)
			return;
		p->flow.proto = q->protocol;
		*(__u64 *)p->flow.src = v4_word(q->daddr);
	} else {
		struct ipv6hdr *q = l4 + ICMP_HDR_LEN;
		const __u32 *a, *b;

		if ((void *)(q + 1) > end || q->version != 6 ||
		    (q->nexthdr != IPPROTO_TCP && q->nexthdr != IPPROTO_UDP))
			return;
		a = (const __u32 *)&q->saddr;
		b = (const __u32 *)p->flow.dst;
		if ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]))
			return;
		ports = (void *)(q + 1);
		if ((void *)(ports + 2) > end || ICMP_HDR_LEN + sizeof(*q) + 4 > len)
			return;
		p->flow.proto = q->nexthdr;
		__builtin_memcpy(p->flow.src, &q->daddr, 16);
	}
	/* the reply went VIP:port -> client:port; its flow is the other way round */
	p->flow.sport = ports[1];
	p->flow.dport = ports[0];
	p->icmp = 1;
	p->icmp_bad = 0;
	p->l4_ok = 1;
}

/* Source and destination port, as TCP and UDP both start: one 4-byte store, since the fold
 * hash loads them as one word, and a load fed by two smaller stores waits for both to reach the
 * cache instead of forwarding (pkt_seal_key).
 */
static __always_inline void pkt_set_ports(struct pkt *p, const __u32 *ports)
{
	*(__u32 *)&p->flow.sport = *ports;
}

/* Ports of a complete TCP or UDP header; fragments keep zero ports on purpose. A header must
 * lie within the IP packet (len bytes from l4), not merely within the frame: padding after a
 * short packet is no header.
 */
static __always_inline void parse_l4(void *l4, void *end, __u32 len, struct pkt *p)
{
	if (p->frag)
		return;
	if (p->flow.proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > end || th->doff < 5 || th->doff * 4 > len)
			return;
		pkt_set_ports(p, (const __u32 *)th);
		p->syn = th->syn && !th->ack;
		p->l4_ok = 1;
	} else if (p->flow.proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > end || sizeof(*uh) > len)
			return;
		pkt_set_ports(p, (const __u32 *)uh);
		p->l4_ok = 1;
	}
}

/* Stage 1a: Ethernet and VLAN tags, and the destination address folded to one word for the
 * VIP filter, read without parsing the rest: most packets are for no VIP and stop here.
 * AE_CONTINUE, or XDP_PASS with *reason.
 */
static __always_inline int parse_head(struct xdp_md *ctx, struct pkt *p, __u32 *reason)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (parse_l2(data, end, p, &p->l3_proto)) {
		*reason = AE_PASS_MALFORMED;
		return XDP_PASS;
	}
	if (p->l3_proto == ETH_P_IP) {
		struct iphdr *ip = data + p->l2_len;

		if ((void *)(ip + 1) > end)
			goto malformed;
		p->dst_fold = ip->daddr;
	} else if (p->l3_proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = data + p->l2_len;

		if ((void *)(ip6 + 1) > end)
			goto malformed;
		p->dst_fold = ip6->daddr.in6_u.u6_addr32[0] ^ ip6->daddr.in6_u.u6_addr32[1] ^
			      ip6->daddr.in6_u.u6_addr32[2] ^ ip6->daddr.in6_u.u6_addr32[3];
	} else {
		*reason = AE_PASS_NOT_IP;
		return XDP_PASS;
	}
	return AE_CONTINUE;
malformed:
	*reason = AE_PASS_MALFORMED;
	return XDP_PASS;
}

/* Stage 1b: IPv4 or IPv6 in full, then the ports. AE_CONTINUE with p filled, or XDP_PASS with
 * *reason.
 */
static __always_inline int parse_rest(struct xdp_md *ctx, struct pkt *p, __u32 *reason)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 l4_len = 0;
	void *l4 = 0;
	int err;

	if (p->l3_proto == ETH_P_IP)
		err = parse_ipv4(data, end, p, &l4, &l4_len);
	else
		err = parse_ipv6(data, end, p, &l4, &l4_len);
	if (err) {
		*reason = AE_PASS_MALFORMED;
		return XDP_PASS;
	}
	parse_l4(l4, end, l4_len, p);
	return AE_CONTINUE;
}

#endif /* ANYEDGE_PARSE_H */
