/* SPDX-License-Identifier: GPL-2.0 */
/* The promotion rules of active-passive VIPs, in one place: the replica-lag limit (RPO) a
 * promotion must respect and the region auto_promote: local moves to. The daemon (health),
 * `anyedge replay` (dp_view_default) and the operator's failover all call these, so "as the
 * daemon would" stays true.
 */
#ifndef ANYEDGE_RPO_H
#define ANYEDGE_RPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* What a promotion needs to know of one region. */
struct rpo_region {
	bool up;
	bool proven_down; /* down on evidence, not merely unproven */
	bool has_lag; /* replica_lag_seconds reported by an up backend */
	double lag_s; /* the largest such lag */
};

/* The RPO limit for promoting to region r: the strictest max_replica_lag among its backends'
 * probes, in ms; 0 when none of them sets one.
 */
uint32_t rpo_limit_ms(const struct policy *p, size_t r);
/* The same in seconds for an operator's request that names no limit (INFINITY: none). */
double rpo_default_max_lag_s(const struct policy *p, size_t r);

/* May writes move to region r with this evidence and at most max_lag_s of lag? 0, or -EBUSY
 * with why (if not NULL) saying what is missing: the region down, its lag unknown or too high.
 * Lag must be known even without a limit: a promotion with no evidence of how far behind the
 * replica is would be the very write loss the RPO guard is for.
 */
int rpo_check(const struct policy *p, size_t r, const struct rpo_region *rr, double max_lag_s,
	      char *why, size_t why_len);

/* auto_promote: local: the region active-passive VIP v moves to from its serving region s, or
 * -1 to stay. It moves only when s is proven down, to the next region after s in the VIP's order
 * (wrapping) that passes rpo_check at its policy limit. regions[] is indexed by region.
 */
int rpo_auto_target(const struct policy *p, size_t v, size_t s, const struct rpo_region *regions);
/* The rule itself, whoever holds the evidence: the same choice for any active-passive VIP v
 * (auto_promote: fleet passes the fleet's majority view as regions[]).
 */
int rpo_next_target(const struct policy *p, size_t v, size_t s, const struct rpo_region *regions);

#endif /* ANYEDGE_RPO_H */
