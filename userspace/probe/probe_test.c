// SPDX-License-Identifier: GPL-2.0
/* Unit tests for probe_parse_body and the probe engine. The engine tests run real sockets
 * against responders forked by this file on 127.0.0.1 / ::1 only; every child is killed and
 * reaped by PID in the teardown. Time bounds carry wide margins (valgrind, loaded machines):
 * what they check is order and isolation, not speed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe.h"
#include "clock.h"

/* ---------- probe_parse_body ---------- */

struct body_case {
	const char *body;
	uint32_t max_lag_ms;
	int rc;
	bool ok;
	const char *why; /* prefix of r.why; NULL: must be empty */
	bool has_lag;
	double lag;
	bool draining;
};

static void check_body(const struct body_case *c, size_t len)
{
	struct probe_result r;
	int rc;

	memset(&r, 0x5a, sizeof(r));
	r.latency_us = 77;
	r.http_status = 200;
	rc = probe_parse_body(c->body, len, c->max_lag_ms, &r);
	if (rc != c->rc || r.ok != c->ok)
		fail_msg("body %.60s: rc %d ok %d why \"%s\"", c->body, rc, r.ok, r.why);
	if (strncmp(r.why, c->why ? c->why : "", c->why ? strlen(c->why) : sizeof(r.why)) != 0)
		fail_msg("body %.60s: why \"%s\"", c->body, r.why);
	assert_int_equal(r.has_lag, c->has_lag);
	if (c->has_lag)
		assert_true(r.replica_lag_s == c->lag);
	assert_int_equal(r.draining, c->draining);
	/* not the body's business */
	assert_int_equal(r.latency_us, 77);
	assert_int_equal(r.http_status, 200);
}

