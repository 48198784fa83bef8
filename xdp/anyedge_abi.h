/* SPDX-License-Identifier: GPL-2.0 */
/* The contract between the XDP program and userspace: map keys, values and limits.
 * Included by both sides; bump AE_ABI_VERSION on any change to a layout here.
 */
#ifndef ANYEDGE_ABI_H
#define ANYEDGE_ABI_H

#include <linux/types.h>

#define AE_ABI_VERSION 9

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

/* A VIP's exact (address, proto, port). Port 0 is the entry fragments use: a non-first fragment
 * carries no ports, so every fragment of a datagram is steered by (src, dst, proto) alone.
 */
struct ae_vip_key {
	__u8 addr[16]; /* IPv4 in the first 4 bytes, rest zero */
	__be16 port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family;
};

/* Murmur3's mixing steps: the hashes both sides must compute alike are built of these. */
static inline __u32 ae_rotl32(__u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static inline __u32 ae_mix(__u32 h, __u32 w)
{
	w *= 0xcc9e2d51;
	w = ae_rotl32(w, 15);
	w *= 0x1b873593;
	h ^= w;
	h = ae_rotl32(h, 13);
	return h * 5 + 0xe6546b64;
}

static inline __u32 ae_final(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	return h ^ (h >> 16);
}

/* A VIP's facts, carried by the vip_keys entry of each of its keys. */
struct ae_vip {
	__u32 region_mask; /* bit r set: region r is listed by this VIP */
	__u8 mode;
	__u8 serving; /* active-passive: the one region it may use */
	__u8 n_regions;
	__u8 pad;
	__u8 regions[AE_MAX_VIP_REGIONS]; /* the VIP's own order */
	__u32 name_hash; /* userspace's: finds a VIP's id again after a controller restart */
};

/* vip_keys: two copies of an open-addressed table of every VIP key, each entry with its VIP's
 * facts. The controller builds the copy not in use whole, then names it in ae_config.vip_table;
 * a live copy is never written, so a reader sees one table or the other, not a mix, and a key
 * and the facts it leads to change together. A key sits within AE_VIP_PROBES entries of
 * ae_vip_key_hash(key, salt) with no empty entry before it; the controller picks a salt for
 * which every key does. One line per probe, against the ~40 ns of a hash map lookup and the
 * read of the facts after it.
 */
#define AE_VIP_SLOTS 2048 /* per copy: at most half full */
#define AE_VIP_PROBES 16
struct ae_vip_slot {
	struct ae_vip_key key; /* family 0: empty */
	__u32 id; /* index into vip_stats and the ring slots; stable per VIP name */
	struct ae_vip vip;
	__u8 pad[20];
};

/* Where a VIP key's probes start in its copy of vip_keys: murmur3's 64-bit finalizer over the
 * key's words and the salt, whose 64-bit steps make a shorter chain than 32-bit mixes would
 * (this hash stands between the packet and every later read of a new flow).
 */
static inline __u32 ae_vip_key_hash(const struct ae_vip_key *k, __u32 salt)
{
	const __u32 *w = (const __u32 *)k;
	__u64 x = ((__u64)w[0] << 32 | w[4]) ^ ((__u64)salt << 32 | salt);

	if (k->family != AE_FAMILY_V4)
		x ^= ((__u64)w[1] << 32 | w[2]) * 0x9e3779b97f4a7c15ULL ^ w[3];
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x & (AE_VIP_SLOTS - 1);
}

/* vip_filter: a bitmap over destination addresses, one bit set per VIP address. A clear bit
 * proves "no VIP here" for the price of an array read, so the common non-VIP packet skips the
 * VIP lookup; a set bit (a VIP, or a rare collision) goes on to vip_keys.
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

/* A ring's entries are backend ids, AE_RING_WORD_IDS to a map value: an array map rounds each
 * value up to 8 bytes, so one id a value would spread a ring over four times the pages, and a new
 * flow's read at a random place in it would cost a page walk more often (~50 ns a SYN, measured
 * here). Entry i is the 16 bits at (i % 4) * 16 of value i / 4; ids above 0xffff cannot occur.
 */
#define AE_RING_WORD_IDS 4
#define AE_RING_WORDS(size) (((size) + AE_RING_WORD_IDS - 1) / AE_RING_WORD_IDS)
#define AE_RING_ID_SHIFT(i) ((i) % AE_RING_WORD_IDS * 16) /* where entry i sits in its value */
_Static_assert(AE_MAX_BACKENDS <= 0x10000, "a ring entry is 16 bits");

/* backends: array indexed by backend id; rings hold backend ids */
#define AE_BACKEND_UP (1U << 0) /* may keep its flows; new flows come only through rings */
struct ae_backend {
	__u8 addr[16] __attribute__((aligned(4))); /* as map values sit: read in words, not bytes */
	__u8 family;
	__u8 flags;
	__u8 region;
	__u8 pad;
};

_Static_assert(sizeof(struct ae_backend) == 20, "a backend kept its layout");

/* A flow's 5-tuple (ports zero for fragments). IPv4 addresses sit in the first four bytes of
 * src and dst, the rest zero.
 */
struct ae_flow_key {
	__u8 src[16];
	__u8 dst[16];
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family;
	__u16 pad;
} __attribute__((aligned(8)));

/* The flow table, in three maps. A random read of a 64 MiB table costs a new flow about twice
 * what the same read of a 16 MiB one does (page walks, README "Benchmarks"), so what is read at
 * random is a smaller index, and most entries are written in arrival order:
 *
 * flow_index: buckets of two cache lines, picked by the flow's fold hash (seeded by
 * ae_meta.flow_seed). The first line holds AE_FLOW_SLOTS slots, each naming an entry of `flows`
 * (its index + 1) under a tag (the hash's top byte), 0 when empty; the second holds the
 * bucket's newest established flow itself, so an established flow alone in its bucket costs
 * one read, as a flow in a plain hash table would. The last AE_FLOW_SYN_SLOTS slots are for
 * handshakes: a SYN writes its entry and one of them (picked by its hash) without reading
 * anything, so a flood of spoofed SYNs costs no reads and churns only handshakes, never an
 * established flow. A handshake's first ACK makes it the bucket's newest; the flow it displaces
 * moves to an entry under an open slot (an empty one, else the one whose entry is oldest in
 * this CPU's run, else any).
 *
 * flows: entries, one cache line each, written by each CPU in runs of its own, like rings: a
 * run for established flows moved out of their bucket, a run for handshakes. A CPU's next
 * entry overwrites its run's oldest, so an entry lives for its CPU's next run-length of them;
 * a hit in the older half of its run copies it to the run's head, so a flow that keeps sending
 * keeps its entry and an idle one ages out (a bucket's newest, once a newer flow displaces it).
 *
 * Every CPU reads every bucket and entry (a flow that moves between CPUs keeps its backend) and
 * writes without a lock; an entry is written before the slot naming it, and `check` binds an
 * entry's fields to the flow and to the epoch they were checked under, so an entry from an
 * older epoch, overwritten, or torn by two writers, is checked again before it is trusted.
 *
 * flow_runs: where each CPU's runs are and where each goes next.
 */
#define AE_FLOW_SLOTS 16
#define AE_FLOW_SYN_SLOTS 4
#define AE_FLOW_OPEN_SLOTS (AE_FLOW_SLOTS - AE_FLOW_SYN_SLOTS)
#define AE_FLOW_SLOT_TAG 0xfe000000U
#define AE_FLOW_SLOT_ENTRY 0x01ffffffU /* entry index + 1: fewer than 2^25 entries */
#define AE_FLOW_RUN_MIN 64
#define AE_FLOW_BUCKET_FLOWS 8 /* flows per bucket the controller sizes the index for */

struct ae_flow {
	struct ae_flow_key key;
	__u8 addr[16]; /* the backend's address */
	__u8 family; /* the backend's family */
	__u8 vip; /* VIP id the flow was steered for */
	__u16 backend; /* backend id */
	__u32 check; /* binds the fields above */
};

_Static_assert(sizeof(struct ae_flow) == 64, "an entry is one cache line");
_Static_assert(AE_MAX_VIPS <= 256 && AE_MAX_BACKENDS <= 65536, "ids outgrew an entry's fields");

struct ae_flow_bucket {
	__u32 slot[AE_FLOW_SLOTS];
	struct ae_flow newest; /* key all zero: none */
};

_Static_assert(sizeof(struct ae_flow_bucket) == 128, "a bucket is two cache lines");

/* flow_runs: one entry. CPU c's established run is entries c << shift and the 1 << shift after
 * it; its handshake run, syn_base + (c << syn_shift) and the 1 << syn_shift after it. Each CPU's
 * cursor is a line of its own, written by that CPU only; every CPU reads them all to tell how old
 * an entry is.
 */
#define AE_FLOW_MAX_CPUS 256

struct ae_flow_cursor {
	__u32 next; /* the established run's next entry, from its start */
	__u32 syn_next; /* the handshake run's */
	__u8 pad[56];
};

struct ae_flow_runs {
	__u32 shift;
	__u32 syn_shift;
	__u32 syn_base;
	__u8 pad[52];
	struct ae_flow_cursor cpu[AE_FLOW_MAX_CPUS];
};

_Static_assert(sizeof(struct ae_flow_cursor) == 64, "a cursor is one cache line");

/* The bucket mask and the fold hash's seed are immediates in the program, patched in by the
 * controller before load (dataplane.c): read from a map, they would make the read of the flow's
 * bucket wait for another cache miss (~25 ns more per established packet, measured here).
 * Values no compiler would otherwise emit.
 */
#define AE_FLOW_MASK_IMM 0x0ae0f1a5
#define AE_FLOW_SEED_IMM 0x5eedf10a

/* config: array of one entry, rewritten by the controller */
struct ae_config {
	/* aligned as they already sit, so the program reads them in words, not bytes */
	__u8 edge_mac[6] __attribute__((aligned(2)));
	__u8 gateway_mac[6] __attribute__((aligned(2)));
	__u8 src4[4] __attribute__((aligned(4))); /* outer source for IPv4 tunnels */
	__u8 src6[16]; /* outer source for IPv6 tunnels */
	__u8 has_src4;
	__u8 has_src6;
	__u16 mtu; /* largest IP packet the link takes; 0: unchecked */
	__u32 hash_seed;
	__u32 ring_size; /* entries of every ring; the modulus of the flow hash */
	/* Bumped as the last step of every change of the state a flow was steered by (VIPs,
	 * regions, backends): a flow checked under an older epoch is checked again.
	 */
	__u32 epoch;
	__u32 vip_table; /* bit 0: the live copy of vip_keys; bits 1..31: its salt */
};

_Static_assert(__builtin_offsetof(struct ae_config, gateway_mac) == 6 &&
		       __builtin_offsetof(struct ae_config, src4) == 12,
	       "the config's head kept its layout");

/* meta: array of one entry, written once by the controller that created the maps. Its layout
 * never changes, so a controller of any version can read which ABI pinned maps speak.
 */
struct ae_meta {
	__u32 abi_version;
	__u32 flow_seed; /* seed of the flow table's bucket hash: kept as long as the table is */
	__u32 ring_size; /* entries of every ring the rings map can hold */
	__u32 reserved;
};

/* vip_stats and reasons are plain arrays split by CPU, not per-CPU maps: on the VMs measured a
 * per-CPU map's value cost ~20 ns more per packet to reach (README, "Benchmarks"). Each CPU
 * writes only its own slice, and slices never share a cache line.
 *
 * vip_stats: CPU c's counters for VIP id at c * AE_MAX_VIPS + id. A slice is whole pages
 * (BPF_F_MMAPABLE starts the values on a page).
 */
struct ae_vip_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 pad;
};

