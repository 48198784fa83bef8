// SPDX-License-Identifier: GPL-2.0
/* The per-VIP announcement state machine: see announce.h for the rules. The damping arithmetic
 * is done here without libm (the build links none): 2^x and log2 to well under a millisecond of
 * the times they decide.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "announce.h"
#include "bird_conf.h"

/* ---- small math: 2^x for |x| < 1024 and log2 of a positive finite y ---- */

static double ann_exp2(double x)
{
	double r = 1, term = 1, f, ln2 = 0.69314718055994530942;
	int k, i;

	if (x > 1000)
		x = 1000;
	if (x < -1000)
		return 0;
	k = (int)x;
	if (k > x)
		k--; /* floor */
	f = (x - k) * ln2; /* 2^(x-k) = e^f, 0 <= f < ln 2: the series converges fast */
	for (i = 1; i < 20; i++) {
		term *= f / i;
		r += term;
	}
	for (; k > 0; k--)
		r *= 2;
	for (; k < 0; k++)
		r /= 2;
	return r;
}

static double ann_log2(double y)
{
	double r = 0, bit = 1;
	int i;

	if (y <= 0)
		return -1024;
	while (y >= 2) {
		y /= 2;
		r += 1;
	}
	while (y < 1) {
		y *= 2;
		r -= 1;
	}
	/* fraction bit by bit: squaring doubles the exponent */
	for (i = 0; i < 48; i++) {
		y *= y;
		bit /= 2;
		if (y >= 2) {
			y /= 2;
			r += bit;
		}
	}
	return r;
}

/* ---- parameters and state ---- */

void announce_params_from(struct announce_params *prm, const struct policy *p)
{
	prm->hold_down_ms = p->bgp.hold_down_ms;
	prm->drain_wait_ms = p->bgp.drain_wait_ms;
	prm->damping = p->bgp.damping;
}

void announce_init(struct announce *a)
{
	memset(a, 0, sizeof(*a));
}

unsigned int announce_wanted(enum announce_state s)
{
	switch (s) {
	case ANNOUNCE_ANNOUNCED:
		return BIRD_WANT_PLAIN;
	case ANNOUNCE_DRAINING:
		return BIRD_WANT_TWIN;
	default:
		return 0;
	}
}

const char *announce_state_name(enum announce_state s)
{
	static const char *const names[] = { "withdrawn", "announced", "draining" };

	return (unsigned int)s < 3 ? names[s] : "?";
}

const char *announce_event_name(enum announce_event e)
{
	static const char *const names[ANNOUNCE_EV_N] = {
		"none",	  "announce", "withdraw", "suppress", "hold",
		"damped", "reuse",    "drain",	  "drained",  "undrain",
	};

	return (unsigned int)e < ANNOUNCE_EV_N ? names[e] : "?";
}

/* ---- can this edge serve the VIP ---- */

static bool region_up(const struct health *h, size_t r)
{
	/* the guard freezes the last good view: announcing follows it, like steering */
	return health_view_region_up(h, r);
}

static bool vip_lists(const struct policy_vip *vip, int r)
{
	size_t i;

	for (i = 0; i < vip->n_regions; i++)
		if (vip->regions[i] == r)
			return true;
	return false;
}

bool announce_can_serve(const struct policy *p, size_t v, const struct health *h, bool edge_healthy,
			char *why, size_t why_len)
{
	const struct policy_vip *vip = &p->vips[v];
	const char *frozen = h->guard != GUARD_NONE ? " (guard: frozen view)" :
			     h->settle_until_ms	    ? " (settling)" :
						      "";
	char buf[8];
	int local = p->edge.region;
	size_t i, r, off;

	if (!why || !why_len) {
		why = buf;
		why_len = sizeof(buf);
	}
	if (!edge_healthy) {
		snprintf(why, why_len, "the edge is not healthy");
		return false;
	}
	if (vip->withdraw_when == WITHDRAW_LOCAL_REGION_DOWN &&
	    (local < 0 || !vip_lists(vip, local) || !region_up(h, local))) {
		snprintf(why, why_len, "edge.region %s is %s%s",
			 local >= 0 ? p->regions[local].name : "?",
			 local >= 0 && vip_lists(vip, local) ? "down" :
							       "not among the VIP's regions",
			 frozen);
		return false;
	}
	if (vip->mode == VIP_ACTIVE_PASSIVE) {
		/* only the serving region may take its flows; the others wait for a promotion */
		r = h->serving[v];
		if (r >= p->n_regions) {
			snprintf(why, why_len, "no serving region");
			return false;
		}
		snprintf(why, why_len, "serving region %s is %s%s", p->regions[r].name,
			 region_up(h, r) ? "up" : "down", frozen);
		return region_up(h, r);
	}
	for (i = 0; i < vip->n_regions; i++) {
		r = vip->regions[i];
		if (region_up(h, r)) {
			snprintf(why, why_len, "region %s is up%s", p->regions[r].name, frozen);
			return true;
		}
	}
	off = snprintf(why, why_len, "none of its regions is up (");
	for (i = 0; i < vip->n_regions && off < why_len; i++)
		off += snprintf(why + off, why_len - off, "%s%s", i ? ", " : "",
				p->regions[vip->regions[i]].name);
	if (off < why_len)
		snprintf(why + off, why_len - off, ")%s", frozen);
	return false;
}

