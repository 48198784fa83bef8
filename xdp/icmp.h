/* SPDX-License-Identifier: GPL-2.0 */
/* A client packet that would not fit the link once tunnelled: tell the client, so path MTU
 * discovery shrinks its packets instead of the flow stalling. ICMP "fragmentation needed"
 * (IPv4 with DF) or ICMPv6 "packet too big", from the VIP, quoting the packet's start, sent
 * back out of the NIC to where the packet came from.
 */
#ifndef ANYEDGE_ICMP_H
#define ANYEDGE_ICMP_H

#include "encap.h"

/* The 8-byte head both kinds of error share: the MTU sits in its last four bytes (IPv4: the
 * low two, after two unused).
 */
struct icmp_err {
	__u8 type;
	__u8 code;
	__sum16 check;
	__be32 mtu;
};

#define ICMP_QUOTE_V6 96 /* bytes of the packet an ICMPv6 error quotes (of at most 1232) */
#define ICMP_ROOM 48 /* new IPv6 header + ICMP header: the most a reply prepends */

/* Swap the Ethernet addresses: the reply goes back to the hop the packet came from. */
static __always_inline int icmp_l2(void *data, void *end, __u32 room, __u32 l2)
{
	struct ethhdr *eth = data, *old = data + room;
	__u8 mac[ETH_ALEN];

	/* every IP packet reaches past 22 bytes: one check covers any tags it has */
	if ((void *)old + 22 > end || l2 > sizeof(struct ethhdr) + 8)
		return -1;
	__builtin_memcpy(mac, old->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, old->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	/* VLAN tags and the type stay as they came: the reply is of the packet's family */
	if (l2 == sizeof(struct ethhdr) + 8) {
		if (data + 22 > end)
			return -1;
		__builtin_memcpy(data + 12, (void *)old + 12, 10);
	} else if (l2 == sizeof(struct ethhdr) + 4) {
		if (data + 18 > end)
			return -1;
		__builtin_memcpy(data + 12, (void *)old + 12, 6);
	} else {
		if (data + 14 > end)
			return -1;
		__builtin_memcpy(data + 12, (void *)old + 12, 2);
	}
	return 0;
}

/* Cut the frame to len bytes: the error quotes only the packet's start. */
static __always_inline int icmp_trim(struct xdp_md *ctx, void *data, void *end, __u32 len)
{
	long cur = (long)end - (long)data;

	/* the verifier allows no arithmetic on data_end: only the difference, kept opaque */
	asm volatile("" : "+r"(cur));
	if (cur < len)
		return -1;
	return bpf_xdp_adjust_tail(ctx, (int)len - (int)cur);
}

#define ICMP_CSUM_WORDS ((ICMP_QUOTE_V6 + 8) / 4) /* the longest error body, in 32-bit words */

/* Room for the new IP and ICMP headers in front, Ethernet moved there with its addresses
 * swapped, and the frame cut after quote bytes of the original packet. Returns the new IP
 * header, with room bytes and then at least orig_len quoted bytes proven in the frame, or NULL
 * (the frame may then be half-changed: the caller drops it).
 */
static __always_inline void *icmp_reshape(struct xdp_md *ctx, __u32 l2, __u32 room, __u32 quote,
					  __u32 orig_len)
{
	void *data, *end, *ip;

	if (l2 > sizeof(struct ethhdr) + 8 || bpf_xdp_adjust_head(ctx, -(int)room))
		return 0;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (icmp_l2(data, end, room, l2) || icmp_trim(ctx, data, end, l2 + room + quote))
		return 0;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (l2 > sizeof(struct ethhdr) + 8)
		return 0;
	ip = data + l2;
	return ip + room + orig_len > end ? 0 : ip;
}

/* Checksum of len bytes at p (a multiple of 4), folded with seed. Word by word with a bounds
 * check each: the verifier cannot prove a variable length for bpf_csum_diff.
 */
static __always_inline __u16 icmp_csum(void *p, void *end, __u32 len, __u32 seed)
{
	__u64 sum = seed;
	__u32 i;

	for (i = 0; i < ICMP_CSUM_WORDS; i++) {
		__u32 *w = p + i * 4;

		if (i * 4 >= len || (void *)(w + 1) > end)
			break;
		sum += *w;
	}
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return csum_fold((__u32)sum);
}

/* mtu: the largest packet the client may send, written into the error. */
static __always_inline int icmp4_too_big(struct xdp_md *ctx, const struct pkt *p, __u16 mtu)
{
	__u32 l2 = p->l2_len, room = sizeof(struct iphdr) + sizeof(struct icmp_err), quote;
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip, *orig;
	struct icmp_err *ic;

	if (l2 > sizeof(struct ethhdr) + 8)
		return -1;
	orig = data + l2;
	if ((void *)(orig + 1) > end)
		return -1;
	/* the original header with its options, plus 8 bytes: what RFC 792 asks */
	quote = orig->ihl * 4 + 8;
	if (quote > 68 || quote > p->ip_len)
		return -1;
	ip = icmp_reshape(ctx, l2, room, quote, sizeof(*orig));
	if (!ip)
		return -1;
	end = (void *)(long)ctx->data_end;
	ic = (void *)(ip + 1);
	orig = (void *)(ic + 1);
	ic->type = ICMP_DEST_UNREACH;
	ic->code = ICMP_FRAG_NEEDED;
	ic->check = 0;
	ic->mtu = bpf_htonl(mtu); /* two unused bytes, then the next hop's MTU */
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = 0;
	ip->tot_len = bpf_htons(room + quote);
	ip->id = 0;
	ip->frag_off = 0;
	ip->ttl = AE_TTL;
	ip->protocol = IPPROTO_ICMP;
	ip->saddr = orig->daddr; /* from the VIP the client was talking to */
	ip->daddr = orig->saddr;
	ip->check = 0;
	ip->check = ipv4_csum(ip);
	ic->check = icmp_csum(ic, end, quote + sizeof(*ic), 0);
	return 0;
}

static __always_inline int icmp6_too_big(struct xdp_md *ctx, const struct pkt *p, __u16 mtu)
{
	__u32 l2 = p->l2_len, room = sizeof(struct ipv6hdr) + sizeof(struct icmp_err), quote;
	struct ipv6hdr *ip, *orig;
	struct icmp_err *ic;
	void *end;
	struct {
		struct in6_addr src, dst;
		__be32 len, next;
	} ph;
	__u32 sum;

	quote = p->ip_len < ICMP_QUOTE_V6 ? p->ip_len & ~3U : ICMP_QUOTE_V6;
	if (quote < sizeof(*orig))
		return -1;
	ip = icmp_reshape(ctx, l2, room, quote, sizeof(*orig));
	if (!ip)
		return -1;
	end = (void *)(long)ctx->data_end;
	ic = (void *)(ip + 1);
	orig = (void *)(ic + 1);
	ic->type = ICMPV6_PKT_TOOBIG;
	ic->code = 0;
	ic->check = 0;
	ic->mtu = bpf_htonl(mtu);
	*(__be32 *)ip = bpf_htonl(6U << 28);
	ip->payload_len = bpf_htons(sizeof(*ic) + quote);
	ip->nexthdr = IPPROTO_ICMPV6;
	ip->hop_limit = AE_TTL;
	ip->saddr = orig->daddr;
	ip->daddr = orig->saddr;
	ph.src = ip->saddr;
	ph.dst = ip->daddr;
	ph.len = bpf_htonl(sizeof(*ic) + quote);
	ph.next = bpf_htonl(IPPROTO_ICMPV6);
	sum = (__u32)bpf_csum_diff(0, 0, (void *)&ph, sizeof(ph), 0);
	ic->check = icmp_csum(ic, end, sizeof(*ic) + quote, sum);
	return 0;
}

/* May this packet's source be sent an error? Not when it names no single host that would
 * take it (unspecified, multicast, broadcast, IPv4 class E) or one that cannot be on the wire
 * (loopback, IPv4-mapped), nor when it is the VIP itself (a spoof that would make us talk to
 * ourselves), nor when the frame came from a group MAC: RFC 1812 4.3.2.7, RFC 4443 2.4 (e).
 */
static __always_inline int icmp_src_ok(struct xdp_md *ctx, const struct pkt *p)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	const __u8 *s = p->flow.src;
	const __u32 *w = (const __u32 *)p->flow.src, *d = (const __u32 *)p->flow.dst;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end || (eth->h_source[0] & 1))
		return 0;
	if (!((w[0] ^ d[0]) | (w[1] ^ d[1]) | (w[2] ^ d[2]) | (w[3] ^ d[3])))
		return 0;
	if (p->family == AE_FAMILY_V4)
		return s[0] != 0 && s[0] != 127 && s[0] < 224;
	if (s[0] == 0xff) /* multicast, ff02::1 among them */
		return 0;
	/* ::/96 (::, ::1, the deprecated IPv4-compatible) and ::ffff:0:0/96 (IPv4-mapped) */
	return w[0] || w[1] || (w[2] && w[2] != bpf_htonl(0xffff));
}

