/* SPDX-License-Identifier: GPL-2.0 */
/* The flow hash that picks a ring entry. It must be identical on every edge (same seed, same
 * flow, same entry), so it depends on nothing but the 5-tuple and the seed.
 */
#ifndef ANYEDGE_HASH_H
#define ANYEDGE_HASH_H

#include "anyedge_abi.h"

/* Hash of the flow key's addresses, ports and proto. An IPv4 key hashes only the words that can
 * be nonzero (its addresses sit at the head of src and dst): 4 words, not 10.
 */
static __always_inline __u32 ae_flow_hash(const struct ae_flow_key *k, __u32 seed)
{
	const __u32 *w = (const __u32 *)k;
	__u32 h = seed;
	int i;

	if (k->family == AE_FAMILY_V4) {
		h = ae_mix(h, w[0]);
		h = ae_mix(h, w[4]);
	} else {
#pragma unroll
		for (i = 0; i < 8; i++) /* src and dst: 32 bytes */
			h = ae_mix(h, w[i]);
	}
	h = ae_mix(h, ((__u32)k->sport << 16) | k->dport);
	h = ae_mix(h, ((__u32)k->proto << 8) | k->family);
	return ae_final(h ^ sizeof(*k));
}

/* A cheap per-flow hash for this edge's own use (its flow table's bucket and tag, the IPv6 flow
 * label): the key's words xor-ed, then one multiply, whose high half is well mixed. Every
 * established packet waits on it before it can read its bucket. Unlike ae_flow_hash it need not
 * agree with other edges.
 */
static __always_inline __u32 ae_flow_fold(const struct ae_flow_key *k, __u32 seed)
{
	const __u32 *w = (const __u32 *)k;
	__u32 x = w[0] ^ w[4] ^ w[8] ^ w[9];

	if (k->family != AE_FAMILY_V4)
		x ^= w[1] ^ w[2] ^ w[3] ^ w[5] ^ w[6] ^ w[7];
	return (__u32)(((__u64)(x ^ seed) * 0x9e3779b97f4a7c15ULL) >> 32);
}

#endif /* ANYEDGE_HASH_H */
