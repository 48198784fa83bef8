// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the announcement state machine: start, immediate withdrawal, hold-down,
 * damping (penalty numbers, suppression, reuse, max_suppress), drain, and which regions decide
 * (withdraw_when, active-passive, the guard).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "announce.h"
#include "bird_conf.h"

/* hold_down 10s, drain_wait 30s, damping defaults (1000, 60s, 2000, 750, 10m) */
static const struct announce_params defaults = {
	.hold_down_ms = 10000,
	.drain_wait_ms = 30000,
	.damping = { 1000, 60000, 2000, 750, 600000 },
};

static void assert_near(double got, double want, double tol)
{
	if (got < want - tol || got > want + tol) {
		print_message("got %f, want %f +- %f\n", got, want, tol);
		fail();
	}
}

static void assert_text(const struct announce *a, const char *sub)
{
	if (!strstr(a->text, sub)) {
		print_message("event text '%s' lacks '%s'\n", a->text, sub);
		fail();
	}
}

/* Announce at t (no hold-down pending), as a started machine. */
static void start_announced(struct announce *a, const struct announce_params *prm, uint64_t t)
{
	announce_init(a);
	assert_int_equal(announce_eval(a, prm, true, "region r1 is up", t),
			 ANNOUNCE_CHANGED | ANNOUNCE_EVENT);
	assert_int_equal(a->state, ANNOUNCE_ANNOUNCED);
}

static void test_start(void **state)
{
	struct announce a;

	announce_init(&a);
	assert_int_equal(announce_next_ms(&a, &defaults, 5), 5);
	assert_int_equal(announce_eval(&a, &defaults, true, "region r1 is up", 1000),
			 ANNOUNCE_CHANGED | ANNOUNCE_EVENT);
	assert_int_equal(a.state, ANNOUNCE_ANNOUNCED);
	assert_int_equal(a.event, ANNOUNCE_EV_ANNOUNCE);
	assert_string_equal(a.text, "announce: region r1 is up");
	assert_int_equal(announce_wanted(a.state), BIRD_WANT_PLAIN);
	/* steady: nothing to do, nothing to say */
	assert_int_equal(announce_eval(&a, &defaults, true, "region r1 is up", 2000), 0);
	assert_int_equal(a.event, ANNOUNCE_EV_NONE);
	assert_int_equal(announce_next_ms(&a, &defaults, 2000), UINT64_MAX);

	/* cannot serve at start: the initial state is still reported, to be applied */
	announce_init(&a);
	assert_int_equal(announce_eval(&a, &defaults, false, "none of its regions is up", 0),
			 ANNOUNCE_CHANGED | ANNOUNCE_EVENT);
	assert_int_equal(a.state, ANNOUNCE_WITHDRAWN);
	assert_string_equal(a.text, "not announced: none of its regions is up");
	assert_int_equal(announce_wanted(a.state), 0);
	/* the first announce after a start without service waits for no hold-down */
	assert_int_equal(announce_eval(&a, &defaults, true, "region r1 is up", 3000),
			 ANNOUNCE_CHANGED | ANNOUNCE_EVENT);
	assert_int_equal(a.state, ANNOUNCE_ANNOUNCED);
}

static void test_withdraw_immediately(void **state)
{
	struct announce a;

	start_announced(&a, &defaults, 0);
	assert_int_equal(announce_eval(&a, &defaults, false, "none of its regions is up", 5000),
			 ANNOUNCE_CHANGED | ANNOUNCE_EVENT);
	assert_int_equal(a.state, ANNOUNCE_WITHDRAWN);
	assert_int_equal(a.event, ANNOUNCE_EV_WITHDRAW);
	assert_string_equal(a.text, "withdraw: none of its regions is up; damping penalty 1000");
	assert_int_equal(a.state_since_ms, 5000);
	/* still down: nothing more */
	assert_int_equal(announce_eval(&a, &defaults, false, "x", 6000), 0);
	assert_int_equal(announce_next_ms(&a, &defaults, 6000), UINT64_MAX);
}

