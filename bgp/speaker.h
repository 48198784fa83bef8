/* SPDX-License-Identifier: GPL-2.0 */
/* anyedged's BGP side: one announce state machine per announced VIP, applied to BIRD through the
 * generated state includes (the durable truth) and the control socket (the fast path), and
 * reconciled with what BIRD says it runs. Owned by the daemon's loop thread.
 */
#ifndef ANYEDGE_SPEAKER_H
#define ANYEDGE_SPEAKER_H

#include <stdbool.h>
#include <stdint.h>

#include "announce.h"
#include "health.h"
#include "policy.h"

#define SPEAKER_RECONCILE_MS 30000 /* periodic comparison with `show protocols` */

struct speaker_vip {
	struct announce a;
	unsigned int applied; /* BIRD_WANT_* last written to the state files */
	uint64_t decided_us; /* monotonic time of the last decision, for the reply latency */
	char why[ANNOUNCE_TEXT_MAX]; /* the last decision's text, for readers */
	/* fleet: (never the last to withdraw) a withdrawal for health waits for the fleet's word */
	bool gated; /* the fleet decides this VIP's withdrawals for health */
	bool may_withdraw; /* its word for the hold in progress: other members announce it */
	bool held; /* kept announced although no region is up: the fleet said no */
	char held_why[ANNOUNCE_TEXT_MAX];
};

struct speaker_stats {
	uint64_t announces, withdraws, suppressions, reconciles, corrections, bird_errors;
	uint64_t last_change_ms; /* CLOCK_MONOTONIC ms, as every now_ms here */
	double last_reply_ms; /* decision -> BIRD's reply, last enable/disable */
};

struct speaker;

int speaker_new(const struct policy *p, struct speaker **out);
void speaker_free(struct speaker *s);
/* A reloaded policy: VIPs keep their state by name. 0 or -errno (then nothing changed). */
int speaker_rebind(struct speaker *s, const struct policy *p);

/* Evaluate every VIP now and apply what changed. edge_healthy: program attached, link up,
 * policy loaded. Every now_ms of the speaker is CLOCK_MONOTONIC ms (hold-downs, damping, drain
 * waits and the reconcile period must not move with the wall clock).
 */
void speaker_update(struct speaker *s, const struct health *h, bool edge_healthy, uint64_t now_ms);
/* Operator drain of the whole edge: graceful shutdown, then withdraw; false undrains. */
void speaker_set_drain(struct speaker *s, bool drain, uint64_t now_ms);

/* With a fleet: VIP v withdraws for health only when may_withdraw; else it stays announced
 * and says why (a drain, an unhealthy edge withdraw regardless). True when it changed.
 */
bool speaker_fleet_gate(struct speaker *s, size_t v, bool may_withdraw, const char *why);

/* Compare what BIRD runs with what we want now (also done on connect and periodically). */
void speaker_reconcile(struct speaker *s);

/* Poll this fd; call speaker_dispatch when readable (BIRD replies, timers). */
int speaker_fd(const struct speaker *s);
void speaker_dispatch(struct speaker *s, const struct health *h, bool edge_healthy,
		      uint64_t now_ms);

bool speaker_bird_connected(const struct speaker *s);
const struct speaker_vip *speaker_vip(const struct speaker *s, size_t v);
void speaker_get_stats(const struct speaker *s, struct speaker_stats *out);

/* Withdraw every announcement now, state files and socket, waiting up to timeout_ms for BIRD
 * (for --detach, where no loop runs). 0 or -errno.
 */
int speaker_withdraw_all(const struct policy *p, uint32_t timeout_ms);

#endif /* ANYEDGE_SPEAKER_H */
