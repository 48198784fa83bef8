// SPDX-License-Identifier: GPL-2.0
/* Unit tests for bird_reply.c and bird_ctl.c: the parser on replies recorded from BIRD 2.0.12
 * (fed whole, split at every byte and byte by byte), unknown codes, garbage and overlong lines;
 * the client against a fake BIRD on a UNIX socket in a temp dir for greeting, queueing,
 * timeout, restart and the backoff schedule; bird_ctl_once against a forked fake.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "bird_ctl.h"
#include "clock.h"

/* ---- the parser ---- */

struct rec {
	const char *name;
	const char *bytes; /* exactly as BIRD 2.0.12 wrote them */
	int code; /* final code */
	bool error;
	size_t n_lines;
	const char *err; /* BIRD's text kept for an error */
};

static const struct rec recs[] = {
	{ "greeting", "0001 BIRD 2.0.12 ready.\n", 1, false, 1, NULL },
	{ "disable", "0009-anyedge_t1: disabled\n0000 \n", 0, false, 2, NULL },
	{ "disable again", "0008-anyedge_t1: already disabled\n0000 \n", 0, false, 2, NULL },
	{ "enable", "0011-anyedge_t1: enabled\n0000 \n", 0, false, 2, NULL },
	{ "enable again", "0010-anyedge_t1: already enabled\n0000 \n", 0, false, 2, NULL },
	{ "unknown protocol",
	  "9001 syntax error, unexpected CF_SYM_UNDEFINED, expecting CF_SYM_KNOWN or TEXT or ALL\n",
	  9001, true, 1,
	  "syntax error, unexpected CF_SYM_UNDEFINED, expecting CF_SYM_KNOWN or TEXT or ALL" },
	{ "no match", "8003 No protocols match\n", 8003, true, 1, "No protocols match" },
	{ "configure", "0002-Reading configuration from bird.conf\n0003 Reconfigured\n", 3, false,
	  2, NULL },
	{ "configure in progress",
	  "0002-Reading configuration from /etc/bird/bird.conf\n0004 Reconfiguration in progress\n",
	  4, false, 2, NULL },
	{ "configure error",
	  "0002-Reading configuration from /tmp/b/bad.conf\n"
	  "8002 /tmp/b/bad.conf:2:46 syntax error, unexpected CF_SYM_UNDEFINED\n",
	  8002, true, 2, "/tmp/b/bad.conf:2:46 syntax error, unexpected CF_SYM_UNDEFINED" },
	{ "configure check", "0002-Reading configuration from bird.conf\n0020 Configuration OK\n",
	  20, false, 2, NULL },
	{ "no route", "8001 Network not found\n", 8001, true, 1, "Network not found" },
	{ "show status",
	  "1000-BIRD 2.0.12\n1011-Router ID is 192.0.2.250\n Hostname is vm\n"
	  " Current server time is 2026-11-28 23:21:28.830\n"
	  " Last reboot on 2026-11-28 23:21:28.067\n"
	  " Last reconfiguration on 2026-11-28 23:21:28.067\n0013 Daemon is up and running\n",
	  13, false, 7, NULL },
	{ "show protocols",
	  "2002-Name       Proto      Table      State  Since         Info\n"
	  "1002-device1    Device     ---        up     23:21:28.067  \n"
	  " anyedge_t1 Static     master4    up     23:21:28.831  \n"
	  " anyedge_t2 Static     master4    up     23:21:28.067  \n0000 \n",
	  0, false, 5, NULL },
	{ "show route",
	  "1007-Table master4:\n"
	  " 192.0.2.1/32         blackhole [anyedge_t1 23:21:28.831] * (200)\n0000 \n",
	  0, false, 3, NULL },
	{ "restricted", "8007 Access denied\n", 8007, true, 1, "Access denied" },
	/* after `echo all`, log lines follow the reply; they may also sit inside one */
	{ "spontaneous after", "0009-anyedge_t2: disabled\n0000 \n+Disabling protocol anyedge_t2\n",
	  0, false, 2, NULL },
	{ "spontaneous inside", "1002-a x\n+Enabling protocol b\n b y\n0000 \n", 0, false, 3,
	  NULL },
	{ "unknown codes", "4242-future\n more future\n0042 \n", 42, false, 3, NULL },
	{ "unknown error code", "8999 something new\n", 8999, true, 1, "something new" },
};

struct collect {
	struct bird_reply r;
	int n_final;
	int n_spont;
	int n_calls;
};

