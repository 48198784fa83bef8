// SPDX-License-Identifier: GPL-2.0
/* Unit tests of backend health and region state: rise/fall, min_healthy, drains, the guard
 * against the edge's own blindness, active-passive promotion (operator and auto_promote: local),
 * the one promotion rule replay shares, readiness and rebind.
 * Probe results are fed by hand and time is a number; log events are captured and checked.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "health.h"
#include "log.h"

/* eu-west 2 backends (min 1), us-east 3 (min 50% = 2): us-east holds most backends */
static const char base_yaml[] =
	"edge: {name: e1, interface: eth0, region: eu-west, encap_source: {ipv4: 192.0.2.10}}\n"
	"regions:\n"
	"  - name: eu-west\n"
	"    min_healthy: 1\n"
	"    backends: [{address: 198.51.100.21}, {address: 198.51.100.22}]\n"
	"  - name: us-east\n"
	"    min_healthy: 50%\n"
	"    backends: [{address: 198.51.100.11}, {address: 198.51.100.12},\n"
	"               {address: 198.51.100.13}]\n"
	"probe: {type: http, port: 8080, rise: 2, fall: 2, max_replica_lag: 10s}\n"
	"vips:\n"
	"  - {name: web, address: 192.0.2.1, ports: [tcp/443], regions: [eu-west, us-east]}\n"
	"  - {name: db, address: 192.0.2.2, ports: [tcp/5432], mode: active-passive,\n"
	"     primary: eu-west, regions: [eu-west, us-east]}\n";

/* The same with auto_promote: local on db, and us-east's lag limit at 5 s. */
static const char auto_yaml[] =
	"edge: {name: e1, interface: eth0, region: eu-west, encap_source: {ipv4: 192.0.2.10}}\n"
	"regions:\n"
	"  - name: eu-west\n"
	"    backends: [{address: 198.51.100.21}, {address: 198.51.100.22}]\n"
	"  - name: us-east\n"
	"    probe: {max_replica_lag: 5s}\n"
	"    backends: [{address: 198.51.100.11}, {address: 198.51.100.12},\n"
	"               {address: 198.51.100.13}]\n"
	"probe: {type: http, port: 8080, rise: 2, fall: 2}\n"
	"vips:\n"
	"  - {name: db, address: 192.0.2.2, ports: [tcp/5432], mode: active-passive,\n"
	"     primary: eu-west, auto_promote: local, regions: [eu-west, us-east]}\n";

/* Backend indices in base_yaml (dp_backend_id order). */
enum { EU1, EU2, US1, US2, US3, NB };
enum { EU, US };

static struct policy *load(const char *yaml)
{
	struct policy *p = NULL;

	assert_int_equal(
		policy_load_buf("t.yaml", yaml, strlen(yaml), &p, policy_diag_stderr, stderr), 0);
	return p;
}

/* ---- log capture: log.c writes to stderr, which glibc lets us point elsewhere ---- */

static char *cap_buf;
static size_t cap_len;
static FILE *cap_saved;

static void cap_begin(void)
{
	fflush(stderr);
	cap_saved = stderr;
	free(cap_buf);
	cap_buf = NULL;
	stderr = open_memstream(&cap_buf, &cap_len);
	assert_non_null(stderr);
}

static const char *cap_end(void)
{
	fclose(stderr);
	stderr = cap_saved;
	cap_saved = NULL;
	return cap_buf;
}

/* A failed assertion while capturing leaves stderr captured: give its text back. */
static int cap_restore(void **state)
{
	if (cap_saved) {
		cap_end();
		fputs(cap_buf ? cap_buf : "", stderr);
	}
	return 0;
}

static struct probe_result pass(void)
{
	return (struct probe_result){ .ok = true, .latency_us = 1500, .http_status = 200 };
}

static struct probe_result pass_lag(double lag)
{
	struct probe_result r = pass();

	r.has_lag = true;
	r.replica_lag_s = lag;
	return r;
}

static struct probe_result bad(const char *why)
{
	struct probe_result r = { .ok = false, .latency_us = 500000 };

	snprintf(r.why, sizeof(r.why), "%s", why);
	return r;
}

static void feed(struct health *h, size_t i, struct probe_result r, int times, uint64_t *now)
{
	while (times-- > 0) {
		*now += 1000;
		health_probe_result(h, i, &r, *now);
	}
}

static void feed_all(struct health *h, struct probe_result r, int times, uint64_t *now)
{
	size_t i;

	while (times-- > 0) {
		*now += 1000;
		for (i = 0; i < h->n_b; i++)
			health_probe_result(h, i, &r, *now);
	}
}

/* Past any settle window (1 s interval + 500 ms timeout by default). */
static void settle(struct health *h, uint64_t *now)
{
	*now += 2000;
	health_tick(h, *now);
	assert_int_equal(h->settle_until_ms, 0);
}

/* Started down, every backend risen: all up, guard not holding, armed. */
static void start_up(struct health *h, struct policy *p, uint64_t *now)
{
	assert_int_equal(health_init(h, p, false, *now), 0);
	feed_all(h, pass_lag(1.0), 2, now);
}

static void test_indexing(void **state)
{
	struct policy *p = load(base_yaml);
	struct health h;

	assert_int_equal(health_init(&h, p, false, 0), 0);
	assert_int_equal(h.n_b, NB);
	assert_int_equal(dp_backend_id(p, EU, 1), EU2);
	assert_int_equal(dp_backend_id(p, US, 0), US1);
	assert_int_equal(dp_backend_id(p, US, 2), US3);
	health_free(&h);
	policy_free(p);
}