static void test_hold_down(void **state)
{
	struct announce a;

	start_announced(&a, &defaults, 0);
	announce_eval(&a, &defaults, false, "down", 5000);
	/* back at 6s: waits 10s, said once */
	assert_int_equal(announce_eval(&a, &defaults, true, "region r1 is up", 6000),
			 ANNOUNCE_EVENT);
	assert_int_equal(a.event, ANNOUNCE_EV_HOLD);
	assert_string_equal(a.text,
			    "hold-down: region r1 is up; re-announce in 10s if it stays so");
	assert_int_equal(announce_next_ms(&a, &defaults, 6000), 16000);
	assert_int_equal(announce_eval(&a, &defaults, true, "region r1 is up", 15999), 0);
	assert_int_equal(a.state, ANNOUNCE_WITHDRAWN);
	/* a dip restarts the hold-down */
	assert_int_equal(announce_eval(&a, &defaults, false, "down", 15999), 0);
	assert_int_equal(announce_eval(&a, &defaults, true, "region r1 is up", 17000),
			 ANNOUNCE_EVENT);
	assert_int_equal(a.event, ANNOUNCE_EV_HOLD);
	assert_int_equal(announce_next_ms(&a, &defaults, 17000), 27000);
	assert_int_equal(announce_eval(&a, &defaults, true, "region r1 is up", 27000),
			 ANNOUNCE_CHANGED | ANNOUNCE_EVENT);
	assert_int_equal(a.state, ANNOUNCE_ANNOUNCED);
	assert_string_equal(a.text, "announce: region r1 is up for hold_down 10s");
}

/* Flap at the given instants (announced before each, hold-down off). */
static void flap(struct announce *a, const struct announce_params *prm, uint64_t t)
{
	if (a->state != ANNOUNCE_ANNOUNCED)
		assert_true(announce_eval(a, prm, true, "up", t) & ANNOUNCE_CHANGED);
	assert_int_equal(a->state, ANNOUNCE_ANNOUNCED);
	assert_true(announce_eval(a, prm, false, "down", t) & ANNOUNCE_CHANGED);
	assert_int_equal(a->state, ANNOUNCE_WITHDRAWN);
}

static void test_damping_penalty(void **state)
{
	struct announce_params prm = defaults;
	struct announce a;

	prm.hold_down_ms = 0;
	start_announced(&a, &prm, 0);
	flap(&a, &prm, 0);
	assert_near(announce_penalty(&a, &prm, 0), 1000, 1e-6);
	/* halves every half_life */
	assert_near(announce_penalty(&a, &prm, 60000), 500, 1e-6);
	assert_near(announce_penalty(&a, &prm, 120000), 250, 1e-6);
	assert_near(announce_penalty(&a, &prm, 30000), 707.106781, 1e-3);
	/* flaps every 10s: 1000, 1000 * 2^(-1/6) + 1000, then over suppress */
	flap(&a, &prm, 10000);
	assert_near(announce_penalty(&a, &prm, 10000), 1890.899, 1e-2);
	assert_int_equal(a.event, ANNOUNCE_EV_WITHDRAW);
	assert_false(a.suppressed);
	flap(&a, &prm, 20000);
	assert_near(announce_penalty(&a, &prm, 20000), 2684.602, 1e-2);
	assert_int_equal(a.event, ANNOUNCE_EV_SUPPRESS);
	assert_true(a.suppressed);
	/* 60s * log2(2684.602 / 750) = 110.39s */
	assert_string_equal(a.text, "withdraw: down; damping penalty 2685 > suppress 2000: "
				    "re-announce suppressed for 111s");
	/* penalty 0 turns damping off */
	prm.damping.penalty = 0;
	start_announced(&a, &prm, 0);
	flap(&a, &prm, 0);
	flap(&a, &prm, 1);
	flap(&a, &prm, 2);
	assert_false(a.suppressed);
	assert_near(announce_penalty(&a, &prm, 2), 0, 0);
	assert_string_equal(a.text, "withdraw: down");
}

