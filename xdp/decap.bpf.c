// SPDX-License-Identifier: GPL-2.0
/* The backend decapsulator: opens the tunnels the edge sends (IPIP, 6in4, 4in6, IP6IP6) so the
 * backend's stack sees the client's packet as the client sent it and answers it directly, even
 * on hosts with no ipip/ip6tnl device. Only tunnels to one of our configured addresses, from an
 * allowed source (the edges'), carrying a packet for one of our VIPs, are opened: a backend must
 * not relay or answer for anyone who can send it an IPIP packet. Everything that is no tunnel
 * passes untouched.
 *
 * Path: eth [vlan [vlan]] -> outer IPv4|IPv6 (+ hop-by-hop / destination options) -> proto 4|41?
 *       -> destination ours? source allowed? -> outer and inner lengths consistent, inner
 *       destination a VIP? -> strip the outer header, move L2 forward, set its ethertype ->
 *       XDP_PASS.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "decap_abi.h"
#include "l2.h"

#define DECAP_MAX_EXT 3 /* IPv6 options headers walked before the tunnel header */
#define IPV6_NH_HOP 0
#define IPV6_NH_FRAG 44
#define IPV6_NH_DEST 60

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DECAP_MAX_ADDRS);
	__type(key, struct decap_addr_key);
	__type(value, __u8);
} decap_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DECAP_MAX_VIPS);
	__type(key, struct decap_addr_key);
	__type(value, __u8);
} decap_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, DECAP_MAX_ALLOW);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* LPM tries require it */
	__type(key, struct decap_lpm4_key);
	__type(value, __u8);
} decap_allow4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, DECAP_MAX_ALLOW);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct decap_lpm6_key);
	__type(value, __u8);
} decap_allow6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct decap_config);
} decap_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DECAP_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} decap_stats SEC(".maps");

/* What the outer parse found: enough to check the tunnel and to strip it. */
struct tunnel {
	__u32 l2_len; /* Ethernet + VLAN tags: moved forward, kept as they were */
	__u32 outer_len; /* bytes stripped: outer IP header and its options/extension headers */
	__u32 inner_avail; /* bytes the outer header says it carries */
	__u8 inner_proto; /* IPPROTO_IPIP or IPPROTO_IPV6 */
	__u8 fragment;
	__u8 family;
	__u8 src[16], dst[16];
};

static __always_inline int verdict(int action, enum decap_stat stat)
{
	__u32 key = stat;
	__u64 *n = bpf_map_lookup_elem(&decap_stats, &key);

	if (n)
		*n += 1;
	return action;
}

static __always_inline int is_tunnel_proto(__u8 p)
{
	return p == IPPROTO_IPIP || p == IPPROTO_IPV6;
}

/* Outer IPv4. Returns -1 to go on with t filled, or a verdict. */
static __always_inline int parse_outer4(void *l3, void *data_end, struct tunnel *t)
{
	struct iphdr *ip = l3;
	__u32 hlen, tot;

	/* Too short to read the protocol: not recognisably a tunnel; the stack drops it. */
	if ((void *)(ip + 1) > data_end || !is_tunnel_proto(ip->protocol))
		return verdict(XDP_PASS, DECAP_PASSED);
	if (ip->version != 4 || ip->ihl < 5)
		return verdict(XDP_DROP, DECAP_DROPPED_MALFORMED);
	hlen = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (l3 + hlen > data_end || tot < hlen || l3 + tot > data_end)
		return verdict(XDP_DROP, DECAP_DROPPED_MALFORMED);
	t->outer_len = hlen;
	t->inner_avail = tot - hlen;
	t->inner_proto = ip->protocol;
	t->fragment = !!(ip->frag_off & bpf_htons(IPV4_FRAG_MASK));
	t->family = DECAP_FAMILY_V4;
	__builtin_memcpy(t->src, &ip->saddr, 4);
	__builtin_memcpy(t->dst, &ip->daddr, 4);
	return -1;
}

