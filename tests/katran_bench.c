// SPDX-License-Identifier: GPL-2.0
/* katran_bench: Katran's balancer beside anyedge, on the same policy and captures.
 *
 *   katran_bench [--obj KATRAN.o] [--config POLICY] [--lru-size N] [--repeat N] --pcap IN...
 *     times Katran per packet exactly as `anyedge bench` times anyedge (bench_run.c: one
 *     BPF_PROG_TEST_RUN a packet, interleaved with the XDP_PASS floor) and prints the same JSON
 *     line per capture, plus "checked": the runs Katran steered to one of the reals. Captures
 *     run in turn on the same maps (a first ACK after its SYN hits the LRU entry the SYN wrote).
 *   katran_bench [--obj KATRAN.o] [--config POLICY] [--lru-size N] --attach IFNAME
 *     loads and configures Katran, attaches it in driver mode to IFNAME in this namespace,
 *     prints "ready", and detaches when SIGTERM or SIGINT arrives.
 *
 * --obj defaults to $KATRAN_OBJ, --config to tests/bench.yaml, --lru-size to the policy's
 * dataplane.flow_table_size (Katran's LruSize: split evenly over the CPUs, as KatranLb does).
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "bench_run.h"
#include "floor.skel.h"
#include "katran_lb.h"
#include "xdp_run.h"

#define MAX_PCAPS 8

struct opts {
	const char *obj, *config, *attach;
	const char *pcaps[MAX_PCAPS];
	int n_pcaps;
	unsigned long long lru_size;
	unsigned long repeat;
};

static void describe(const struct katran_lb *lb, const char *obj)
{
	fprintf(stderr,
		"katran: %s: %d VIPs, %d reals, Maglev ring 65537 per VIP, per-CPU LRU_HASH of %u "
		"flows x %d CPUs, default router %02x:%02x:%02x:%02x:%02x:%02x\n",
		obj, lb->n_vips, lb->n_reals, lb->lru_per_cpu, lb->n_cpus, lb->mac[0], lb->mac[1],
		lb->mac[2], lb->mac[3], lb->mac[4], lb->mac[5]);
}

static int run_pcaps(struct katran_lb *lb, const struct opts *o)
{
	struct floor_bpf *floor;
	uint64_t syn0, other0, syn, other;
	struct frames fr = { 0 };
	int i, err = 0;

	floor = floor_bpf__open_and_load();
	if (!floor)
		return -errno;
	for (i = 0; i < o->n_pcaps && !err; i++) {
		err = frames_read(o->pcaps[i], &fr);
		if (!err)
			err = katran_lb_lru_misses(lb, &syn0, &other0);
		if (!err)
			err = bench_run(lb->prog_fd, bpf_program__fd(floor->progs.floor_xdp), &fr,
					(unsigned int)o->repeat, katran_lb_steered, lb);
		if (!err)
			err = katran_lb_lru_misses(lb, &syn, &other);
		if (!err) /* for tests/katran_cmp.sh: a first ACK must hit what its SYN wrote */
			fprintf(stderr, "katran: %s: LRU misses: %llu SYN, %llu other TCP\n",
				o->pcaps[i], (unsigned long long)(syn - syn0),
				(unsigned long long)(other - other0));
		frames_free(&fr);
	}
	floor_bpf__destroy(floor);
	return err;
}

static int run_attached(struct katran_lb *lb, const char *dev)
{
	int ifindex = (int)if_nametoindex(dev), sig, err;
	sigset_t set;

	if (!ifindex)
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* blocked before attaching: a signal from here on is taken by sigwait, never lost */
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	err = bpf_xdp_attach(ifindex, lb->prog_fd, XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		return err;
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	return bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "obj", required_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ "lru-size", required_argument, NULL, 'l' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "attach", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	char *end = NULL;
	int c;

	o->obj = getenv("KATRAN_OBJ");
	o->config = "tests/bench.yaml";
	o->repeat = 100;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->obj = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'l':
			o->lru_size = strtoull(optarg, &end, 10);
			break;
		case 'r':
			o->repeat = strtoul(optarg, &end, 10);
			if (!o->repeat || o->repeat > 1000000)
				return -EINVAL;
			break;
		case 'p':
			if (o->n_pcaps == MAX_PCAPS)
				return -E2BIG;
			o->pcaps[o->n_pcaps++] = optarg;
			break;
		case 'a':
			o->attach = optarg;
			break;
		default:
			return -EINVAL;
		}
		if (end && *end)
			return -EINVAL;
	}
	if (!o->obj || optind != argc || !o->n_pcaps == !o->attach)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct katran_lb lb;
	struct policy *p;
	int err;

	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: katran_bench [--obj KATRAN.o] [--config POLICY] "
				"[--lru-size N] [--repeat N] (--pcap IN... | --attach IFNAME)\n"
				"       (--obj defaults to $KATRAN_OBJ)\n");
		return 2;
	}
	p = cli_load_policy(o.config);
	if (!p)
		return 1;
	err = katran_lb_open(o.obj, p, o.lru_size ? o.lru_size : p->dataplane.flow_table_size, &lb);
	if (!err) {
		describe(&lb, o.obj);
		err = o.attach ? run_attached(&lb, o.attach) : run_pcaps(&lb, &o);
		if (err)
			fprintf(stderr, "katran_bench: %s\n", strerror(-err));
		katran_lb_close(&lb);
	}
	policy_free(p);
	return err ? 1 : 0;
}
