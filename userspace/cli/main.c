// SPDX-License-Identifier: GPL-2.0
/* `anyedge VERB ...`: dispatch on exact verb names only, never prefixes. Each verb's usage and
 * options come from its table, so `anyedge --help` and `anyedge VERB --help` are generated.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "version.h"

static const struct cli_verb *const verbs[] = {
	&cli_verb_check,  &cli_verb_replay,	 &cli_verb_bench,    &cli_verb_decap,
	&cli_verb_status, &cli_verb_regions,	 &cli_verb_backends, &cli_verb_vips,
	&cli_verb_drain,  &cli_verb_undrain,	 &cli_verb_failover, &cli_verb_reload,
	&cli_verb_top,	  &cli_verb_bird_config, &cli_verb_upgrade,  &cli_verb_fleet,
};

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

int cli_usage(const struct cli_verb *v)
{
	cmd_usage(&v->spec, stderr);
	return 2;
}

static int usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: anyedge VERB [OPTIONS] [ARGS]\n       anyedge --version\n\n");
	for (i = 0; i < N_VERBS; i++)
		fprintf(f, "  %-12s %s\n", verbs[i]->name, verbs[i]->spec.summary);
	fprintf(f, "\n`anyedge VERB --help` lists a verb's options; see anyedge(1).\n");
	return f == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return usage(stdout);
	if (!strcmp(argv[1], "--version")) {
		version_print(stdout, "anyedge");
		return 0;
	}
	log_hook_libbpf();
	for (i = 0; i < N_VERBS; i++) {
		if (!strcmp(argv[1], verbs[i]->name)) {
			optind = 1;
			return verbs[i]->run(verbs[i], argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "anyedge: unknown command '%s'\n", argv[1]);
	return usage(stderr);
}
