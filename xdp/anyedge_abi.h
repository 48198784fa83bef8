/* SPDX-License-Identifier: GPL-2.0 */
/* The contract between the XDP program and userspace: map keys, values and limits.
 * Included by both sides; bump AE_ABI_VERSION on any change to a layout here.
 */
#ifndef ANYEDGE_ABI_H
#define ANYEDGE_ABI_H

#include <linux/types.h>

#define AE_ABI_VERSION 3

#define AE_MAX_REGIONS 32 /* region ids 0..31: one bit each in ae_vip.region_mask */
#define AE_MAX_VIPS 256
#define AE_MAX_VIP_KEYS 1024 /* (address, proto, port) entries over all VIPs */
#define AE_MAX_VIP_REGIONS 8 /* regions one VIP may list */
#define AE_MAX_PREFS 8 /* regions one client prefix may prefer */
#define AE_MAX_BACKENDS 4096
#define AE_MAX_PREFIXES 65536 /* client prefixes per address family */
#define AE_RING_SLOTS (AE_MAX_VIPS * AE_MAX_REGIONS)
#define AE_DEFAULT_RING_SIZE 65537
#define AE_DEFAULT_FLOW_TABLE 1048576

#define AE_NO_REGION 0xff

/* ae_vip.mode */
enum ae_vip_mode {
	AE_MODE_ACTIVE_ACTIVE = 0,
	AE_MODE_ACTIVE_PASSIVE = 1,
};

/* Address family tags in keys and values: independent of any libc's AF_* numbering. */
enum ae_family {
	AE_FAMILY_V4 = 4,
	AE_FAMILY_V6 = 6,
};

/* vips: exact (address, proto, port). Port 0 is the entry fragments use: a non-first fragment
 * carries no ports, so every fragment of a datagram is steered by (src, dst, proto) alone.
 */
struct ae_vip_key {
	__u8 addr[16]; /* IPv4 in the first 4 bytes, rest zero */
	__be16 port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family;
};

/* vips value: which VIP an (address, proto, port) belongs to. */
struct ae_vip_ref {
	__u32 id; /* index into vip_info, vip_stats and the ring slots; stable per VIP name */
	__u32 gen; /* must equal vip_info[id].gen */
};

/* vip_info: array indexed by VIP id. gen changes whenever the id starts to mean another VIP
 * or the VIP's addresses/ports change, so a flow remembering (id, gen) knows its VIP is the
 * same one and may skip the vips lookup. gen 0: no VIP.
 */
struct ae_vip {
	__u32 gen;
	__u32 region_mask; /* bit r set: region r is listed by this VIP */
	__u8 mode;
	__u8 serving; /* active-passive: the one region it may use */
	__u8 n_regions;
	__u8 pad;
	__u8 regions[AE_MAX_VIP_REGIONS]; /* the VIP's own order */
	__u32 name_hash; /* userspace's: finds a VIP's id again after a controller restart */
	__u32 keys_hash; /* userspace's: its (address, ports), to know when gen must change */
};

/* vip_filter: a bitmap over destination addresses, one bit set per VIP address. A clear bit
 * proves "no VIP here" for the price of an array read, so the common non-VIP packet skips the
 * hash lookup; a set bit (a VIP, or a rare collision) goes on to the vips map.
 */
#define AE_VIP_FILTER_BITS 65536
#define AE_VIP_FILTER_WORDS (AE_VIP_FILTER_BITS / 64)

/* fold: the address's four 32-bit words xor-ed (IPv4: the address, the rest being zero). */
static inline __u32 ae_vip_filter_bit(__u32 fold)
{
	return (fold ^ (fold >> 16)) & (AE_VIP_FILTER_BITS - 1);
}

/* client_prefs_v4 / client_prefs_v6 (LPM tries); /0 holds the edge's own region */
struct ae_lpm4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct ae_lpm6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct ae_prefs {
	__u8 n;
	__u8 regions[AE_MAX_PREFS];
};

/* regions: array indexed by region id */
#define AE_REGION_UP (1U << 0)
struct ae_region {
	__u32 flags;
};

/* backends: array indexed by backend id; rings hold backend ids */
#define AE_BACKEND_UP (1U << 0) /* may keep its flows; new flows come only through rings */
struct ae_backend {
	__u8 addr[16];
	__u8 family;
	__u8 flags;
	__u8 region;
	__u8 pad;
};

/* flows: LRU hash keyed by 5-tuple (ports zero for fragments) */
struct ae_flow_key {
	__u8 src[16];
	__u8 dst[16];
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family;
	__u16 pad;
} __attribute__((aligned(4)));

struct ae_flow {
	__u32 backend;
	__u32 vip; /* VIP id the flow was steered for ... */
	__u32 vip_gen; /* ... and its gen then */
};

/* config: array of one entry, rewritten by the controller */
struct ae_config {
	__u8 edge_mac[6];
	__u8 gateway_mac[6];
	__u8 src4[4]; /* outer source for IPv4 tunnels */
	__u8 src6[16]; /* outer source for IPv6 tunnels */
	__u8 has_src4;
	__u8 has_src6;
	__u16 mtu; /* largest IP packet the link takes; 0: unchecked */
	__u32 hash_seed;
	__u32 ring_size; /* entries of every ring; the modulus of the flow hash */
};

/* meta: array of one entry, written once by the controller that created the maps. Its layout
 * never changes, so a controller of any version can read which ABI pinned maps speak.
 */
struct ae_meta {
	__u32 abi_version;
	__u32 reserved[3];
};

/* vip_stats: per-CPU array indexed by ae_vip.id */
struct ae_vip_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
};

/* reasons: per-CPU array of __u64, one counter per verdict that is not a steered TX */
enum ae_reason {
	AE_PASS_NOT_IP = 0, /* not IPv4/IPv6, or more than two VLAN tags */
	AE_PASS_NOT_VIP, /* no VIP at (dst, proto, port): the common case, VIP's other ports too */
	AE_PASS_MALFORMED, /* headers cut before the destination, or a VIP address's IP header broken */
	AE_DROP_MALFORMED, /* VIP traffic with truncated or inconsistent headers */
	AE_DROP_NO_REGION, /* active-active: no listed region up with a ring */
	AE_DROP_PRIMARY_DOWN, /* active-passive: serving region down or ringless */
	AE_DROP_NO_BACKEND, /* ring slot named no usable backend */
	AE_DROP_NO_ENCAP_SRC, /* no encap source of the backend's family configured */
	AE_DROP_TOO_BIG, /* too big once tunnelled, and no ICMP error possible (IPv4 without DF) */
	AE_DROP_ENCAP_FAILED, /* bpf_xdp_adjust_head refused the room */
	AE_TX_ICMP_TOO_BIG, /* too big once tunnelled: an ICMP error went back to the client */
	AE_REASON_MAX,
};

#endif /* ANYEDGE_ABI_H */