static void collect_line(void *ctx, const struct bird_line *ln, bool final)
{
	struct collect *k = ctx;

	k->n_calls++;
	if (ln->kind == '+')
		k->n_spont++;
	assert_int_equal(bird_reply_add(&k->r, ln, final), 0);
	if (final)
		k->n_final++;
}

/* Feed in pieces cut at the given offsets (sorted, within len). */
static int feed_cut(struct collect *k, const char *s, size_t len, const size_t *cuts, int n_cuts)
{
	struct bird_reply_parser rp;
	size_t at = 0;
	int i, err;

	memset(k, 0, sizeof(*k));
	bird_reply_parser_init(&rp);
	for (i = 0; i <= n_cuts; i++) {
		size_t end = i < n_cuts ? cuts[i] : len;

		err = bird_reply_feed(&rp, s + at, end - at, collect_line, k);
		if (err)
			return err;
		at = end;
	}
	return 0;
}

static void same_reply(const struct bird_reply *a, const struct bird_reply *b)
{
	size_t i;

	assert_int_equal(a->code, b->code);
	assert_int_equal(a->error, b->error);
	assert_int_equal(a->n_lines, b->n_lines);
	assert_string_equal(a->err, b->err);
	for (i = 0; i < a->n_lines; i++) {
		assert_int_equal(a->lines[i].code, b->lines[i].code);
		assert_int_equal(a->lines[i].group, b->lines[i].group);
		assert_int_equal(a->lines[i].kind, b->lines[i].kind);
		assert_int_equal(a->lines[i].cut, b->lines[i].cut);
		assert_string_equal(a->lines[i].text, b->lines[i].text);
	}
}

static void test_recorded(void **state)
{
	struct collect whole, k;
	size_t r, len, cut, cuts[2];
	int n_split = 0;

	for (r = 0; r < sizeof(recs) / sizeof(recs[0]); r++) {
		const struct rec *t = &recs[r];

		len = strlen(t->bytes);
		assert_int_equal(feed_cut(&whole, t->bytes, len, NULL, 0), 0);
		if (whole.r.code != t->code || whole.r.n_lines != t->n_lines)
			fail_msg("%s: code %d lines %zu", t->name, whole.r.code, whole.r.n_lines);
		assert_int_equal(whole.n_final, 1);
		assert_int_equal(whole.r.error, t->error);
		if (t->err)
			assert_string_equal(whole.r.err, t->err);
		/* every split point, and every pair of split points one line apart */
		for (cut = 0; cut <= len; cut++) {
			cuts[0] = cut;
			assert_int_equal(feed_cut(&k, t->bytes, len, cuts, 1), 0);
			same_reply(&whole.r, &k.r);
			assert_int_equal(k.n_final, 1);
			bird_reply_free(&k.r);
			cuts[1] = cut + 7 < len ? cut + 7 : len;
			assert_int_equal(feed_cut(&k, t->bytes, len, cuts, 2), 0);
			same_reply(&whole.r, &k.r);
			bird_reply_free(&k.r);
			n_split++;
		}
		bird_reply_free(&whole.r);
	}
	assert_true(n_split > 1000);
}

static void test_byte_by_byte(void **state)
{
	struct collect whole, k;
	size_t r, len, i, *cuts;

	for (r = 0; r < sizeof(recs) / sizeof(recs[0]); r++) {
		len = strlen(recs[r].bytes);
		cuts = calloc(len, sizeof(*cuts));
		assert_non_null(cuts);
		for (i = 0; i < len; i++)
			cuts[i] = i;
		assert_int_equal(feed_cut(&whole, recs[r].bytes, len, NULL, 0), 0);
		assert_int_equal(feed_cut(&k, recs[r].bytes, len, cuts, (int)len), 0);
		same_reply(&whole.r, &k.r);
		bird_reply_free(&whole.r);
		bird_reply_free(&k.r);
		free(cuts);
	}
}

