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

static int cli_ops_drain(int argc, char **argv, bool drain)
{
	static const struct option opts[] = {
		CLI_API_LONGOPTS,
		{ "region", required_argument, NULL, 'r' },
		{ "backend", required_argument, NULL, 'b' },
		{ "edge", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *verb = drain ? "drain" : "undrain", *region = NULL, *backend = NULL;
	struct json_object *body;
	bool edge = false;
	struct cli_api a = { 0 };
	int c, rc, n;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLI_API_SHORTOPTS, opts, NULL)) != -1) {
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
		case 'h':
			printf("usage: anyedge %s --region R | --backend ADDR | --edge [--api URL]\n",
			       verb);
			return CLI_OK;
		default:
			goto usage;
		}
	}
	n = !!region + !!backend + edge;
	if (n != 1 || optind != argc)
		goto usage;
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
	return cli_write(&a, verb, drain ? "/api/v1/drain" : "/api/v1/undrain", body);
usage:
	fprintf(stderr,
		"usage: anyedge %s --region R | --backend ADDR | --edge [--api URL | --config "
		"POLICY] [--token-file F] [--json]\n",
		verb);
	return CLI_USAGE;
}

int cmd_drain(int argc, char **argv)
{
	return cli_ops_drain(argc, argv, true);
}

int cmd_undrain(int argc, char **argv)
{
	return cli_ops_drain(argc, argv, false);
}

int cmd_failover(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_API_LONGOPTS,
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'F' },
		{ "max-lag", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *to = NULL;
	struct json_object *body;
	double max_lag = NAN;
	struct cli_api a = { 0 };
	bool force = false;
	char *end;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLI_API_SHORTOPTS, opts, NULL)) != -1) {
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
		case 'h':
			printf("usage: anyedge failover --from R --to R [--force] [--max-lag S]\n");
			return CLI_OK;
		default:
			goto usage;
		}
	}
	if (!from || !to || optind != argc)
		goto usage;
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
usage:
	fprintf(stderr,
		"usage: anyedge failover --from R --to R [--force] [--max-lag S] [--api URL "
		"| --config POLICY] [--token-file F] [--json]\n");
	return CLI_USAGE;
}

int cmd_reload(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_API_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_api a = { 0 };
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, CLI_API_SHORTOPTS, opts, NULL)) != -1) {
		if (cli_api_opt(&a, c, optarg))
			continue;
		if (c == 'h') {
			printf("usage: anyedge reload [--api URL | --config POLICY]\n");
			return CLI_OK;
		}
		goto usage;
	}
	if (optind != argc)
		goto usage;
	rc = cli_api_setup(&a);
	if (rc)
		return rc;
	return cli_write(&a, "reload", "/api/v1/reload", NULL);
usage:
	fprintf(stderr, "usage: anyedge reload [--api URL | --config POLICY] [--token-file F] "
			"[--json]\n");
	return CLI_USAGE;
}