/* ---- damping ---- */

double announce_penalty(const struct announce *a, const struct announce_params *prm,
			uint64_t now_ms)
{
	double dt;

	if (a->penalty <= 0 || !prm->damping.half_life_ms)
		return 0;
	dt = now_ms > a->penalty_ms ? (double)(now_ms - a->penalty_ms) : 0;
	return a->penalty * ann_exp2(-dt / prm->damping.half_life_ms);
}

/* The penalty from which decay to reuse takes max_suppress: no flap history keeps a prefix
 * suppressed longer than that.
 */
static double penalty_ceiling(const struct announce_params *prm)
{
	const struct policy_damping *d = &prm->damping;

	return d->reuse * ann_exp2((double)d->max_suppress_ms / d->half_life_ms);
}

/* When suppression ends: the penalty decays below reuse, or max_suppress has passed. Computed
 * from stored values only, so repeated calls agree to the millisecond.
 */
static uint64_t suppress_end_ms(const struct announce *a, const struct announce_params *prm)
{
	const struct policy_damping *d = &prm->damping;
	uint64_t end = a->suppressed_since_ms + d->max_suppress_ms, decay;

	if (a->penalty > d->reuse) {
		decay = (uint64_t)(d->half_life_ms * ann_log2(a->penalty / d->reuse)) + 1;
		if (a->penalty_ms + decay < end)
			end = a->penalty_ms + decay;
	} else if (a->penalty_ms < end) {
		end = a->penalty_ms;
	}
	return end;
}

/* ---- events ---- */

