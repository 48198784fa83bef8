// SPDX-License-Identifier: GPL-2.0
/* anyedged --config POLICY [--pin-dir DIR] [--replace | --detach] [--verbose]
 * Runs in the foreground, logs to stderr, reloads on SIGHUP; SIGTERM exits leaving the program
 * attached and forwarding. --detach removes program and pins, then exits.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <urcu.h>

#include "cmdline.h"
#include "edge.h"
#include "speaker.h"
#include "log.h"
#include "version.h"

static const struct cmd_opt anyedged_opts[] = {
	{ "config", 'c', "POLICY", "the routing policy (YAML; see config/SCHEMA.md)" },
	{ "pin-dir", 'p', "DIR", "bpffs folder for maps and link (default " DP_PIN_BASE "/EDGE)" },
	{ "replace", 'r', NULL, "discard pinned maps of another ABI or size, and their flows" },
	{ "detach", 'd', NULL, "withdraw BGP, remove the program and its pins, exit" },
	{ "verbose", 'v', NULL, "debug logging" },
	{ "version", 'V', NULL, "print the version, ABI and libbpf versions and exit" },
	{ 0 },
};

static const struct cmd_spec anyedged_spec = {
	.prog = "anyedged",
	.args = "--config POLICY [--pin-dir DIR] [--replace | --detach] [--verbose]",
	.summary = "The anyedge controller: XDP steering, health probes, BGP, operator API.",
	.opts = { anyedged_opts },
	.shorts = "v",
};

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
	struct edge_opts o = { 0 };
	bool do_detach = false;
	sigset_t sigs;
	struct edge e;
	int c, err;

	while ((c = cmd_getopt(&anyedged_spec, argc, argv)) != -1) {
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
		case 'V':
			version_print(stdout, "anyedged");
			return 0;
		case CMD_HELP:
			return 0;
		default:
			return 2;
		}
	}
	if (!o.config || optind != argc) {
		cmd_usage(&anyedged_spec, stderr);
		return 2;
	}
	log_hook_libbpf();
	if (do_detach)
		return detach(&o);
	/* from here the loop's signalfd owns these: one arriving during start-up waits for it
	 * instead of taking the default action (a SIGHUP would kill a half-started edge), and
	 * every thread started from here inherits the mask
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	rcu_register_thread();
	err = edge_start(&e, &o);
	if (!err)
		err = edge_loop(&e);
	if (err)
		pr_err("anyedged: exiting: %s\n", strerror(-err));
	edge_stop(&e);
	rcu_unregister_thread();
	return err ? 1 : 0;
}