static void test_line_shapes(void **state)
{
	const char *s = "1002-device1 Device\n anyedge_t1 Static\n+log\n anyedge_t2 Static\n"
			"<12 messages lost>\n0000 \n";
	struct collect k;

	assert_int_equal(feed_cut(&k, s, strlen(s), NULL, 0), 0);
	assert_int_equal(k.n_spont, 2);
	assert_int_equal(k.r.n_lines, 4);
	assert_int_equal(k.r.lines[0].code, 1002);
	assert_int_equal(k.r.lines[0].kind, '-');
	assert_int_equal(k.r.lines[1].code, -1);
	assert_int_equal(k.r.lines[1].kind, 'c');
	/* a spontaneous line between rows does not break the continuation */
	assert_int_equal(k.r.lines[2].group, 1002);
	assert_string_equal(k.r.lines[2].text, "anyedge_t2 Static");
	assert_int_equal(k.r.lines[3].kind, ' ');
	assert_string_equal(k.r.lines[3].text, "");
	assert_false(k.r.error);
	bird_reply_free(&k.r);
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
		"hello\n",
		"\n",
		"12-x\n",
		"00a1 x\n",
		"0000\n",
		"00000 x\n",
		"0000x\n",
		" orphan continuation\n",
		"0001 ok\n after the final line\n",
		"+ok\nbad\n",
		"-0001 x\n",
		"\t0001 x\n",
	};
	char nul[] = "0000 a\0b\n";
	struct collect k;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (feed_cut(&k, bad[i], strlen(bad[i]), NULL, 0) != -EPROTO)
			fail_msg("accepted garbage %zu: \"%s\"", i, bad[i]);
		bird_reply_free(&k.r);
	}
	assert_int_equal(feed_cut(&k, nul, sizeof(nul) - 1, NULL, 0), -EPROTO);
	/* the good line before the garbage still comes out */
	assert_int_equal(feed_cut(&k, bad[8], strlen(bad[8]), NULL, 0), -EPROTO);
	assert_int_equal(k.n_final, 1);
	bird_reply_free(&k.r);
	/* a partial line is not judged before its newline */
	assert_int_equal(feed_cut(&k, "hel", 3, NULL, 0), 0);
}

static void test_overlong(void **state)
{
	static char s[5000 + 64];
	size_t n = 5000, len, cut, cuts[1];
	struct collect whole, k;

	memcpy(s, "1007-", 5);
	memset(s + 5, 'a', n);
	strcpy(s + 5 + n, "\n 1023\n0000 \n");
	len = strlen(s);
	assert_int_equal(feed_cut(&whole, s, len, NULL, 0), 0);
	assert_int_equal(whole.r.n_lines, 3);
	assert_true(whole.r.lines[0].cut);
	assert_int_equal(strlen(whole.r.lines[0].text), BIRD_LINE_MAX - 1);
	assert_false(whole.r.lines[1].cut); /* the flag does not leak into the next line */
	assert_string_equal(whole.r.lines[1].text, "1023");
	assert_int_equal(whole.r.lines[1].group, 1007);
	for (cut = 0; cut <= len; cut++) {
		cuts[0] = cut;
		assert_int_equal(feed_cut(&k, s, len, cuts, 1), 0);
		same_reply(&whole.r, &k.r);
		bird_reply_free(&k.r);
	}
	bird_reply_free(&whole.r);

	/* the limit itself: 1023 characters of text fit, 1024 are cut */
	memset(s + 5, 'b', BIRD_LINE_MAX);
	strcpy(s + 5 + BIRD_LINE_MAX - 1, "\n");
	assert_int_equal(feed_cut(&k, s, strlen(s), NULL, 0), 0);
	assert_false(k.r.lines[0].cut);
	bird_reply_free(&k.r);
	memset(s + 5, 'b', BIRD_LINE_MAX);
	strcpy(s + 5 + BIRD_LINE_MAX, "\n");
	assert_int_equal(feed_cut(&k, s, strlen(s), NULL, 0), 0);
	assert_true(k.r.lines[0].cut);
	assert_int_equal(strlen(k.r.lines[0].text), BIRD_LINE_MAX - 1);
	bird_reply_free(&k.r);
}

static void test_reply_truncated(void **state)
{
	struct bird_reply r = { 0 };
	struct bird_line ln = { .code = 1007, .group = 1007, .kind = '-' };
	int i;

	for (i = 0; i < BIRD_REPLY_MAX_LINES + 100; i++)
		assert_int_equal(bird_reply_add(&r, &ln, false), 0);
	ln.code = 0;
	ln.kind = ' ';
	assert_int_equal(bird_reply_add(&r, &ln, true), 0);
	assert_int_equal(r.n_lines, BIRD_REPLY_MAX_LINES);
	assert_true(r.truncated);
	assert_int_equal(r.code, 0);
	assert_false(r.error);
	bird_reply_free(&r);
}