static void test_suppress_and_reuse(void **state)
{
	struct announce_params prm = defaults;
	struct announce a;
	uint64_t reuse;

	start_announced(&a, &prm, 0);
	flap(&a, &prm, 0);
	prm.hold_down_ms = 0;
	flap(&a, &prm, 10000);
	flap(&a, &prm, 20000);
	assert_true(a.suppressed);
	prm.hold_down_ms = 10000;
	/* back up at once: hold-down first, then damping */
	assert_int_equal(announce_eval(&a, &prm, true, "region r1 is up", 20000), ANNOUNCE_EVENT);
	assert_int_equal(a.event, ANNOUNCE_EV_HOLD);
	reuse = announce_next_ms(&a, &prm, 20000);
	assert_int_equal(reuse, 20000 + 110385); /* 60s * log2(2684.599 / 750), rounded up */
	assert_int_equal(announce_eval(&a, &prm, true, "region r1 is up", 30000), ANNOUNCE_EVENT);
	assert_int_equal(a.event, ANNOUNCE_EV_DAMPED);
	assert_string_equal(a.text, "damping: region r1 is up, but the prefix is suppressed "
				    "(penalty 2392, reuse 750): re-announce in 101s");
	assert_int_equal(announce_eval(&a, &prm, true, "region r1 is up", reuse - 1), 0);
	assert_int_equal(a.state, ANNOUNCE_WITHDRAWN);
	assert_near(announce_penalty(&a, &prm, reuse), 750, 0.1);
	assert_int_equal(announce_eval(&a, &prm, true, "region r1 is up", reuse),
			 ANNOUNCE_CHANGED | ANNOUNCE_EVENT);
	assert_int_equal(a.state, ANNOUNCE_ANNOUNCED);
	assert_false(a.suppressed);
	assert_text(&a, "announce: region r1 is up for hold_down 10s; damping no longer "
			"suppresses it");
	/* the penalty stays: one more flap soon suppresses again */
	prm.hold_down_ms = 0;
	flap(&a, &prm, reuse + 1000);
	assert_false(a.suppressed);
	flap(&a, &prm, reuse + 2000);
	assert_true(a.suppressed);

	/* the reuse is reported even while it cannot be served */
	start_announced(&a, &prm, 0);
	flap(&a, &prm, 0);
	flap(&a, &prm, 1);
	flap(&a, &prm, 2);
	assert_true(a.suppressed);
	reuse = announce_next_ms(&a, &prm, 3);
	assert_true(reuse > 100000 && reuse < 200000);
	assert_int_equal(announce_eval(&a, &prm, false, "down", reuse), ANNOUNCE_EVENT);
	assert_int_equal(a.event, ANNOUNCE_EV_REUSE);
	assert_false(a.suppressed);
	assert_int_equal(announce_next_ms(&a, &prm, reuse), UINT64_MAX);
}

static void test_max_suppress(void **state)
{
	struct announce_params prm = defaults;
	struct announce a;

	/* a huge penalty is capped at reuse * 2^(max_suppress / half_life) = 750 * 4 */
	prm.hold_down_ms = 0;
	prm.damping.penalty = 100000;
	prm.damping.max_suppress_ms = 120000;
	start_announced(&a, &prm, 0);
	flap(&a, &prm, 1000);
	assert_true(a.suppressed);
	assert_near(announce_penalty(&a, &prm, 1000), 3000, 1e-6);
	assert_int_equal(announce_next_ms(&a, &prm, 1000), 121000);
	assert_int_equal(announce_eval(&a, &prm, true, "up", 120999), ANNOUNCE_EVENT);
	assert_int_equal(a.event, ANNOUNCE_EV_DAMPED);
	assert_int_equal(announce_eval(&a, &prm, true, "up", 121000),
			 ANNOUNCE_CHANGED | ANNOUNCE_EVENT);
	assert_int_equal(a.state, ANNOUNCE_ANNOUNCED);

	/* a ceiling below suppress never suppresses (half_life 60s, max_suppress 30s) */
	prm.damping.max_suppress_ms = 30000;
	start_announced(&a, &prm, 0);
	flap(&a, &prm, 0);
	flap(&a, &prm, 1);
	assert_false(a.suppressed);
	assert_near(announce_penalty(&a, &prm, 1), 1060.66, 0.01);
}

