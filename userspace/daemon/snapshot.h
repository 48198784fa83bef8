/* SPDX-License-Identifier: GPL-2.0 */
/* What readers may see of the edge: an immutable copy made by the loop thread after each change
 * and swapped in with RCU (liburcu). Readers hold rcu_read_lock() while they use one; the writer
 * frees the old copy after a grace period.
 */
#ifndef ANYEDGE_SNAPSHOT_H
#define ANYEDGE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/fleet.h"
#include "health.h"
#include "policy.h"
#include "probe.h"

struct snap_region {
	char name[POLICY_NAME_MAX];
	bool up;
	uint32_t passing, n_backends;
	uint64_t since_ms; /* CLOCK_REALTIME ms */
	char why[160];
	bool has_lag;
	double replica_lag_s;
};

struct snap_backend {
	char addr[INET_ADDR_STR];
	uint8_t region;
	uint32_t weight;
	bool up, draining, admin_drained, probed;
	uint64_t last_ms, since_ms;
	struct probe_result last;
};

struct snap_vip {
	char name[POLICY_NAME_MAX];
	char addr[INET_ADDR_STR];
	uint8_t mode;
	int primary;
	uint8_t serving; /* AE_NO_REGION for active-active */
	uint8_t regions[AE_MAX_VIP_REGIONS]; /* the VIP's regions, in its order */
	uint8_t n_regions;
	int64_t fleet_epoch; /* the fleet designation it serves by; 0: its primary or no fleet */
	/* its counters' map slot: the API reads them by it, never through the loop's own
	 * policy-to-slot table, which a reload rewrites
	 */
	uint32_t stats_slot;
};

struct snap_announce {
	char vip[POLICY_NAME_MAX];
	char prefix[INET_PREFIX_STR];
	const char *state; /* "announced", "withdrawn", "draining": static strings */
	uint64_t since_ms;
	char why[320]; /* the last decision */
	bool held; /* kept announced by the fleet: no region is up, no other member announces */
	char held_why[320];
	double penalty; /* damping, decayed to made_ms */
	bool suppressed;
};

struct snap_bgp {
	uint64_t announces, withdraws, suppressions, reconciles, corrections, bird_errors;
	uint64_t last_change_ms;
	double last_reply_ms;
};

/* Times below are Unix ms (CLOCK_REALTIME) for display; 0: never. */
struct snapshot {
	uint64_t made_ms;
	uint64_t wall_off_ms; /* Unix ms minus CLOCK_MONOTONIC ms when it was made */
	char edge[POLICY_NAME_MAX];
	char home_region[POLICY_NAME_MAX];
	char interface[16];
	bool attached;
	char attach_mode[16];
	bool link_up;
	bool ready;
	char why[256]; /* why not ready */
	const char *guard; /* health_guard_name(): "none" unless the guard holds */
	char guard_why[192];
	uint64_t guard_since_ms;
	uint64_t guard_entered[GUARD_N];
	bool settling; /* a fall waits out its settle window */
	uint64_t reloads, reload_failures;
	/* operator surface (commands.c) */
	bool draining, bird_connected;
	uint64_t last_reload_ms, failovers, failovers_refused, last_failover_ms;
	size_t n_regions, n_backends, n_vips;
	struct snap_region *regions;
	struct snap_backend *backends;
	struct snap_vip *vips;
	size_t n_announce;
	struct snap_announce *announce;
	struct snap_bgp bgp;
	bool has_fleet; /* a fleet: section: fleet below is its health */
	struct fleet_health fleet;
};

struct snapshot_slot {
	struct snapshot *cur; /* RCU-protected */
};

struct edge;
/* Writer: build a snapshot of e and publish it; the old one is freed after a grace period. */
int snapshot_publish(struct snapshot_slot *slot, const struct edge *e);
void snapshot_slot_free(struct snapshot_slot *slot);
/* Reader: between rcu_read_lock() and rcu_read_unlock() only. */
const struct snapshot *snapshot_get(struct snapshot_slot *slot);

#endif /* ANYEDGE_SNAPSHOT_H */