/* ---- the client against a fake BIRD ---- */

#define GREETING "0001 BIRD 2.0.12 ready.\n"

struct fake {
	char dir[64];
	char path[128];
	int lfd;
};

struct seen {
	int n_done;
	int ups, downs;
	char cmd[8][64];
	int code[8];
	bool error[8];
	char err[8][BIRD_LINE_MAX];
	size_t n_lines[8];
	uint64_t up_at;
};

static void on_done(void *ctx, const char *cmd, const struct bird_reply *r)
{
	struct seen *s = ctx;
	int i = s->n_done++ % 8;

	snprintf(s->cmd[i], sizeof(s->cmd[i]), "%s", cmd);
	s->code[i] = r->code;
	s->error[i] = r->error;
	snprintf(s->err[i], sizeof(s->err[i]), "%s", r->err);
	s->n_lines[i] = r->n_lines;
}

static void on_state(void *ctx, bool up)
{
	struct seen *s = ctx;

	if (up) {
		s->ups++;
		s->up_at = mono_ms();
	} else {
		s->downs++;
	}
}

static void fake_dir(struct fake *f)
{
	strcpy(f->dir, "/tmp/bird_ctl_test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/bird.ctl", f->dir);
	f->lfd = -1;
}

static void fake_listen(struct fake *f)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	strcpy(a.sun_path, f->path);
	unlink(f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f->lfd, 8), 0);
}

static void fake_done(struct fake *f)
{
	if (f->lfd >= 0)
		close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
}

/* Run the client's loop for up to ms, or until *flag reaches want. */
static void pump(struct bird_ctl *c, int ms, const int *flag, int want)
{
	uint64_t end = mono_ms() + ms;
	struct pollfd p = { .fd = bird_ctl_fd(c), .events = POLLIN };
	uint64_t now;

	while ((!flag || *flag < want) && (now = mono_ms()) < end) {
		if (poll(&p, 1, (int)(end - now)) > 0)
			assert_int_equal(bird_ctl_dispatch(c), 0);
	}
}

/* Accept a connection while running the client; -1 if none came within ms. */
static int fake_accept(struct fake *f, struct bird_ctl *c, int ms)
{
	uint64_t end = mono_ms() + ms;
	struct pollfd p[2] = { { .fd = f->lfd, .events = POLLIN },
			       { .fd = bird_ctl_fd(c), .events = POLLIN } };
	uint64_t now;

	while ((now = mono_ms()) < end) {
		if (poll(p, 2, (int)(end - now)) <= 0)
			continue;
		if (p[1].revents)
			assert_int_equal(bird_ctl_dispatch(c), 0);
		if (p[0].revents)
			return accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
	}
	return -1;
}

/* Read one command line the client sent, running the client meanwhile; "" on EOF. */
static bool fake_read_line(int fd, struct bird_ctl *c, char *buf, size_t size, int ms)
{
	uint64_t end = mono_ms() + ms;
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
			       { .fd = bird_ctl_fd(c), .events = POLLIN } };
	size_t len = 0;
	uint64_t now;

	while ((now = mono_ms()) < end && len < size - 1) {
		if (poll(p, 2, (int)(end - now)) <= 0)
			continue;
		if (p[1].revents)
			assert_int_equal(bird_ctl_dispatch(c), 0);
		if (!p[0].revents)
			continue;
		if (read(fd, buf + len, 1) != 1) {
			buf[len] = '\0';
			return len == 0;
		}
		if (buf[len] == '\n') {
			buf[len] = '\0';
			return true;
		}
		len++;
	}
	buf[len] = '\0';
	return false;
}