static void test_drain(void **state)
{
	struct announce a;

	start_announced(&a, &defaults, 0);
	announce_set_drain(&a, true, 1000);
	assert_int_equal(announce_eval(&a, &defaults, true, "up", 1000),
			 ANNOUNCE_CHANGED | ANNOUNCE_EVENT);
	assert_int_equal(a.state, ANNOUNCE_DRAINING);
	assert_int_equal(a.event, ANNOUNCE_EV_DRAIN);
	assert_string_equal(a.text, "drain: announced by the drain twin (GRACEFUL_SHUTDOWN, "
				    "AS-path prepends); withdraw in 30s");
	assert_int_equal(announce_wanted(a.state), BIRD_WANT_TWIN);
	assert_int_equal(announce_next_ms(&a, &defaults, 1000), 31000);
	assert_int_equal(announce_eval(&a, &defaults, true, "up", 30999), 0);
	assert_int_equal(announce_eval(&a, &defaults, true, "up", 31000),
			 ANNOUNCE_CHANGED | ANNOUNCE_EVENT);
	assert_int_equal(a.state, ANNOUNCE_WITHDRAWN);
	assert_int_equal(a.event, ANNOUNCE_EV_DRAINED);
	assert_string_equal(a.text, "drain: withdrawn after drain_wait 30s");
	assert_near(announce_penalty(&a, &defaults, 31000), 0, 0); /* no flap */
	assert_int_equal(announce_eval(&a, &defaults, true, "up", 40000), 0);
	assert_int_equal(announce_next_ms(&a, &defaults, 40000), UINT64_MAX);
	/* undrain: at once, no hold-down (the drain was no health withdrawal) */
	announce_set_drain(&a, false, 50000);
	assert_int_equal(announce_eval(&a, &defaults, true, "up", 50000),
			 ANNOUNCE_CHANGED | ANNOUNCE_EVENT);
	assert_int_equal(a.state, ANNOUNCE_ANNOUNCED);

	/* undrain before drain_wait: back to the plain protocol */
	announce_set_drain(&a, true, 60000);
	announce_eval(&a, &defaults, true, "up", 60000);
	announce_set_drain(&a, false, 61000);
	assert_int_equal(announce_eval(&a, &defaults, true, "up", 61000),
			 ANNOUNCE_CHANGED | ANNOUNCE_EVENT);
	assert_int_equal(a.state, ANNOUNCE_ANNOUNCED);
	assert_int_equal(a.event, ANNOUNCE_EV_UNDRAIN);

	/* cannot serve while draining: withdrawn at once, no penalty */
	announce_set_drain(&a, true, 70000);
	announce_eval(&a, &defaults, true, "up", 70000);
	assert_int_equal(announce_eval(&a, &defaults, false, "down", 70001),
			 ANNOUNCE_CHANGED | ANNOUNCE_EVENT);
	assert_int_equal(a.state, ANNOUNCE_WITHDRAWN);
	assert_near(announce_penalty(&a, &defaults, 70001), 0, 0);
	/* drained at start: nothing is announced */
	announce_init(&a);
	announce_set_drain(&a, true, 0);
	assert_int_equal(announce_eval(&a, &defaults, true, "up", 0),
			 ANNOUNCE_CHANGED | ANNOUNCE_EVENT);
	assert_int_equal(a.state, ANNOUNCE_WITHDRAWN);
}

/* ---- announce_can_serve ---- */

static const char yaml[] =
	"edge: {name: e1, interface: eth0, region: r1, encap_source: {ipv4: 192.0.2.10}}\n"
	"regions:\n"
	"  - {name: r1, backends: [{address: 198.51.100.1}]}\n"
	"  - {name: r2, backends: [{address: 198.51.100.2}]}\n"
	"  - {name: r3, backends: [{address: 198.51.100.3}]}\n"
	"probe: {port: 8080}\n"
	"vips:\n"
	"  - {name: any, address: 192.0.2.1, ports: [tcp/80], regions: [r1, r2],\n"
	"     announce: {prefix: 192.0.2.1/32}}\n"
	"  - {name: local, address: 192.0.2.2, ports: [tcp/80], regions: [r2, r1],\n"
	"     announce: {prefix: 192.0.2.2/32, withdraw_when: local_region_down}}\n"
	"  - {name: db, address: 192.0.2.3, ports: [tcp/80], mode: active-passive,\n"
	"     primary: r2, regions: [r2, r3], announce: {prefix: 192.0.2.3/32}}\n";

static struct policy *load(void)
{
	struct policy *p = NULL;

	assert_int_equal(
		policy_load_buf("t.yaml", yaml, strlen(yaml), &p, policy_diag_stderr, stderr), 0);
	return p;
}