static void fmt_dur(char *buf, size_t len, uint64_t ms)
{
	if (ms % 1000 == 0 || ms >= 100000)
		snprintf(buf, len, "%llus", (unsigned long long)((ms + 999) / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
}

static int note(struct announce *a, enum announce_event ev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int note(struct announce *a, enum announce_event ev, const char *fmt, ...)
{
	va_list ap;

	a->event = ev;
	va_start(ap, fmt);
	vsnprintf(a->text, sizeof(a->text), fmt, ap);
	va_end(ap);
	return ANNOUNCE_EVENT;
}

static int set_state(struct announce *a, enum announce_state s, uint64_t now_ms)
{
	a->state = s;
	a->state_since_ms = now_ms;
	a->waiting = ANNOUNCE_EV_NONE;
	return ANNOUNCE_CHANGED;
}

/* ---- the machine ---- */

void announce_set_drain(struct announce *a, bool drain, uint64_t now_ms)
{
	if (a->drain == drain)
		return;
	a->drain = drain;
	a->drain_since_ms = now_ms;
}

static int withdraw(struct announce *a, const struct announce_params *prm, const char *cause,
		    uint64_t now_ms)
{
	const struct policy_damping *d = &prm->damping;
	bool flap = a->state == ANNOUNCE_ANNOUNCED && !a->drain;
	int ret = set_state(a, ANNOUNCE_WITHDRAWN, now_ms);
	double p, cap;
	char dur[32];

	a->held = true;
	if (!flap || !d->penalty)
		return ret | note(a, ANNOUNCE_EV_WITHDRAW, "withdraw: %s", cause);
	p = announce_penalty(a, prm, now_ms) + d->penalty;
	cap = penalty_ceiling(prm);
	a->penalty = p > cap ? cap : p;
	a->penalty_ms = now_ms;
	if (a->penalty <= d->suppress || a->suppressed)
		return ret | note(a, ANNOUNCE_EV_WITHDRAW, "withdraw: %s; damping penalty %.0f",
				  cause, a->penalty);
	a->suppressed = true;
	a->suppressed_since_ms = now_ms;
	fmt_dur(dur, sizeof(dur), suppress_end_ms(a, prm) - now_ms);
	return ret | note(a, ANNOUNCE_EV_SUPPRESS,
			  "withdraw: %s; damping penalty %.0f > suppress %u: re-announce "
			  "suppressed for %s",
			  cause, a->penalty, d->suppress, dur);
}

/* Can be served and not drained, but withdrawn: announce unless hold-down or damping says
 * wait. Each kind of wait is reported once.
 */
static int reannounce(struct announce *a, const struct announce_params *prm, const char *cause,
		      const char *reused, uint64_t now_ms)
{
	uint64_t hold_end = a->serve_since_ms + prm->hold_down_ms;
	char dur[32];

	if (a->held && now_ms < hold_end) {
		if (a->waiting == ANNOUNCE_EV_HOLD)
			return 0;
		a->waiting = ANNOUNCE_EV_HOLD;
		fmt_dur(dur, sizeof(dur), hold_end - now_ms);
		return note(a, ANNOUNCE_EV_HOLD,
			    "hold-down: %s; re-announce in %s if it stays so%s", cause, dur,
			    reused);
	}
	if (a->suppressed) {
		if (a->waiting == ANNOUNCE_EV_DAMPED)
			return 0;
		a->waiting = ANNOUNCE_EV_DAMPED;
		fmt_dur(dur, sizeof(dur), suppress_end_ms(a, prm) - now_ms);
		return note(a, ANNOUNCE_EV_DAMPED,
			    "damping: %s, but the prefix is suppressed (penalty %.0f, reuse %u): "
			    "re-announce in %s",
			    cause, announce_penalty(a, prm, now_ms), prm->damping.reuse, dur);
	}
	fmt_dur(dur, sizeof(dur), prm->hold_down_ms);
	note(a, ANNOUNCE_EV_ANNOUNCE, "announce: %s%s%s%s", cause,
	     a->held && prm->hold_down_ms ? " for hold_down " : "",
	     a->held && prm->hold_down_ms ? dur : "", reused);
	a->held = false;
	return set_state(a, ANNOUNCE_ANNOUNCED, now_ms) | ANNOUNCE_EVENT;
}

int announce_eval(struct announce *a, const struct announce_params *prm, bool can_serve,
		  const char *cause, uint64_t now_ms)
{
	bool first = !a->started;
	const char *reused = "";
	char dur[32];
	int ret = 0;

	a->event = ANNOUNCE_EV_NONE;
	a->text[0] = '\0';
	if (!cause)
		cause = can_serve ? "can be served" : "cannot be served";
	if (can_serve && (!a->serve || first))
		a->serve_since_ms = now_ms;
	a->serve = can_serve;
	a->started = true;
	if (first)
		ret |= ANNOUNCE_CHANGED; /* the caller applies the initial state */

	if (a->suppressed && now_ms >= suppress_end_ms(a, prm)) {
		a->suppressed = false;
		reused = "; damping no longer suppresses it";
		ret |= note(a, ANNOUNCE_EV_REUSE, "damping: penalty %.0f, no longer suppressed",
			    announce_penalty(a, prm, now_ms));
	}

	if (!can_serve) {
		if (a->state != ANNOUNCE_WITHDRAWN)
			return ret | withdraw(a, prm, cause, now_ms);
		a->waiting = ANNOUNCE_EV_NONE;
		if (first)
			ret |= note(a, ANNOUNCE_EV_WITHDRAW, "not announced: %s", cause);
		return ret;
	}
	if (a->drain) {
		if (a->state == ANNOUNCE_ANNOUNCED) {
			fmt_dur(dur, sizeof(dur), prm->drain_wait_ms);
			return ret | set_state(a, ANNOUNCE_DRAINING, now_ms) |
			       note(a, ANNOUNCE_EV_DRAIN,
				    "drain: announced by the drain twin (GRACEFUL_SHUTDOWN, AS-path "
				    "prepends); withdraw in %s",
				    dur);
		}
		if (a->state == ANNOUNCE_DRAINING &&
		    now_ms >= a->drain_since_ms + prm->drain_wait_ms) {
			fmt_dur(dur, sizeof(dur), prm->drain_wait_ms);
			return ret | set_state(a, ANNOUNCE_WITHDRAWN, now_ms) |
			       note(a, ANNOUNCE_EV_DRAINED, "drain: withdrawn after drain_wait %s",
				    dur);
		}
		if (first && a->state == ANNOUNCE_WITHDRAWN)
			ret |= note(a, ANNOUNCE_EV_WITHDRAW, "not announced: the edge is drained");
		return ret;
	}
	if (a->state == ANNOUNCE_DRAINING)
		return ret | set_state(a, ANNOUNCE_ANNOUNCED, now_ms) |
		       note(a, ANNOUNCE_EV_UNDRAIN,
			    "undrain: announced again by the plain protocol (%s)", cause);
	if (a->state == ANNOUNCE_ANNOUNCED)
		return ret;
	return ret | reannounce(a, prm, cause, reused, now_ms);
}

uint64_t announce_next_ms(const struct announce *a, const struct announce_params *prm,
			  uint64_t now_ms)
{
	uint64_t t = now_ms, end;

	if (!a->started)
		return now_ms;
	if (a->state == ANNOUNCE_DRAINING && a->drain)
		return a->drain_since_ms + prm->drain_wait_ms;
	if (a->state == ANNOUNCE_WITHDRAWN && a->serve && !a->drain) {
		if (a->held && a->serve_since_ms + prm->hold_down_ms > t)
			t = a->serve_since_ms + prm->hold_down_ms;
		if (a->suppressed && (end = suppress_end_ms(a, prm)) > t)
			t = end;
		return t;
	}
	if (a->suppressed) /* to report the reuse when it happens */
		return suppress_end_ms(a, prm);
	return UINT64_MAX;
}
