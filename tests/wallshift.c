// SPDX-License-Identifier: GPL-2.0
/* An LD_PRELOAD shim for tests: CLOCK_REALTIME reads plus the whole seconds written in the file
 * named by $WALLSHIFT_FILE (re-read on every call, absent: 0), so a test steps one process's wall
 * clock as NTP would, without touching the machine's. CLOCK_MONOTONIC is left alone: a daemon
 * whose timers run on it must not notice.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static long long wallshift_s(void)
{
	const char *path = getenv("WALLSHIFT_FILE");
	char buf[32];
	ssize_t n;
	int fd;

	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	static clock_gettime_fn real;
	int ret;

	if (!real)
		real = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
	ret = real(id, ts);
	if (!ret && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += wallshift_s();
	return ret;
}