static void test_rise_fall(void **state)
{
	struct policy *p = load(base_yaml);
	uint64_t now = 0, c;
	struct health h;

	assert_int_equal(health_init(&h, p, false, now), 0);
	assert_false(h.b[EU1].up);
	assert_false(h.r[EU].up);
	/* one pass is not enough; a failure resets the streak */
	feed(&h, EU1, pass(), 1, &now);
	assert_false(h.b[EU1].up);
	feed(&h, EU1, bad("HTTP 503"), 1, &now);
	feed(&h, EU1, pass(), 1, &now);
	assert_false(h.b[EU1].up);
	c = h.changes;
	feed(&h, EU1, pass(), 1, &now);
	assert_true(h.b[EU1].up);
	assert_int_equal(h.b[EU1].since_ms, now);
	assert_true(h.changes > c);
	assert_true(h.r[EU].up);
	/* one failure never flips it (fall 2), a pass in between resets */
	c = h.changes;
	feed(&h, EU1, bad("timeout"), 1, &now);
	feed(&h, EU1, pass(), 1, &now);
	feed(&h, EU1, bad("timeout"), 1, &now);
	assert_true(h.b[EU1].up);
	assert_true(h.r[EU].up);
	assert_int_equal(h.changes, c);
	feed(&h, EU1, bad("timeout"), 1, &now);
	assert_false(h.b[EU1].up);
	assert_false(h.r[EU].up);
	assert_true(h.changes > c);
	assert_int_equal(h.b[EU1].fail_streak, 2);
	health_free(&h);
	policy_free(p);
}

static void test_min_healthy_count(void **state)
{
	static const char yaml[] =
		"edge: {name: e1, interface: eth0, region: a, encap_source: {ipv4: 192.0.2.10}}\n"
		"regions:\n"
		"  - name: a\n"
		"    min_healthy: 2\n"
		"    backends: [{address: 198.51.100.1}, {address: 198.51.100.2},\n"
		"               {address: 198.51.100.3}]\n"
		"probe: {port: 8080, rise: 1, fall: 1}\n"
		"vips: [{name: w, address: 192.0.2.1, ports: [tcp/80], regions: [a]}]\n";
	struct policy *p = load(yaml);
	uint64_t now = 0;
	struct health h;

	assert_int_equal(health_init(&h, p, false, now), 0);
	feed(&h, 0, pass(), 1, &now);
	assert_false(h.r[0].up);
	assert_int_equal(h.r[0].passing, 1);
	feed(&h, 1, pass(), 1, &now);
	assert_true(h.r[0].up);
	assert_string_equal(h.r[0].why, "2 of 3 backends passing (min 2); 198.51.100.1 passed 1x "
					"(1.5 ms); 198.51.100.2 passed 1x (1.5 ms)");
	feed(&h, 2, pass(), 1, &now);
	feed(&h, 0, bad("x"), 1, &now);
	assert_true(h.r[0].up);
	feed(&h, 1, bad("x"), 1, &now);
	assert_false(h.r[0].up);
	health_free(&h);
	policy_free(p);
}

static void test_min_healthy_pct(void **state)
{
	static const char yaml[] =
		"edge: {name: e1, interface: eth0, region: a, encap_source: {ipv4: 192.0.2.10}}\n"
		"regions:\n"
		"  - {name: a, min_healthy: 1%, backends: [{address: 198.51.100.1},\n"
		"     {address: 198.51.100.2}, {address: 198.51.100.3}]}\n"
		"  - {name: b, min_healthy: 100%, backends: [{address: 198.51.100.4},\n"
		"     {address: 198.51.100.5}, {address: 198.51.100.6}]}\n"
		"  - {name: c, min_healthy: 34%, backends: [{address: 198.51.100.7},\n"
		"     {address: 198.51.100.8}, {address: 198.51.100.9}]}\n"
		"  - {name: d, min_healthy: 0, backends: [{address: 198.51.100.10}]}\n"
		"probe: {port: 8080, rise: 1, fall: 1}\n"
		"vips: [{name: w, address: 192.0.2.1, ports: [tcp/80], regions: [a, b, c, d]}]\n";
	struct policy *p = load(yaml);
	uint64_t now = 0;
	struct health h;

	assert_int_equal(health_init(&h, p, false, now), 0);
	/* ceil(pct x n / 100), at least one */
	assert_false(h.r[0].up);
	assert_false(h.r[3].up); /* min_healthy 0 still needs one passing backend */
	feed(&h, 0, pass(), 1, &now);
	assert_true(h.r[0].up);
	feed(&h, 3, pass(), 1, &now);
	feed(&h, 4, pass(), 1, &now);
	assert_false(h.r[1].up);
	feed(&h, 5, pass(), 1, &now);
	assert_true(h.r[1].up);
	feed(&h, 6, pass(), 1, &now);
	assert_false(h.r[2].up); /* 34% of 3 = 1.02: two */
	feed(&h, 7, pass(), 1, &now);
	assert_true(h.r[2].up);
	assert_string_equal(h.r[2].why, "2 of 3 backends passing (min 2, 34%); 198.51.100.7 "
					"passed 1x (1.5 ms); 198.51.100.8 passed 1x (1.5 ms)");
	feed(&h, 9, pass(), 1, &now);
	assert_true(h.r[3].up);
	health_free(&h);
	policy_free(p);
}