/* Outer IPv6, walking hop-by-hop and destination options (Linux ip6tnl puts a tunnel
 * encapsulation limit option there by default). Returns -1 to go on, or a verdict.
 */
static __always_inline int parse_outer6(void *l3, void *data_end, struct tunnel *t)
{
	struct ipv6hdr *ip6 = l3;
	struct ipv6_opt_hdr *opt;
	__u32 off = sizeof(*ip6), plen;
	__u8 nh;
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return verdict(XDP_PASS, DECAP_PASSED);
	nh = ip6->nexthdr;
#pragma unroll
	for (i = 0; i < DECAP_MAX_EXT; i++) {
		if (nh != IPV6_NH_HOP && nh != IPV6_NH_DEST && nh != IPV6_NH_FRAG)
			break;
		opt = l3 + off;
		if ((void *)(opt + 1) > data_end)
			return verdict(XDP_PASS, DECAP_PASSED);
		if (nh == IPV6_NH_FRAG) {
			t->fragment = 1;
			nh = opt->nexthdr;
			off += 8;
			break;
		}
		nh = opt->nexthdr;
		off += (opt->hdrlen + 1) * 8;
	}
	if (!is_tunnel_proto(nh))
		return verdict(XDP_PASS, DECAP_PASSED);
	plen = bpf_ntohs(ip6->payload_len);
	/* payload_len 0 is a jumbogram or a lie; neither is a tunnel we open */
	if (ip6->version != 6 || !plen || l3 + sizeof(*ip6) + plen > data_end ||
	    off > sizeof(*ip6) + plen)
		return verdict(XDP_DROP, DECAP_DROPPED_MALFORMED);
	t->outer_len = off;
	t->inner_avail = sizeof(*ip6) + plen - off;
	t->inner_proto = nh;
	t->family = DECAP_FAMILY_V6;
	__builtin_memcpy(t->src, &ip6->saddr, 16);
	__builtin_memcpy(t->dst, &ip6->daddr, 16);
	return -1;
}

/* Is the tunnel ours to open? Returns -1 to go on, or a verdict. */
static __always_inline int check_endpoints(const struct tunnel *t)
{
	struct decap_addr_key key = {};
	struct decap_config *cfg;
	__u32 zero = 0;

	key.family = t->family;
	__builtin_memcpy(key.addr, t->dst, 16);
	if (!bpf_map_lookup_elem(&decap_addrs, &key))
		return verdict(XDP_DROP, DECAP_REFUSED_NOT_LOCAL);

	cfg = bpf_map_lookup_elem(&decap_config, &zero);
	if (cfg && (cfg->flags & DECAP_F_ALLOW_ANY))
		return -1;
	if (t->family == DECAP_FAMILY_V4) {
		struct decap_lpm4_key k4 = { .prefixlen = 32 };

		__builtin_memcpy(k4.addr, t->src, 4);
		if (!bpf_map_lookup_elem(&decap_allow4, &k4))
			return verdict(XDP_DROP, DECAP_REFUSED_SOURCE);
	} else {
		struct decap_lpm6_key k6 = { .prefixlen = 128 };

		__builtin_memcpy(k6.addr, t->src, 16);
		if (!bpf_map_lookup_elem(&decap_allow6, &k6))
			return verdict(XDP_DROP, DECAP_REFUSED_SOURCE);
	}
	return -1;
}

/* The inner header must be complete and of the family the outer protocol names, and no longer
 * than what the outer carries; otherwise stripping would hand the stack a half-packet. Its
 * destination goes to *vip. Returns the inner ethertype (network order), or 0 when it is not
 * sound.
 */
