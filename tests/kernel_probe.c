// SPDX-License-Identifier: GPL-2.0
/* Test driver for the kernel-facts module: prints the facts about IFNAME as one line of JSON;
 * with --watch SECONDS, prints a new line on every change for that long. --resolve asks the
 * kernel to resolve the gateway's MAC when it is unknown (at start and after every change).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "inet.h"
#include "kernel.h"
#include "log.h"

static void probe_print(const struct link_facts *f)
{
	char gw[INET_ADDR_STR + 2] = "null", addr[INET_ADDR_STR];
	char gwmac[20] = "null";
	const uint8_t *m = f->mac;

	if (f->gateway.family)
		snprintf(gw, sizeof(gw), "\"%s\"", inet_addr_str(&f->gateway, addr, sizeof(addr)));
	if (f->has_gateway_mac)
		snprintf(gwmac, sizeof(gwmac), "\"%02x:%02x:%02x:%02x:%02x:%02x\"",
			 f->gateway_mac[0], f->gateway_mac[1], f->gateway_mac[2], f->gateway_mac[3],
			 f->gateway_mac[4], f->gateway_mac[5]);
	printf("{\"ifindex\":%d,\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\",\"mtu\":%u,"
	       "\"up\":%s,\"gateway\":%s,\"gateway_mac\":%s}\n",
	       f->ifindex, m[0], m[1], m[2], m[3], m[4], m[5], f->mtu, f->up ? "true" : "false", gw,
	       gwmac);
	fflush(stdout);
}

static void probe_resolve(struct kernel *k, const struct link_facts *f)
{
	int err;

	if (!f->gateway.family || f->has_gateway_mac)
		return;
	err = kernel_resolve_gateway(k);
	if (err)
		fprintf(stderr, "kernel_probe: resolve: %s\n", strerror(-err));
}

static int probe_watch(struct kernel *k, int seconds, bool resolve)
{
	long long end = (long long)mono_ms() + seconds * 1000LL;
	struct pollfd pfd = { .fd = kernel_fd(k), .events = POLLIN };
	struct link_facts f;
	bool changed;
	int err, n;

	for (;;) {
		long long left = end - (long long)mono_ms();

		if (left <= 0)
			return 0;
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		err = kernel_dispatch(k, &changed);
		if (err)
			fprintf(stderr, "kernel_probe: dispatch: %s\n", strerror(-err));
		if (!changed)
			continue;
		kernel_facts(k, &f);
		probe_print(&f);
		/* a new gateway, or a carrier loss that flushed the entry */
		if (resolve)
			probe_resolve(k, &f);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "gateway", required_argument, NULL, 'g' },
		{ "toward", required_argument, NULL, 't' },
		{ "watch", required_argument, NULL, 'w' },
		{ "resolve", no_argument, NULL, 'r' },
		{ "debug", no_argument, NULL, 'd' },
		{ 0 },
	};
	struct inet_addr gateway = { 0 }, toward = { 0 };
	struct link_facts f;
	struct kernel *k;
	bool resolve = false;
	int watch = -1, c, err;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
		case 't':
			if (inet_addr_parse(optarg, c == 'g' ? &gateway : &toward)) {
				fprintf(stderr, "kernel_probe: bad address %s\n", optarg);
				return 2;
			}
			break;
		case 'w':
			watch = atoi(optarg);
			break;
		case 'r':
			resolve = true;
			break;
		case 'd':
			log_set_level(LOG_DEBUG);
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;

	err = kernel_open(argv[optind], &gateway, &toward, &k);
	if (err) {
		fprintf(stderr, "kernel_probe: %s: %s\n", argv[optind], strerror(-err));
		return 1;
	}
	kernel_facts(k, &f);
	probe_print(&f);
	if (resolve)
		probe_resolve(k, &f);
	err = watch >= 0 ? probe_watch(k, watch, resolve) : 0;
	kernel_close(k);
	return err ? 1 : 0;

usage:
	fprintf(stderr, "usage: kernel_probe IFNAME [--toward ADDR] [--gateway ADDR] [--resolve] "
			"[--watch SECONDS] [--debug]\n");
	return 2;
}
