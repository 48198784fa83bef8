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

static int bird_config_usage(void)
{
	fprintf(stderr, "usage: anyedge bird-config POLICY [--state-dir DIR] [--write-state]\n");
	return 2;
}

int cmd_bird_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "write-state", no_argument, NULL, 'w' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = NULL;
	struct policy *p = NULL;
	bool write_state = false;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			write_state = true;
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			return bird_config_usage();
		}
	}
	if (optind != argc - 1)
		return bird_config_usage();
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
