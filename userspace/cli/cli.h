/* SPDX-License-Identifier: GPL-2.0 */
/* `anyedge` verbs: each is a name, its options table (cmdline.h) and a run function that takes
 * its own argv (argv[0] is the verb) and returns the exit code. main.c lists them.
 */
#ifndef ANYEDGE_CLI_H
#define ANYEDGE_CLI_H

#include "cmdline.h"

struct cli_verb {
	const char *name;
	int (*run)(const struct cli_verb *v, int argc, char **argv);
	struct cmd_spec spec;
};

/* on a usage error: print the verb's usage on stderr, return exit code 2 */
int cli_usage(const struct cli_verb *v);

/* working on files and BPF objects (cmd_check.c, cmd_replay.c, cmd_bench.c, cmd_decap.c,
 * cmd_bird_config.c)
 */
extern const struct cli_verb cli_verb_check, cli_verb_replay, cli_verb_bench, cli_verb_decap,
	cli_verb_bird_config;
/* talking to anyedged's API (cmd_status.c, cmd_ops.c, cmd_top.c, cmd_upgrade.c) */
extern const struct cli_verb cli_verb_status, cli_verb_regions, cli_verb_backends, cli_verb_vips,
	cli_verb_drain, cli_verb_undrain, cli_verb_failover, cli_verb_reload, cli_verb_top,
	cli_verb_upgrade;
/* the fleet as this edge sees it (cmd_fleet.c) */
extern const struct cli_verb cli_verb_fleet;

#endif /* ANYEDGE_CLI_H */
