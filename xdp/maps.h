/* SPDX-License-Identifier: GPL-2.0 */
/* Every map of the steering program. Sizes here are ceilings for small metadata; the large maps
 * (flows, and the rings created by the controller per policy) are sized at load time.
 */
#ifndef ANYEDGE_MAPS_H
#define ANYEDGE_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "anyedge_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * AE_VIP_SLOTS);
	__uint(map_flags, BPF_F_MMAPABLE); /* values then start on a page: an entry a line */
	__type(key, __u32);
	__type(value, struct ae_vip_slot);
} vip_keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, AE_VIP_FILTER_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} vip_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, AE_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ae_lpm4_key);
	__type(value, struct ae_prefs);
} client_prefs_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, AE_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ae_lpm6_key);
	__type(value, struct ae_prefs);
} client_prefs_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, AE_MAX_REGIONS);
	__type(key, __u32);
	__type(value, struct ae_region);
} regions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, AE_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct ae_backend);
} backends SEC(".maps");

/* A ring: ring_size backend ids, packed four to a value (anyedge_abi.h). The controller sizes
 * this template to AE_RING_WORDS(ring_size) at load, and every ring is exactly that size, so the
 * verifier inlines the ring lookup with its bound as an immediate (BPF_F_INNER_MAP would read the
 * bound from the ring first: another dependent cache miss per new flow).
 */
struct ring {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
};

/* Slot vip_id * AE_MAX_REGIONS + region_id; empty where the policy has no such ring. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, AE_RING_SLOTS);
	__type(key, __u32);
	__array(values, struct ring);
} rings SEC(".maps");

/* The flow table (anyedge_abi.h), sized by the controller at load: entries, the index over
 * them (a power of two of buckets); and where each CPU's runs of entries are.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE); /* values then start on a page: an entry, on one line */
	__type(key, __u32);
	__type(value, struct ae_flow);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE); /* a bucket, on one line */
	__type(key, __u32);
	__type(value, struct ae_flow_bucket);
} flow_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE); /* on a page: each cursor on a line of its own */
	__type(key, __u32);
	__type(value, struct ae_flow_runs);
} flow_runs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ae_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ae_meta);
} meta SEC(".maps");

/* The counters: a slice per CPU, sized by the controller at load (anyedge_abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, AE_MAX_VIPS);
	__uint(map_flags, BPF_F_MMAPABLE); /* values then start on a page, and so do slices */
	__type(key, __u32);
	__type(value, struct ae_vip_stats);
} vip_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, AE_REASON_STRIDE);
	__type(key, __u32);
	__type(value, __u64);
} reasons SEC(".maps");

/* The earliest time (bpf_ktime_get_ns) this CPU may send its next ICMP error (icmp.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} icmp_budget SEC(".maps");

/* Only this CPU writes its slice and XDP does not nest on a CPU: no atomics needed. */
static __always_inline void count_reason(__u32 reason)
{
	__u32 i = bpf_get_smp_processor_id() * AE_REASON_STRIDE + reason;
	__u64 *c = bpf_map_lookup_elem(&reasons, &i);

	if (c)
		*c += 1;
}

#endif /* ANYEDGE_MAPS_H */
