/* SPDX-License-Identifier: GPL-2.0 */
/* One frame through an XDP program with BPF_PROG_TEST_RUN, and what the CLI's tools share
 * around it: loading a policy with its diagnostics, naming verdicts.
 */
#ifndef ANYEDGE_XDP_RUN_H
#define ANYEDGE_XDP_RUN_H

#include <stdint.h>

#include "policy.h"

#define XDP_RUN_HEADROOM 256 /* the room an encapsulating program may grow a frame by */

struct xdp_run {
	uint32_t action;
	uint32_t duration_ns; /* the kernel's figure for this single run */
	uint32_t out_len;
};

/* Run one frame once (repeat=1: a second run would see the first one's output). out must hold
 * len + XDP_RUN_HEADROOM bytes. 0 or -errno.
 */
int xdp_run_once(int prog_fd, const uint8_t *in, uint32_t len, uint8_t *out, struct xdp_run *r);
const char *xdp_action_name(uint32_t action);
/* policy_load with diagnostics on stderr; NULL on failure. */
struct policy *cli_load_policy(const char *path);

#endif /* ANYEDGE_XDP_RUN_H */