static void test_body_table(void **state)
{
	static const struct body_case cases[] = {
		{ .body = "{\"status\":\"READY\"}", .ok = true },
		{ .body = " {\"status\": \"READY\", \"replica_lag_seconds\": 1.5, "
			  "\"system_mode\": \"active\"}\r\n",
		  .max_lag_ms = 10000,
		  .ok = true,
		  .has_lag = true,
		  .lag = 1.5 },
		{ .body = "{\"status\":\"READY\",\"replica_lag_seconds\":3}",
		  .max_lag_ms = 10000,
		  .ok = true,
		  .has_lag = true,
		  .lag = 3 },
		/* null: not reported, as a primary has no lag */
		{ .body = "{\"status\":\"READY\",\"replica_lag_seconds\":null}",
		  .max_lag_ms = 10000,
		  .ok = true },
		/* unknown keys, nested or not, are ignored */
		{ .body = "{\"status\":\"READY\",\"extra\":{\"a\":[1,2,{\"b\":null}]},\"v\":2}",
		  .ok = true },
		{ .body = "{\"status\":\"READY\",\"system_mode\":\"draining\"}",
		  .ok = true,
		  .draining = true },
		{ .body = "{\"status\":\"READY\",\"system_mode\":\"maintenance\"}", .ok = true },
		/* well-formed, not passing */
		{ .body = "{\"status\":\"NOT_READY\"}", .why = "status NOT_READY" },
		{ .body = "{\"status\":\"\"}", .why = "status \"\"" },
		{ .body = "{\"status\":\"ready\"}", .why = "status ready" },
		{ .body = "{\"status\":\"A\\nB\\u0001\"}", .why = "status A?B?" },
		/* a NUL inside the string: not READY, whatever strcmp would say */
		{ .body = "{\"status\":\"READY\\u0000 not really\"}",
		  .why = "status READY (with a NUL)" },
		/* a key twice: one reader's READY, another's DEGRADED */
		{ .body = "{\"status\":\"DEGRADED\",\"status\":\"READY\"}",
		  .rc = -EINVAL,
		  .why = "body has a duplicate key" },
		{ .body = "{\"status\":\"READY\",\"x\":{\"a\":1,\"a\":2},\"y\":\"s,\\\"z\\\":\"}",
		  .ok = true },
		{ .body = "{\"status\":\"NOT_READY\",\"system_mode\":\"draining\"}",
		  .why = "status NOT_READY",
		  .draining = true },
		/* lag limits */
		{ .body = "{\"status\":\"READY\",\"replica_lag_seconds\":12.5}",
		  .max_lag_ms = 10000,
		  .why = "replica lag 12.500s over 10.000s",
		  .has_lag = true,
		  .lag = 12.5 },
		{ .body = "{\"status\":\"READY\",\"replica_lag_seconds\":10}",
		  .max_lag_ms = 10000,
		  .ok = true,
		  .has_lag = true,
		  .lag = 10 },
		{ .body = "{\"status\":\"READY\",\"replica_lag_seconds\":10.001}",
		  .max_lag_ms = 10000,
		  .why = "replica lag",
		  .has_lag = true,
		  .lag = 10.001 },
		{ .body = "{\"status\":\"READY\",\"replica_lag_seconds\":1e6}",
		  .ok = true,
		  .has_lag = true,
		  .lag = 1e6 },
		{ .body = "{\"status\":\"READY\",\"replica_lag_seconds\":0}",
		  .max_lag_ms = 1,
		  .ok = true,
		  .has_lag = true,
		  .lag = 0 },
		{ .body = "{\"status\":\"READY\",\"replica_lag_seconds\":-1}",
		  .rc = -EINVAL,
		  .why = "\"replica_lag_seconds\" is invalid" },
		{ .body = "{\"status\":\"READY\",\"replica_lag_seconds\":1e999}",
		  .rc = -EINVAL,
		  .why = "\"replica_lag_seconds\" is invalid" },
		{ .body = "{\"status\":\"READY\",\"replica_lag_seconds\":NaN}",
		  .rc = -EINVAL,
		  .why = "" },
		/* wrong types */
		{ .body = "{\"status\":1}", .rc = -EINVAL, .why = "\"status\" is not a string" },
		{ .body = "{\"status\":null}", .rc = -EINVAL, .why = "\"status\" is not a string" },
		{ .body = "{\"status\":[\"READY\"]}",
		  .rc = -EINVAL,
		  .why = "\"status\" is not a string" },
		{ .body = "{\"status\":\"READY\",\"replica_lag_seconds\":\"1.5\"}",
		  .rc = -EINVAL,
		  .why = "\"replica_lag_seconds\" is not a number" },
		{ .body = "{\"status\":\"READY\",\"replica_lag_seconds\":true}",
		  .rc = -EINVAL,
		  .why = "\"replica_lag_seconds\" is not a number" },
		{ .body = "{\"status\":\"READY\",\"system_mode\":1}",
		  .rc = -EINVAL,
		  .why = "\"system_mode\" is not a string" },
		{ .body = "{}", .rc = -EINVAL, .why = "no \"status\"" },
		{ .body = "{\"Status\":\"READY\"}", .rc = -EINVAL, .why = "no \"status\"" },
		{ .body = "[]", .rc = -EINVAL, .why = "body is not a JSON object" },
		{ .body = "[{\"status\":\"READY\"}]",
		  .rc = -EINVAL,
		  .why = "body is not a JSON object" },
		{ .body = "\"READY\"", .rc = -EINVAL, .why = "body is not a JSON object" },
		{ .body = "42", .rc = -EINVAL, .why = "body is not a JSON object" },
		{ .body = "null", .rc = -EINVAL, .why = "body is not a JSON object" },
		/* not JSON */
		{ .body = "", .rc = -EINVAL, .why = "empty body" },
		{ .body = "  \r\n", .rc = -EINVAL, .why = "empty body" },
		{ .body = "{\"status\":\"REA", .rc = -EINVAL, .why = "body is truncated JSON" },
		{ .body = "{\"status\":\"READY\"", .rc = -EINVAL, .why = "body is truncated JSON" },
		{ .body = "{\"status\":\"READY\"}x", .rc = -EINVAL, .why = "trailing data" },
		{ .body = "{\"status\":\"READY\"}{}", .rc = -EINVAL, .why = "trailing data" },
		{ .body = "{'status':'READY'}", .rc = -EINVAL, .why = "body is not JSON" },
		{ .body = "{\"status\":\"READY\",}", .rc = -EINVAL, .why = "body is not JSON" },
		{ .body = "<html>503</html>", .rc = -EINVAL, .why = "body is not JSON" },
		/* not UTF-8: a stray byte, an overlong sequence */
		{ .body = "{\"status\":\"READY\",\"x\":\"\xff\xfe\"}",
		  .rc = -EINVAL,
		  .why = "body is not UTF-8" },
		{ .body = "{\"status\":\"READY\",\"x\":\"\xc3\x28\"}",
		  .rc = -EINVAL,
		  .why = "body is not UTF-8" },
		{ .body = "{\"status\":\"\xc0\xafREADY\"}",
		  .rc = -EINVAL,
		  .why = "body is not UTF-8" },
		{ .body = "{\"status\":\"READY\",\"x\":\"\xed\xa0\x80\"}",
		  .rc = -EINVAL,
		  .why = "body is not UTF-8 (byte 23)" },
		{ .body = "{\"status\":\"READY\",\"x\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}",
		  .ok = true },
		{ .body = "{\"status\":\"READY\",\"x\":\"\xe2\x82\"}",
		  .rc = -EINVAL,
		  .why = "body is not UTF-8" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_body(&cases[i], strlen(cases[i].body));
}

static void test_body_nul_and_null_pointer(void **state)
{
	static const char b[] = "{\"status\":\"READY\"}\0{\"status\":\"NO\"}";
	struct probe_result r;

	assert_int_equal(probe_parse_body(b, sizeof(b) - 1, 0, &r), -EINVAL);
	assert_string_equal(r.why, "body has a NUL byte");
	/* the length bounds the parse: the first object alone is fine */
	assert_int_equal(probe_parse_body(b, strlen(b), 0, &r), 0);
	assert_true(r.ok);
	/* a length short of the object is truncation, not a read past it */
	assert_int_equal(probe_parse_body(b, 10, 0, &r), -EINVAL);
	assert_int_equal(probe_parse_body(NULL, 0, 0, &r), -EINVAL);
}

static void test_body_huge(void **state)
{
	size_t len = 1 << 20, i;
	struct probe_result r;
	char *b = malloc(len + 1);

	assert_non_null(b);
	/* a valid 1 MB object: refused by size before parsing */
	strcpy(b, "{\"status\":\"READY\",\"pad\":\"");
	for (i = strlen(b); i < len - 2; i++)
		b[i] = 'x';
	strcpy(b + len - 2, "\"}");
	assert_int_equal(probe_parse_body(b, len, 0, &r), -EINVAL);
	assert_false(r.ok);
	assert_string_equal(r.why, "body too large (1048576 bytes)");
	/* the largest accepted size still parses */
	len = PROBE_RESPONSE_MAX;
	strcpy(b, "{\"status\":\"READY\",\"pad\":\"");
	for (i = strlen(b); i < len - 2; i++)
		b[i] = 'x';
	strcpy(b + len - 2, "\"}");
	assert_int_equal(probe_parse_body(b, len, 0, &r), 0);
	assert_true(r.ok);
	free(b);
}

static void test_body_deep(void **state)
{
	size_t depth = 10000, i, n;
	struct probe_result r;
	char *b = malloc(depth * 6 + 64);

	assert_non_null(b);
	/* arrays 10k deep: larger than any response may be */
	for (i = 0; i < depth; i++)
		b[i] = '[';
	for (; i < 2 * depth; i++)
		b[i] = ']';
	assert_int_equal(probe_parse_body(b, 2 * depth, 0, &r), -EINVAL);
	assert_string_equal(r.why, "body too large (20000 bytes)");
	/* 8000 deep fits the size bound: the depth bound stops it */
	assert_int_equal(probe_parse_body(b + depth - 4000, 8000, 0, &r), -EINVAL);
	assert_string_equal(r.why, "body is not JSON: nesting too deep");
	/* objects 10k deep under a valid status */
	n = sprintf(b, "{\"status\":\"READY\",\"x\":");
	for (i = 0; i < depth; i++)
		n += sprintf(b + n, "{\"a\":");
	n += sprintf(b + n, "1");
	for (i = 0; i < depth; i++)
		b[n++] = '}';
	b[n++] = '}';
	/* bigger than a response may be, so the size check answers first... */
	assert_int_equal(probe_parse_body(b, n, 0, &r), -EINVAL);
	/* ...and one within the size bound is stopped by depth */
	n = sprintf(b, "{\"status\":\"READY\",\"x\":");
	for (i = 0; i < 2000; i++)
		n += sprintf(b + n, "{\"a\":");
	assert_true(n < PROBE_RESPONSE_MAX);
	assert_int_equal(probe_parse_body(b, n, 0, &r), -EINVAL);
	assert_string_equal(r.why, "body is not JSON: nesting too deep");
	free(b);
}

/* ---------- responders ---------- */

enum resp_act { ACT_RESPOND = 0, ACT_HANG, ACT_RESET, ACT_CLOSE };

struct resp_spec {
	enum resp_act act;
	const char *data; /* the response, sent after the request is read */
	size_t len; /* 0: strlen(data) */
	int delay_ms; /* before answering */
	int byte_ms; /* > 0: one byte every byte_ms */
};

#define MAX_KIDS 16
static pid_t kids[MAX_KIDS];
static int nkids;
static int refused_fd = -1;

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Read the request head; false when the peer went away first. */
static bool child_read_request(int c)
{
	char buf[2048];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1) {
		n = read(c, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return false;
		len += n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			return true;
	}
	return false;
}

static void child_serve(int lfd, const struct resp_spec *sp)
{
	struct timeval tv = { 2, 0 };
	struct linger lg = { 1, 0 };
	size_t len = sp->len ? sp->len : (sp->data ? strlen(sp->data) : 0), i;
	int c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		c = accept(lfd, NULL, NULL);
		if (c < 0)
			continue;
		if (sp->act == ACT_HANG)
			continue; /* held open, never answered */
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (!child_read_request(c)) {
			close(c);
			continue;
		}
		if (sp->delay_ms)
			sleep_ms(sp->delay_ms);
		if (sp->act == ACT_RESET)
			setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (sp->act == ACT_RESPOND && sp->byte_ms) {
			for (i = 0; i < len; i++) {
				if (send(c, sp->data + i, 1, MSG_NOSIGNAL) != 1)
					break;
				sleep_ms(sp->byte_ms);
			}
		} else if (sp->act == ACT_RESPOND) {
			/* an error here is the prober giving up: nothing to do */
			(void)!send(c, sp->data, len, MSG_NOSIGNAL);
		}
		close(c);
	}
}

/* A responder on 127.0.0.1 (v6: ::1), port chosen by the kernel. */
static uint16_t responder(bool v6, const struct resp_spec *sp)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl = v6 ? sizeof(*sin6) : sizeof(*sin);
	int fd, one = 1;
	pid_t pid;

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
	} else {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, sl), 0);
	assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	assert_true(nkids < MAX_KIDS);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		child_serve(fd, sp);
		_exit(0);
	}
	kids[nkids++] = pid;
	close(fd);
	return ntohs(v6 ? sin6->sin6_port : sin->sin_port);
}

