// SPDX-License-Identifier: GPL-2.0
/* The live-frame benchmark's two ends (tests/live_xdp.c): the floor, a program that sends every
 * frame back as it came (XDP_TX, the least a steering program can do), and the sink on the
 * sender's veth, which veth needs before the peer's XDP_TX frames are delivered; it counts what
 * comes back, and how much of it is tunnelled, so a figure cannot silently time a PASS path.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* Written by the sink only; the sender runs it on one core, so plain adds are exact. */
__u64 sink_frames;
__u64 sink_tunnelled;

SEC("xdp")
int live_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}

static __always_inline int is_tunnel(__u8 proto)
{
	return proto == IPPROTO_IPIP || proto == IPPROTO_IPV6;
}

SEC("xdp")
int live_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6;
	struct iphdr *ip;

	sink_frames++;
	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		ip = (void *)(eth + 1);
		if ((void *)(ip + 1) <= end && is_tunnel(ip->protocol))
			sink_tunnelled++;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) <= end && is_tunnel(ip6->nexthdr))
			sink_tunnelled++;
	}
	return XDP_DROP;
}