static void fake_write(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Connect a client to a fresh fake and get through the greeting. */
static int connected(struct fake *f, struct seen *s, uint32_t timeout_ms, struct bird_ctl **c)
{
	int fd;

	fake_dir(f);
	fake_listen(f);
	memset(s, 0, sizeof(*s));
	assert_int_equal(bird_ctl_new(f->path, timeout_ms, on_done, on_state, s, c), 0);
	fd = fake_accept(f, *c, 1000);
	assert_true(fd >= 0);
	assert_false(bird_ctl_connected(*c));
	/* the greeting split across writes */
	fake_write(fd, "0001 BIRD 2.0");
	pump(*c, 30, NULL, 0);
	assert_false(bird_ctl_connected(*c));
	fake_write(fd, ".12 ready.\n");
	pump(*c, 1000, &s->ups, 1);
	assert_true(bird_ctl_connected(*c));
	return fd;
}

static void test_client_basic(void **state)
{
	struct bird_ctl *c;
	struct fake f;
	struct seen s;
	char line[256];
	int fd;

	fd = connected(&f, &s, 1000, &c);
	assert_int_equal(bird_ctl_send(c, "disable anyedge_t1"), 0);
	assert_true(fake_read_line(fd, c, line, sizeof(line), 1000));
	assert_string_equal(line, "disable anyedge_t1");
	fake_write(fd, "0009-anyedge_t1: disa");
	pump(c, 30, NULL, 0);
	assert_int_equal(s.n_done, 0);
	fake_write(fd, "bled\n0000 \n+Disabling protocol anyedge_t1\n");
	pump(c, 1000, &s.n_done, 1);
	assert_int_equal(s.n_done, 1);
	assert_string_equal(s.cmd[0], "disable anyedge_t1");
	assert_int_equal(s.code[0], 0);
	assert_false(s.error[0]);
	assert_int_equal(s.n_lines[0], 2);

	assert_int_equal(bird_ctl_send(c, "disable nosuch"), 0);
	assert_true(fake_read_line(fd, c, line, sizeof(line), 1000));
	fake_write(fd, "9001 syntax error, unexpected CF_SYM_UNDEFINED\n");
	pump(c, 1000, &s.n_done, 2);
	assert_int_equal(s.code[1], 9001);
	assert_true(s.error[1]);
	assert_string_equal(s.err[1], "syntax error, unexpected CF_SYM_UNDEFINED");
	/* a spontaneous line while idle is fine */
	fake_write(fd, "+Enabling protocol x\n");
	pump(c, 50, NULL, 0);
	assert_true(bird_ctl_connected(c));
	assert_int_equal(s.downs, 0);

	assert_int_equal(bird_ctl_send(c, ""), -EINVAL);
	assert_int_equal(bird_ctl_send(c, "show status\nrestrict"), -EINVAL);
	memset(line, 'x', sizeof(line));
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(bird_ctl_send(c, line), 0);
	{
		char *big = malloc(BIRD_CMD_MAX + 2);

		memset(big, 'x', BIRD_CMD_MAX + 1);
		big[BIRD_CMD_MAX + 1] = '\0';
		assert_int_equal(bird_ctl_send(c, big), -EMSGSIZE);
		free(big);
	}
	bird_ctl_free(c);
	close(fd);
	fake_done(&f);
}

static void test_client_queue(void **state)
{
	struct bird_ctl *c;
	struct fake f;
	struct seen s;
	char line[256];
	struct pollfd p;
	int fd, i;

	fd = connected(&f, &s, 1000, &c);
	assert_int_equal(bird_ctl_send(c, "show status"), 0);
	assert_int_equal(bird_ctl_send(c, "disable a"), 0);
	assert_int_equal(bird_ctl_send(c, "enable a"), 0);
	assert_true(fake_read_line(fd, c, line, sizeof(line), 1000));
	assert_string_equal(line, "show status");
	/* one in flight: nothing more is written until the reply */
	pump(c, 50, NULL, 0);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 0), 0);
	fake_write(fd, "1000-BIRD 2.0.12\n0013 Daemon is up and running\n");
	assert_true(fake_read_line(fd, c, line, sizeof(line), 1000));
	assert_string_equal(line, "disable a");
	fake_write(fd, "0009-a: disabled\n0000 \n");
	assert_true(fake_read_line(fd, c, line, sizeof(line), 1000));
	assert_string_equal(line, "enable a");
	fake_write(fd, "0011-a: enabled\n0000 \n");
	pump(c, 1000, &s.n_done, 3);
	assert_string_equal(s.cmd[0], "show status");
	assert_int_equal(s.code[0], 13);
	assert_string_equal(s.cmd[1], "disable a");
	assert_string_equal(s.cmd[2], "enable a");
	assert_int_equal(s.code[2], 0);
	/* bounded: one in flight plus BIRD_CTL_QUEUE_MAX queued */
	for (i = 0; i < BIRD_CTL_QUEUE_MAX + 1; i++)
		assert_int_equal(bird_ctl_send(c, "show status"), 0);
	assert_int_equal(bird_ctl_send(c, "show status"), -E2BIG);
	bird_ctl_free(c);
	close(fd);
	fake_done(&f);
}