/* A port on 127.0.0.1 bound but not listening: connecting is refused. */
static uint16_t refused_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	refused_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(refused_fd >= 0);
	assert_int_equal(bind(refused_fd, (struct sockaddr *)&sin, sl), 0);
	assert_int_equal(getsockname(refused_fd, (struct sockaddr *)&sin, &sl), 0);
	return ntohs(sin.sin_port);
}

static int teardown_kids(void **state)
{
	int i;

	for (i = 0; i < nkids; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	nkids = 0;
	if (refused_fd >= 0)
		close(refused_fd);
	refused_fd = -1;
	return 0;
}

/* ---------- engine harness ---------- */

#define MAX_RESULTS 64

struct rec {
	struct prober *pr;
	size_t n;
	size_t index[MAX_RESULTS];
	struct probe_result r[MAX_RESULTS];
	uint64_t at_us[MAX_RESULTS]; /* since t0 */
	size_t max_others_inflight; /* probes still in flight at a verdict */
	uint64_t t0;
};

static void rec_done(void *ctx, size_t index, const struct probe_result *r)
{
	struct rec *rc = ctx;
	struct prober_stats st;

	prober_get_stats(rc->pr, &st);
	if (st.inflight > rc->max_others_inflight)
		rc->max_others_inflight = st.inflight;
	if (rc->n >= MAX_RESULTS)
		return;
	rc->index[rc->n] = index;
	rc->r[rc->n] = *r;
	rc->at_us[rc->n] = mono_us() - rc->t0;
	rc->n++;
}

static struct rec *rec_new(void)
{
	struct rec *rc = calloc(1, sizeof(*rc));

	assert_non_null(rc);
	assert_int_equal(prober_new(rec_done, rc, &rc->pr), 0);
	rc->t0 = mono_us();
	return rc;
}

static void rec_free(struct rec *rc)
{
	prober_free(rc->pr);
	free(rc);
}

/* Run the loop as the daemon would until want results arrived or max_ms passed. */
static void rec_run(struct rec *rc, size_t want, int max_ms)
{
	uint64_t end = mono_us() + (uint64_t)max_ms * 1000;
	struct pollfd p = { .fd = prober_fd(rc->pr), .events = POLLIN };

	while (rc->n < want) {
		int64_t left = (int64_t)(end - mono_us());

		if (left <= 0)
			break;
		if (poll(&p, 1, left / 1000 + 1) > 0)
			assert_int_equal(prober_dispatch(rc->pr), 0);
	}
}

static struct probe_target target(bool v6, uint16_t port, enum probe_type type, uint32_t timeout_ms,
				  uint32_t interval_ms)
{
	struct probe_target t;

	memset(&t, 0, sizeof(t));
	t.addr.family = v6 ? AE_FAMILY_V6 : AE_FAMILY_V4;
	if (v6) {
		t.addr.bytes[15] = 1;
	} else {
		t.addr.bytes[0] = 127;
		t.addr.bytes[3] = 1;
	}
	t.cfg.type = type;
	t.cfg.port = port;
	strcpy(t.cfg.path, "/health/ready");
	t.cfg.interval_ms = interval_ms;
	t.cfg.timeout_ms = timeout_ms;
	t.cfg.rise = 2;
	t.cfg.fall = 2;
	t.cfg.max_replica_lag_ms = 10000;
	t.cfg.fail_on_lag = true;
	return t;
}

/* One probe of one target; its result in *out. */
static void probe_once(bool v6, const struct resp_spec *sp, uint32_t timeout_ms,
		       struct probe_result *out)
{
	struct probe_target t = target(v6, responder(v6, sp), PROBE_HTTP, timeout_ms, 5000);
	struct rec *rc = rec_new();

	assert_int_equal(prober_set_targets(rc->pr, &t, 1), 0);
	rec_run(rc, 1, timeout_ms + 2000);
	assert_int_equal(rc->n, 1);
	assert_int_equal(rc->index[0], 0);
	*out = rc->r[0];
	rec_free(rc);
}

#define OK_BODY "{\"status\":\"READY\",\"replica_lag_seconds\":1.5,\"system_mode\":\"active\"}"
static const char *resp_json(const char *status_line, const char *body)
{
	static char buf[4][512];
	static int k;
	char *b = buf[k++ % 4];

	snprintf(b, 512, "%s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		 status_line, strlen(body), body);
	return b;
}

static void expect_fail(const struct probe_result *r, const char *why)
{
	if (r->ok || strncmp(r->why, why, strlen(why)) != 0)
		fail_msg("expected \"%s\", got ok %d why \"%s\"", why, r->ok, r->why);
}

/* latency within [lo, hi] ms */
static void expect_latency(const struct probe_result *r, uint32_t lo, uint32_t hi)
{
	if (r->latency_us < lo * 1000 || r->latency_us > hi * 1000)
		fail_msg("latency %u us not within [%u, %u] ms", r->latency_us, lo, hi);
}

static void test_http_healthy(void **state)
{
	struct resp_spec sp = { .data = resp_json("HTTP/1.1 200 OK", OK_BODY) };
	struct probe_result r;

	probe_once(false, &sp, 1000, &r);
	assert_true(r.ok);
	assert_string_equal(r.why, "");
	assert_int_equal(r.http_status, 200);
	assert_true(r.has_lag && r.replica_lag_s == 1.5);
	assert_false(r.draining);
	expect_latency(&r, 0, 500);
	assert_true(r.latency_us > 0);
}

static void test_http_healthy_v6(void **state)
{
	struct resp_spec sp = { .data = resp_json("HTTP/1.0 200 OK", OK_BODY) };
	struct probe_result r;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	/* no ::1 here (IPv6 disabled): nothing to test */
	if (fd < 0 || bind(fd, (struct sockaddr *)&s6, sizeof(s6))) {
		if (fd >= 0)
			close(fd);
		skip();
	}
	close(fd);
	probe_once(true, &sp, 1000, &r);
	assert_true(r.ok);
	assert_int_equal(r.http_status, 200);
}

static void test_http_status_codes(void **state)
{
	struct resp_spec s503 = { .data = resp_json("HTTP/1.1 503 Service Unavailable",
						    "{\"status\":\"NOT_READY\"}") };
	struct resp_spec s404 = { .data = "HTTP/1.1 404 Not Found\r\n\r\n" };
	struct resp_spec s503_nobody = {
		.data = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: "
			"99999999\r\n\r\n"
	};
	struct probe_result r;

	probe_once(false, &s503, 1000, &r);
	expect_fail(&r, "HTTP 503");
	assert_int_equal(r.http_status, 503);
	probe_once(false, &s404, 1000, &r);
	expect_fail(&r, "HTTP 404");
	/* a body too large to read fails at once, on the status */
	probe_once(false, &s503_nobody, 1000, &r);
	expect_fail(&r, "HTTP 503");
	expect_latency(&r, 0, 500);
}

/* The seed's contract: a degraded region's backends answer 503 with a JSON body. */
static void test_http_503_body(void **state)
{
	struct resp_spec drain = {
		.data = resp_json("HTTP/1.1 503 Service Unavailable",
				  "{\"status\":\"DEGRADED\",\"system_mode\":\"draining\","
				  "\"error\":\"maintenance window\",\"replica_lag_seconds\":2}")
	};
	struct resp_spec down = {
		.data = resp_json(
			"HTTP/1.1 503 Service Unavailable",
			"{\"status\":\"DEGRADED\",\"system_mode\":\"active\","
			"\"error\":\"db primary unreachable\",\"replica_lag_seconds\":null}")
	};
	struct resp_spec junk = { .data = resp_json("HTTP/1.1 503 Service Unavailable",
						    "<html>busy</html>") };
	struct probe_result r;

	/* draining is not a failure: no new flows, established ones stay */
	probe_once(false, &drain, 1000, &r);
	assert_true(r.ok);
	assert_true(r.draining);
	assert_int_equal(r.http_status, 503);
	assert_string_equal(r.error, "maintenance window");
	/* a plain 503 fails, with the backend's own words */
	probe_once(false, &down, 1000, &r);
	assert_false(r.ok);
	assert_false(r.draining);
	assert_string_equal(r.why, "HTTP 503: db primary unreachable");
	assert_string_equal(r.error, "db primary unreachable");
	probe_once(false, &junk, 1000, &r);
	assert_false(r.ok);
	assert_string_equal(r.why, "HTTP 503");
}

/* "000" is no status: fail at once, not wait for a timeout as if none had come. */
static void test_http_status_000(void **state)
{
	struct resp_spec sp = { .data = "HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n" };
	struct probe_result r;

	probe_once(false, &sp, 1000, &r);
	expect_fail(&r, "bad HTTP status 000");
	expect_latency(&r, 0, 500);
}

/* Lag over max_replica_lag guards promotion only, unless fail_on_lag says it fails too. */
static void test_http_lag_not_failing_by_default(void **state)
{
	struct resp_spec lag = { .data = resp_json("HTTP/1.1 200 OK",
						   "{\"status\":\"READY\","
						   "\"replica_lag_seconds\":42}") };
	struct probe_target t = target(false, responder(false, &lag), PROBE_HTTP, 1000, 5000);
	struct rec *rc = rec_new();

	t.cfg.fail_on_lag = false;
	assert_int_equal(prober_set_targets(rc->pr, &t, 1), 0);
	rec_run(rc, 1, 3000);
	assert_int_equal(rc->n, 1);
	assert_true(rc->r[0].ok);
	assert_true(rc->r[0].has_lag && rc->r[0].replica_lag_s == 42);
	rec_free(rc);
}

static void test_http_not_ready_lag_draining(void **state)
{
	struct resp_spec nr = { .data = resp_json("HTTP/1.1 200 OK",
						  "{\"status\":\"NOT_READY\"}") };
	struct resp_spec lag = { .data = resp_json("HTTP/1.1 200 OK",
						   "{\"status\":\"READY\","
						   "\"replica_lag_seconds\":42}") };
	struct resp_spec dr = { .data = resp_json("HTTP/1.1 200 OK",
						  "{\"status\":\"READY\","
						  "\"system_mode\":\"draining\"}") };
	struct resp_spec bad = { .data = resp_json("HTTP/1.1 200 OK", "<html>ok</html>") };
	struct probe_result r;

	probe_once(false, &nr, 1000, &r);
	expect_fail(&r, "status NOT_READY");
	assert_int_equal(r.http_status, 200);
	probe_once(false, &lag, 1000, &r);
	expect_fail(&r, "replica lag 42.000s over 10.000s");
	assert_true(r.has_lag && r.replica_lag_s == 42);
	probe_once(false, &dr, 1000, &r);
	assert_true(r.ok);
	assert_true(r.draining);
	probe_once(false, &bad, 1000, &r);
	expect_fail(&r, "body is not JSON");
}

static void test_http_hang(void **state)
{
	struct resp_spec sp = { .act = ACT_HANG };
	struct probe_result r;

	probe_once(false, &sp, 300, &r);
	expect_fail(&r, "timeout (no response)");
	assert_int_equal(r.http_status, 0);
	expect_latency(&r, 300, 800);
}

static void test_http_trickle(void **state)
{
	struct resp_spec sp = { .data = resp_json("HTTP/1.1 200 OK", OK_BODY), .byte_ms = 100 };
	struct probe_result r;

	probe_once(false, &sp, 350, &r);
	expect_fail(&r, "timeout (response incomplete)");
	expect_latency(&r, 350, 850);
}

static void test_http_garbage(void **state)
{
	static const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\0\xff";
	struct resp_spec sp = { .data = junk, .len = sizeof(junk) - 1 };
	struct resp_spec line = { .data = "HTTP/1.1 2OO OK\r\n\r\n" };
	struct resp_spec hdr = { .data = "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n{}" };
	struct resp_spec cl = { .data = "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n{}" };
	struct resp_spec te = { .data = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n{}" };
	struct probe_result r;

	probe_once(false, &sp, 1000, &r);
	expect_fail(&r, "not an HTTP response");
	expect_latency(&r, 0, 500);
	probe_once(false, &line, 1000, &r);
	expect_fail(&r, "bad HTTP status line");
	probe_once(false, &hdr, 1000, &r);
	expect_fail(&r, "bad HTTP header line");
	probe_once(false, &cl, 1000, &r);
	expect_fail(&r, "bad Content-Length");
	probe_once(false, &te, 1000, &r);
	expect_fail(&r, "unsupported Transfer-Encoding");
}

static void test_http_reset_close_refused(void **state)
{
	struct resp_spec rst = { .act = ACT_RESET };
	struct resp_spec cls = { .act = ACT_CLOSE };
	struct resp_spec trunc = {
		.data = "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"status\""
	};
	struct resp_spec trunc_hdr = { .data = "HTTP/1.1 200 OK\r\nContent-Le" };
	struct probe_target t = target(false, refused_port(), PROBE_HTTP, 1000, 5000);
	struct probe_result r;
	struct rec *rc;

	probe_once(false, &rst, 1000, &r);
	expect_fail(&r, "connection reset");
	probe_once(false, &cls, 1000, &r);
	expect_fail(&r, "connection closed without a response");
	probe_once(false, &trunc, 1000, &r);
	expect_fail(&r, "truncated body (9 of 50 bytes)");
	probe_once(false, &trunc_hdr, 1000, &r);
	expect_fail(&r, "truncated HTTP headers");

	rc = rec_new();
	assert_int_equal(prober_set_targets(rc->pr, &t, 1), 0);
	rec_run(rc, 1, 2000);
	assert_int_equal(rc->n, 1);
	expect_fail(&rc->r[0], "connection refused");
	expect_latency(&rc->r[0], 0, 500);
	rec_free(rc);
}

static void test_http_too_large(void **state)
{
	struct resp_spec by_len = { .data = "HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n{}" };
	struct resp_spec by_eof = { 0 };
	struct resp_spec fits = { 0 };
	size_t n = PROBE_RESPONSE_MAX + 4096, hdr;
	char *big = malloc(n + 1), *ok = malloc(PROBE_RESPONSE_MAX + 1);
	struct probe_result r;

	assert_non_null(big);
	assert_non_null(ok);
	/* no Content-Length: read to EOF, stopped at the bound */
	hdr = sprintf(big, "HTTP/1.1 200 OK\r\n\r\n{\"status\":\"READY\",\"p\":\"");
	memset(big + hdr, 'x', n - hdr);
	by_eof.data = big;
	by_eof.len = n;
	/* exactly PROBE_RESPONSE_MAX bytes in all: accepted */
	hdr = sprintf(ok, "HTTP/1.1 200 OK\r\n\r\n{\"status\":\"READY\",\"p\":\"");
	memset(ok + hdr, 'x', PROBE_RESPONSE_MAX - hdr - 2);
	memcpy(ok + PROBE_RESPONSE_MAX - 2, "\"}", 2);
	fits.data = ok;
	fits.len = PROBE_RESPONSE_MAX;

	probe_once(false, &by_len, 1000, &r);
	expect_fail(&r, "response too large (Content-Length 20000)");
	probe_once(false, &by_eof, 1000, &r);
	expect_fail(&r, "response too large");
	probe_once(false, &fits, 1000, &r);
	assert_true(r.ok || !printf("why: %s\n", r.why));
	free(big);
	free(ok);
}

static void test_http_slow_within_timeout(void **state)
{
	struct resp_spec sp = { .data = resp_json("HTTP/1.1 200 OK", OK_BODY), .delay_ms = 150 };
	struct probe_result r;

	probe_once(false, &sp, 1000, &r);
	assert_true(r.ok);
	expect_latency(&r, 150, 900);
}

static void test_http_chunked(void **state)
{
	/* chunk sizes in both cases, an extension, a trailer, Content-Length overridden; then
	 * the same trickled 1 byte per 2 ms so every split point is fed
	 */
	static const char *const chunks[] = { "{\"status\":", "\"READY\",\"replica_lag_se",
					      "conds\":2.5}    " };
	static char resp[512];
	size_t i, n;
	static const char bad[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				  "zz\r\n{}\r\n0\r\n\r\n";
	static const char cut[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				  "20\r\n{\"status\":\"READY\"}";
	struct resp_spec sp = { .data = resp };
	struct resp_spec slow = { .data = resp, .byte_ms = 2 };
	struct resp_spec b = { .data = bad };
	struct resp_spec c = { .data = cut };
	struct probe_result r;

	n = sprintf(resp, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			  "Content-Length: 3\r\n\r\n");
	for (i = 0; i < 3; i++)
		n += sprintf(resp + n, i == 1 ? "%zX;ext=1\r\n%s\r\n" : "%zx\r\n%s\r\n",
			     strlen(chunks[i]), chunks[i]);
	sprintf(resp + n, "0\r\nX-Trailer: yes\r\n\r\n");
	probe_once(false, &sp, 1000, &r);
	assert_true(r.ok || !printf("why: %s\n", r.why));
	assert_true(r.has_lag && r.replica_lag_s == 2.5);
	probe_once(false, &slow, 2000, &r);
	assert_true(r.ok || !printf("why: %s\n", r.why));
	probe_once(false, &b, 1000, &r);
	expect_fail(&r, "bad chunk size");
	probe_once(false, &c, 1000, &r);
	expect_fail(&r, "truncated chunked body");
}

static void test_tcp_probe(void **state)
{
	struct resp_spec hang = { .act = ACT_HANG };
	struct probe_target t[2];
	struct rec *rc = rec_new();
	size_t i;

	t[0] = target(false, responder(false, &hang), PROBE_TCP, 1000, 200);
	t[1] = target(false, refused_port(), PROBE_TCP, 1000, 200);
	assert_int_equal(prober_set_targets(rc->pr, t, 2), 0);
	rec_run(rc, 2, 5000);
	assert_int_equal(rc->n, 2);
	for (i = 0; i < 2; i++) {
		if (rc->index[i] == 0) {
			assert_true(rc->r[i].ok);
			assert_int_equal(rc->r[i].http_status, 0);
		} else {
			expect_fail(&rc->r[i], "connection refused");
		}
		expect_latency(&rc->r[i], 0, 500);
	}
	rec_free(rc);
}

/* A hanging target and a trickling one in flight do not hold up a healthy one. */
static void test_isolation(void **state)
{
	struct resp_spec hang = { .act = ACT_HANG };
	struct resp_spec trickle = { .data = resp_json("HTTP/1.1 200 OK", OK_BODY),
				     .byte_ms = 100 };
	struct resp_spec ok = { .data = resp_json("HTTP/1.1 200 OK", OK_BODY) };
	struct probe_target t[4];
	struct rec *rc = rec_new();
	uint64_t at[4] = { 0 };
	size_t i;

	/* first round spread over 1 s: starts at 0, 250, 500, 750 ms */
	t[0] = target(false, responder(false, &hang), PROBE_HTTP, 900, 1000);
	t[1] = target(false, responder(false, &trickle), PROBE_HTTP, 900, 1000);
	t[2] = target(false, responder(false, &ok), PROBE_HTTP, 900, 1000);
	t[3] = target(false, refused_port(), PROBE_HTTP, 900, 1000);
	assert_int_equal(prober_set_targets(rc->pr, t, 4), 0);
	rec_run(rc, 4, 4000);
	assert_true(rc->n >= 4);
	for (i = 0; i < 4; i++) {
		assert_true(rc->index[i] < 4);
		at[rc->index[i]] = rc->at_us[i];
		if (rc->index[i] == 2) {
			assert_true(rc->r[i].ok);
			expect_latency(&rc->r[i], 0, 150);
		}
		if (rc->index[i] == 0)
			expect_fail(&rc->r[i], "timeout (no response)");
		if (rc->index[i] == 1)
			expect_fail(&rc->r[i], "timeout (response incomplete)");
		if (rc->index[i] == 3)
			expect_fail(&rc->r[i], "connection refused");
	}
	/* the healthy verdict came while the hang was still in flight */
	if (!(at[2] + 250000 < at[0] && at[2] < at[1]))
		fail_msg("healthy at %llu us, hang at %llu, trickle at %llu",
			 (unsigned long long)at[2], (unsigned long long)at[0],
			 (unsigned long long)at[1]);
	rec_free(rc);
}

/* Rounds on the interval; a probe still running when its next round is due skips it. */
static void test_rounds_and_skip(void **state)
{
	struct resp_spec ok = { .data = resp_json("HTTP/1.1 200 OK", OK_BODY) };
	struct resp_spec hang = { .act = ACT_HANG };
	struct probe_target t[2];
	struct prober_stats st;
	struct rec *rc = rec_new();
	size_t i, n_ok = 0, n_hang = 0;

	t[0] = target(false, responder(false, &ok), PROBE_HTTP, 90, 100);
	/* timeout over the interval: the engine allows it, never overlapping */
	t[1] = target(false, responder(false, &hang), PROBE_HTTP, 250, 100);
	assert_int_equal(prober_set_targets(rc->pr, t, 2), 0);
	rec_run(rc, MAX_RESULTS, 1100);
	for (i = 0; i < rc->n; i++) {
		if (rc->index[i] == 0) {
			assert_true(rc->r[i].ok);
			n_ok++;
		} else {
			expect_fail(&rc->r[i], "timeout");
			n_hang++;
		}
	}
	prober_get_stats(rc->pr, &st);
	/* 11 rounds of 100 ms at most; the hang's take 300 ms each (one in three skipped) */
	if (n_ok < 7 || n_ok > 12 || n_hang < 2 || n_hang > 4)
		fail_msg("ok %zu hang %zu", n_ok, n_hang);
	assert_true(st.skipped >= n_hang);
	assert_true(rc->max_others_inflight <= 1);
	rec_free(rc);
}

/* Unchanged targets keep their probe in flight across prober_set_targets; removed ones are
 * cancelled without a verdict.
 */
static void test_set_targets_keeps_state(void **state)
{
	struct resp_spec hang = { .act = ACT_HANG };
	struct resp_spec ok = { .data = resp_json("HTTP/1.1 200 OK", OK_BODY) };
	struct probe_target t[3], u[2];
	struct prober_stats st;
	struct rec *rc = rec_new();
	uint16_t hp = responder(false, &hang);

	t[0] = target(false, hp, PROBE_HTTP, 500, 5000);
	assert_int_equal(prober_set_targets(rc->pr, t, 1), 0);
	rec_run(rc, 1, 100); /* starts at once (index 0), hangs */
	assert_int_equal(rc->n, 0);
	prober_get_stats(rc->pr, &st);
	assert_int_equal(st.inflight, 1);

	/* same target now at index 1, behind a new one */
	t[1] = t[0];
	t[0] = target(false, responder(false, &ok), PROBE_HTTP, 500, 5000);
	assert_int_equal(prober_set_targets(rc->pr, t, 2), 0);
	rec_run(rc, 2, 2000);
	assert_int_equal(rc->n, 2);
	/* the hang's verdict carries its new index and its original start */
	assert_int_equal(rc->index[0], 0);
	assert_true(rc->r[0].ok);
	assert_int_equal(rc->index[1], 1);
	expect_fail(&rc->r[1], "timeout");
	expect_latency(&rc->r[1], 500, 1000);
	if (rc->at_us[1] > 1000000)
		fail_msg("kept probe's verdict at %llu us", (unsigned long long)rc->at_us[1]);

	/* a changed config is another target: in-flight probe cancelled, no verdict */
	rc->n = 0;
	u[0] = target(false, hp, PROBE_HTTP, 400, 5000);
	assert_int_equal(prober_set_targets(rc->pr, u, 1), 0);
	rec_run(rc, 1, 100);
	prober_get_stats(rc->pr, &st);
	assert_int_equal(st.inflight, 1);
	assert_int_equal(prober_set_targets(rc->pr, NULL, 0), 0);
	prober_get_stats(rc->pr, &st);
	assert_int_equal(st.inflight, 0);
	rec_run(rc, 1, 600);
	assert_int_equal(rc->n, 0);

	/* bad targets are refused whole */
	u[0].cfg.interval_ms = 0;
	assert_int_equal(prober_set_targets(rc->pr, u, 1), -EINVAL);
	u[0] = target(false, hp, PROBE_HTTP, 400, 5000);
	strcpy(u[0].cfg.path, "/a b");
	assert_int_equal(prober_set_targets(rc->pr, u, 1), -EINVAL);
	u[0].addr.family = 0;
	assert_int_equal(prober_set_targets(rc->pr, u, 1), -EINVAL);
	rec_free(rc);
}

/* The callback may replace the target list while the engine is mid-dispatch. */
static struct probe_target cb_targets[2];

static void cb_replace(void *ctx, size_t index, const struct probe_result *r)
{
	struct rec *rc = ctx;

	rec_done(ctx, index, r);
	/* first verdict: drop target 0, keep target 1 (now index 0) */
	if (rc->n == 1)
		assert_int_equal(prober_set_targets(rc->pr, &cb_targets[1], 1), 0);
}

static void test_set_targets_from_callback(void **state)
{
	struct resp_spec ok = { .data = resp_json("HTTP/1.1 200 OK", OK_BODY) };
	struct rec *rc = calloc(1, sizeof(*rc));
	size_t i;

	assert_non_null(rc);
	assert_int_equal(prober_new(cb_replace, rc, &rc->pr), 0);
	rc->t0 = mono_us();
	cb_targets[0] = target(false, responder(false, &ok), PROBE_HTTP, 90, 100);
	cb_targets[1] = target(false, responder(false, &ok), PROBE_HTTP, 90, 100);
	assert_int_equal(prober_set_targets(rc->pr, cb_targets, 2), 0);
	rec_run(rc, 5, 2000);
	assert_int_equal(rc->n, 5);
	for (i = 0; i < rc->n; i++)
		assert_true(rc->r[i].ok);
	for (i = 1; i < rc->n; i++)
		assert_int_equal(rc->index[i], 0);
	rec_free(rc);
}

/* Over the in-flight cap, a due probe waits for a place and its deadline starts then. */
static void test_inflight_cap(void **state)
{
	struct resp_spec hang = { .act = ACT_HANG };
	struct resp_spec ok = { .data = resp_json("HTTP/1.1 200 OK", OK_BODY) };
	struct probe_target t[2];
	struct prober_stats st;
	struct rec *rc = rec_new();

	prober_set_max_inflight(rc->pr, 1);
	/* the hang starts at 0 and holds the one place until 300 ms; ok is due at 200 ms */
	t[0] = target(false, responder(false, &hang), PROBE_HTTP, 300, 400);
	t[1] = target(false, responder(false, &ok), PROBE_HTTP, 300, 400);
	assert_int_equal(prober_set_targets(rc->pr, t, 2), 0);
	rec_run(rc, 2, 2000);
	assert_int_equal(rc->n, 2);
	assert_int_equal(rc->index[0], 0);
	expect_fail(&rc->r[0], "timeout");
	assert_int_equal(rc->index[1], 1);
	assert_true(rc->r[1].ok);
	expect_latency(&rc->r[1], 0, 150);
	assert_true(rc->at_us[1] >= 290000);
	prober_get_stats(rc->pr, &st);
	assert_true(st.deferred >= 1);
	/* without the cap, ok would have been in flight at the hang's verdict */
	assert_int_equal(rc->max_others_inflight, 0);
	rec_free(rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_table),
		cmocka_unit_test(test_body_nul_and_null_pointer),
		cmocka_unit_test(test_body_huge),
		cmocka_unit_test(test_body_deep),
		cmocka_unit_test_teardown(test_http_healthy, teardown_kids),
		cmocka_unit_test_teardown(test_http_healthy_v6, teardown_kids),
		cmocka_unit_test_teardown(test_http_status_codes, teardown_kids),
		cmocka_unit_test_teardown(test_http_503_body, teardown_kids),
		cmocka_unit_test_teardown(test_http_status_000, teardown_kids),
		cmocka_unit_test_teardown(test_http_lag_not_failing_by_default, teardown_kids),
		cmocka_unit_test_teardown(test_http_not_ready_lag_draining, teardown_kids),
		cmocka_unit_test_teardown(test_http_hang, teardown_kids),
		cmocka_unit_test_teardown(test_http_trickle, teardown_kids),
		cmocka_unit_test_teardown(test_http_garbage, teardown_kids),
		cmocka_unit_test_teardown(test_http_reset_close_refused, teardown_kids),
		cmocka_unit_test_teardown(test_http_too_large, teardown_kids),
		cmocka_unit_test_teardown(test_http_slow_within_timeout, teardown_kids),
		cmocka_unit_test_teardown(test_http_chunked, teardown_kids),
		cmocka_unit_test_teardown(test_tcp_probe, teardown_kids),
		cmocka_unit_test_teardown(test_isolation, teardown_kids),
		cmocka_unit_test_teardown(test_rounds_and_skip, teardown_kids),
		cmocka_unit_test_teardown(test_set_targets_keeps_state, teardown_kids),
		cmocka_unit_test_teardown(test_set_targets_from_callback, teardown_kids),
		cmocka_unit_test_teardown(test_inflight_cap, teardown_kids),
	};

	/* a responder dying mid-write must not take the test down */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