/* reasons: CPU c's counter for a reason at c * AE_REASON_STRIDE + reason; one counter per verdict
 * that is not a steered TX.
 */
#define AE_REASON_STRIDE 16 /* two cache lines per CPU */
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
	AE_DROP_ICMP_REFUSED, /* too big, from a source no error may go to (multicast, the VIP...) */
	AE_DROP_ICMP_RATE, /* too big, and this CPU's ICMP errors are over their rate */
	AE_TX_ICMP_STEERED, /* an ICMP error about a VIP flow's reply, tunnelled to its backend */
	AE_PASS_ICMP_UNMATCHED, /* an ICMP error to a VIP quoting no VIP flow's reply, or cut short */
	AE_REASON_MAX,
};

/* ICMP errors the program sends, per CPU: a steady rate after a burst (RFC 4443 2.4 (f)) */
#define AE_ICMP_PER_SEC 1000
#define AE_ICMP_BURST 50

_Static_assert(AE_REASON_MAX <= AE_REASON_STRIDE, "reasons outgrew their per-CPU slice");
_Static_assert(sizeof(struct ae_vip_slot) == 64, "a vip_keys entry is one cache line");
_Static_assert(AE_MAX_VIPS * sizeof(struct ae_vip_stats) % 4096 == 0, "VIP slices share a page");

#endif /* ANYEDGE_ABI_H */