/* At most AE_ICMP_PER_SEC errors a second per CPU after a burst of AE_ICMP_BURST: the
 * earliest time the next may leave, pushed on a gap per error (RFC 4443 2.4 (f)).
 */
static __always_inline int icmp_rate_ok(void)
{
	__u64 gap = 1000000000ULL / AE_ICMP_PER_SEC, now = bpf_ktime_get_ns(), *next;
	__u32 zero = 0;

	next = bpf_map_lookup_elem(&icmp_budget, &zero);
	if (!next)
		return 0;
	if (*next < now)
		*next = now;
	if (*next - now > AE_ICMP_BURST * gap)
		return 0;
	*next += gap;
	return 1;
}

/* The MTU an error may advertise for a link of mtu bytes and a tunnel of overhead bytes, or 0
 * when none helps: IPv6 never hears of less than 1280 (RFC 8200 5), and a packet already at
 * that floor cannot shrink; IPv4 never less than 68 (RFC 791).
 */
static __always_inline __u32 icmp_mtu(const struct pkt *p, __u32 overhead, __u32 mtu)
{
	__u32 floor = p->family == AE_FAMILY_V4 ? 68 : 1280;

	mtu = mtu > overhead ? mtu - overhead : 0;
	if (mtu < floor)
		mtu = p->family == AE_FAMILY_V6 ? floor : 0;
	return mtu && p->ip_len > mtu ? mtu : 0;
}

