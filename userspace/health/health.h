/* SPDX-License-Identifier: GPL-2.0 */
/* Backend health and region state: rise/fall per backend, min_healthy per region, the guard
 * against the edge's own blindness, and the serving region of active-passive VIPs. Pure logic over probe results and a
 * clock, so every rule is unit-tested without a network. One writer owns it (the daemon loop).
 */
#ifndef ANYEDGE_HEALTH_H
#define ANYEDGE_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane.h"
#include "policy.h"
#include "probe.h"

struct backend_health {
	bool up; /* after rise passes in a row; down after fall failures in a row */
	bool draining; /* system_mode: draining from its last probe */
	bool admin_drained; /* operator drain: no new flows */
	uint32_t ok_streak;
	uint32_t fail_streak;
	bool probed; /* at least one result seen */
	bool known; /* state proven (rise or fall reached) or assumed */
	struct probe_result last;
	uint64_t last_ms; /* when last was seen */
	uint64_t since_ms; /* when up last changed */
};

struct region_health {
	bool up;
	uint32_t passing; /* backends up */
	uint64_t since_ms;
	char why[160]; /* why it is in its state, with the evidence */
	bool has_lag; /* the region's replica lag: the largest lag its up backends report */
	double replica_lag_s;
	bool suspect; /* fell and not yet applied: the guard may still blame the edge */
	bool settling; /* its fall has had its settle window opened or extended */
};

/* Why the guard holds steering frozen: evidence that the edge itself is blind. */
enum guard_reason {
	GUARD_NONE = 0,
	GUARD_LINK_DOWN, /* the edge's link is down */
	GUARD_NO_GATEWAY, /* the gateway's MAC is not resolved */
	GUARD_LOCAL_ERRORS, /* every probe failed with an error raised on this host */
	GUARD_ALL_REGIONS, /* every region (two or more) failed within one settle window */
	GUARD_N,
};

struct health {
	const struct policy *p; /* not owned */
	struct backend_health *b; /* indexed by dp_backend_id() */
	size_t n_b;
	struct region_health r[AE_MAX_REGIONS];
	uint8_t serving[AE_MAX_VIPS]; /* active-passive: current serving region */
	/* the guard (health_guard.c) */
	enum guard_reason guard; /* GUARD_NONE, or why steering is frozen */
	char guard_why[192]; /* the evidence */
	uint64_t guard_since_ms;
	uint64_t guard_entered[GUARD_N]; /* times the guard took hold, per reason */
	uint64_t settle_until_ms; /* something fell: applied then unless the guard holds; 0 none */
	uint64_t settle_anchor_ms; /* the latest failure the window waits on */
	bool settle_seen; /* a probe started after it passed: the edge sees, apply now */
	bool settle_reprove; /* the window after the guard let go: waits its whole length */
	bool armed; /* a region has been up: the guard may hold from now on */
	bool link_up, gateway_ok; /* the edge's own facts (health_set_edge); true by default */
	size_t n_local; /* backends whose last probe failed on this host */
	/* the last good view, kept while the guard holds or a fall settles: region_up,
	 * backend_up, and in backend_new_flows the probes' draining only (operator drain and
	 * serving are applied live over it, so operator actions still work meanwhile)
	 */
	struct dp_view frozen;
	uint64_t changes; /* bumped on every state change: the caller re-applies the data plane */
};

/* Regions start down until their backends rise (no traffic to the unproven); with
 * assume_up (replay, adoption of a running edge) they start as the policy would want them up.
 */
int health_init(struct health *h, const struct policy *p, bool assume_up, uint64_t now_ms);
/* Adopting a running edge: start from what its maps were doing (was, from dp_read_view), with
 * every backend's state taken as proven, so a restart changes no steering on its own.
 */
int health_init_adopted(struct health *h, const struct policy *p, const struct dp_view *was,
			uint64_t now_ms);
void health_free(struct health *h);
/* Carry backend and region state over to a new policy (same addresses keep their state; new
 * backends start down). Active-passive VIPs keep their serving region by name while the VIP
 * still lists it, unless the new policy names a different primary. A holding guard and
 * its frozen view carry over too (remapped by address and region name). p must outlive h; the
 * old policy must stay valid until this returns. 0, or -ENOMEM/-EINVAL with h unchanged.
 */
int health_rebind(struct health *h, const struct policy *p, uint64_t now_ms);

/* Feed one probe result for backend index i. Logs every state change as an event. */
void health_probe_result(struct health *h, size_t i, const struct probe_result *r, uint64_t now_ms);

/* Operator actions. health_promote moves every active-passive VIP now served from source (and
 * listing target) to target. 0 (why: what was promoted), -ENOENT unknown region index,
 * -EINVAL source == target, max_lag_s < 0 or no such VIP, -EBUSY refused (target down, its
 * replica lag unknown or over max_lag_s) unless force. why may be NULL.
 */
int health_promote(struct health *h, int source, int target, bool force, double max_lag_s,
		   char *why, size_t why_len, uint64_t now_ms);
/* The fleet's designation (userspace/fleet/): active-passive VIP v serves from region, which it
 * must list; no guard here, the fleet checked before it committed. 0 or -EINVAL.
 */
int health_set_serving(struct health *h, size_t v, int region, uint64_t now_ms);
void health_set_admin_drain(struct health *h, size_t i, bool drained, uint64_t now_ms);

/* What the data plane should be: the frozen view while the guard holds or a fall settles. */
int health_view(struct health *h, struct dp_view *v);
/* Whether the view is the frozen one now, and region r's state in the view. */
bool health_holding(const struct health *h);
bool health_view_region_up(const struct health *h, size_t r);

/* The edge's own facts from the kernel: link up, gateway MAC known (or not needed). */
void health_set_edge(struct health *h, bool link_up, bool gateway_ok, uint64_t now_ms);
/* When health_tick is next due (a settle window ends), or UINT64_MAX. */
uint64_t health_next_ms(const struct health *h);
/* Time passed: a settle window that ended is applied. */
void health_tick(struct health *h, uint64_t now_ms);
/* "all_regions_failed", ... ("none" for GUARD_NONE): the reason label of logs and metrics. */
const char *health_guard_name(enum guard_reason g);

/* Ready to serve? false with why filled when the guard holds or an active-passive VIP's
 * serving region is down.
 */
bool health_ready(const struct health *h, char *why, size_t why_len);

#endif /* ANYEDGE_HEALTH_H */