static __always_inline __be16 check_inner(void *inner, void *data_end, const struct tunnel *t,
					  struct decap_addr_key *vip)
{
	if (t->inner_proto == IPPROTO_IPIP) {
		struct iphdr *ip = inner;
		__u32 len;

		if ((void *)(ip + 1) > data_end || ip->version != 4 || ip->ihl < 5)
			return 0;
		len = bpf_ntohs(ip->tot_len);
		if (len < ip->ihl * 4 || len > t->inner_avail)
			return 0;
		vip->family = DECAP_FAMILY_V4;
		__builtin_memcpy(vip->addr, &ip->daddr, 4);
		return bpf_htons(ETH_P_IP);
	} else {
		struct ipv6hdr *ip6 = inner;

		if ((void *)(ip6 + 1) > data_end || ip6->version != 6 ||
		    sizeof(*ip6) + bpf_ntohs(ip6->payload_len) > t->inner_avail)
			return 0;
		vip->family = DECAP_FAMILY_V6;
		__builtin_memcpy(vip->addr, &ip6->daddr, 16);
		return bpf_htons(ETH_P_IPV6);
	}
}

static __always_inline enum decap_stat opened_stat(const struct tunnel *t)
{
	if (t->family == DECAP_FAMILY_V4)
		return t->inner_proto == IPPROTO_IPIP ? DECAP_OPENED_IPIP : DECAP_OPENED_6IN4;
	return t->inner_proto == IPPROTO_IPIP ? DECAP_OPENED_4IN6 : DECAP_OPENED_IP6IP6;
}

/* Copy the L2 header (constant sizes keep the verifier and the compiler simple). */
static __always_inline void copy_l2(void *dst, const void *src, __u32 l2_len)
{
	if (l2_len == ETH_HLEN)
		__builtin_memcpy(dst, src, ETH_HLEN);
	else if (l2_len == ETH_HLEN + 4)
		__builtin_memcpy(dst, src, ETH_HLEN + 4);
	else
		__builtin_memcpy(dst, src, ETH_HLEN + 8);
}

SEC("xdp")
int decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct decap_addr_key vip = {};
	__u8 l2[L2_MAX_LEN];
	struct tunnel t = {};
	__be16 proto, inner_eth;
	__u32 l2_len;
	int act;

	if (l2_walk(data, data_end, &l2_len, &proto) < 0)
		return verdict(XDP_PASS, DECAP_PASSED);

	if (proto == bpf_htons(ETH_P_IP))
		act = parse_outer4(data + l2_len, data_end, &t);
	else if (proto == bpf_htons(ETH_P_IPV6))
		act = parse_outer6(data + l2_len, data_end, &t);
	else /* not IP, or more VLAN tags than we walk */
		return verdict(XDP_PASS, DECAP_PASSED);
	if (act >= 0)
		return act;

	act = check_endpoints(&t);
	if (act >= 0)
		return act;
	/* A fragment's inner header may be in a later piece; only the stack can reassemble. */
	if (t.fragment)
		return verdict(XDP_PASS, DECAP_PASSED_FRAGMENT);

	inner_eth = check_inner(data + l2_len + t.outer_len, data_end, &t, &vip);
	if (!inner_eth)
		return verdict(XDP_DROP, DECAP_DROPPED_INNER);
	if (!bpf_map_lookup_elem(&decap_vips, &vip))
		return verdict(XDP_DROP, DECAP_REFUSED_INNER_DST);

	t.l2_len = l2_len;
	copy_l2(l2, data, l2_len);
	if (bpf_xdp_adjust_head(ctx, (int)t.outer_len))
		return verdict(XDP_DROP, DECAP_DROPPED_ADJUST);

	/* Pointers are void after adjust_head: reload and re-check before writing. The inner
	 * header (at least 20 bytes) follows L2, so L2_MAX_LEN bytes are always there.
	 */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + L2_MAX_LEN > data_end)
		return verdict(XDP_DROP, DECAP_DROPPED_ADJUST);
	copy_l2(data, l2, t.l2_len);
	if (t.l2_len == ETH_HLEN)
		((struct ethhdr *)data)->h_proto = inner_eth;
	else if (t.l2_len == ETH_HLEN + 4)
		((struct vlan_tag *)(data + ETH_HLEN))->proto = inner_eth;
	else
		((struct vlan_tag *)(data + ETH_HLEN + 4))->proto = inner_eth;
	return verdict(XDP_PASS, opened_stat(&t));
}

char LICENSE[] SEC("license") = "GPL";