static void test_region_flip_view_and_event(void **state)
{
	struct policy *p = load(base_yaml);
	uint64_t now = 0;
	struct health h;
	struct dp_view v;
	const char *log;
	size_t i;

	start_up(&h, p, &now);
	assert_int_equal(health_view(&h, &v), 0);
	assert_true(v.region_up[EU] && v.region_up[US]);
	assert_false(v.region_up[2]);
	for (i = 0; i < NB; i++)
		assert_true(v.backend_up[i] && v.backend_new_flows[i]);
	assert_int_equal(v.serving[0], AE_NO_REGION);
	assert_int_equal(v.serving[1], EU);
	assert_int_equal(v.serving[2], AE_NO_REGION);
	dp_view_free(&v);

	cap_begin();
	feed(&h, EU1, bad("timeout after 500 ms"), 2, &now);
	feed(&h, EU2, bad("HTTP 503"), 2, &now);
	log = cap_end();
	assert_non_null(strstr(log, "backend 198.51.100.21 (eu-west) down: failed 2x: timeout"));
	assert_non_null(strstr(log, "region eu-west down: 0 of 2 backends passing (min 1); "
				    "198.51.100.21 failed 2x: timeout after 500 ms; "
				    "198.51.100.22 failed 2x: HTTP 503\n"));
	assert_false(h.r[EU].up);
	assert_int_equal(h.r[EU].since_ms, now);
	/* applied once the settle window shows the edge itself sees fine */
	assert_int_equal(health_view(&h, &v), 0);
	assert_true(v.region_up[EU]);
	dp_view_free(&v);
	settle(&h, &now);
	assert_int_equal(health_view(&h, &v), 0);
	assert_false(v.region_up[EU]);
	assert_true(v.region_up[US]);
	assert_false(v.backend_up[EU1] || v.backend_up[EU2]);
	assert_true(v.backend_up[US1]);
	assert_int_equal(v.serving[1], EU); /* no promotion on its own */
	dp_view_free(&v);

	cap_begin();
	feed(&h, EU2, pass(), 2, &now);
	log = cap_end();
	assert_non_null(strstr(log, "region eu-west up: 1 of 2 backends passing (min 1); "
				    "198.51.100.22 passed 2x (1.5 ms)\n"));
	health_free(&h);
	policy_free(p);
}

static void test_region_lag(void **state)
{
	struct policy *p = load(base_yaml);
	uint64_t now = 0;
	struct health h;

	assert_int_equal(health_init(&h, p, false, now), 0);
	feed(&h, US1, pass(), 2, &now);
	feed(&h, US2, pass(), 2, &now);
	assert_true(h.r[US].up);
	assert_false(h.r[US].has_lag);
	feed(&h, US1, pass_lag(2.5), 1, &now);
	feed(&h, US2, pass_lag(4.0), 1, &now);
	feed(&h, US3, pass_lag(9.0), 1, &now); /* not up: does not count */
	assert_true(h.r[US].has_lag);
	assert_true(h.r[US].replica_lag_s == 4.0);
	health_free(&h);
	policy_free(p);
}

static void test_draining(void **state)
{
	struct policy *p = load(base_yaml);
	struct probe_result dr = pass();
	uint64_t now = 0, c;
	struct health h;
	struct dp_view v;
	const char *log;

	start_up(&h, p, &now);
	dr.draining = true;
	c = h.changes;
	cap_begin();
	feed(&h, EU1, dr, 1, &now);
	log = cap_end();
	assert_non_null(strstr(log, "198.51.100.21 (eu-west) draining"));
	assert_true(h.changes > c);
	assert_true(h.b[EU1].up && h.b[EU1].draining);
	assert_true(h.r[EU].up);
	assert_int_equal(health_view(&h, &v), 0);
	assert_true(v.backend_up[EU1]); /* existing flows keep going */
	assert_false(v.backend_new_flows[EU1]);
	assert_true(v.backend_new_flows[EU2]);
	dp_view_free(&v);
	/* a timeout says nothing about the mode: still draining */
	feed(&h, EU1, bad("timeout"), 1, &now);
	assert_true(h.b[EU1].draining);
	feed(&h, EU1, pass(), 1, &now);
	assert_false(h.b[EU1].draining);
	/* draining vs down: down takes backend_up away too */
	feed(&h, EU1, bad("timeout"), 2, &now);
	settle(&h, &now);
	assert_int_equal(health_view(&h, &v), 0);
	assert_false(v.backend_up[EU1]);
	dp_view_free(&v);
	health_free(&h);
	policy_free(p);
}

static void test_admin_drain(void **state)
{
	struct policy *p = load(base_yaml);
	uint64_t now = 0, c;
	struct health h;
	struct dp_view v;

	start_up(&h, p, &now);
	c = h.changes;
	health_set_admin_drain(&h, US2, true, now);
	assert_int_equal(h.changes, c + 1);
	health_set_admin_drain(&h, US2, true, now); /* no change, no event */
	assert_int_equal(h.changes, c + 1);
	health_set_admin_drain(&h, 999, true, now);
	assert_int_equal(health_view(&h, &v), 0);
	assert_true(v.backend_up[US2]);
	assert_false(v.backend_new_flows[US2]);
	assert_true(v.region_up[US]);
	dp_view_free(&v);
	health_set_admin_drain(&h, US2, false, now);
	assert_int_equal(health_view(&h, &v), 0);
	assert_true(v.backend_new_flows[US2]);
	dp_view_free(&v);
	health_free(&h);
	policy_free(p);
}

