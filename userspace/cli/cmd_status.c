// SPDX-License-Identifier: GPL-2.0
/* `anyedge status | regions | backends [REGION] | vips`: the daemon's /api/v1/state as tables,
 * or with --json as the daemon sent it (the part the verb names).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_api.h"

/* The API options, then at most max_args operands; CLI_OK, -1 after --help, or an exit code. */
static int cli_read_args(const struct cli_verb *verb, int argc, char **argv, struct cli_api *a,
			 int max_args)
{
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = cmd_getopt(&verb->spec, argc, argv)) != -1) {
		if (c == CMD_HELP)
			return -1;
		if (!cli_api_opt(a, c, optarg))
			return CLI_USAGE;
	}
	if (argc - optind > max_args)
		return cli_usage(verb);
	return cli_api_setup(a);
}

static void cli_print_json(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int cmd_status(const struct cli_verb *verb, int argc, char **argv)
{
	struct cli_reply ready, st;
	struct json_object *guard;
	struct cli_api a;
	char ago[32], ago2[32];
	int rc;

	rc = cli_read_args(verb, argc, argv, &a, 0);
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	rc = cli_api_get_json(&a, "/health/ready", true, &ready);
	if (rc)
		return rc;
	rc = cli_api_get_json(&a, "/api/v1/state", false, &st);
	if (rc) {
		cli_reply_free(&ready);
		return rc;
	}
	if (a.json) {
		json_object_object_add(st.json, "health", json_object_get(ready.json));
		cli_print_json(st.json);
		goto out;
	}
	printf("edge      %s (region %s, interface %s, XDP %s%s)\n", cli_js(st.json, "edge"),
	       cli_js(st.json, "region"), cli_js(st.json, "interface"),
	       cli_js(st.json, "attach_mode"), cli_jb(st.json, "link_up") ? "" : ", LINK DOWN");
	if (ready.status == 200)
		printf("status    READY\n");
	else
		printf("status    DEGRADED: %s\n", cli_js(ready.json, "error"));
	printf("mode      %s", cli_js(ready.json, "system_mode"));
	guard = cli_member(st.json, "guard");
	if (cli_jb(guard, "holding"))
		printf(" (GUARD %s: steering and announcements frozen: %s)",
		       cli_js(guard, "reason"), cli_js(guard, "why"));
	putchar('\n');
	printf("regions   %s of %zu up\n", cli_js(ready.json, "regions_up"),
	       json_object_array_length(cli_member(st.json, "regions")));
	printf("bgp       %s\n", cli_jb(cli_member(ready.json, "bird"), "connected") ?
					 "BIRD connected" :
					 "BIRD not connected");
	printf("reloads   %s (last %s ago), %s failed\n", cli_js(st.json, "reloads"),
	       cli_ago(cli_js(st.json, "last_reload"), ago, sizeof(ago)),
	       cli_js(st.json, "reload_failures"));
	printf("failovers %s (last %s ago), %s refused\n", cli_js(st.json, "failovers"),
	       cli_ago(cli_js(st.json, "last_failover"), ago2, sizeof(ago2)),
	       cli_js(st.json, "failovers_refused"));
out:
	cli_reply_free(&ready);
	cli_reply_free(&st);
	return CLI_OK;
}

static void cli_lag(struct json_object *o, const char *key, char *buf, size_t len)
{
	if (cli_jnull(o, key))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1fs", cli_jd(o, key, 0));
}

static int cmd_regions(const struct cli_verb *verb, int argc, char **argv)
{
	struct json_object *arr, *r;
	struct cli_reply st;
	struct cli_api a;
	char ago[32], lag[32];
	size_t i;
	int rc;

	rc = cli_read_args(verb, argc, argv, &a, 0);
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	rc = cli_api_get_json(&a, "/api/v1/state", false, &st);
	if (rc)
		return rc;
	arr = cli_member(st.json, "regions");
	if (a.json) {
		cli_print_json(arr);
		goto out;
	}
	printf("%-16s %-5s %-9s %-7s %-6s %s\n", "REGION", "STATE", "PASSING", "LAG", "SINCE",
	       "WHY");
	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		r = json_object_array_get_idx(arr, i);
		cli_lag(r, "replica_lag_seconds", lag, sizeof(lag));
		printf("%-16s %-5s %4s/%-4s %-7s %-6s %s\n", cli_js(r, "name"), cli_js(r, "state"),
		       cli_js(r, "backends_passing"), cli_js(r, "backends"), lag,
		       cli_ago(cli_js(r, "since"), ago, sizeof(ago)), cli_js(r, "why"));
	}
out:
	cli_reply_free(&st);
	return CLI_OK;
}

