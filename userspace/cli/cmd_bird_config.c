// SPDX-License-Identifier: GPL-2.0
/* `anyedge bird-config POLICY [--state-dir DIR] [--write-state]`: print the BIRD fragment to
 * include from bird.conf. --write-state also creates the state directory and an all-disabled
 * state file for each protocol that has none (files that exist belong to anyedged and are left
 * alone). --state-dir overrides bgp.state_dir, for tests and staging hosts.
 * Exit 0, 1 on a bad policy or a failed write, 2 on a usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bird_conf.h"
#include "cli.h"
#include "policy.h"

static const struct cmd_opt bird_config_opts[] = {
	{ "state-dir", 'd', "DIR", "the state files' directory in place of bgp.state_dir" },
	{ "write-state", 'w', NULL, "create DIR and an all-disabled state file per protocol" },
	{ 0 },
};

static int cmd_bird_config(const struct cli_verb *v, int argc, char **argv)
{
	const char *dir = NULL;
	struct policy *p = NULL;
	bool write_state = false;
	int c, ret;

	while ((c = cmd_getopt(&v->spec, argc, argv)) != -1) {
		switch (c) {
		case 'w':
			write_state = true;
			break;
		case 'd':
			dir = optarg;
			break;
		case CMD_HELP:
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc - 1)
		return cli_usage(v);
	if (dir && (dir[0] != '/' || strpbrk(dir, "\"*?[]{}\\\n"))) {
		fprintf(stderr,
			"anyedge bird-config: --state-dir: an absolute path without quotes, "
			"backslashes or glob characters\n");
		return 2;
	}
	if (policy_load(argv[optind], &p, policy_diag_stderr, stderr))
		return 1;
	if (!dir)
		dir = p->bgp.state_dir;
	if (write_state) {
		ret = bird_state_init(dir, p);
		if (ret < 0) {
			fprintf(stderr, "anyedge bird-config: %s: %s\n", dir, strerror(-ret));
			policy_free(p);
			return 1;
		}
		fprintf(stderr, "anyedge bird-config: %s: %d state file%s created (disabled)\n",
			dir, ret, ret == 1 ? "" : "s");
	}
	ret = bird_conf_write(stdout, p, dir);
	policy_free(p);
	if (ret) {
		fprintf(stderr, "anyedge bird-config: writing the fragment: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}

const struct cli_verb cli_verb_bird_config = {
	.name = "bird-config",
	.run = cmd_bird_config,
	.spec = { .prog = "anyedge bird-config",
		  .args = "POLICY [--state-dir DIR] [--write-state]",
		  .summary = "Print the BIRD 2 fragment for bird.conf to include.",
		  .opts = { bird_config_opts } },
};
