/* SPDX-License-Identifier: GPL-2.0 */
/* Per-packet timing of an XDP program beside a floor program, shared by `anyedge bench` and the
 * Katran comparison (tests/katran_bench.c) so that both are timed and summarised the same way.
 */
#ifndef ANYEDGE_BENCH_RUN_H
#define ANYEDGE_BENCH_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "pcap_io.h"

/* Judges one run's verdict and output frame; true when it is what the caller expects. */
typedef bool (*bench_check_fn)(void *arg, uint32_t action, const uint8_t *out, uint32_t len);

/* Time every frame of fr `repeat` times, each a single BPF_PROG_TEST_RUN of prog_fd interleaved
 * with one of floor_fd, and print one JSON line on stdout: means, medians, interquartile means,
 * verdict counts and, when check is given, "checked" (the runs it accepted). 0 or -errno.
 */
int bench_run(int prog_fd, int floor_fd, const struct frames *fr, unsigned int repeat,
	      bench_check_fn check, void *arg);

#endif /* ANYEDGE_BENCH_RUN_H */