/* The case: the region holding most backends dies. It is the world, and acted on. */
static void test_guard_big_region_loss_acted_on(void **state)
{
	struct policy *p = load(base_yaml);
	uint64_t now = 0;
	struct health h;
	struct dp_view v;
	char why[256];

	start_up(&h, p, &now);
	assert_true(h.armed);
	feed(&h, US1, bad("connection refused"), 2, &now);
	feed(&h, US2, bad("connection refused"), 2, &now);
	feed(&h, US3, bad("connection refused"), 2, &now);
	settle(&h, &now);
	assert_int_equal(h.guard, GUARD_NONE);
	assert_int_equal(health_view(&h, &v), 0);
	assert_true(v.region_up[EU]);
	assert_false(v.region_up[US]);
	assert_false(v.backend_up[US1] || v.backend_up[US2] || v.backend_up[US3]);
	dp_view_free(&v);
	assert_true(health_ready(&h, why, sizeof(why)));
	/* and then eu-west too, later: every region down, each on its own evidence */
	feed(&h, EU1, bad("connection refused"), 2, &now);
	feed(&h, EU2, bad("connection refused"), 2, &now);
	settle(&h, &now);
	assert_int_equal(h.guard, GUARD_NONE);
	assert_int_equal(health_view(&h, &v), 0);
	assert_false(v.region_up[EU] || v.region_up[US]);
	dp_view_free(&v);
	health_free(&h);
	policy_free(p);
}

/* A probe that started after the failures and passed proves the edge sees: applied at once. */
static void test_settle_ends_on_a_pass(void **state)
{
	struct probe_result fail = bad("connection refused"), ok = pass();
	struct policy *p = load(base_yaml);
	uint64_t now = 0;
	struct health h;
	struct dp_view v;
	int round;

	start_up(&h, p, &now);
	for (round = 0; round < 2; round++) {
		now += 200;
		health_probe_result(&h, US1, &fail, now);
		health_probe_result(&h, US2, &fail, now);
		health_probe_result(&h, US3, &fail, now);
	}
	assert_false(h.r[US].up);
	assert_true(h.settle_until_ms > now);
	/* a probe started before the failure proves nothing */
	ok.latency_us = 50000;
	health_probe_result(&h, EU1, &ok, now + 10);
	assert_true(h.settle_until_ms > 0);
	assert_int_equal(health_view(&h, &v), 0);
	assert_true(v.region_up[US]);
	dp_view_free(&v);
	/* one started after it: applied now, not at the window's end */
	ok.latency_us = 1500;
	health_probe_result(&h, EU2, &ok, now + 20);
	assert_int_equal(h.settle_until_ms, 0);
	assert_int_equal(health_view(&h, &v), 0);
	assert_false(v.region_up[US]);
	assert_true(v.region_up[EU]);
	dp_view_free(&v);
	health_free(&h);
	policy_free(p);
}

/* Every backend of every region failing together: the edge is suspected, not the world. */
static void test_guard_all_regions(void **state)
{
	struct policy *p = load(base_yaml);
	uint64_t now = 0, c;
	struct health h;
	struct dp_view v;
	const char *log;
	char why[256];

	start_up(&h, p, &now);
	c = h.changes;
	cap_begin();
	feed_all(&h, bad("HTTP 503"), 2, &now);
	log = cap_end();
	assert_int_equal(h.guard, GUARD_ALL_REGIONS);
	assert_true(h.changes > c);
	assert_non_null(strstr(log, "warn: GUARD ENTERED (all_regions_failed): all 2 regions down, "
				    "2 of them within 1.5 s of each other"));
	assert_false(health_ready(&h, why, sizeof(why)));
	assert_non_null(strstr(why, "guard (all_regions_failed): all 2 regions down"));
	/* the view from before the first failure, however long it lasts */
	now += 60000;
	health_tick(&h, now);
	assert_int_equal(health_view(&h, &v), 0);
	assert_true(v.region_up[EU] && v.region_up[US]);
	assert_true(v.backend_up[EU1] && v.backend_up[US3]);
	dp_view_free(&v);
	/* operator drain still applies over the frozen view */
	health_set_admin_drain(&h, US3, true, now);
	assert_int_equal(health_view(&h, &v), 0);
	assert_false(v.backend_new_flows[US3]);
	assert_true(v.backend_up[US3]);
	dp_view_free(&v);
	health_set_admin_drain(&h, US3, false, now);
	/* a region back: left, loudly; backends get time to rise before steering follows */
	cap_begin();
	feed(&h, EU1, pass(), 2, &now);
	log = cap_end();
	assert_int_equal(h.guard, GUARD_NONE);
	assert_non_null(strstr(log, "warn: GUARD LEFT (all_regions_failed)"));
	assert_true(h.settle_until_ms > now);
	assert_int_equal(h.guard_entered[GUARD_ALL_REGIONS], 1);
	now = h.settle_until_ms;
	health_tick(&h, now);
	assert_int_equal(health_view(&h, &v), 0);
	assert_true(v.region_up[EU]);
	assert_false(v.region_up[US]);
	dp_view_free(&v);
	health_free(&h);
	policy_free(p);
}

/* One region: its loss is acted on, unless every probe failed on this host. */
static const char eu_only_yaml[] =
	"edge: {name: e1, interface: eth0, region: eu-west, encap_source: {ipv4: 192.0.2.10}}\n"
	"regions:\n"
	"  - {name: eu-west, backends: [{address: 198.51.100.21}, {address: 198.51.100.22}]}\n"
	"probe: {port: 8080}\n"
	"vips: [{name: web, address: 192.0.2.1, ports: [tcp/443], regions: [eu-west]}]\n";

