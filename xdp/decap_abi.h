/* SPDX-License-Identifier: GPL-2.0 */
/* The contract between the backend decapsulator (decap.bpf.c) and `anyedge decap`: map keys,
 * values, counters and limits. Included by both sides; bump DECAP_ABI_VERSION on any change.
 */
#ifndef ANYEDGE_DECAP_ABI_H
#define ANYEDGE_DECAP_ABI_H

#include <linux/types.h>

#define DECAP_ABI_VERSION 2

#define DECAP_MAX_ADDRS 256 /* tunnel endpoint addresses of one host */
#define DECAP_MAX_ALLOW 4096 /* allowed source prefixes per family */
#define DECAP_MAX_VIPS 1024 /* service addresses (VIPs) of one host */

/* Tags in keys: independent of any libc's AF_* numbering (same values as ae_family). */
#define DECAP_FAMILY_V4 4
#define DECAP_FAMILY_V6 6

/* decap_addrs (hash): the outer destinations we open tunnels for; value unused (1). */
struct decap_addr_key {
	__u8 family;
	__u8 pad[3];
	__u8 addr[16]; /* IPv4 in the first 4 bytes, rest zero */
};

/* decap_vips (hash, same key): the inner destinations a tunnel may carry, the host's VIPs. A
 * tunnel to anything else would make us answer, from our own address, whoever the inner
 * source names: a reflector for anyone who can reach us. Value unused (1).
 */

/* decap_allow4 / decap_allow6 (LPM tries): allowed outer sources; value unused (1). */
struct decap_lpm4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct decap_lpm6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* decap_config (array of one). The allow-list is enforced unless DECAP_F_ALLOW_ANY says
 * otherwise, so no config at all, or an empty list, opens nothing; `decap status` shows which.
 */
#define DECAP_F_ALLOW_ANY (1U << 0)
struct decap_config {
	__u32 flags;
	__u32 abi_version; /* DECAP_ABI_VERSION of the loader, so status can spot a stale pin */
};

/* decap_stats: per-CPU array of __u64, one counter per verdict. Names in decap_stat_names. */
enum decap_stat {
	DECAP_OPENED_IPIP = 0, /* IPv4 in IPv4 */
	DECAP_OPENED_6IN4, /* IPv6 in IPv4 (proto 41) */
	DECAP_OPENED_4IN6, /* IPv4 in IPv6 (next header 4) */
	DECAP_OPENED_IP6IP6, /* IPv6 in IPv6 (next header 41) */
	DECAP_PASSED, /* not a tunnel (or not IP): untouched, to the stack */
	DECAP_PASSED_FRAGMENT, /* outer fragment: we cannot open it; the stack may reassemble */
	DECAP_REFUSED_NOT_LOCAL, /* tunnel to an address not configured: dropped */
	DECAP_REFUSED_SOURCE, /* tunnel from a source outside the allow-list: dropped */
	DECAP_REFUSED_INNER_DST, /* inner destination none of our VIPs: dropped */
	DECAP_DROPPED_MALFORMED, /* outer header truncated or inconsistent: dropped */
	DECAP_DROPPED_INNER, /* inner header truncated, wrong version or longer than the outer */
	DECAP_DROPPED_ADJUST, /* bpf_xdp_adjust_head refused: dropped, never half-stripped */
	DECAP_STAT_MAX,
};

/* Names as status prints them; index by enum decap_stat. Userspace only. */
#ifndef __bpf__
static const char *const decap_stat_names[DECAP_STAT_MAX] = {
	[DECAP_OPENED_IPIP] = "opened_ipip",
	[DECAP_OPENED_6IN4] = "opened_6in4",
	[DECAP_OPENED_4IN6] = "opened_4in6",
	[DECAP_OPENED_IP6IP6] = "opened_ip6ip6",
	[DECAP_PASSED] = "passed",
	[DECAP_PASSED_FRAGMENT] = "passed_fragment",
	[DECAP_REFUSED_NOT_LOCAL] = "refused_not_local",
	[DECAP_REFUSED_SOURCE] = "refused_source",
	[DECAP_REFUSED_INNER_DST] = "refused_inner_dst",
	[DECAP_DROPPED_MALFORMED] = "dropped_malformed",
	[DECAP_DROPPED_INNER] = "dropped_inner",
	[DECAP_DROPPED_ADJUST] = "dropped_adjust",
};
#endif

#endif /* ANYEDGE_DECAP_ABI_H */
