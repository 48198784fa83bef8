// SPDX-License-Identifier: GPL-2.0
/* `anyedge drain | undrain | failover | reload`: the operator's writes. Exit 0 when the daemon
 * did it, 1 when it refused (its reason on stderr), 3 when it is not running.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_api.h"
#include "inet.h"

/* POST body to path; print the daemon's message (or its JSON with --json). */
static int cli_write(struct cli_api *a, const char *verb, const char *path,
		     struct json_object *body)
{
	struct cli_reply r;
	int rc;

	rc = cli_api_call(
		a, "POST", path,
		body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : "{}", &r);
	json_object_put(body);
	if (rc)
		return rc;
	if (a->json && r.body[0])
		fputs(r.body, r.status == 200 ? stdout : stderr);
	if (r.status != 200) {
		rc = a->json ? CLI_REFUSED : cli_api_refused(verb, &r);
	} else if (!a->json) {
		printf("%s\n", cli_js(r.json, "message"));
	}
	cli_reply_free(&r);
	return rc;
}

static const struct cmd_opt drain_opts[] = {
	{ "region", 'r', "R", "every backend of region R" },
	{ "backend", 'b', "ADDR", "the backend ADDR, in every region that lists it" },
	{ "edge", 'e', NULL, "the whole edge: readiness 503 and BGP withdrawn" },
	{ "fleet", 'l', "R|ADDR", "region R or backend ADDR on every member of the fleet (etcd)" },
	{ 0 },
};

static int cli_ops_drain(const struct cli_verb *v, int argc, char **argv, bool drain)
{
	const char *verb = v->name, *region = NULL, *backend = NULL;
	struct json_object *body;
	bool edge = false, fleet = false;
	struct inet_addr addr;
	struct cli_api a = { 0 };
	int c, rc, n;

	while ((c = cmd_getopt(&v->spec, argc, argv)) != -1) {
		if (cli_api_opt(&a, c, optarg))
			continue;
		switch (c) {
		case 'r':
			region = optarg;
			break;
		case 'b':
			backend = optarg;
			break;
		case 'e':
			edge = true;
			break;
		case 'l':
			/* an address names a backend; anything else a region */
			fleet = true;
			if (inet_addr_parse(optarg, &addr))
				region = optarg;
			else
				backend = optarg;
			break;
		case CMD_HELP:
			return CLI_OK;
		default:
			return CLI_USAGE;
		}
	}
	n = !!region + !!backend + edge;
	if (n != 1 || optind != argc)
		return cli_usage(v);
	rc = cli_api_setup(&a);
	if (rc)
		return rc;
	body = json_object_new_object();
	if (region)
		json_object_object_add(body, "region", json_object_new_string(region));
	else if (backend)
		json_object_object_add(body, "backend", json_object_new_string(backend));
	else
		json_object_object_add(body, "edge", json_object_new_boolean(true));
	if (fleet)
		json_object_object_add(body, "fleet", json_object_new_boolean(true));
	return cli_write(&a, verb, drain ? "/api/v1/drain" : "/api/v1/undrain", body);
}

static int cmd_drain(const struct cli_verb *v, int argc, char **argv)
{
	return cli_ops_drain(v, argc, argv, true);
}

static int cmd_undrain(const struct cli_verb *v, int argc, char **argv)
{
	return cli_ops_drain(v, argc, argv, false);
}

static const struct cmd_opt failover_opts[] = {
	{ "from", 'f', "R", "the active region giving up the primary role" },
	{ "to", 't', "R", "the passive region to promote" },
	{ "force", 'F', NULL, "promote even when --to is down or lags too far" },
	{ "max-lag", 'm', "S", "refuse when --to lags more (default: its probe.max_replica_lag)" },
	{ 0 },
};

static int cmd_failover(const struct cli_verb *v, int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	struct json_object *body;
	double max_lag = NAN;
	struct cli_api a = { 0 };
	bool force = false;
	char *end;
	int c, rc;

	while ((c = cmd_getopt(&v->spec, argc, argv)) != -1) {
		if (cli_api_opt(&a, c, optarg))
			continue;
		switch (c) {
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'F':
			force = true;
			break;
		case 'm':
			errno = 0;
			max_lag = strtod(optarg, &end);
			if (errno || *end || !(max_lag >= 0)) {
				fprintf(stderr, "anyedge failover: --max-lag: seconds >= 0\n");
				return CLI_USAGE;
			}
			break;
		case CMD_HELP:
			return CLI_OK;
		default:
			return CLI_USAGE;
		}
	}
	if (!from || !to || optind != argc)
		return cli_usage(v);
	rc = cli_api_setup(&a);
	if (rc)
		return rc;
	body = json_object_new_object();
	json_object_object_add(body, "action", json_object_new_string("PROMOTE_PASSIVE_REGION"));
	json_object_object_add(body, "sourceRegion", json_object_new_string(from));
	json_object_object_add(body, "targetRegion", json_object_new_string(to));
	json_object_object_add(body, "forcePromotion", json_object_new_boolean(force));
	/* absent: the daemon applies the target's policy limit (probe max_replica_lag) */
	if (!isnan(max_lag))
		json_object_object_add(body, "maxAllowedReplicaLagSeconds",
				       json_object_new_double(max_lag));
	return cli_write(&a, "failover", "/api/v1/failover", body);
}

static int cmd_reload(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_api a = { 0 };
	int c, rc;

	while ((c = cmd_getopt(&v->spec, argc, argv)) != -1) {
		if (cli_api_opt(&a, c, optarg))
			continue;
		return c == CMD_HELP ? CLI_OK : CLI_USAGE;
	}
	if (optind != argc)
		return cli_usage(v);
	rc = cli_api_setup(&a);
	if (rc)
		return rc;
	return cli_write(&a, "reload", "/api/v1/reload", NULL);
}

const struct cli_verb cli_verb_drain = {
	.name = "drain",
	.run = cmd_drain,
	.spec = { .prog = "anyedge drain",
		  .args = "--region R | --backend ADDR | --edge | --fleet R|ADDR " CLI_API_ARGS,
		  .summary = "Take a region, a backend or the edge out of service; flows finish.",
		  .opts = { drain_opts, cli_api_opts } },
};

const struct cli_verb cli_verb_undrain = {
	.name = "undrain",
	.run = cmd_undrain,
	.spec = { .prog = "anyedge undrain",
		  .args = "--region R | --backend ADDR | --edge | --fleet R|ADDR " CLI_API_ARGS,
		  .summary = "Put back what drain took out of service.",
		  .opts = { drain_opts, cli_api_opts } },
};

const struct cli_verb cli_verb_failover = {
	.name = "failover",
	.run = cmd_failover,
	.spec = { .prog = "anyedge failover",
		  .args = "--from R --to R [--force] [--max-lag S] " CLI_API_ARGS,
		  .summary = "Promote a passive region to primary for active-passive VIPs.",
		  .opts = { failover_opts, cli_api_opts } },
};

const struct cli_verb cli_verb_reload = {
	.name = "reload",
	.run = cmd_reload,
	.spec = { .prog = "anyedge reload",
		  .args = CLI_API_ARGS,
		  .summary = "Re-read the policy; a bad one is refused and the running one stays.",
		  .opts = { cli_api_opts } },
};