static int cmd_backends(const struct cli_verb *verb, int argc, char **argv)
{
	struct json_object *arr, *b, *lp, *out;
	const char *region = NULL;
	struct cli_reply st;
	struct cli_api a;
	char ago[32], lat[32];
	size_t i;
	int rc;

	rc = cli_read_args(verb, argc, argv, &a, 1);
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (optind < argc)
		region = argv[optind];
	rc = cli_api_get_json(&a, "/api/v1/state", false, &st);
	if (rc)
		return rc;
	arr = cli_member(st.json, "backends");
	out = json_object_new_array();
	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		b = json_object_array_get_idx(arr, i);
		if (!region || !strcmp(cli_js(b, "region"), region))
			json_object_array_add(out, json_object_get(b));
	}
	if (region && !json_object_array_length(out)) {
		fprintf(stderr, "anyedge backends: no region %s (or it has no backends)\n", region);
		rc = CLI_REFUSED;
		goto done;
	}
	if (a.json) {
		cli_print_json(out);
		goto done;
	}
	printf("%-39s %-16s %-7s %-6s %-8s %-9s %-5s %s\n", "BACKEND", "REGION", "HEALTH", "WEIGHT",
	       "DRAINED", "LATENCY", "LAST", "PROBE");
	for (i = 0; i < json_object_array_length(out); i++) {
		b = json_object_array_get_idx(out, i);
		lp = cli_member(b, "last_probe");
		if (lp)
			snprintf(lat, sizeof(lat), "%.1fms",
				 cli_jd(lp, "latency_seconds", 0) * 1000.0);
		else
			snprintf(lat, sizeof(lat), "-");
		printf("%-39s %-16s %-7s %-6s %-8s %-9s %-5s %s%s\n", cli_js(b, "address"),
		       cli_js(b, "region"), cli_js(b, "health"), cli_js(b, "weight"),
		       cli_jb(b, "drained")  ? "yes" :
		       cli_jb(b, "draining") ? "reported" :
					       "no",
		       lat, cli_ago(lp ? cli_js(lp, "at") : NULL, ago, sizeof(ago)),
		       !lp		? "none yet" :
		       cli_jb(lp, "ok") ? "ok" :
					  "failed: ",
		       lp && !cli_jb(lp, "ok") ? cli_js(lp, "why") : "");
	}
done:
	json_object_put(out);
	cli_reply_free(&st);
	return rc;
}

static int cmd_vips(const struct cli_verb *verb, int argc, char **argv)
{
	struct json_object *arr, *v, *sv, *stats;
	struct cli_reply st;
	struct cli_api a;
	char serving[256];
	size_t i, k, off;
	int rc;

	rc = cli_read_args(verb, argc, argv, &a, 0);
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	rc = cli_api_get_json(&a, "/api/v1/state", false, &st);
	if (rc)
		return rc;
	arr = cli_member(st.json, "vips");
	if (a.json) {
		cli_print_json(arr);
		goto out;
	}
	printf("%-16s %-39s %-14s %-12s %-28s %12s %14s %10s\n", "VIP", "ADDRESS", "MODE",
	       "PRIMARY", "SERVING", "PACKETS", "BYTES", "NEW-FLOWS");
	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		v = json_object_array_get_idx(arr, i);
		sv = cli_member(v, "serving_regions");
		serving[0] = '\0';
		for (k = 0, off = 0; sv && k < json_object_array_length(sv); k++) {
			off += snprintf(serving + off, sizeof(serving) - off, "%s%s", k ? "," : "",
					json_object_get_string(json_object_array_get_idx(sv, k)));
			if (off >= sizeof(serving))
				break;
		}
		stats = cli_member(v, "stats");
		printf("%-16s %-39s %-14s %-12s %-28s %12s %14s %10s\n", cli_js(v, "name"),
		       cli_js(v, "address"), cli_js(v, "mode"), cli_js(v, "current_primary"),
		       serving[0] ? serving : "NONE", cli_js(stats, "packets"),
		       cli_js(stats, "bytes"), cli_js(stats, "new_flows"));
	}
out:
	cli_reply_free(&st);
	return CLI_OK;
}

const struct cli_verb cli_verb_status = {
	.name = "status",
	.run = cmd_status,
	.spec = { .prog = "anyedge status",
		  .args = CLI_API_ARGS,
		  .summary = "The edge in a few lines: readiness, mode, regions up, BIRD, reloads.",
		  .opts = { cli_api_opts } },
};

const struct cli_verb cli_verb_regions = {
	.name = "regions",
	.run = cmd_regions,
	.spec = { .prog = "anyedge regions",
		  .args = CLI_API_ARGS,
		  .summary = "One row per region: state, backends passing, replica lag, why.",
		  .opts = { cli_api_opts } },
};

const struct cli_verb cli_verb_backends = {
	.name = "backends",
	.run = cmd_backends,
	.spec = { .prog = "anyedge backends",
		  .args = "[REGION] " CLI_API_ARGS,
		  .summary = "One row per backend: health, weight, drained, last probe.",
		  .opts = { cli_api_opts } },
};

const struct cli_verb cli_verb_vips = {
	.name = "vips",
	.run = cmd_vips,
	.spec = { .prog = "anyedge vips",
		  .args = CLI_API_ARGS,
		  .summary = "One row per VIP: mode, primary, serving regions, traffic counters.",
		  .opts = { cli_api_opts } },
};
