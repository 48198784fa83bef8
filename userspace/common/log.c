// SPDX-License-Identifier: GPL-2.0
/* Log lines go to stderr with a UTC timestamp, so an incident timeline can be read off them.
 * When stderr is journald's stream (JOURNAL_STREAM names its device and inode), each line
 * instead starts with its syslog priority, "<4>", which journald stores and filters by
 * (journalctl -p warning); journald adds the timestamp.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "log.h"

static enum log_level log_level = LOG_INFO;
static int log_journal = -1; /* unknown until the first line; every thread finds the same */

void log_set_level(enum log_level level)
{
	log_level = level;
}

static int log_to_journal(void)
{
	unsigned long long dev, ino;
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st))
		return 0;
	return st.st_dev == dev && st.st_ino == ino;
}

/* "<4>" per line, for journald: a line without it would be stored as info */
static void log_journal_lines(enum log_level level, const char *fmt, va_list ap)
{
	static const char prio[] = { '3', '4', '6', '7' };
	char buf[1024], *line, *nl;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	for (line = buf; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl) {
			fprintf(stderr, "<%c>%s\n", prio[level], line);
			return;
		}
		fprintf(stderr, "<%c>%.*s\n", prio[level], (int)(nl - line), line);
	}
}

static void log_vprint(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "error", "warn", "info", "debug" };
	struct timespec ts;
	struct tm tm;

	if (level > log_level)
		return;
	if (log_journal < 0)
		log_journal = log_to_journal();
	if (log_journal) {
		log_journal_lines(level, fmt, ap);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s: ", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		tag[level]);
	vfprintf(stderr, fmt, ap);
}

void log_print(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(level, fmt, ap);
	va_end(ap);
}

static int log_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level l = level == LIBBPF_WARN ? LOG_WARN :
			   level == LIBBPF_INFO ? LOG_INFO :
						  LOG_DEBUG;

	/* libbpf's info lines are feature probes: noise unless debugging */
	if (l == LOG_INFO)
		l = LOG_DEBUG;
	log_vprint(l, fmt, ap);
	return 0;
}

void log_hook_libbpf(void)
{
	libbpf_set_print(log_libbpf);
}
