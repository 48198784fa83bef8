// SPDX-License-Identifier: GPL-2.0
/* `anyedge upgrade [--timeout S] -- COMMAND [ARG...]`: an upgrade across a dataplane ABI
 * change as one command. Drain the edge (its announcements withdrawn gracefully, so the
 * Internet sends elsewhere), run COMMAND (the package install or restart that brings the new
 * anyedged), wait for the new daemon, undrain. A drained edge's new daemon replaces pins of
 * another ABI instead of refusing them, and starts from the policy's view, so established
 * flows meet the rings they were steered by (anyedged(8)). On any failure the edge is left
 * drained, which is safe, and the way back is said.
 * Exit 0 when the edge serves again, 1 refused or timed out, 2 usage, 3 daemon not running.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_api.h"

#define UPGRADE_POLL_MS 500

static double upgrade_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void upgrade_sleep(void)
{
	struct timespec ts = { 0, UPGRADE_POLL_MS * 1000000L };

	nanosleep(&ts, NULL);
}

/* POST {"edge":true} to path: CLI_OK, or an exit code with the reason printed. */
static int upgrade_post(struct cli_api *a, const char *path)
{
	struct cli_reply r;
	int rc;

	rc = cli_api_call(a, "POST", path, "{\"edge\":true}", &r);
	if (rc)
		return rc;
	if (r.status != 200)
		rc = cli_api_refused("upgrade", &r);
	cli_reply_free(&r);
	return rc;
}

/* The state, quietly: NULL while nothing answers (or not 200). */
static struct json_object *upgrade_state(struct cli_api *a)
{
	struct json_object *o = NULL;
	struct cli_reply r;

	if (cli_api_call(a, "GET", "/api/v1/state", NULL, &r))
		return NULL;
	if (r.status == 200 && r.json)
		o = json_object_get(r.json);
	cli_reply_free(&r);
	return o;
}

/* Announcements not yet withdrawn, or -1 when the state has none to read. */
static int upgrade_announced(struct json_object *st)
{
	struct json_object *arr, *an;
	size_t i;
	int n = 0;

	if (!json_object_object_get_ex(st, "announcements", &arr) || !arr)
		return -1;
	for (i = 0; i < json_object_array_length(arr); i++) {
		an = json_object_array_get_idx(arr, i);
		n += strcmp(cli_js(an, "state"), "withdrawn") != 0;
	}
	return n;
}

enum upgrade_wait { WAIT_WITHDRAWN, WAIT_DAEMON_DRAINED, WAIT_READY };

/* Poll until the wait is over: CLI_OK, or CLI_REFUSED at the deadline. */
static int upgrade_wait(struct cli_api *a, enum upgrade_wait w, double deadline)
{
	struct json_object *st;
	struct cli_reply r;
	bool done = false;

	a->quiet = true;
	while (!done && upgrade_now() < deadline) {
		if (w == WAIT_READY) {
			done = !cli_api_call(a, "GET", "/health/ready", NULL, &r) &&
			       r.status == 200;
			if (r.body)
				cli_reply_free(&r);
		} else if ((st = upgrade_state(a))) {
			if (w == WAIT_WITHDRAWN)
				done = upgrade_announced(st) <= 0;
			else
				done = cli_jb(st, "attached") &&
				       !strcmp(cli_js(st, "system_mode"), "draining");
			json_object_put(st);
		}
		if (!done)
			upgrade_sleep();
	}
	a->quiet = false;
	return done ? CLI_OK : CLI_REFUSED;
}

static int upgrade_run(char **cmd)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		execvp(cmd[0], cmd);
		fprintf(stderr, "anyedge upgrade: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static const struct cmd_opt upgrade_opts[] = {
	{ "timeout", 't', "S", "give each wait S seconds (default 300)" },
	{ 0 },
};

static int cmd_upgrade(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_api a = { 0 };
	struct json_object *st;
	double timeout = 300;
	bool was_drained;
	char *end;
	int c, rc;

	while ((c = cmd_getopt(&v->spec, argc, argv)) != -1) {
		if (cli_api_opt(&a, c, optarg))
			continue;
		switch (c) {
		case 't':
			timeout = strtod(optarg, &end);
			if (*end || !(timeout > 0)) {
				fprintf(stderr, "anyedge upgrade: --timeout: seconds > 0\n");
				return CLI_USAGE;
			}
			break;
		case CMD_HELP:
			return CLI_OK;
		default:
			return CLI_USAGE;
		}
	}
	if (optind == argc)
		return cli_usage(v);
	rc = cli_api_setup(&a);
	if (rc)
		return rc;
	st = upgrade_state(&a);
	if (!st) {
		fprintf(stderr, "anyedge upgrade: anyedged does not answer; nothing done\n");
		return CLI_NOT_RUNNING;
	}
	was_drained = !strcmp(cli_js(st, "system_mode"), "draining");
	json_object_put(st);
	if (!was_drained) {
		rc = upgrade_post(&a, "/api/v1/drain");
		if (rc)
			return rc;
	}
	printf("anyedge upgrade: edge drained; waiting for its announcements to be withdrawn\n");
	if (upgrade_wait(&a, WAIT_WITHDRAWN, upgrade_now() + timeout)) {
		fprintf(stderr,
			"anyedge upgrade: announcements not withdrawn within %.0f s; "
			"nothing upgraded, the edge stays drained (anyedge undrain --edge)\n",
			timeout);
		return CLI_REFUSED;
	}
	printf("anyedge upgrade: withdrawn; running %s\n", argv[optind]);
	rc = upgrade_run(argv + optind);
	if (rc) {
		fprintf(stderr,
			"anyedge upgrade: %s failed (%d); the edge stays drained "
			"(anyedge undrain --edge once a daemon runs)\n",
			argv[optind], rc);
		return CLI_REFUSED;
	}
	if (upgrade_wait(&a, WAIT_DAEMON_DRAINED, upgrade_now() + timeout)) {
		fprintf(stderr,
			"anyedge upgrade: no attached, drained anyedged answers within "
			"%.0f s; see its log\n",
			timeout);
		return CLI_REFUSED;
	}
	if (was_drained) {
		printf("anyedge upgrade: done; the edge was drained before and stays drained\n");
		return CLI_OK;
	}
	rc = upgrade_post(&a, "/api/v1/undrain");
	if (rc)
		return rc;
	if (upgrade_wait(&a, WAIT_READY, upgrade_now() + timeout)) {
		fprintf(stderr,
			"anyedge upgrade: undrained, but not ready within %.0f s "
			"(anyedge status says why)\n",
			timeout);
		return CLI_REFUSED;
	}
	printf("anyedge upgrade: done; the edge is undrained and ready\n");
	return CLI_OK;
}

const struct cli_verb cli_verb_upgrade = {
	.name = "upgrade",
	.run = cmd_upgrade,
	.spec = { .prog = "anyedge upgrade",
		  .args = "[--timeout S] " CLI_API_ARGS " -- COMMAND [ARG...]",
		  .summary = "Drain, run COMMAND (install, restart), wait for the daemon, undrain.",
		  .opts = { upgrade_opts, cli_api_opts } },
};
