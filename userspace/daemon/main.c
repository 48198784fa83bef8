// SPDX-License-Identifier: GPL-2.0
/* anyedged --config POLICY [--pin-dir DIR] [--replace] [--detach] [-v]
 * Runs in the foreground, logs to stderr, reloads on SIGHUP; SIGTERM exits leaving the program
 * attached and forwarding. --detach removes program and pins, then exits.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <urcu.h>

#include "edge.h"
#include "speaker.h"
#include "log.h"

static int usage(void)
{
	fprintf(stderr, "usage: anyedged --config POLICY [--pin-dir DIR] [--replace] [--detach] "
			"[-v]\n");
	return 2;
}

/* Remove the edge's program and pins; the policy names the edge (and so the pin folder). */
static int detach(const struct edge_opts *o)
{
	struct policy *p = NULL;
	char dir[256];
	int err;

	if (policy_load(o->config, &p, policy_diag_stderr, stderr))
		return 1;
	if (!o->pin_dir)
		snprintf(dir, sizeof(dir), DP_PIN_BASE "/%s", p->edge.name);
	else
		snprintf(dir, sizeof(dir), "%s", o->pin_dir);
	/* the edge stops serving: first the Internet must stop sending */
	speaker_withdraw_all(p, 2000);
	policy_free(p);
	err = dp_unpin(dir);
	if (err) {
		pr_warn("anyedged: --detach: %s: %s\n", dir, strerror(-err));
		return 1;
	}
	pr_info("anyedged: detached: program and pins under %s removed\n", dir);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "replace", no_argument, NULL, 'r' },
		{ "detach", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct edge_opts o = { 0 };
	bool do_detach = false;
	struct edge e;
	int c, err;

	while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case 'p':
			o.pin_dir = optarg;
			break;
		case 'r':
			o.replace = true;
			break;
		case 'd':
			do_detach = true;
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		default:
			return usage();
		}
	}
	if (!o.config || optind != argc)
		return usage();
	log_hook_libbpf();
	if (do_detach)
		return detach(&o);
	rcu_register_thread();
	err = edge_start(&e, &o);
	if (!err)
		err = edge_loop(&e);
	edge_stop(&e);
	rcu_unregister_thread();
	return err ? 1 : 0;
}
