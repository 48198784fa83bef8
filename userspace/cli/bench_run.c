// SPDX-License-Identifier: GPL-2.0
/* Each timing is a repeat=1 run (a repeat>1 run would feed the program its own encapsulated
 * output); the program and the floor are interleaved frame by frame so machine noise lands on
 * both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_run.h"
#include "xdp_run.h"

struct bench_result {
	uint64_t runs;
	uint64_t prog_ns;
	uint64_t floor_ns;
	uint64_t actions[5];
	uint64_t checked;
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

static int time_frames(int prog_fd, int floor_fd, const struct frames *fr, unsigned int repeat,
		       bench_check_fn check, void *arg, struct bench_result *res)
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
			if (check && check(arg, r.action, out, r.out_len))
				res->checked++;
			res->runs++;
		}
	}
	free(out);
	return err;
}

static void print_result(const struct frames *fr, unsigned int repeat, bool checked,
			 struct bench_result *res)
{
	double prog = (double)res->prog_ns / res->runs, flr = (double)res->floor_ns / res->runs;
	double prog_med = median(res->prog_each, res->runs); /* sorts: iqm() reads them sorted */
	double flr_med = median(res->floor_each, res->runs);
	int a;

	printf("{\"packets\":%zu,\"repeat\":%u,\"runs\":%llu,\"ns_per_packet\":%.1f,"
	       "\"floor_ns\":%.1f,\"net_ns\":%.1f,\"median_ns\":%.1f,\"floor_median_ns\":%.1f,"
	       "\"iqm_ns\":%.1f,\"floor_iqm_ns\":%.1f,\"actions\":{",
	       fr->n, repeat, (unsigned long long)res->runs, prog, flr, prog - flr, prog_med,
	       flr_med, iqm(res->prog_each, res->runs), iqm(res->floor_each, res->runs));
	for (a = 0; a < 5; a++)
		printf("%s\"%s\":%llu", a ? "," : "", xdp_action_name(a),
		       (unsigned long long)res->actions[a]);
	printf("}");
	if (checked)
		printf(",\"checked\":%llu", (unsigned long long)res->checked);
	printf("}\n");
	fflush(stdout);
}

int bench_run(int prog_fd, int floor_fd, const struct frames *fr, unsigned int repeat,
	      bench_check_fn check, void *arg)
{
	struct bench_result res = { 0 };
	int err = -ENOMEM;

	if (!fr->n)
		return -EINVAL;
	res.prog_each = calloc(fr->n * repeat, sizeof(uint32_t));
	res.floor_each = calloc(fr->n * repeat, sizeof(uint32_t));
	if (!res.prog_each || !res.floor_each)
		goto out;
	err = time_frames(prog_fd, floor_fd, fr, repeat, check, arg, &res);
	if (!err)
		print_result(fr, repeat, check != NULL, &res);
out:
	free(res.prog_each);
	free(res.floor_each);
	return err;
}
