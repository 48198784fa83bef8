// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the etcd client against a real etcd: ETCD_ENDPOINTS="http://a:p,http://b:p,..."
 * names a running cluster (tests/t_fleet_etcd.sh starts one); without it the test skips. Each
 * run works under its own key prefix.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "fleet/etcd_client.h"

static char *eps[8];
static size_t n_eps;
static char prefix[64];

static struct etcd *client(void)
{
	struct etcd *c = NULL;

	assert_int_equal(etcd_new((const char *const *)eps, n_eps, 2000, &c), 0);
	return c;
}

static const char *k(const char *name)
{
	static char buf[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s%s", prefix, name);
	return buf[i];
}

static void test_put_range(void **state)
{
	static const char bin[] = { 'a', 0, (char)0xff, '\n', '"' };
	struct etcd *c = client();
	struct etcd_kvs kvs;
	int64_t rev = 0;

	assert_int_equal(etcd_put(c, k("r/a"), "one", 3, 0, &rev), 0);
	assert_true(rev > 0);
	assert_int_equal(etcd_put(c, k("r/b"), bin, sizeof(bin), 0, NULL), 0);
	assert_int_equal(etcd_put(c, k("rz"), "out", 3, 0, NULL), 0);
	assert_int_equal(etcd_range(c, k("r/a"), false, &kvs), 0);
	assert_int_equal(kvs.n, 1);
	assert_string_equal(kvs.kv[0].key, k("r/a"));
	assert_string_equal(kvs.kv[0].value, "one");
	assert_int_equal(kvs.kv[0].mod_revision, rev);
	assert_true(kvs.revision >= rev);
	etcd_kvs_free(&kvs);
	/* a prefix takes r/a and r/b, not rz; bytes come back as they went */
	assert_int_equal(etcd_range(c, k("r/"), true, &kvs), 0);
	assert_int_equal(kvs.n, 2);
	assert_int_equal(kvs.kv[1].value_len, sizeof(bin));
	assert_memory_equal(kvs.kv[1].value, bin, sizeof(bin));
	etcd_kvs_free(&kvs);
	/* nothing there: no kvs, not an error */
	assert_int_equal(etcd_range(c, k("none/"), true, &kvs), 0);
	assert_int_equal(kvs.n, 0);
	assert_true(kvs.revision > 0);
	etcd_kvs_free(&kvs);
	etcd_free(c);
}

static void test_cas(void **state)
{
	struct etcd *c = client();
	struct etcd_cas op = { .key = k("cas/x"), .value = "first", .value_len = 5 };
	struct etcd_cas two[2];
	struct etcd_kvs now;
	int64_t rev1 = 0, rev2 = 0;
	bool ok = false;

	/* created only while absent */
	assert_int_equal(etcd_cas(c, &op, 1, &ok, &rev1, &now), 0);
	assert_true(ok);
	assert_int_equal(now.n, 0);
	op.value = "second";
	op.value_len = 6;
	assert_int_equal(etcd_cas(c, &op, 1, &ok, &rev2, &now), 0);
	assert_false(ok);
	/* the loser learns the winner's value and revision */
	assert_int_equal(now.n, 1);
	assert_string_equal(now.kv[0].value, "first");
	assert_int_equal(now.kv[0].mod_revision, rev1);
	etcd_kvs_free(&now);
	op.mod_revision = rev1;
	assert_int_equal(etcd_cas(c, &op, 1, &ok, &rev2, NULL), 0);
	assert_true(ok);
	assert_true(rev2 > rev1);
	/* two keys at once: one stale revision and neither is written */
	two[0] = (struct etcd_cas){
		.key = k("cas/x"), .mod_revision = rev2, .value = "3", .value_len = 1
	};
	two[1] = (struct etcd_cas){
		.key = k("cas/y"), .mod_revision = 7, .value = "3", .value_len = 1
	};
	assert_int_equal(etcd_cas(c, two, 2, &ok, NULL, &now), 0);
	assert_false(ok);
	assert_int_equal(now.n, 1); /* cas/y does not exist */
	assert_string_equal(now.kv[0].value, "second");
	etcd_kvs_free(&now);
	two[1].mod_revision = 0;
	assert_int_equal(etcd_cas(c, two, 2, &ok, NULL, NULL), 0);
	assert_true(ok);
	assert_int_equal(etcd_range(c, k("cas/"), true, &now), 0);
	assert_int_equal(now.n, 2);
	assert_string_equal(now.kv[0].value, "3");
	assert_string_equal(now.kv[1].value, "3");
	assert_int_equal(now.kv[0].mod_revision, now.kv[1].mod_revision);
	etcd_kvs_free(&now);
	etcd_free(c);
}

static void test_lease(void **state)
{
	struct etcd *c = client();
	struct etcd_kvs kvs;
	int64_t id = 0, ttl = 0;

	assert_int_equal(etcd_lease_grant(c, 5, &id), 0);
	assert_true(id != 0);
	assert_int_equal(etcd_put(c, k("lease/a"), "x", 1, id, NULL), 0);
	assert_int_equal(etcd_lease_keepalive(c, id, &ttl), 0);
	assert_true(ttl > 0 && ttl <= 5);
	assert_int_equal(etcd_range(c, k("lease/a"), false, &kvs), 0);
	assert_int_equal(kvs.n, 1);
	assert_int_equal(kvs.kv[0].lease, id);
	etcd_kvs_free(&kvs);
	/* the key dies with its lease */
	assert_int_equal(etcd_lease_revoke(c, id), 0);
	assert_int_equal(etcd_range(c, k("lease/a"), false, &kvs), 0);
	assert_int_equal(kvs.n, 0);
	etcd_kvs_free(&kvs);
	assert_int_equal(etcd_lease_keepalive(c, id, &ttl), -ENOENT);
	assert_true(strstr(etcd_error(c), "expired") != NULL);
	etcd_free(c);
}

struct watch_seen {
	int n_put, n_del;
	char last[64];
	bool stop;
};

static int on_events(void *ctx, const struct etcd_event *ev, size_t n, int64_t rev)
{
	struct watch_seen *s = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		if (ev[i].deleted) {
			s->n_del++;
		} else {
			s->n_put++;
			snprintf(s->last, sizeof(s->last), "%s", ev[i].kv.value);
		}
	}
	return s->n_put >= 2 ? 1 : 0; /* enough: end the watch */
}

