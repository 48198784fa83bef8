// SPDX-License-Identifier: GPL-2.0
/* The guard against the edge's own blindness. A region whose backends fail is acted on, at any
 * size; steering freezes at the last good view only on evidence that the edge itself is the
 * problem: its link down, its gateway unresolved, every probe failing with a local error, or
 * every region failing together (at least two of them, all within one settle window).
 *
 * A fall is applied once the edge proves it still sees (a probe started after the failure
 * passed), or after a settle window (the longest probe interval + timeout: the time every other
 * backend needs to show the same failure if the cause is the edge). So a blind edge never
 * withdraws first and re-announces later; a lone region's loss waits for one passing probe.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "health_impl.h"
#include "log.h"

const char *health_guard_name(enum guard_reason g)
{
	static const char *const names[GUARD_N] = {
		[GUARD_NONE] = "none",
		[GUARD_LINK_DOWN] = "link_down",
		[GUARD_NO_GATEWAY] = "gateway_unresolved",
		[GUARD_LOCAL_ERRORS] = "local_probe_errors",
		[GUARD_ALL_REGIONS] = "all_regions_failed",
	};

	return (unsigned int)g < GUARD_N ? names[g] : "?";
}

/* The longest interval + timeout of any backend's probe: a failure every backend shares shows
 * on all of them within this time of the first.
 */
static uint64_t guard_settle_ms(const struct health *h)
{
	uint64_t m = 0, t;
	size_t i;

	for (i = 0; i < h->n_b; i++) {
		const struct policy_probe *c = &health_backend_policy(h, i)->probe;

		t = (uint64_t)c->interval_ms + c->timeout_ms;
		if (t > m)
			m = t;
	}
	return m;
}

/* After the guard lets go: time for backends to prove themselves again (rise) before what
 * they show is believed.
 */
static uint64_t guard_reprove_ms(const struct health *h)
{
	uint64_t m = 0, t;
	size_t i;

	for (i = 0; i < h->n_b; i++) {
		const struct policy_probe *c = &health_backend_policy(h, i)->probe;

		t = (uint64_t)c->interval_ms * (c->rise ? c->rise : 1) + c->timeout_ms;
		if (t > m)
			m = t;
	}
	return m + guard_settle_ms(h);
}

bool health_holding(const struct health *h)
{
	return h->guard != GUARD_NONE || h->settle_until_ms;
}

bool health_view_region_up(const struct health *h, size_t r)
{
	return health_holding(h) ? h->frozen.region_up[r] : h->r[r].up;
}

/* Every backend's last probe failed with an error raised on this host (no route, no source
 * address): the probes never left the edge.
 */
static bool guard_all_local(const struct health *h)
{
	/* counted as results come (health_probe_result): this runs on every one of them */
	return h->n_b && h->n_local == h->n_b;
}

static enum guard_reason guard_reason(const struct health *h, char *why, size_t len)
{
	size_t r, up = 0, fell = 0;

	why[0] = '\0';
	if (!h->armed || !h->p->safety.guard)
		return GUARD_NONE;
	if (!h->link_up) {
		snprintf(why, len, "link %s is down", h->p->edge.interface);
		return GUARD_LINK_DOWN;
	}
	if (!h->gateway_ok) {
		snprintf(why, len, "the gateway's MAC address is not resolved");
		return GUARD_NO_GATEWAY;
	}
	if (guard_all_local(h)) {
		snprintf(why, len, "every probe of %zu backends failed on this host (last: %.60s)",
			 h->n_b, h->b[0].last.why);
		return GUARD_LOCAL_ERRORS;
	}
	for (r = 0; r < h->p->n_regions; r++) {
		up += h->r[r].up;
		fell += h->r[r].suspect;
	}
	if (h->p->n_regions >= 2 && !up && fell >= 2) {
		snprintf(why, len, "all %zu regions down, %zu of them within %.1f s of each other",
			 h->p->n_regions, fell, guard_settle_ms(h) / 1000.0);
		return GUARD_ALL_REGIONS;
	}
	return GUARD_NONE;
}

void health_settle(struct health *h, uint64_t now_ms, uint64_t from_ms, const char *what,
		   bool extend)
{
	uint64_t until = from_ms + guard_settle_ms(h);

	if (h->guard != GUARD_NONE || !h->armed || !h->p->safety.guard)
		return;
	/* a pass proves sight only if its probe started after this failure too */
	if (now_ms > h->settle_anchor_ms)
		h->settle_anchor_ms = now_ms;
	h->settle_seen = false;
	if (h->settle_until_ms && (!extend || h->settle_until_ms >= until))
		return;
	if (!h->settle_until_ms)
		pr_info("%s: applied within %.1f s unless the edge proves blind\n", what,
			guard_settle_ms(h) / 1000.0);
	h->settle_until_ms = until;
	h->settle_reprove = false;
}

