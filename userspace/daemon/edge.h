/* SPDX-License-Identifier: GPL-2.0 */
/* anyedged's state: one struct, owned and changed by the loop thread alone. Readers on other
 * threads (the API) see only the RCU snapshot it publishes (snapshot.h).
 */
#ifndef ANYEDGE_EDGE_H
#define ANYEDGE_EDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane.h"
#include "health.h"
#include "kernel.h"
#include "policy.h"
#include "probe.h"
#include "snapshot.h"
#include "speaker.h"

struct edge_opts {
	const char *config;
	const char *pin_dir; /* NULL: DP_PIN_BASE/<edge name> */
	bool replace;
};

struct edge_fleet;

struct edge {
	struct edge_opts opts;
	char pin_dir[256];
	struct policy *policy;
	uint64_t reloads, reload_failures;
	struct dataplane *dp;
	const char *attach_mode; /* "native" / "generic" */
	struct kernel *kern;
	struct link_facts link;
	uint8_t gateway_mac_last[6]; /* the last gateway MAC the kernel knew */
	bool has_gateway_mac_last;
	struct health health;
	struct prober *prober;
	uint64_t applied; /* health.changes last pushed to the maps */
	uint64_t apply_failures;
	struct snapshot_slot snap;
	int epfd, sigfd, tickfd, guardfd;
	uint64_t guard_armed_ms; /* what guardfd is set for (UINT64_MAX: disarmed) */
	bool stop;
	/* operator surface (commands.c, api.c) */
	struct cmdq *cmdq;
	struct api *api;
	uint64_t beat_ms; /* the loop's last turn (CLOCK_MONOTONIC ms), read by the API */
	bool draining; /* the whole edge drained by the operator: not ready; BGP drains it */
	bool bird_connected; /* set from the BGP speaker */
	struct speaker *bgp; /* NULL when BGP could not be set up (logged) */
	uint64_t last_reload_ms, failovers, failovers_refused, last_failover_ms;
	struct edge_fleet *fleet; /* NULL without a fleet: section */
};

/* lifecycle (edge.c) */
int edge_start(struct edge *e, const struct edge_opts *opts);
void edge_stop(struct edge *e);
/* Push the current health view and link facts to the maps; publish a snapshot. */
int edge_apply(struct edge *e, const char *cause);
/* SIGHUP: the new policy in whole, or nothing changes. */
int edge_reload(struct edge *e);
/* Probe targets of the current policy, in dp_backend_id order. */
int edge_set_probe_targets(struct edge *e);

/* The kernel's facts about the edge (link, gateway) into health: the guard's evidence. */
void edge_facts_to_health(struct edge *e);

/* The interface came back under its name with a new index: attach the program to it. */
int edge_relink(struct edge *e);

/* Can the edge serve at all: program attached, link up (the policy is loaded by then). */
bool edge_healthy(const struct edge *e);

/* the loop (loop.c) */
int edge_loop(struct edge *e);

/* CLOCK_MONOTONIC ms: what every timer and window of the edge runs on. */
uint64_t edge_now_ms(void);

/* the operator's saved state (ops_state.c) */
/* Whether the persisted operator state has the edge drained (read before the maps open). */
bool edge_ops_saved_drain(const struct edge *e);
/* Where operator state of kind ext lives: $ANYEDGE_STATE_DIR or /var/lib/anyedge. */
void edge_state_path(const struct edge *e, const char *ext, char *buf, size_t len);

/* operator commands and the API (commands.c) */

/* Re-apply persisted operator state (promotions, edge drain) before the first apply. */
int edge_ops_restore(struct edge *e);
/* The command queue and the HTTP API on policy api.listen; edge_ops_stop undoes both. */
int edge_ops_start(struct edge *e);
void edge_ops_stop(struct edge *e);
/* The loop: its cmdq fd is readable; and its heartbeat, once per turn. */
void edge_ops_run(struct edge *e);
void edge_ops_beat(struct edge *e);

/* the fleet (edge_fleet.c): all no-ops without a fleet: section */
/* The designations applied last, from disk, before the first apply: etcd may be down. */
void edge_fleet_restore(struct edge *e);
int edge_fleet_start(struct edge *e);
void edge_fleet_stop(struct edge *e);
/* The loop: readable when designations may have changed (-1 without a fleet). */
int edge_fleet_fd(const struct edge *e);
void edge_fleet_run(struct edge *e);
/* This edge's view for its report, after each change and each tick. */
void edge_fleet_report(struct edge *e);
/* After a reload: the new policy's VIPs and limits; designations applied again. */
void edge_fleet_reload(struct edge *e);
struct fleet *edge_fleet(const struct edge *e);
/* The epoch of the designation VIP v serves by (0: its primary, or no fleet). */
int64_t edge_fleet_epoch(const struct edge *e, size_t v);

#endif /* ANYEDGE_EDGE_H */