/* XDP_TX with the ICMP error in place, or XDP_DROP when the packet cannot have one (IPv4
 * without DF: a router would fragment it, and we do not; a source that must not get one; over
 * the rate; no MTU the client could use). *reason is set either way.
 */
static __always_inline int icmp_too_big(struct xdp_md *ctx, const struct pkt *p, __u32 overhead,
					__u16 link_mtu, __u32 *reason)
{
	__u32 mtu = icmp_mtu(p, overhead, link_mtu);
	int err;

	if ((p->family == AE_FAMILY_V4 && !p->df) || !mtu) {
		*reason = AE_DROP_TOO_BIG;
		return XDP_DROP;
	}
	if (!icmp_src_ok(ctx, p)) {
		*reason = AE_DROP_ICMP_REFUSED;
		return XDP_DROP;
	}
	if (!icmp_rate_ok()) {
		*reason = AE_DROP_ICMP_RATE;
		return XDP_DROP;
	}
	err = p->family == AE_FAMILY_V4 ? icmp4_too_big(ctx, p, mtu) : icmp6_too_big(ctx, p, mtu);
	if (err) {
		/* the head or tail may have moved: nothing of it may leave */
		*reason = AE_DROP_TOO_BIG;
		return XDP_DROP;
	}
	*reason = AE_TX_ICMP_TOO_BIG;
	return XDP_TX;
}

#endif /* ANYEDGE_ICMP_H */