static void test_can_serve(void **state)
{
	struct policy *p = load();
	static struct health h;
	char why[160];

	memset(&h, 0, sizeof(h));
	h.p = p;
	h.serving[2] = 1; /* db served from r2 */
	assert_false(announce_can_serve(p, 0, &h, true, why, sizeof(why)));
	assert_string_equal(why, "none of its regions is up (r1, r2)");
	h.r[1].up = true;
	assert_true(announce_can_serve(p, 0, &h, true, why, sizeof(why)));
	assert_string_equal(why, "region r2 is up");
	assert_false(announce_can_serve(p, 0, &h, false, why, sizeof(why)));
	assert_string_equal(why, "the edge is not healthy");
	assert_true(announce_can_serve(p, 0, &h, true, NULL, 0));

	/* withdraw_when local_region_down: r2 up is not enough */
	assert_false(announce_can_serve(p, 1, &h, true, why, sizeof(why)));
	assert_string_equal(why, "edge.region r1 is down");
	h.r[0].up = true;
	assert_true(announce_can_serve(p, 1, &h, true, why, sizeof(why)));
	h.r[1].up = false;
	assert_true(announce_can_serve(p, 1, &h, true, why, sizeof(why)));
	assert_string_equal(why, "region r1 is up");

	/* active-passive: only the serving region counts */
	assert_false(announce_can_serve(p, 2, &h, true, why, sizeof(why)));
	assert_string_equal(why, "serving region r2 is down");
	h.r[2].up = true;
	assert_false(announce_can_serve(p, 2, &h, true, why, sizeof(why)));
	h.serving[2] = 2; /* promoted to r3 */
	assert_true(announce_can_serve(p, 2, &h, true, why, sizeof(why)));
	assert_string_equal(why, "serving region r3 is up");
	policy_free(p);
}

static void test_guard_keeps_announcing(void **state)
{
	struct policy *p = load();
	struct announce_params prm;
	static struct health h;
	struct announce a;
	char why[160];
	bool ok;

	announce_params_from(&prm, p);
	memset(&h, 0, sizeof(h));
	h.p = p;
	h.r[0].up = h.r[1].up = true;
	ok = announce_can_serve(p, 1, &h, true, why, sizeof(why));
	announce_init(&a);
	announce_eval(&a, &prm, ok, why, 0);
	assert_int_equal(a.state, ANNOUNCE_ANNOUNCED);
	/* every backend fails at once: live regions down, the frozen view still up */
	h.r[0].up = h.r[1].up = false;
	h.guard = GUARD_ALL_REGIONS;
	h.frozen.region_up[0] = h.frozen.region_up[1] = true;
	ok = announce_can_serve(p, 1, &h, true, why, sizeof(why));
	assert_true(ok);
	assert_string_equal(why, "region r2 is up (guard: frozen view)");
	assert_int_equal(announce_eval(&a, &prm, ok, why, 1000), 0);
	assert_int_equal(a.state, ANNOUNCE_ANNOUNCED);
	assert_true(announce_can_serve(p, 0, &h, true, NULL, 0));
	/* a region already down in the frozen view stays down */
	h.frozen.region_up[0] = false;
	assert_false(announce_can_serve(p, 1, &h, true, why, sizeof(why)));
	assert_string_equal(why, "edge.region r1 is down (guard: frozen view)");
	/* the edge itself unhealthy still withdraws while the guard holds */
	assert_false(announce_can_serve(p, 0, &h, false, why, sizeof(why)));
	policy_free(p);
}

static void test_names(void **state)
{
	assert_string_equal(announce_state_name(ANNOUNCE_DRAINING), "draining");
	assert_string_equal(announce_event_name(ANNOUNCE_EV_SUPPRESS), "suppress");
	assert_string_equal(announce_event_name(ANNOUNCE_EV_UNDRAIN), "undrain");
	assert_string_equal(announce_event_name(ANNOUNCE_EV_N), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start),
		cmocka_unit_test(test_withdraw_immediately),
		cmocka_unit_test(test_hold_down),
		cmocka_unit_test(test_damping_penalty),
		cmocka_unit_test(test_suppress_and_reuse),
		cmocka_unit_test(test_max_suppress),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_can_serve),
		cmocka_unit_test(test_guard_keeps_announcing),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