static void test_guard_local_errors(void **state)
{
	struct policy *p = load(eu_only_yaml);
	struct probe_result unreach = bad("network unreachable");
	uint64_t now = 0;
	struct health h;
	struct dp_view v;

	unreach.local_error = true;
	start_up(&h, p, &now);
	feed_all(&h, unreach, 2, &now);
	assert_int_equal(h.guard, GUARD_LOCAL_ERRORS);
	assert_non_null(strstr(h.guard_why, "every probe of 2 backends failed on this host"));
	settle(&h, &now);
	assert_int_equal(health_view(&h, &v), 0);
	assert_true(v.region_up[0]);
	dp_view_free(&v);
	health_free(&h);

	/* the same region answering 503: the world, acted on */
	start_up(&h, p, &now);
	feed_all(&h, bad("HTTP 503"), 2, &now);
	assert_int_equal(h.guard, GUARD_NONE);
	settle(&h, &now);
	assert_int_equal(health_view(&h, &v), 0);
	assert_false(v.region_up[0]);
	dp_view_free(&v);
	health_free(&h);
	policy_free(p);
}

static void test_guard_link_and_gateway(void **state)
{
	struct policy *p = load(base_yaml);
	uint64_t now = 0;
	struct health h;
	struct dp_view v;

	start_up(&h, p, &now);
	health_set_edge(&h, false, true, now);
	assert_int_equal(h.guard, GUARD_LINK_DOWN);
	feed_all(&h, bad("timeout"), 3, &now);
	health_set_edge(&h, true, false, now);
	assert_int_equal(h.guard, GUARD_NO_GATEWAY);
	assert_int_equal(h.guard_entered[GUARD_NO_GATEWAY], 1);
	/* back: the probes' failures from the blind time still count as all regions at once */
	health_set_edge(&h, true, true, now);
	feed(&h, EU1, bad("timeout"), 1, &now);
	assert_int_equal(h.guard, GUARD_ALL_REGIONS);
	feed_all(&h, pass(), 2, &now);
	assert_int_equal(h.guard, GUARD_NONE);
	now = h.settle_until_ms;
	health_tick(&h, now);
	assert_int_equal(health_view(&h, &v), 0);
	assert_true(v.region_up[EU] && v.region_up[US]);
	dp_view_free(&v);
	health_free(&h);
	policy_free(p);
}

static void test_guard_off(void **state)
{
	static const char off[] = "safety: {guard: off}\n";
	char yaml[sizeof(base_yaml) + sizeof(off)];
	struct policy *p;
	uint64_t now = 0;
	struct health h;
	struct dp_view v;

	snprintf(yaml, sizeof(yaml), "%s%s", base_yaml, off);
	p = load(yaml);
	start_up(&h, p, &now);
	feed_all(&h, bad("HTTP 503"), 2, &now);
	assert_int_equal(h.guard, GUARD_NONE);
	assert_int_equal(h.settle_until_ms, 0);
	assert_int_equal(health_view(&h, &v), 0);
	assert_false(v.region_up[EU] || v.region_up[US]);
	dp_view_free(&v);
	health_free(&h);
	policy_free(p);
}

static void test_no_guard_at_startup(void **state)
{
	struct policy *p = load(base_yaml);
	uint64_t now = 0;
	struct health h;
	struct dp_view v;
	char why[256];

	assert_int_equal(health_init(&h, p, false, now), 0);
	assert_false(h.armed);
	/* every probe fails from the first: nothing good to freeze */
	feed_all(&h, bad("HTTP 503"), 3, &now);
	assert_int_equal(h.guard, GUARD_NONE);
	assert_false(h.armed);
	assert_false(health_ready(&h, why, sizeof(why)));
	assert_non_null(strstr(why, "vip db: serving region eu-west is down (0 of 2 backends"));
	/* what rises is used at once, and arms the guard */
	feed(&h, US1, pass(), 2, &now);
	feed(&h, US2, pass(), 2, &now);
	assert_int_equal(h.guard, GUARD_NONE);
	assert_int_equal(health_view(&h, &v), 0);
	assert_true(v.region_up[US]);
	dp_view_free(&v);
	assert_true(h.armed);
	health_free(&h);
	policy_free(p);
}

static void test_assume_up(void **state)
{
	struct policy *p = load(base_yaml);
	uint64_t now = 0, c;
	struct health h;
	struct dp_view v;
	char why[256];
	size_t i;

	assert_int_equal(health_init(&h, p, true, now), 0);
	assert_true(h.armed);
	assert_true(h.r[EU].up && h.r[US].up);
	assert_true(health_ready(&h, why, sizeof(why)));
	assert_int_equal(health_view(&h, &v), 0);
	for (i = 0; i < NB; i++)
		assert_true(v.backend_up[i]);
	assert_int_equal(v.serving[1], EU);
	dp_view_free(&v);
	/* nothing flaps: the first passes change nothing, one failure neither */
	c = h.changes;
	feed_all(&h, pass(), 1, &now);
	feed(&h, EU1, bad("timeout"), 1, &now);
	assert_true(h.b[EU1].up);
	assert_int_equal(h.changes, c);
	feed(&h, EU1, bad("timeout"), 1, &now);
	assert_false(h.b[EU1].up);
	health_free(&h);
	policy_free(p);
}

