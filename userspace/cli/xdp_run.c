// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "xdp_run.h"

int xdp_run_once(int prog_fd, const uint8_t *in, uint32_t len, uint8_t *out, struct xdp_run *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = len, .data_out = out,
		    .data_size_out = len + XDP_RUN_HEADROOM, .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	r->action = opts.retval;
	r->duration_ns = opts.duration;
	r->out_len = opts.data_size_out;
	return 0;
}

const char *xdp_action_name(uint32_t action)
{
	static const char *const names[] = { "ABORTED", "DROP", "PASS", "TX", "REDIRECT" };

	return action < sizeof(names) / sizeof(names[0]) ? names[action] : "UNKNOWN";
}

struct policy *cli_load_policy(const char *path)
{
	struct policy *p = NULL;

	if (policy_load(path, &p, policy_diag_stderr, stderr))
		return NULL;
	return p;
}
