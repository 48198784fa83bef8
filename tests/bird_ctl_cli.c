// SPDX-License-Identifier: GPL-2.0
/* Driver for tests/t_bird_ctl.sh: bgp/bird_ctl against a real BIRD.
 *   greet SOCK                 print the greeting line as parsed
 *   once SOCK MS CMD           one command (bird_ctl_once); lines as "line GROUP KIND TEXT",
 *                              then "reply CODE ERROR TEXT"; exit 0 if BIRD replied, 2 if not
 *   follow SOCK SECONDS UPS    the non-blocking client: print "up/down MS" (wall-clock ms),
 *                              send `show status` on each connect, print "done CMD CODE";
 *                              exit 0 after UPS connects with a good reply, 1 at the deadline
 *   rtt SOCK N PROTO           N disable/enable pairs over one connection; print the disable
 *                              round trip (send to reply) as min/median/p90/max in microseconds
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../bgp/bird_ctl.h"
#include "log.h"
#include "clock.h"

static void print_greeting(void *ctx, const struct bird_line *ln, bool final)
{
	int *done = ctx;

	if (ln->kind == '+')
		return;
	printf("greeting %04d%c%s\n", ln->code, ln->kind, ln->text);
	*done = final;
}

static int cmd_greet(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct bird_reply_parser rp;
	char buf[4096];
	int fd, done = 0, err = 1;
	ssize_t n;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("connect");
		goto out;
	}
	bird_reply_parser_init(&rp);
	while (!done) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 2000) <= 0)
			goto out;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0 || bird_reply_feed(&rp, buf, n, print_greeting, &done))
			goto out;
	}
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	return err;
}

static int cmd_once(const char *path, uint32_t ms, const char *cmd)
{
	struct bird_reply r;
	size_t i;
	int err;

	err = bird_ctl_once(path, cmd, ms, &r);
	for (i = 0; i < r.n_lines; i++)
		printf("line %04d %c %s\n", r.lines[i].group,
		       r.lines[i].kind == ' ' ? '_' : r.lines[i].kind, r.lines[i].text);
	printf("reply %d %d %s\n", r.code, r.error, r.err);
	bird_reply_free(&r);
	return err ? 2 : 0;
}

struct follow {
	struct bird_ctl *c;
	int ups;
	int good;
	int want;
};

static void follow_done(void *ctx, const char *cmd, const struct bird_reply *r)
{
	struct follow *f = ctx;

	printf("done %s %d %s\n", cmd, r->code, r->error ? r->err : "");
	if (r->code == 13)
		f->good++;
}

static void follow_state(void *ctx, bool up)
{
	struct follow *f = ctx;

	printf("%s %llu\n", up ? "up" : "down", (unsigned long long)real_ms());
	if (up) {
		f->ups++;
		bird_ctl_send(f->c, "show status");
	}
}

static int cmd_follow(const char *path, int seconds, int ups)
{
	struct follow f = { .want = ups };
	uint64_t end = mono_us() + (uint64_t)seconds * 1000000;
	struct pollfd p;
	int err;

	err = bird_ctl_new(path, 2000, follow_done, follow_state, &f, &f.c);
	if (err)
		return 1;
	p = (struct pollfd){ .fd = bird_ctl_fd(f.c), .events = POLLIN };
	while (f.good < f.want && mono_us() < end) {
		if (poll(&p, 1, 100) > 0 && bird_ctl_dispatch(f.c))
			break;
	}
	bird_ctl_free(f.c);
	return f.good >= f.want ? 0 : 1;
}

struct rtt {
	bool got;
	int code;
};

static void rtt_done(void *ctx, const char *cmd, const struct bird_reply *r)
{
	struct rtt *t = ctx;

	t->got = true;
	t->code = r->error ? -1 : r->lines && r->n_lines ? r->lines[0].code : r->code;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Send cmd and wait for its reply: the round trip in microseconds, or 0 on failure. */
static uint64_t rtt_one(struct bird_ctl *c, struct rtt *t, const char *cmd, int want)
{
	struct pollfd p = { .fd = bird_ctl_fd(c), .events = POLLIN };
	uint64_t t0 = mono_us();

	t->got = false;
	if (bird_ctl_send(c, cmd))
		return 0;
	while (!t->got && mono_us() - t0 < 2000000)
		if (poll(&p, 1, 100) > 0)
			bird_ctl_dispatch(c);
	if (!t->got || t->code != want)
		return 0;
	return mono_us() - t0;
}

static int cmd_rtt(const char *path, int n, const char *proto)
{
	struct pollfd p;
	struct rtt t = { 0 };
	struct bird_ctl *c;
	char dis[256], ena[256];
	uint64_t *us, end;
	int i, err = 1;

	us = calloc(n, sizeof(*us));
	if (!us || bird_ctl_new(path, 2000, rtt_done, NULL, &t, &c))
		return 1;
	p = (struct pollfd){ .fd = bird_ctl_fd(c), .events = POLLIN };
	end = mono_us() + 2000000;
	while (!bird_ctl_connected(c) && mono_us() < end)
		if (poll(&p, 1, 100) > 0)
			bird_ctl_dispatch(c);
	snprintf(dis, sizeof(dis), "disable %s", proto);
	snprintf(ena, sizeof(ena), "enable %s", proto);
	for (i = 0; i < n; i++) {
		/* 0009 disabled / 0011 enabled: each one a real state change */
		us[i] = rtt_one(c, &t, dis, 9);
		if (!us[i] || !rtt_one(c, &t, ena, 11)) {
			fprintf(stderr, "rtt: round %d failed\n", i);
			goto out;
		}
	}
	qsort(us, n, sizeof(*us), cmp_u64);
	printf("rtt disable n=%d min=%llu median=%llu p90=%llu max=%llu us\n", n,
	       (unsigned long long)us[0], (unsigned long long)us[n / 2],
	       (unsigned long long)us[n * 9 / 10], (unsigned long long)us[n - 1]);
	err = 0;
out:
	bird_ctl_free(c);
	free(us);
	return err;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_set_level(LOG_WARN);
	if (argc == 3 && !strcmp(argv[1], "greet"))
		return cmd_greet(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "once"))
		return cmd_once(argv[2], (uint32_t)atoi(argv[3]), argv[4]);
	if (argc == 5 && !strcmp(argv[1], "follow"))
		return cmd_follow(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "rtt") && atoi(argv[3]) > 0)
		return cmd_rtt(argv[2], atoi(argv[3]), argv[4]);
	fprintf(stderr,
		"usage: %s greet SOCK | once SOCK MS CMD | follow SOCK SECONDS UPS | "
		"rtt SOCK N PROTO\n",
		argv[0]);
	return 64;
}