static void test_client_timeout(void **state)
{
	struct bird_ctl *c;
	struct fake f;
	struct seen s;
	char line[256];
	uint64_t t0;
	int fd, fd2;

	fd = connected(&f, &s, 200, &c);
	assert_int_equal(bird_ctl_send(c, "show status"), 0);
	assert_true(fake_read_line(fd, c, line, sizeof(line), 1000));
	t0 = mono_ms();
	fake_write(fd, "1000-BIRD 2.0.12\n"); /* and then nothing */
	pump(c, 1000, &s.n_done, 1);
	assert_int_equal(s.n_done, 1);
	assert_in_range(mono_ms() - t0, 150, 400);
	assert_true(s.error[0]);
	assert_int_equal(s.code[0], -1);
	assert_string_equal(s.err[0], "timeout");
	assert_int_equal(s.downs, 1);
	assert_false(bird_ctl_connected(c));
	/* the old connection was closed: the fake sees EOF */
	assert_int_equal(read(fd, line, sizeof(line)), 0);
	close(fd);
	/* and a new one comes after the first backoff step */
	t0 = mono_ms();
	fd2 = fake_accept(&f, c, 1000);
	assert_true(fd2 >= 0);
	assert_in_range(mono_ms() - t0, 50, 300);
	fake_write(fd2, GREETING);
	pump(c, 1000, &s.ups, 2);
	assert_int_equal(bird_ctl_send(c, "show status"), 0);
	assert_true(fake_read_line(fd2, c, line, sizeof(line), 1000));
	fake_write(fd2, "0013 Daemon is up and running\n");
	pump(c, 1000, &s.n_done, 2);
	assert_int_equal(s.code[1], 13);
	bird_ctl_free(c);
	close(fd2);
	fake_done(&f);
}

static void test_client_restart(void **state)
{
	struct bird_ctl *c;
	struct fake f;
	struct seen s;
	char line[256];
	int fd;

	fd = connected(&f, &s, 1000, &c);
	assert_int_equal(bird_ctl_send(c, "disable a"), 0);
	assert_int_equal(bird_ctl_send(c, "enable b"), 0);
	assert_true(fake_read_line(fd, c, line, sizeof(line), 1000));
	/* BIRD dies with a command in flight and its socket goes away */
	close(fd);
	close(f.lfd);
	unlink(f.path);
	f.lfd = -1;
	pump(c, 1000, &s.downs, 1);
	assert_int_equal(s.n_done, 1);
	assert_string_equal(s.cmd[0], "disable a");
	assert_true(s.error[0]);
	assert_int_equal(s.code[0], -1);
	pump(c, 250, NULL, 0); /* a couple of failed attempts */
	fake_listen(&f);
	fd = fake_accept(&f, c, 2000);
	assert_true(fd >= 0);
	fake_write(fd, GREETING);
	/* the queued command survives the restart */
	assert_true(fake_read_line(fd, c, line, sizeof(line), 1000));
	assert_string_equal(line, "enable b");
	assert_int_equal(s.ups, 2);
	fake_write(fd, "0011-b: enabled\n0000 \n");
	pump(c, 1000, &s.n_done, 2);
	assert_false(s.error[1]);
	/* garbage while idle resets the connection */
	fake_write(fd, "garbage\n");
	pump(c, 1000, &s.downs, 2);
	assert_int_equal(s.downs, 2);
	bird_ctl_free(c);
	close(fd);
	fake_done(&f);
}

/* BIRD accepts and closes before greeting: each failure doubles the wait (100, 200, 400 ms
 * checked; the 5 s cap would cost the test 11 s).
 */
static void test_client_backoff(void **state)
{
	uint64_t at[5];
	struct bird_ctl *c;
	struct fake f;
	struct seen s = { 0 };
	int i, fd, gap, want;

	fake_dir(&f);
	fake_listen(&f);
	assert_int_equal(bird_ctl_new(f.path, 1000, on_done, on_state, &s, &c), 0);
	for (i = 0; i < 4; i++) {
		fd = fake_accept(&f, c, 4000);
		assert_true(fd >= 0);
		at[i] = mono_ms();
		close(fd);
	}
	for (i = 1; i < 4; i++) {
		gap = (int)(at[i] - at[i - 1]);
		want = 100 << (i - 1);
		if (gap < want - 10 || gap > want + 80)
			fail_msg("attempt %d after %d ms, want %d", i, gap, want);
	}
	/* a greeting resets the backoff: the next loss waits 100 ms again */
	fd = fake_accept(&f, c, 4000);
	assert_true(fd >= 0);
	fake_write(fd, GREETING);
	pump(c, 1000, &s.ups, 1);
	close(fd);
	pump(c, 1000, &s.downs, 1);
	at[4] = mono_ms();
	fd = fake_accept(&f, c, 1000);
	assert_true(fd >= 0);
	assert_in_range(mono_ms() - at[4], 80, 200);
	close(fd);
	bird_ctl_free(c);
	fake_done(&f);
}

