/* SPDX-License-Identifier: GPL-2.0 */
/* Ethernet and up to two VLAN tags (802.1Q, 802.1ad): the first stage of the steering program
 * and of the backend decapsulator alike.
 */
#ifndef ANYEDGE_L2_H
#define ANYEDGE_L2_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>

#define L2_MAX_VLANS 2
#define L2_MAX_LEN (ETH_HLEN + 4 * L2_MAX_VLANS)
#define IPV4_FRAG_MASK 0x3fff /* MF + offset */

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

/* The tags walked (0..L2_MAX_VLANS), with *len the L2 header's length and *proto the ethertype
 * after it (network order; still a VLAN type when there are more tags); -1 when the frame ends
 * first.
 */
static __always_inline int l2_walk(void *data, void *end, __u32 *len, __be16 *proto)
{
	struct ethhdr *eth = data;
	struct vlan_tag *v;
	int i, n = 0;

	if ((void *)(eth + 1) > end)
		return -1;
	*proto = *(const __be16 *)(data + 2 * ETH_ALEN); /* one load: ethhdr is packed */
	*len = ETH_HLEN;
#pragma unroll
	for (i = 0; i < L2_MAX_VLANS; i++) {
		if (*proto != bpf_htons(ETH_P_8021Q) && *proto != bpf_htons(ETH_P_8021AD))
			break;
		v = data + *len;
		if ((void *)(v + 1) > end)
			return -1;
		*proto = v->proto;
		*len += sizeof(*v);
		n++;
	}
	return n;
}

#endif /* ANYEDGE_L2_H */