void health_settle_pass(struct health *h, uint64_t started_ms)
{
	/* the edge saw a backend answer after the failures began: it is not blind */
	if (h->settle_until_ms && !h->settle_reprove && h->guard == GUARD_NONE &&
	    started_ms > h->settle_anchor_ms)
		h->settle_seen = true;
}

/* When region r's fall began: its earliest backend failure within one settle window of now (a
 * backend dead for long is no part of this event), else now. A blind edge's failures all show
 * within a window of the first, so each region is judged from its own first failure.
 */
static uint64_t guard_fall_start(const struct health *h, size_t r, uint64_t now_ms)
{
	size_t first = dp_backend_id(h->p, r, 0), k;
	uint64_t t = now_ms, w = guard_settle_ms(h);
	const struct backend_health *b;

	for (k = 0; k < h->p->regions[r].n_backends; k++) {
		b = &h->b[first + k];
		if (!b->up && b->since_ms < t && b->since_ms + w >= now_ms)
			t = b->since_ms;
	}
	return t;
}

void health_eval_guard(struct health *h, uint64_t now_ms, const char *cause)
{
	enum guard_reason g;
	char why[sizeof(h->guard_why)];
	size_t r;

	if (!h->armed) {
		for (r = 0; r < h->p->n_regions; r++)
			h->armed |= h->r[r].up;
		if (h->armed)
			pr_info("guard armed: a region is up\n");
	}
	g = guard_reason(h, why, sizeof(why));
	if (g != GUARD_NONE && h->guard == GUARD_NONE) {
		h->guard = g;
		h->guard_since_ms = now_ms;
		h->guard_entered[g]++;
		snprintf(h->guard_why, sizeof(h->guard_why), "%s", why);
		h->changes++;
		pr_warn("GUARD ENTERED (%s): %s%s%s; the edge is more likely blind than the world: "
			"steering and announcements frozen at the last good view, not ready\n",
			health_guard_name(g), why, *cause ? "; last: " : "", cause);
	} else if (g != GUARD_NONE && g != h->guard) {
		pr_warn("guard holds, now for %s: %s\n", health_guard_name(g), why);
		h->guard = g;
		h->guard_entered[g]++;
		snprintf(h->guard_why, sizeof(h->guard_why), "%s", why);
		h->changes++;
	} else if (g == GUARD_NONE && h->guard != GUARD_NONE) {
		pr_warn("GUARD LEFT (%s)%s%s; backends get %.1f s to prove themselves before "
			"steering follows the probes again\n",
			health_guard_name(h->guard), *cause ? ": " : "", cause,
			guard_reprove_ms(h) / 1000.0);
		h->guard = GUARD_NONE;
		h->guard_why[0] = '\0';
		h->settle_until_ms = now_ms + guard_reprove_ms(h);
		h->settle_reprove = true;
		h->changes++;
	}
	for (r = 0; r < h->p->n_regions; r++)
		if (h->r[r].suspect && !h->r[r].settling) {
			/* each region's fall gets a whole window from its first failure */
			h->r[r].settling = true;
			health_settle(h, now_ms, guard_fall_start(h, r, now_ms), "a region is down",
				      true);
		}
}

uint64_t health_next_ms(const struct health *h)
{
	return h->guard == GUARD_NONE && h->settle_until_ms ? h->settle_until_ms : UINT64_MAX;
}

void health_tick(struct health *h, uint64_t now_ms)
{
	size_t r;

	health_eval_guard(h, now_ms, "");
	if (h->guard != GUARD_NONE || !h->settle_until_ms ||
	    (now_ms < h->settle_until_ms && !h->settle_seen))
		return;
	/* the window passed and the edge saw itself fine: what fell, fell */
	h->settle_until_ms = 0;
	h->settle_seen = h->settle_reprove = false;
	for (r = 0; r < h->p->n_regions; r++) {
		if (h->r[r].suspect && !h->r[r].up)
			pr_warn("region %s down: applied (%s)\n", h->p->regions[r].name,
				h->r[r].why);
		h->r[r].suspect = h->r[r].settling = false;
	}
	health_auto_promote(h, now_ms);
	health_changed(h);
}

void health_set_edge(struct health *h, bool link_up, bool gateway_ok, uint64_t now_ms)
{
	if (h->link_up == link_up && h->gateway_ok == gateway_ok)
		return;
	h->link_up = link_up;
	h->gateway_ok = gateway_ok;
	health_eval_guard(h, now_ms, link_up ? (gateway_ok ? "edge facts" : "gateway") : "link");
}
