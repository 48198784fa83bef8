// SPDX-License-Identifier: GPL-2.0
/* `anyedge top`: a live view for an incident: per-VIP packet, bit and new-flow rates (from the
 * counters in /api/v1/state, differenced between refreshes) and region states. Redraws every
 * second on a terminal; elsewhere (pipes, tests) prints one frame after another. --count N
 * stops after N frames. A daemon that goes away is shown, not fatal, until it comes back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "cli_api.h"

#define TOP_MAX_VIPS 256

struct top_sample {
	char name[64];
	double packets, bytes, flows;
};

static const char *top_si(double v, char *buf, size_t len)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

/* One frame from state st; prev/n_prev: the last frame's counters (rates need two). */
static void top_frame(struct json_object *st, struct top_sample *prev, size_t *n_prev, double dt,
		      bool tty)
{
	struct json_object *vips = cli_member(st, "vips"), *regs = cli_member(st, "regions");
	struct top_sample cur[TOP_MAX_VIPS];
	char a[32], b[32], c[32];
	size_t i, k, n = 0;
	time_t now = time(NULL);
	struct json_object *guard = cli_member(st, "guard");
	bool held = cli_jb(guard, "holding");
	struct tm tm;

	localtime_r(&now, &tm);
	if (tty)
		fputs("\033[H\033[2J", stdout);
	printf("anyedge top — %s (%s)  %s  %s%s%s   %02d:%02d:%02d\n\n", cli_js(st, "edge"),
	       cli_js(st, "region"), cli_jb(st, "ready") ? "READY" : "DEGRADED",
	       cli_js(st, "system_mode"), held ? "  GUARD " : "",
	       held ? cli_js(guard, "reason") : "", tm.tm_hour, tm.tm_min, tm.tm_sec);
	printf("%-16s %-15s %-16s %10s %10s %10s %14s\n", "VIP", "MODE", "SERVING", "PKT/S",
	       "BIT/S", "FLOWS/S", "PACKETS");
	for (i = 0; vips && i < json_object_array_length(vips) && n < TOP_MAX_VIPS; i++, n++) {
		struct json_object *v = json_object_array_get_idx(vips, i);
		struct json_object *s = cli_member(v, "stats"),
				   *sv = cli_member(v, "serving_regions");
		char serving[64] = "NONE";
		const struct top_sample *p = NULL;

		snprintf(cur[n].name, sizeof(cur[n].name), "%s", cli_js(v, "name"));
		cur[n].packets = cli_jd(s, "packets", 0);
		cur[n].bytes = cli_jd(s, "bytes", 0);
		cur[n].flows = cli_jd(s, "new_flows", 0);
		for (k = 0; k < *n_prev; k++)
			if (!strcmp(prev[k].name, cur[n].name))
				p = &prev[k];
		if (sv && json_object_array_length(sv))
			snprintf(serving, sizeof(serving), "%s%s",
				 json_object_get_string(json_object_array_get_idx(sv, 0)),
				 json_object_array_length(sv) > 1 ? ",..." : "");
		if (p && dt > 0 && cur[n].packets >= p->packets)
			printf("%-16s %-15s %-16s %10s %10s %10s %14.0f\n", cur[n].name,
			       cli_js(v, "mode"), serving,
			       top_si((cur[n].packets - p->packets) / dt, a, sizeof(a)),
			       top_si((cur[n].bytes - p->bytes) * 8 / dt, b, sizeof(b)),
			       top_si((cur[n].flows - p->flows) / dt, c, sizeof(c)),
			       cur[n].packets);
		else
			printf("%-16s %-15s %-16s %10s %10s %10s %14.0f\n", cur[n].name,
			       cli_js(v, "mode"), serving, "-", "-", "-", cur[n].packets);
	}
	printf("\n%-16s %-5s %-9s %-8s %s\n", "REGION", "STATE", "PASSING", "LAG", "WHY");
	for (i = 0; regs && i < json_object_array_length(regs); i++) {
		struct json_object *r = json_object_array_get_idx(regs, i);
		char lag[32] = "-";

		if (!cli_jnull(r, "replica_lag_seconds"))
			snprintf(lag, sizeof(lag), "%.1fs", cli_jd(r, "replica_lag_seconds", 0));
		printf("%-16s %-5s %4s/%-4s %-8s %.80s\n", cli_js(r, "name"), cli_js(r, "state"),
		       cli_js(r, "backends_passing"), cli_js(r, "backends"), lag, cli_js(r, "why"));
	}
	if (!tty)
		printf("\n");
	fflush(stdout);
	memcpy(prev, cur, n * sizeof(*cur));
	*n_prev = n;
}

static const struct cmd_opt top_opts[] = {
	{ "count", 'n', "N", "print N frames, one a second, then exit (default: until ^C)" },
	{ 0 },
};

static int cmd_top(const struct cli_verb *v, int argc, char **argv)
{
	static struct top_sample prev[TOP_MAX_VIPS];
	struct cli_api a = { 0 };
	struct cli_reply r;
	size_t n_prev = 0;
	long count = -1, frame;
	double t, last = 0;
	bool tty = isatty(STDOUT_FILENO), ever = false;
	char *end;
	int c, rc;

	while ((c = cmd_getopt(&v->spec, argc, argv)) != -1) {
		if (cli_api_opt(&a, c, optarg))
			continue;
		switch (c) {
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*end || count < 1) {
				fprintf(stderr, "anyedge top: --count: a number >= 1\n");
				return CLI_USAGE;
			}
			break;
		case CMD_HELP:
			return CLI_OK;
		default:
			return CLI_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage(v);
	rc = cli_api_setup(&a);
	if (rc)
		return rc;
	for (frame = 0; count < 0 || frame < count; frame++) {
		if (frame)
			sleep(1);
		rc = cli_api_get_json(&a, "/api/v1/state", false, &r);
		if (rc) {
			/* an incident view outlives a daemon restart; a script asked once gets 3 */
			if (!ever && count > 0 && frame + 1 == count)
				return rc;
			n_prev = 0;
			continue;
		}
		ever = true;
		t = clock_ns(CLOCK_MONOTONIC) / 1e9;
		if (a.json)
			printf("%s\n",
			       json_object_to_json_string_ext(r.json, JSON_C_TO_STRING_PLAIN));
		else
			top_frame(r.json, prev, &n_prev, last ? t - last : 0, tty);
		last = t;
		cli_reply_free(&r);
	}
	return ever ? CLI_OK : CLI_NOT_RUNNING;
}

const struct cli_verb cli_verb_top = {
	.name = "top",
	.run = cmd_top,
	.spec = { .prog = "anyedge top",
		  .args = "[--count N] " CLI_API_ARGS,
		  .summary =
			  "A live view: per-VIP packets, bits and new flows a second; region states.",
		  .opts = { top_opts, cli_api_opts } },
};
