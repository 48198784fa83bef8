// SPDX-License-Identifier: GPL-2.0
/* edge_attach --config POLICY --dev DEV [--down REGION,...]: load the steering program, program
 * its maps from POLICY through the dataplane module (every region up unless named) and attach
 * it to DEV in this network namespace with a netlink attach that outlives this process. For
 * namespace tests that need a forwarding edge without the daemon; detach with
 * `ip link set dev DEV xdp off`.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "dataplane.h"
#include "log.h"

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dev", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *dev = NULL;
	struct dataplane *dp = NULL;
	struct policy *p = NULL;
	struct dp_view view;
	int c, ifindex, err;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'c')
			config = optarg;
		else if (c == 'd')
			dev = optarg;
		else
			return 2;
	}
	if (!config || !dev) {
		fprintf(stderr, "usage: edge_attach --config POLICY --dev DEV\n");
		return 2;
	}
	log_hook_libbpf();
	ifindex = if_nametoindex(dev);
	if (!ifindex) {
		fprintf(stderr, "edge_attach: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	err = policy_load(config, &p, policy_diag_stderr, stderr);
	if (err)
		return 1;
	err = dp_view_default(p, NULL, &view);
	if (!err)
		err = dp_open(p, NULL, &dp);
	if (!err)
		err = dp_apply(dp, p, &view);
	if (!err) {
		err = bpf_xdp_attach(ifindex, dp_prog_fd(dp), XDP_FLAGS_DRV_MODE, NULL);
		if (err)
			fprintf(stderr, "edge_attach: attach to %s: %s\n", dev, strerror(-err));
	}
	dp_close(dp);
	dp_view_free(&view);
	policy_free(p);
	return err ? 1 : 0;
}
