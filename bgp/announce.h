/* SPDX-License-Identifier: GPL-2.0 */
/* When to announce a VIP's prefix: one state machine per announced VIP, pure logic over its
 * inputs and a clock passed in, so every rule is unit-tested without BIRD.
 *
 * - Announce while the VIP can be served (announce_can_serve); at the first evaluation at once.
 * - Withdraw at once when it cannot; withdrawals are never delayed, by anything.
 * - After a withdrawal for health, re-announce only once it could be served for hold_down in a
 *   row, and not while damping suppresses it.
 * - Damping: each withdrawal of an announced prefix for health (a flap) adds bgp.damping.penalty;
 *   the penalty halves every half_life and is capped so that it decays below reuse within
 *   max_suppress. A withdrawal that leaves it above suppress suppresses the prefix: it is not
 *   re-announced until the penalty decays below reuse, nor longer than max_suppress from that
 *   withdrawal. With the defaults (1000, 60s, 2000, 750, 10m) the third flap within about a
 *   minute suppresses.
 * - Drain: announced by the drain twin at once (enable the twin, then disable the plain
 *   protocol), withdrawn drain_wait later; undrain goes back to the plain protocol. Drain
 *   withdrawals add no penalty.
 * Each decision is an event: a kind and a text without timestamps, saying why.
 */
#ifndef ANYEDGE_ANNOUNCE_H
#define ANYEDGE_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health.h"
#include "policy.h"

enum announce_state {
	ANNOUNCE_WITHDRAWN = 0, /* both protocols disabled */
	ANNOUNCE_ANNOUNCED = 1, /* the plain protocol anyedge_<vip> */
	ANNOUNCE_DRAINING = 2, /* the drain twin anyedge_<vip>_drain */
};

enum announce_event {
	ANNOUNCE_EV_NONE = 0,
	ANNOUNCE_EV_ANNOUNCE, /* announced (plain protocol) */
	ANNOUNCE_EV_WITHDRAW, /* withdrawn: cannot be served (or not announced at the start) */
	ANNOUNCE_EV_SUPPRESS, /* withdrawn, and this flap made damping suppress it */
	ANNOUNCE_EV_HOLD, /* could be served again: re-announce waits for hold-down */
	ANNOUNCE_EV_DAMPED, /* could be served again: re-announce waits for damping */
	ANNOUNCE_EV_REUSE, /* damping no longer suppresses it */
	ANNOUNCE_EV_DRAIN, /* moved to the drain twin */
	ANNOUNCE_EV_DRAINED, /* withdrawn, drain_wait after the drain began */
	ANNOUNCE_EV_UNDRAIN, /* back from the drain twin to the plain protocol */
	ANNOUNCE_EV_N,
};

struct announce_params {
	uint32_t hold_down_ms;
	uint32_t drain_wait_ms;
	struct policy_damping damping;
};

#define ANNOUNCE_TEXT_MAX 320

struct announce {
	enum announce_state state;
	uint64_t state_since_ms;
	bool started; /* evaluated at least once */
	bool serve; /* the last input */
	uint64_t serve_since_ms; /* when serve last became true */
	bool held; /* withdrawn for health: the next announce waits for hold-down */
	bool drain; /* operator drain */
	uint64_t drain_since_ms;
	double penalty; /* damping penalty as of penalty_ms */
	uint64_t penalty_ms;
	bool suppressed;
	uint64_t suppressed_since_ms;
	enum announce_event waiting; /* HOLD or DAMPED already reported for the current wait */
	/* the last evaluation's decision */
	enum announce_event event;
	char text[ANNOUNCE_TEXT_MAX];
};

/* announce_eval result bits */
#define ANNOUNCE_CHANGED 1 /* state changed (or first evaluation): apply it */
#define ANNOUNCE_EVENT 2 /* a->event and a->text hold a decision to log */

void announce_params_from(struct announce_params *prm, const struct policy *p);
void announce_init(struct announce *a);

/* Can this edge serve VIP v now? Edge healthy and: no_region_up - some region the VIP may use is
 * up (active-active: any of its regions; active-passive: its serving region); local_region_down
 * - that, and edge.region is up and listed by the VIP. While the guard holds (or a fall
 * settles), regions are read from its frozen view, so a blind edge does not withdraw. why (may
 * be NULL) says which region decided.
 */
bool announce_can_serve(const struct policy *p, size_t v, const struct health *h, bool edge_healthy,
			char *why, size_t why_len);

/* One evaluation at now_ms with the current input; cause (may be NULL) is the why of
 * announce_can_serve, quoted in the event text. Returns ANNOUNCE_* bits.
 */
int announce_eval(struct announce *a, const struct announce_params *prm, bool can_serve,
		  const char *cause, uint64_t now_ms);
/* Operator drain on/off: takes effect at the next announce_eval. */
void announce_set_drain(struct announce *a, bool drain, uint64_t now_ms);
/* When announce_eval must run again without a new input (hold-down end, damping reuse, drain
 * wait); UINT64_MAX when nothing is pending.
 */
uint64_t announce_next_ms(const struct announce *a, const struct announce_params *prm,
			  uint64_t now_ms);
/* The damping penalty decayed to now_ms. */
double announce_penalty(const struct announce *a, const struct announce_params *prm,
			uint64_t now_ms);
/* BIRD_WANT_* flags (bird_conf.h) for a state: which protocols are to be enabled. Apply enables
 * before disables (socket and state files alike), so a drain or undrain never leaves a gap.
 */
unsigned int announce_wanted(enum announce_state s);

const char *announce_state_name(enum announce_state s);
const char *announce_event_name(enum announce_event e);

#endif /* ANYEDGE_ANNOUNCE_H */
