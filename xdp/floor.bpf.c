// SPDX-License-Identifier: GPL-2.0
/* The benchmark floor: what BPF_PROG_TEST_RUN costs for a program that does nothing. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int floor_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}
