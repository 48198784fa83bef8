// SPDX-License-Identifier: GPL-2.0
/* `anyedge check POLICY`: validate a policy file. Exit 0 with one summary line on stdout, 1 with
 * one "POLICY:LINE:COL: error: MESSAGE" line per problem on stderr, 2 on a usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "policy.h"

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void print_summary(const struct policy *p)
{
	size_t i, backends = 0, ports = 0;

	for (i = 0; i < p->n_regions; i++)
		backends += p->regions[i].n_backends;
	for (i = 0; i < p->n_vips; i++)
		ports += p->vips[i].n_ports;
	printf("%s: ok: edge %s, %zu %s, %zu %s, %zu %s, %zu %s (%zu %s)\n", p->path, p->edge.name,
	       p->n_regions, plural(p->n_regions, "region", "regions"), backends,
	       plural(backends, "backend", "backends"), p->n_clients,
	       plural(p->n_clients, "client prefix", "client prefixes"), p->n_vips,
	       plural(p->n_vips, "VIP", "VIPs"), ports, plural(ports, "port", "ports"));
}

static int cmd_check(const struct cli_verb *v, int argc, char **argv)
{
	struct policy *p = NULL;
	int c;

	c = cmd_getopt(&v->spec, argc, argv);
	if (c != -1) /* it has no options */
		return c == CMD_HELP ? 0 : 2;
	if (optind != argc - 1)
		return cli_usage(v);
	if (policy_load(argv[optind], &p, policy_diag_stderr, stderr))
		return 1;
	print_summary(p);
	policy_free(p);
	return 0;
}

const struct cli_verb cli_verb_check = {
	.name = "check",
	.run = cmd_check,
	.spec = { .prog = "anyedge check",
		  .args = "POLICY",
		  .summary = "Validate a policy file; errors as POLICY:LINE:COL." },
};