/* No socket at all for 350 ms: attempts at 0, 100, 300, 700 ms find it at 700. */
static void test_client_absent(void **state)
{
	struct bird_ctl *c;
	struct fake f;
	struct seen s = { 0 };
	uint64_t t0;
	int fd;

	fake_dir(&f);
	t0 = mono_ms();
	assert_int_equal(bird_ctl_new(f.path, 1000, on_done, on_state, &s, &c), 0);
	assert_int_equal(bird_ctl_send(c, "show status"), 0); /* queued meanwhile */
	pump(c, 350, NULL, 0);
	assert_false(bird_ctl_connected(c));
	fake_listen(&f);
	fd = fake_accept(&f, c, 2000);
	assert_true(fd >= 0);
	assert_in_range(mono_ms() - t0, 650, 850);
	fake_write(fd, GREETING);
	pump(c, 1000, &s.ups, 1);
	assert_true(bird_ctl_connected(c));
	bird_ctl_free(c);
	close(fd);
	fake_done(&f);
}

/* A forked fake for the blocking call: greet (unless mute), read a line, answer. */
static pid_t fake_child(struct fake *f, const char *answer, bool mute)
{
	char line[256];
	pid_t pid;
	size_t n = 0;
	int fd;

	pid = fork();
	assert_true(pid >= 0);
	if (pid)
		return pid;
	fd = accept(f->lfd, NULL, NULL);
	if (fd < 0)
		_exit(1);
	if (mute) {
		sleep(2);
		_exit(0);
	}
	if (write(fd, GREETING, strlen(GREETING)) < 0)
		_exit(1);
	while (n < sizeof(line) - 1 && read(fd, line + n, 1) == 1 && line[n] != '\n')
		n++;
	/* answer in two writes so the caller reads a split reply */
	if (write(fd, answer, 3) < 0 || write(fd, answer + 3, strlen(answer) - 3) < 0)
		_exit(1);
	sleep(1);
	_exit(0);
}

static void test_once(void **state)
{
	struct bird_reply r;
	struct fake f;
	uint64_t t0;
	pid_t pid;

	fake_dir(&f);
	assert_int_equal(bird_ctl_once(f.path, "show status", 300, &r), -ENOENT);
	assert_true(r.error);
	assert_int_equal(r.code, -1);
	bird_reply_free(&r);

	fake_listen(&f);
	pid = fake_child(&f, "0009-anyedge_t1: disabled\n0000 \n", false);
	assert_int_equal(bird_ctl_once(f.path, "disable anyedge_t1", 1000, &r), 0);
	assert_int_equal(r.code, 0);
	assert_false(r.error);
	assert_int_equal(r.n_lines, 2);
	assert_int_equal(r.lines[0].code, 9);
	bird_reply_free(&r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	pid = fake_child(&f, "8003 No protocols match\n", false);
	assert_int_equal(bird_ctl_once(f.path, "disable \"zz*\"", 1000, &r), 0);
	assert_true(r.error);
	assert_string_equal(r.err, "No protocols match");
	bird_reply_free(&r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	pid = fake_child(&f, "", true);
	t0 = mono_ms();
	assert_int_equal(bird_ctl_once(f.path, "show status", 200, &r), -ETIMEDOUT);
	assert_in_range(mono_ms() - t0, 190, 400);
	assert_string_equal(r.err, "greeting: timeout");
	bird_reply_free(&r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fake_done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded),       cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_line_shapes),    cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_overlong),       cmocka_unit_test(test_reply_truncated),
		cmocka_unit_test(test_client_basic),   cmocka_unit_test(test_client_queue),
		cmocka_unit_test(test_client_timeout), cmocka_unit_test(test_client_restart),
		cmocka_unit_test(test_client_backoff), cmocka_unit_test(test_client_absent),
		cmocka_unit_test(test_once),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