static void *writer(void *arg)
{
	struct etcd *c = client();

	usleep(200 * 1000);
	etcd_put(c, k("w/a"), "v1", 2, 0, NULL);
	etcd_put(c, k("wz"), "not under the prefix", 20, 0, NULL);
	etcd_put(c, k("w/b"), "v2", 2, 0, NULL);
	etcd_free(c);
	return NULL;
}

static void *stopper(void *arg)
{
	usleep(300 * 1000);
	__atomic_store_n((bool *)arg, true, __ATOMIC_RELAXED);
	return NULL;
}

static void test_watch(void **state)
{
	struct watch_seen seen = { 0 };
	struct etcd *c = client();
	int64_t last = 0, rev = 0;
	uint64_t t0;
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, writer, NULL), 0);
	assert_int_equal(etcd_watch(c, k("w/"), 0, on_events, &seen, &seen.stop, &last), 1);
	pthread_join(t, NULL);
	assert_int_equal(seen.n_put, 2);
	assert_string_equal(seen.last, "v2");
	assert_true(last > 0);
	/* from a past revision: the history comes again, then a stop flag ends an idle watch */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(etcd_put(c, k("w2/a"), "h", 1, 0, &rev), 0);
	assert_int_equal(pthread_create(&t, NULL, stopper, &seen.stop), 0);
	t0 = mono_ms();
	assert_int_equal(etcd_watch(c, k("w2/"), rev, on_events, &seen, &seen.stop, &last),
			 -ECANCELED);
	pthread_join(t, NULL);
	assert_int_equal(seen.n_put, 1);
	assert_true(mono_ms() - t0 < 3000);
	etcd_free(c);
}

/* A dead endpoint first: requests go on to the next one. All dead: refused, not hung. */
static void test_endpoints(void **state)
{
	const char *dead[] = { "http://127.0.0.1:1", "http://127.0.0.1:2" };
	const char *mixed[9] = { "http://127.0.0.1:1" };
	struct etcd *c = NULL;
	struct etcd_kvs kvs;
	uint64_t t0;
	size_t i;

	for (i = 0; i < n_eps && i < 8; i++)
		mixed[i + 1] = eps[i];
	assert_int_equal(etcd_new(mixed, i + 1, 1000, &c), 0);
	assert_int_equal(etcd_put(c, k("ep/a"), "x", 1, 0, NULL), 0);
	assert_string_equal(etcd_endpoint(c), eps[0]);
	etcd_free(c);
	assert_int_equal(etcd_new(dead, 2, 1000, &c), 0);
	t0 = mono_ms();
	assert_int_equal(etcd_range(c, k("ep/a"), false, &kvs), -ECONNREFUSED);
	assert_true(mono_ms() - t0 < 2500);
	assert_true(strstr(etcd_error(c), "127.0.0.1") != NULL);
	etcd_free(c);
}

/* ETCD_NO_QUORUM=1: the test has stopped a majority of members. Writes and linearizable reads
 * are refused at once (no leader) rather than held; a swap is never reported as done.
 */
static void test_no_quorum(void **state)
{
	struct etcd_cas op = { .key = k("nq/x"), .value = "x", .value_len = 1 };
	struct etcd *c = client();
	struct etcd_kvs kvs;
	int64_t id = 0;
	bool ok = true;
	uint64_t t0;
	int err;

	t0 = mono_ms();
	err = etcd_put(c, k("nq/a"), "x", 1, 0, NULL);
	print_message("put without quorum: %d (%s) in %llu ms\n", err, etcd_error(c),
		      (unsigned long long)(mono_ms() - t0));
	assert_true(err == -EAGAIN || err == -ECONNREFUSED);
	assert_true(mono_ms() - t0 < 2500);
	assert_true(etcd_cas(c, &op, 1, &ok, NULL, NULL) < 0);
	assert_false(ok);
	assert_true(etcd_range(c, k("nq/"), true, &kvs) < 0);
	assert_true(etcd_lease_grant(c, 5, &id) < 0);
	etcd_free(c);
}

int main(void)
{
	const struct CMUnitTest nq[] = { cmocka_unit_test(test_no_quorum) };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_range), cmocka_unit_test(test_cas),
		cmocka_unit_test(test_lease),	  cmocka_unit_test(test_watch),
		cmocka_unit_test(test_endpoints),
	};
	char *env = getenv("ETCD_ENDPOINTS"), *tok, *save = NULL;

	if (!env || !*env) {
		printf("etcd_client_test: skipped: ETCD_ENDPOINTS not set (tests/t_fleet_etcd.sh "
		       "runs it against a real cluster)\n");
		return 77;
	}
	env = strdup(env);
	for (tok = strtok_r(env, ",", &save); tok && n_eps < 8; tok = strtok_r(NULL, ",", &save))
		eps[n_eps++] = tok;
	snprintf(prefix, sizeof(prefix), "/anyedge-test/%d-%ld/", (int)getpid(), (long)time(NULL));
	if (getenv("ETCD_NO_QUORUM"))
		return cmocka_run_group_tests(nq, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