static void test_promote_refused(void **state)
{
	struct policy *p = load(base_yaml);
	uint64_t now = 0, c;
	struct health h;
	char why[256];

	assert_int_equal(health_init(&h, p, false, now), 0);
	/* target down */
	assert_int_equal(health_promote(&h, EU, US, false, 15, why, sizeof(why), now), -EBUSY);
	assert_non_null(strstr(why, "target region us-east is down"));
	/* up, lag unknown (probes report none) */
	feed(&h, US1, pass(), 2, &now);
	feed(&h, US2, pass(), 2, &now);
	assert_int_equal(health_promote(&h, EU, US, false, 15, why, sizeof(why), now), -EBUSY);
	assert_string_equal(why, "refused: replica lag of us-east is unknown (no up backend "
				 "reports it); force to promote anyway");
	/* lag over the caller's max */
	feed(&h, US1, pass_lag(20), 1, &now);
	assert_int_equal(health_promote(&h, EU, US, false, 15, why, sizeof(why), now), -EBUSY);
	assert_non_null(strstr(why, "replica lag of us-east is 20.0 s, over the allowed 15.0 s"));
	assert_int_equal(h.serving[1], EU);
	/* refusals change nothing */
	c = h.changes;
	assert_int_equal(health_promote(&h, EU, US, false, 15, NULL, 0, now), -EBUSY);
	assert_int_equal(h.changes, c);
	assert_int_equal(h.serving[1], EU);
	/* bad arguments */
	assert_int_equal(health_promote(&h, EU, 7, false, 15, why, sizeof(why), now), -ENOENT);
	assert_int_equal(health_promote(&h, -1, US, false, 15, why, sizeof(why), now), -ENOENT);
	assert_int_equal(health_promote(&h, EU, EU, false, 15, why, sizeof(why), now), -EINVAL);
	assert_int_equal(health_promote(&h, US, EU, true, 15, why, sizeof(why), now), -EINVAL);
	assert_string_equal(why, "no active-passive VIP served from us-east");
	assert_int_equal(health_promote(&h, EU, US, false, -1, why, sizeof(why), now), -EINVAL);
	health_free(&h);
	policy_free(p);
}

static void test_promote_forced_and_accepted(void **state)
{
	struct policy *p = load(base_yaml);
	uint64_t now = 0, c;
	struct health h;
	struct dp_view v;
	const char *log;
	char why[256];

	assert_int_equal(health_init(&h, p, false, now), 0);
	/* forced onto a down region: done, and not ready while it stays down */
	c = h.changes;
	cap_begin();
	assert_int_equal(health_promote(&h, EU, US, true, 15, why, sizeof(why), now), 0);
	log = cap_end();
	assert_string_equal(why, "promoted db from eu-west to us-east (forced)");
	assert_non_null(strstr(log, "vip db: promoted by the operator from eu-west to us-east "
				    "(forced): target region us-east is down"));
	assert_int_equal(h.serving[1], US);
	assert_true(h.changes > c);
	assert_false(health_ready(&h, why, sizeof(why)));
	assert_non_null(strstr(why, "vip db: serving region us-east is down"));
	assert_int_equal(health_view(&h, &v), 0);
	assert_int_equal(v.serving[1], US);
	dp_view_free(&v);
	/* back to eu-west the guarded way, with lag known and within the max */
	feed(&h, EU1, pass_lag(3), 2, &now);
	assert_int_equal(health_promote(&h, US, EU, false, 15, why, sizeof(why), now), 0);
	assert_string_equal(why, "promoted db from us-east to eu-west");
	assert_int_equal(h.serving[1], EU);
	assert_true(health_ready(&h, why, sizeof(why)));
	/* the region it no longer serves from has nothing to promote */
	assert_int_equal(health_promote(&h, US, EU, false, 15, why, sizeof(why), now), -EINVAL);
	health_free(&h);
	policy_free(p);
}

static void test_auto_promote(void **state)
{
	struct policy *p = load(auto_yaml);
	uint64_t now = 0;
	struct health h;
	const char *log;
	char why[256];

	start_up(&h, p, &now);
	assert_int_equal(h.serving[0], EU);
	/* us-east stops reporting lag; eu-west goes down: lag unknown, no promotion */
	feed(&h, US1, pass(), 1, &now);
	feed(&h, US2, pass(), 1, &now);
	feed(&h, US3, pass(), 1, &now);
	assert_false(h.r[US].has_lag);
	feed(&h, EU1, bad("timeout"), 2, &now);
	feed(&h, EU2, bad("timeout"), 2, &now);
	assert_false(h.r[EU].up);
	assert_int_equal(h.serving[0], EU);
	assert_false(health_ready(&h, why, sizeof(why)));
	/* 7 s (its probes still pass here) is over us-east's 5 s limit; the region's lag is
	 * the largest its up backends report
	 */
	feed(&h, US1, pass_lag(7), 1, &now);
	feed(&h, US2, pass_lag(2), 1, &now);
	assert_true(h.r[US].replica_lag_s == 7);
	assert_int_equal(h.serving[0], EU);
	/* known and within: promoted, logged with the evidence */
	cap_begin();
	feed(&h, US1, pass_lag(3), 1, &now);
	log = cap_end();
	assert_int_equal(h.serving[0], US);
	assert_non_null(strstr(log, "vip db: auto-promoted (auto_promote: local) from eu-west to "
				    "us-east: eu-west down (0 of 2 backends passing (min 1)"));
	assert_non_null(strstr(log, "us-east up with replica lag 3.0 s (max 5.0 s)"));
	assert_true(health_ready(&h, why, sizeof(why)));
	/* no automatic failback when eu-west returns */
	feed(&h, EU1, pass_lag(0), 2, &now);
	assert_true(h.r[EU].up);
	assert_int_equal(h.serving[0], US);
	health_free(&h);
	policy_free(p);
}

