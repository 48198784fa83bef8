// SPDX-License-Identifier: GPL-2.0
/* `anyedge bench`: the program's own per-packet cost on a capture, beside a floor program that
 * only returns XDP_PASS, both timed the same way in the same run. Each timing is a repeat=1 run
 * (a repeat>1 run would feed the program its own encapsulated output); the two programs are
 * interleaved frame by frame so machine noise lands on both.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane.h"
#include "floor.skel.h"
#include "log.h"
#include "pcap_io.h"
#include "xdp_run.h"
#include "cli.h"

struct bench_result {
	uint64_t runs;
	uint64_t prog_ns;
	uint64_t floor_ns;
	uint64_t actions[5];
	uint32_t *prog_each, *floor_each; /* per run, for medians: robust to a preempted run */
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double median(uint32_t *v, uint64_t n)
{
	qsort(v, n, sizeof(*v), cmp_u32);
	return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0) : 0;
}

/* Mean of the middle half of sorted runs. The kernel's clock here steps by ~10 ns, so a median
 * moves in 10 ns jumps; this keeps the median's immunity to preempted runs and resolves finer.
 */
static double iqm(const uint32_t *sorted, uint64_t n)
{
	uint64_t i, lo = n / 4, hi = n - n / 4;
	double sum = 0;

	for (i = lo; i < hi; i++)
		sum += sorted[i];
	return hi > lo ? sum / (double)(hi - lo) : 0;
}

static int bench_frames(int prog_fd, int floor_fd, const struct frames *fr, unsigned int repeat,
			struct bench_result *res)
{
	struct xdp_run r;
	uint8_t *out;
	unsigned int k;
	size_t i;
	int err = 0;

	out = malloc(FRAME_MAX + XDP_RUN_HEADROOM);
	if (!out)
		return -ENOMEM;
	for (k = 0; k < repeat && !err; k++) {
		for (i = 0; i < fr->n && !err; i++) {
			err = xdp_run_once(floor_fd, fr->f[i].data, fr->f[i].len, out, &r);
			if (err)
				break;
			res->floor_ns += r.duration_ns;
			res->floor_each[res->runs] = r.duration_ns;
			err = xdp_run_once(prog_fd, fr->f[i].data, fr->f[i].len, out, &r);
			if (err)
				break;
			res->prog_ns += r.duration_ns;
			res->prog_each[res->runs] = r.duration_ns;
			res->actions[r.action < 5 ? r.action : 0]++;
			res->runs++;
		}
	}
	free(out);
	return err;
}

static int bench(const char *config, const char *pcap, unsigned int repeat)
{
	struct floor_bpf *floor = NULL;
	struct bench_result res = { 0 };
	struct frames fr = { 0 };
	struct dataplane *dp = NULL;
	struct policy *p;
	double prog, flr, prog_med, flr_med;
	int err, a;

	p = cli_load_policy(config);
	if (!p)
		return 1;
	err = frames_read(pcap, &fr);
	if (!err && !fr.n) {
		fprintf(stderr, "bench: %s holds no packets\n", pcap);
		err = -EINVAL;
	}
	if (!err)
		err = dp_open(p, NULL, &dp);
	if (!err)
		err = dp_apply(dp, p, NULL);
	if (!err) {
		floor = floor_bpf__open_and_load();
		if (!floor)
			err = -errno;
	}
	if (!err) {
		res.prog_each = calloc(fr.n * repeat + 1, sizeof(uint32_t));
		res.floor_each = calloc(fr.n * repeat + 1, sizeof(uint32_t));
		if (!res.prog_each || !res.floor_each)
			err = -ENOMEM;
	}
	if (!err)
		err = bench_frames(dp_prog_fd(dp), bpf_program__fd(floor->progs.floor_xdp), &fr,
				   repeat, &res);
	if (err) {
		fprintf(stderr, "bench: %s\n", strerror(-err));
		goto out;
	}
	prog = (double)res.prog_ns / res.runs;
	flr = (double)res.floor_ns / res.runs;
	prog_med = median(res.prog_each, res.runs); /* sorts: iqm() reads them sorted */
	flr_med = median(res.floor_each, res.runs);
	printf("{\"packets\":%zu,\"repeat\":%u,\"runs\":%llu,\"ns_per_packet\":%.1f,"
	       "\"floor_ns\":%.1f,\"net_ns\":%.1f,\"median_ns\":%.1f,\"floor_median_ns\":%.1f,"
	       "\"iqm_ns\":%.1f,\"floor_iqm_ns\":%.1f,\"actions\":{",
	       fr.n, repeat, (unsigned long long)res.runs, prog, flr, prog - flr, prog_med, flr_med,
	       iqm(res.prog_each, res.runs), iqm(res.floor_each, res.runs));
	for (a = 0; a < 5; a++)
		printf("%s\"%s\":%llu", a ? "," : "", xdp_action_name(a),
		       (unsigned long long)res.actions[a]);
	printf("}}\n");
out:
	free(res.prog_each);
	free(res.floor_each);
	floor_bpf__destroy(floor);
	dp_close(dp);
	frames_free(&fr);
	policy_free(p);
	return err ? 1 : 0;
}

static const struct cmd_opt bench_opts[] = {
	{ "config", 'c', "POLICY", "the policy whose maps the program runs with" },
	{ "pcap", 'p', "IN", "the packets to time (pcap, Ethernet)" },
	{ "repeat", 'r', "N", "single runs per packet, 1..1000000 (default 100)" },
	{ 0 },
};

static int cmd_bench(const struct cli_verb *v, int argc, char **argv)
{
	const char *config = NULL, *pcap = NULL;
	unsigned long repeat = 100;
	char *end;
	int c;

	while ((c = cmd_getopt(&v->spec, argc, argv)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'p':
			pcap = optarg;
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
	if (!config || !pcap || optind != argc)
		return cli_usage(v);
	return bench(config, pcap, (unsigned int)repeat);
}

const struct cli_verb cli_verb_bench = {
	.name = "bench",
	.run = cmd_bench,
	.spec = { .prog = "anyedge bench",
		  .args = "--config POLICY --pcap IN [--repeat N]",
		  .summary = "Time the XDP program per packet against a trivial program's floor.",
		  .opts = { bench_opts } },
};
