// SPDX-License-Identifier: GPL-2.0
/* `anyedge check POLICY`: validate a policy file. Exit 0 with one summary line on stdout, 1 with
 * one "POLICY:LINE:COL: error: MESSAGE" line per problem on stderr, 2 on a usage error.
 */
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

int cmd_check(int argc, char **argv)
{
	struct policy *p = NULL;

	if (argc != 2 || (argv[1][0] == '-' && argv[1][1])) {
		fprintf(stderr, "usage: anyedge check POLICY\n");
		return 2;
	}
	if (policy_load(argv[1], &p, policy_diag_stderr, stderr))
		return 1;
	print_summary(p);
	policy_free(p);
	return 0;
}
