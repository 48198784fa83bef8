// SPDX-License-Identifier: GPL-2.0
/* Probe engine benchmark (not a test): one probe_responder listening on N loopback ports, one
 * prober probing each port as a target at the given interval for D seconds, then the probes
 * per second and the prober's CPU (this process only; getrusage) as a share of one core.
 *
 *   probe_bench [-n TARGETS] [-d SECONDS] [-i INTERVAL_MS] [-t TIMEOUT_MS] [-p BASE_PORT]
 *               [-m ok|hang|garbage|503] [--tcp] [-r RESPONDER]
 *
 * The responder defaults to probe_responder beside this binary.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "probe.h"

struct bench {
	uint64_t results, ok;
	uint32_t *lat; /* latencies in us */
	size_t n_lat, cap_lat;
	char first_why[128];
};

static double tv_s(const struct timeval *tv)
{
	return tv->tv_sec + tv->tv_usec / 1e6;
}

static void on_done(void *ctx, size_t index, const struct probe_result *r)
{
	struct bench *b = ctx;

	b->results++;
	if (r->ok)
		b->ok++;
	else if (!b->first_why[0])
		snprintf(b->first_why, sizeof(b->first_why), "%s", r->why);
	if (b->n_lat < b->cap_lat)
		b->lat[b->n_lat++] = r->latency_us;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Start the responder on ports base..base+n-1; its pid, once it says "ready". */
static pid_t start_responder(const char *path, unsigned int base, unsigned int n, const char *mode)
{
	char listen[64], line[64];
	int pfd[2];
	FILE *f;
	pid_t pid;

	snprintf(listen, sizeof(listen), "127.0.0.1:%u-%u", base, base + n - 1);
	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execl(path, path, "--listen", listen, "--name", "bench", "--mode", mode,
		      (char *)NULL);
		perror(path);
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return -1;
	}
	f = fdopen(pfd[0], "r");
	if (!f || !fgets(line, sizeof(line), f) || strncmp(line, "ready", 5)) {
		fprintf(stderr, "probe_bench: responder did not start\n");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	return pid;
}

/* SIGTERM, then SIGKILL after 2 s; the child's CPU in *ru. */
static void stop_responder(pid_t pid, struct rusage *ru)
{
	int i;

	kill(pid, SIGTERM);
	for (i = 0; i < 200; i++) {
		if (wait4(pid, NULL, WNOHANG, ru) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	wait4(pid, NULL, 0, ru);
}

int main(int argc, char **argv)
{
	unsigned int n = 1000, secs = 10, interval = 1000, timeout = 500, base = 20000;
	const char *mode = "ok";
	char self[PATH_MAX], rpath[PATH_MAX + 32] = "";
	struct rusage ru0, ru1, rru = { 0 };
	struct probe_target *t = NULL;
	struct prober_stats st;
	struct prober *pr = NULL;
	struct bench b = { 0 };
	struct pollfd p;
	bool tcp = false;
	uint64_t t0, t1, end;
	double cpu, wall;
	pid_t rpid = -1;
	unsigned int i;
	ssize_t sl;
	int err = 1, c;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "--tcp")) {
			tcp = true;
			continue;
		}
		if (i + 1 >= (unsigned int)argc || argv[i][0] != '-' || strlen(argv[i]) != 2)
			goto usage;
		c = argv[i][1];
		if (c == 'n')
			n = atoi(argv[++i]);
		else if (c == 'd')
			secs = atoi(argv[++i]);
		else if (c == 'i')
			interval = atoi(argv[++i]);
		else if (c == 't')
			timeout = atoi(argv[++i]);
		else if (c == 'p')
			base = atoi(argv[++i]);
		else if (c == 'm')
			mode = argv[++i];
		else if (c == 'r')
			snprintf(rpath, sizeof(rpath), "%s", argv[++i]);
		else
			goto usage;
	}
	if (!n || n > 30000 || base + n > 65536 || !secs || !interval || !timeout)
		goto usage;
	if (!rpath[0]) {
		sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (sl < 0)
			goto usage;
		self[sl] = '\0';
		snprintf(rpath, sizeof(rpath), "%s/probe_responder", dirname(self));
	}

	t = calloc(n, sizeof(*t));
	b.cap_lat = (size_t)n * (secs * 1000 / interval + 2);
	b.lat = calloc(b.cap_lat, sizeof(*b.lat));
	if (!t || !b.lat)
		goto out;
	rpid = start_responder(rpath, base, n, mode);
	if (rpid < 0)
		goto out;
	for (i = 0; i < n; i++) {
		t[i].addr.family = AE_FAMILY_V4;
		t[i].addr.bytes[0] = 127;
		t[i].addr.bytes[3] = 1;
		t[i].cfg.type = tcp ? PROBE_TCP : PROBE_HTTP;
		t[i].cfg.port = base + i;
		strcpy(t[i].cfg.path, "/health/ready");
		t[i].cfg.interval_ms = interval;
		t[i].cfg.timeout_ms = timeout;
		t[i].cfg.rise = 2;
		t[i].cfg.fall = 2;
		t[i].cfg.max_replica_lag_ms = 10000;
	}
	if (prober_new(on_done, &b, &pr) || prober_set_targets(pr, t, n))
		goto out;

	getrusage(RUSAGE_SELF, &ru0);
	t0 = mono_us();
	end = t0 + (uint64_t)secs * 1000000;
	p.fd = prober_fd(pr);
	p.events = POLLIN;
	while ((t1 = mono_us()) < end) {
		if (poll(&p, 1, (end - t1) / 1000 + 1) > 0 && prober_dispatch(pr))
			goto out;
	}
	t1 = mono_us();
	getrusage(RUSAGE_SELF, &ru1);
	prober_get_stats(pr, &st);

	wall = (t1 - t0) / 1e6;
	cpu = tv_s(&ru1.ru_utime) - tv_s(&ru0.ru_utime) + tv_s(&ru1.ru_stime) - tv_s(&ru0.ru_stime);
	qsort(b.lat, b.n_lat, sizeof(*b.lat), cmp_u32);
	printf("targets %u (%s, mode %s), interval %u ms, timeout %u ms, %.1f s\n", n,
	       tcp ? "tcp" : "http", mode, interval, timeout, wall);
	printf("probes %llu (%.0f/s), passed %llu, failed %llu%s%s%s\n",
	       (unsigned long long)b.results, b.results / wall, (unsigned long long)b.ok,
	       (unsigned long long)(b.results - b.ok), b.first_why[0] ? " (first: " : "",
	       b.first_why, b.first_why[0] ? ")" : "");
	if (b.n_lat)
		printf("latency us: p50 %u, p99 %u, max %u\n", b.lat[b.n_lat / 2],
		       b.lat[b.n_lat * 99 / 100], b.lat[b.n_lat - 1]);
	printf("prober cpu %.3f s (user %.3f, sys %.3f) = %.2f%% of one core, %.1f us per probe\n",
	       cpu, tv_s(&ru1.ru_utime) - tv_s(&ru0.ru_utime),
	       tv_s(&ru1.ru_stime) - tv_s(&ru0.ru_stime), 100 * cpu / wall,
	       b.results ? cpu * 1e6 / b.results : 0);
	printf("skipped rounds %llu, deferred %llu, in flight at end %zu (cap %zu)\n",
	       (unsigned long long)st.skipped, (unsigned long long)st.deferred, st.inflight,
	       st.max_inflight);
	err = 0;
out:
	prober_free(pr);
	if (rpid > 0) {
		stop_responder(rpid, &rru);
		if (!err)
			printf("responder cpu %.3f s (whole run, start-up included)\n",
			       tv_s(&rru.ru_utime) + tv_s(&rru.ru_stime));
	}
	free(t);
	free(b.lat);
	if (err)
		fprintf(stderr, "probe_bench: failed\n");
	return err;
usage:
	fprintf(stderr, "usage: probe_bench [-n TARGETS] [-d SECONDS] [-i INTERVAL_MS] "
			"[-t TIMEOUT_MS] [-p BASE_PORT] [-m ok|hang|garbage|503] [--tcp] "
			"[-r RESPONDER]\n");
	return 2;
}