static void test_auto_promote_not_at_start(void **state)
{
	struct policy *p = load(auto_yaml);
	uint64_t now = 0;
	struct health h;

	assert_int_equal(health_init(&h, p, false, now), 0);
	/* us-east rises first with a fine lag; eu-west is unproven, not failed: stay */
	feed(&h, US1, pass_lag(1), 2, &now);
	feed(&h, US2, pass_lag(1), 2, &now);
	assert_true(h.r[US].up);
	assert_int_equal(h.serving[0], EU);
	feed(&h, EU1, bad("timeout"), 2, &now);
	assert_int_equal(h.serving[0], EU); /* EU2 could still bring it up */
	feed(&h, EU2, bad("timeout"), 2, &now);
	assert_int_equal(h.serving[0], US);
	health_free(&h);
	policy_free(p);
}

static void test_no_auto_promote_in_guard(void **state)
{
	struct policy *p = load(auto_yaml);
	uint64_t now = 0;
	struct health h;

	start_up(&h, p, &now);
	feed_all(&h, bad("HTTP 503"), 2, &now);
	assert_int_equal(h.guard, GUARD_ALL_REGIONS);
	feed(&h, US1, pass_lag(1), 2, &now);
	feed(&h, US2, pass_lag(1), 2, &now);
	assert_int_equal(h.serving[0], EU); /* no promotion while the window settles */
	settle(&h, &now);
	assert_int_equal(h.serving[0], US);
	health_free(&h);
	policy_free(p);
}

/* `anyedge replay`'s view and the daemon choose the same region: one rule (rpo.c). */
static void test_replay_agrees_with_daemon(void **state)
{
	static const char yaml[] =
		"edge: {name: e1, interface: eth0, region: a, encap_source: {ipv4: 192.0.2.10}}\n"
		"regions:\n"
		"  - {name: a, backends: [{address: 198.51.100.1}]}\n"
		"  - {name: b, backends: [{address: 198.51.100.2}]}\n"
		"  - {name: c, backends: [{address: 198.51.100.3}]}\n"
		"probe: {port: 8080}\n"
		"vips:\n"
		"  - {name: db, address: 192.0.2.2, ports: [tcp/5432], mode: active-passive,\n"
		"     primary: b, auto_promote: local, regions: [a, b, c]}\n";
	struct policy *p = load(yaml);
	bool down[AE_MAX_REGIONS] = { false, true, false };
	uint64_t now = 0;
	struct dp_view v;
	struct health h;

	start_up(&h, p, &now);
	feed(&h, 1, bad("connection refused"), 2, &now);
	settle(&h, &now);
	assert_int_equal(h.serving[0], 2); /* the next after b in the VIP's order: c */
	assert_int_equal(dp_view_default(p, down, &v), 0);
	assert_int_equal(v.serving[0], h.serving[0]);
	dp_view_free(&v);
	health_free(&h);
	policy_free(p);
}

static void test_no_auto_promote_by_default(void **state)
{
	struct policy *p = load(base_yaml);
	uint64_t now = 0;
	struct health h;
	char why[256];

	start_up(&h, p, &now);
	feed(&h, EU1, bad("timeout"), 2, &now);
	feed(&h, EU2, bad("timeout"), 2, &now);
	assert_int_equal(h.serving[1], EU);
	assert_false(health_ready(&h, why, sizeof(why)));
	assert_string_equal(why, "vip db: serving region eu-west is down (0 of 2 backends passing "
				 "(min 1); 198.51.100.21 failed 2x: timeout; 198.51.100.22 "
				 "failed 2x: timeout); new flows dropped until a promotion");
	health_free(&h);
	policy_free(p);
}

static const char rebind_yaml[] =
	"edge: {name: e1, interface: eth0, region: eu-west, encap_source: {ipv4: 192.0.2.10}}\n"
	"regions:\n"
	"  - name: ap-south\n"
	"    backends: [{address: 198.51.100.31}]\n"
	"  - name: us-east\n"
	"    min_healthy: 50%\n"
	"    backends: [{address: 198.51.100.13}, {address: 198.51.100.11},\n"
	"               {address: 198.51.100.14}]\n"
	"  - name: eu-west\n"
	"    backends: [{address: 198.51.100.22}]\n"
	"probe: {type: http, port: 8080, rise: 2, fall: 2}\n"
	"vips:\n"
	"  - {name: db, address: 192.0.2.2, ports: [tcp/5432], mode: active-passive,\n"
	"     primary: eu-west, regions: [eu-west, us-east, ap-south]}\n"
	"  - {name: web, address: 192.0.2.1, ports: [tcp/443], regions: [eu-west, us-east]}\n"
	"safety: {guard: on}\n";

static void test_rebind(void **state)
{
	struct policy *p = load(base_yaml), *q = load(rebind_yaml);
	uint64_t now = 0, c;
	struct health h;
	struct dp_view v;

	start_up(&h, p, &now);
	feed(&h, EU2, bad("HTTP 503"), 2, &now); /* eu-west stays up on EU1 */
	health_set_admin_drain(&h, US3, true, now);
	feed(&h, US1, pass_lag(2), 1, &now);
	assert_int_equal(health_promote(&h, EU, US, false, 15, NULL, 0, now), 0);
	c = h.changes;
	assert_int_equal(health_rebind(&h, q, now), 0);
	policy_free(p);
	assert_true(h.changes > c);
	assert_int_equal(h.n_b, 5);
	/* ap-south 31 (new), us-east 13 (kept, drained), 11 (kept), 14 (new), eu-west 22 (kept) */
	assert_false(h.b[0].up || h.b[0].probed);
	assert_true(h.b[1].up && h.b[1].admin_drained);
	assert_true(h.b[2].up && h.b[2].probed);
	assert_true(h.b[2].last.replica_lag_s == 2);
	assert_false(h.b[3].up);
	assert_false(h.b[4].up);
	assert_int_equal(h.b[4].fail_streak, 2);
	/* regions recomputed: eu-west lost its up backend, us-east keeps 2 of 3 */
	assert_false(h.r[0].up);
	assert_true(h.r[1].up);
	assert_false(h.r[2].up);
	/* db stays promoted to us-east (index 1 now); web is active-active */
	assert_int_equal(h.serving[0], 1);
	assert_int_equal(h.serving[1], AE_NO_REGION);
	assert_int_equal(health_view(&h, &v), 0);
	assert_false(v.backend_new_flows[1]);
	assert_true(v.backend_up[2]);
	assert_int_equal(v.serving[0], 1);
	dp_view_free(&v);
	/* new backends rise as usual */
	feed(&h, 0, pass(), 2, &now);
	assert_true(h.r[0].up);
	health_free(&h);
	policy_free(q);
}

