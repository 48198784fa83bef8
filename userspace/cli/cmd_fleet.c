// SPDX-License-Identifier: GPL-2.0
/* `anyedge fleet`: the daemon's GET /api/v1/fleet as tables (etcd, every member's report and
 * its age, every active-passive VIP's designation, every announced VIP's announcers), or with
 * --json as the daemon sent it.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_api.h"

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* "us-east eu-west" of the regions a report sees up; "-" for none. */
static void regions_up(struct json_object *rep, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	json_object_object_foreach(member(rep, "regions"), name, r)
	{
		if (cli_jb(r, "up") && off < len)
			off += snprintf(buf + off, len - off, "%s%s", off ? "," : "", name);
	}
	if (!off)
		snprintf(buf, len, "-");
}

static void announcing(struct json_object *rep, char *buf, size_t len)
{
	struct json_object *arr = member(rep, "announcing");
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; arr && i < json_object_array_length(arr) && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? "," : "",
				json_object_get_string(json_object_array_get_idx(arr, i)));
	if (!off)
		snprintf(buf, len, "-");
}

static void print_members(struct json_object *arr)
{
	char up[256], ann[256], age[32];
	struct json_object *m, *rep;
	size_t i;

	printf("%-24s %-5s %-7s %-6s %-26s %-20s %s\n", "MEMBER", "LIVE", "AGE", "READY",
	       "REGIONS UP", "ANNOUNCING", "POLICY");
	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		m = json_object_array_get_idx(arr, i);
		rep = member(m, "report");
		if (!rep || json_object_is_type(rep, json_type_null)) {
			printf("%-24s %-5s %-7s %-6s %-26s %-20s %s\n", cli_js(m, "name"), "no",
			       "-", "-", "-", "-", "-");
			continue;
		}
		snprintf(age, sizeof(age), "%.1fs", cli_jd(m, "age_seconds", 0));
		regions_up(rep, up, sizeof(up));
		announcing(rep, ann, sizeof(ann));
		printf("%-24s %-5s %-7s %-6s %-26s %-20s %.8s\n", cli_js(m, "name"), "yes", age,
		       cli_jb(rep, "ready") ? "yes" : "no", up, ann, cli_js(rep, "policy_hash"));
	}
}

static void print_serving(struct json_object *arr)
{
	struct json_object *v;
	char ago[32];
	size_t i;

	if (!arr || !json_object_array_length(arr))
		return;
	printf("\n%-16s %-12s %-12s %-8s %-24s %s\n", "VIP", "SERVING", "PRIMARY", "EPOCH", "BY",
	       "SINCE");
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = json_object_array_get_idx(arr, i);
		printf("%-16s %-12s %-12s %-8s %-24s %s\n", cli_js(v, "vip"), cli_js(v, "region"),
		       cli_js(v, "primary"), cli_js(v, "epoch"),
		       cli_jnull(v, "by") ? "(policy)" : cli_js(v, "by"),
		       cli_jnull(v, "at") ? "-" : cli_ago(cli_js(v, "at"), ago, sizeof(ago)));
	}
}

/* Per announced VIP: the edges etcd lists as announcing it, and this edge's hold, if any. */
static void print_announcers(struct json_object *arr)
{
	struct json_object *v, *edges;
	char list[512];
	size_t i, k, off;

	if (!arr || !json_object_array_length(arr))
		return;
	printf("\n%-16s %-8s %s\n", "VIP", "REVISION", "ANNOUNCERS (etcd)");
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = json_object_array_get_idx(arr, i);
		edges = member(v, "edges");
		off = 0;
		list[0] = '\0';
		for (k = 0; edges && k < json_object_array_length(edges) && off < sizeof(list); k++)
			off += snprintf(
				list + off, sizeof(list) - off, "%s%s", k ? "," : "",
				json_object_get_string(json_object_array_get_idx(edges, k)));
		printf("%-16s %-8s %s\n", cli_js(v, "vip"), cli_js(v, "revision"),
		       off ? list : "-");
		if (!cli_jnull(v, "held"))
			printf("%-16s held here: %s\n", "", cli_js(v, "held"));
	}
}

static int cmd_fleet(const struct cli_verb *verb, int argc, char **argv)
{
	struct json_object *etcd, *q;
	struct cli_reply r;
	struct cli_api a = { 0 };
	int c, rc;

	while ((c = cmd_getopt(&verb->spec, argc, argv)) != -1) {
		if (c == CMD_HELP)
			return CLI_OK;
		if (!cli_api_opt(&a, c, optarg))
			return CLI_USAGE;
	}
	if (optind != argc)
		return cli_usage(verb);
	rc = cli_api_setup(&a);
	if (rc)
		return rc;
	rc = cli_api_call(&a, "GET", "/api/v1/fleet", NULL, &r);
	if (rc)
		return rc;
	if (r.status != 200 || !r.json) {
		rc = cli_api_refused("fleet", &r);
		cli_reply_free(&r);
		return rc;
	}
	if (a.json) {
		printf("%s\n",
		       json_object_to_json_string_ext(
			       r.json, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		cli_reply_free(&r);
		return CLI_OK;
	}
	etcd = member(r.json, "etcd");
	q = member(r.json, "quorum");
	printf("fleet     %s (this edge: %s)\n", cli_js(r.json, "fleet"), cli_js(r.json, "edge"));
	if (cli_jb(etcd, "reachable"))
		printf("etcd      reachable, revision %s\n", cli_js(etcd, "revision"));
	else
		printf("etcd      UNREACHABLE: %s (promotions refused; the last designations "
		       "stay applied)\n",
		       cli_js(etcd, "error"));
	printf("quorum    %s of %s members live (majority %s)%s\n\n", cli_js(q, "live"),
	       cli_js(q, "members"), cli_js(q, "majority"), cli_jb(q, "ok") ? "" : ": NO QUORUM");
	print_members(member(r.json, "members"));
	print_serving(member(r.json, "serving"));
	print_announcers(member(r.json, "announcers"));
	cli_reply_free(&r);
	return CLI_OK;
}

const struct cli_verb cli_verb_fleet = {
	.name = "fleet",
	.run = cmd_fleet,
	.spec = { .prog = "anyedge fleet",
		  .args = CLI_API_ARGS,
		  .summary = "The fleet: etcd, every member's report and age, each VIP's "
			     "serving region and epoch, and its announcers.",
		  .opts = { cli_api_opts } },
};
