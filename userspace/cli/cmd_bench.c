// SPDX-License-Identifier: GPL-2.0
/* `anyedge bench`: the program's own per-packet cost on captures, beside a floor program that
 * only returns XDP_PASS, both timed the same way in the same run (bench_run.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bench_run.h"
#include "dataplane.h"
#include "floor.skel.h"
#include "log.h"
#include "xdp_run.h"
#include "cli.h"

#define BENCH_MAX_PCAPS 8

/* Each capture is timed in turn on the same maps, so a capture of first ACKs after one of SYNs
 * meets the flow state the SYNs left.
 */
static int bench(const char *config, const char *const *pcaps, int n_pcaps, unsigned int repeat)
{
	struct floor_bpf *floor = NULL;
	struct dataplane *dp = NULL;
	struct frames fr = { 0 };
	struct policy *p;
	int i, err;

	p = cli_load_policy(config);
	if (!p)
		return 1;
	err = dp_open(p, NULL, &dp);
	if (!err)
		err = dp_apply(dp, p, NULL);
	if (!err) {
		floor = floor_bpf__open_and_load();
		if (!floor)
			err = -errno;
	}
	for (i = 0; i < n_pcaps && !err; i++) {
		err = frames_read(pcaps[i], &fr);
		if (!err && !fr.n) {
			fprintf(stderr, "bench: %s holds no packets\n", pcaps[i]);
			err = -EINVAL;
		}
		if (!err)
			err = bench_run(dp_prog_fd(dp), bpf_program__fd(floor->progs.floor_xdp),
					&fr, repeat, NULL, NULL);
		frames_free(&fr);
	}
	if (err)
		fprintf(stderr, "bench: %s\n", strerror(-err));
	floor_bpf__destroy(floor);
	dp_close(dp);
	policy_free(p);
	return err ? 1 : 0;
}

static const struct cmd_opt bench_opts[] = {
	{ "config", 'c', "POLICY", "the policy whose maps the program runs with" },
	{ "pcap", 'p', "IN", "the packets to time (pcap, Ethernet); repeated: in turn, same maps" },
	{ "repeat", 'r', "N", "single runs per packet, 1..1000000 (default 100)" },
	{ 0 },
};

static int cmd_bench(const struct cli_verb *v, int argc, char **argv)
{
	const char *config = NULL, *pcaps[BENCH_MAX_PCAPS];
	unsigned long repeat = 100;
	int n_pcaps = 0;
	char *end;
	int c;

	while ((c = cmd_getopt(&v->spec, argc, argv)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'p':
			if (n_pcaps == BENCH_MAX_PCAPS) {
				fprintf(stderr, "bench: at most %d --pcap\n", BENCH_MAX_PCAPS);
				return 2;
			}
			pcaps[n_pcaps++] = optarg;
			break;
		case 'r':
			repeat = strtoul(optarg, &end, 10);
			if (*end || !repeat || repeat > 1000000) {
				fprintf(stderr, "bench: --repeat takes 1..1000000\n");
				return 2;
			}
			break;
		case CMD_HELP:
			return 0;
		default:
			return 2;
		}
	}
	if (!config || !n_pcaps || optind != argc)
		return cli_usage(v);
	return bench(config, pcaps, n_pcaps, (unsigned int)repeat);
}

const struct cli_verb cli_verb_bench = {
	.name = "bench",
	.run = cmd_bench,
	.spec = { .prog = "anyedge bench",
		  .args = "--config POLICY --pcap IN [--pcap IN2 ...] [--repeat N]",
		  .summary = "Time the XDP program per packet against a trivial program's floor.",
		  .opts = { bench_opts } },
};