static void test_rebind_primary_changed(void **state)
{
	static const char yaml[] =
		"edge: {name: e1, interface: eth0, region: eu-west, encap_source: {ipv4: "
		"192.0.2.10}}\n"
		"regions:\n"
		"  - {name: eu-west, backends: [{address: 198.51.100.21}]}\n"
		"  - {name: us-east, backends: [{address: 198.51.100.11}]}\n"
		"probe: {port: 8080}\n"
		"vips:\n"
		"  - {name: db, address: 192.0.2.2, ports: [tcp/5432], mode: active-passive,\n"
		"     primary: us-east, regions: [eu-west, us-east]}\n";
	struct policy *p = load(base_yaml), *q = load(yaml);
	struct health h;

	assert_int_equal(health_init(&h, p, true, 0), 0);
	assert_int_equal(health_rebind(&h, q, 1), 0);
	policy_free(p);
	/* the policy named another primary: that wins over the old serving region */
	assert_int_equal(h.serving[0], 1);
	health_free(&h);
	policy_free(q);
}

static void test_rebind_in_guard(void **state)
{
	struct policy *p = load(base_yaml), *q = load(base_yaml);
	uint64_t now = 0;
	struct health h;
	struct dp_view v;

	start_up(&h, p, &now);
	feed_all(&h, bad("HTTP 503"), 2, &now);
	assert_int_equal(h.guard, GUARD_ALL_REGIONS);
	/* a reload during the incident keeps the guard and the frozen view */
	assert_int_equal(health_rebind(&h, q, now), 0);
	policy_free(p);
	assert_int_equal(h.guard, GUARD_ALL_REGIONS);
	assert_int_equal(health_view(&h, &v), 0);
	assert_true(v.region_up[EU] && v.region_up[US]);
	assert_true(v.backend_up[US1] && v.backend_up[EU2]);
	dp_view_free(&v);
	/* a reload that leaves one region: no longer every region of two; its loss applies */
	p = load(eu_only_yaml);
	assert_int_equal(health_rebind(&h, p, now), 0);
	policy_free(q);
	assert_int_equal(h.guard, GUARD_NONE);
	now = h.settle_until_ms;
	health_tick(&h, now);
	assert_int_equal(health_view(&h, &v), 0);
	assert_false(v.region_up[0]);
	dp_view_free(&v);
	health_free(&h);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_indexing, cap_restore),
		cmocka_unit_test_teardown(test_rise_fall, cap_restore),
		cmocka_unit_test_teardown(test_min_healthy_count, cap_restore),
		cmocka_unit_test_teardown(test_min_healthy_pct, cap_restore),
		cmocka_unit_test_teardown(test_region_flip_view_and_event, cap_restore),
		cmocka_unit_test_teardown(test_region_lag, cap_restore),
		cmocka_unit_test_teardown(test_draining, cap_restore),
		cmocka_unit_test_teardown(test_admin_drain, cap_restore),
		cmocka_unit_test_teardown(test_guard_big_region_loss_acted_on, cap_restore),
		cmocka_unit_test_teardown(test_settle_ends_on_a_pass, cap_restore),
		cmocka_unit_test_teardown(test_guard_all_regions, cap_restore),
		cmocka_unit_test_teardown(test_guard_local_errors, cap_restore),
		cmocka_unit_test_teardown(test_guard_link_and_gateway, cap_restore),
		cmocka_unit_test_teardown(test_guard_off, cap_restore),
		cmocka_unit_test_teardown(test_no_guard_at_startup, cap_restore),
		cmocka_unit_test_teardown(test_assume_up, cap_restore),
		cmocka_unit_test_teardown(test_promote_refused, cap_restore),
		cmocka_unit_test_teardown(test_promote_forced_and_accepted, cap_restore),
		cmocka_unit_test_teardown(test_auto_promote, cap_restore),
		cmocka_unit_test_teardown(test_auto_promote_not_at_start, cap_restore),
		cmocka_unit_test_teardown(test_no_auto_promote_in_guard, cap_restore),
		cmocka_unit_test_teardown(test_replay_agrees_with_daemon, cap_restore),
		cmocka_unit_test_teardown(test_no_auto_promote_by_default, cap_restore),
		cmocka_unit_test_teardown(test_rebind, cap_restore),
		cmocka_unit_test_teardown(test_rebind_primary_changed, cap_restore),
		cmocka_unit_test_teardown(test_rebind_in_guard, cap_restore),
	};
	int ret;

	ret = cmocka_run_group_tests(tests, NULL, NULL);
	free(cap_buf);
	return ret;
}
