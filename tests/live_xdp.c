// SPDX-License-Identifier: GPL-2.0
/* live_xdp: the live-frame benchmark's tools (tests/live_bench.sh).
 *
 *   live_xdp floor --dev DEV
 *	attach the floor (xdp/live.bpf.c: XDP_TX, nothing else) to DEV in driver mode; the attach
 *	outlives this process (detach with `ip link set dev DEV xdp off`).
 *   live_xdp send --dev DEV --pcap FILE --prog ID [--seconds S] [--count N]
 *	put the sink on DEV (veth delivers the peer's XDP_TX frames only to an XDP program), send
 *	FILE's frames in turn out of DEV through an AF_PACKET socket that bypasses the qdisc, until
 *	S seconds or N frames, and print one JSON line: frames sent, the run count and run time of
 *	program ID (kernel run-time stats, on while this runs) over that window, and what came back
 *	to the sink (frames, tunnelled frames).
 *
 * Run-time stats time each run of the program alone, as it runs on live frames with warm caches;
 * the sender, the veth hops and the stack are outside them.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "live.skel.h"
#include "cli/pcap_io.h"

/* frames per sendmmsg: each return to user space flushes the TLB here (PTI without PCID), which
 * a core receiving from a NIC does not pay every few frames
 */
#define BATCH 1024
#define MAX_SECONDS 60.0
#define DRAIN_US 50000 /* frames still in the veth rings when sending stops */

struct prog_stats {
	__u64 runs, run_ns;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int prog_stats(int fd, struct prog_stats *s)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int err;

	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err)
		return err;
	s->runs = info.run_cnt;
	s->run_ns = info.run_time_ns;
	return 0;
}

static int tx_socket(int ifindex)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = ifindex };
	int one = 1, fd;

	/* protocol 0: this socket sends only, nothing is queued to it */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Sends frames in turn until count frames or seconds; returns the number sent or -errno. */
static long long send_frames(int fd, const struct frames *f, unsigned long long count,
			     double seconds, double *took)
{
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	unsigned long long sent = 0;
	size_t next = 0;
	unsigned int i, n;
	double t0 = now_s();
	int r;

	while (sent < count && now_s() - t0 < seconds) {
		n = count - sent < BATCH ? (unsigned int)(count - sent) : BATCH;
		memset(msg, 0, sizeof(msg[0]) * n);
		for (i = 0; i < n; i++) {
			iov[i].iov_base = f->f[next].data;
			iov[i].iov_len = f->f[next].len;
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			next = (next + 1) % f->n;
		}
		r = sendmmsg(fd, msg, n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		sent += r;
	}
	*took = now_s() - t0;
	return (long long)sent;
}

static int cmd_floor(int ifindex)
{
	struct live_bpf *skel;
	int err;

	skel = live_bpf__open_and_load();
	if (!skel)
		return -errno;
	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.live_tx), XDP_FLAGS_DRV_MODE,
			     NULL);
	live_bpf__destroy(skel);
	return err;
}

static int cmd_send(int ifindex, const char *pcap, __u32 prog_id, unsigned long long count,
		    double seconds)
{
	struct prog_stats before, after;
	struct frames fr = {};
	struct live_bpf *skel = NULL;
	int stats_fd = -1, prog_fd = -1, sock = -1, attached = 0, err;
	long long sent;
	double took;

	err = frames_read(pcap, &fr);
	if (err)
		return err;
	if (!fr.n) {
		fprintf(stderr, "live_xdp: %s holds no frames\n", pcap);
		return -EINVAL;
	}
	prog_fd = bpf_prog_get_fd_by_id(prog_id);
	if (prog_fd < 0) {
		err = -errno;
		fprintf(stderr, "live_xdp: program %u: %s\n", prog_id, strerror(errno));
		goto cleanup;
	}
	skel = live_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		goto cleanup;
	}
	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.live_sink), XDP_FLAGS_DRV_MODE,
			     NULL);
	if (err)
		goto cleanup;
	attached = 1;
	sock = tx_socket(ifindex);
	if (sock < 0) {
		err = sock;
		goto cleanup;
	}
	/* stats stay on while this fd is open, and go off with it whatever way this ends */
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		err = -errno;
		goto cleanup;
	}
	err = prog_stats(prog_fd, &before);
	if (err)
		goto cleanup;
	sent = send_frames(sock, &fr, count, seconds, &took);
	if (sent < 0) {
		err = (int)sent;
		goto cleanup;
	}
	usleep(DRAIN_US);
	err = prog_stats(prog_fd, &after);
	if (err)
		goto cleanup;
	after.runs -= before.runs;
	after.run_ns -= before.run_ns;
	printf("{\"sent\": %lld, \"seconds\": %.3f, \"pps\": %.0f, \"runs\": %llu, "
	       "\"run_ns\": %llu, \"ns_per_run\": %.2f, \"returned\": %llu, "
	       "\"tunnelled\": %llu}\n",
	       sent, took, took > 0 ? sent / took : 0.0, (unsigned long long)after.runs,
	       (unsigned long long)after.run_ns,
	       after.runs ? (double)after.run_ns / after.runs : 0.0,
	       (unsigned long long)skel->bss->sink_frames,
	       (unsigned long long)skel->bss->sink_tunnelled);
cleanup:
	if (stats_fd >= 0)
		close(stats_fd);
	if (sock >= 0)
		close(sock);
	if (attached)
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	live_bpf__destroy(skel);
	if (prog_fd >= 0)
		close(prog_fd);
	frames_free(&fr);
	return err;
}

static int usage(void)
{
	fprintf(stderr, "usage: live_xdp floor --dev DEV\n"
			"       live_xdp send --dev DEV --pcap FILE --prog ID [--seconds S] "
			"[--count N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "prog", required_argument, NULL, 'i' },
		{ "seconds", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = NULL, *pcap = NULL, *cmd;
	unsigned long long count = 1ULL << 40;
	double seconds = 2.0;
	__u32 prog_id = 0;
	int c, ifindex, err;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'd')
			dev = optarg;
		else if (c == 'p')
			pcap = optarg;
		else if (c == 'i')
			prog_id = strtoul(optarg, NULL, 10);
		else if (c == 's')
			seconds = strtod(optarg, NULL);
		else if (c == 'n')
			count = strtoull(optarg, NULL, 10);
		else
			return usage();
	}
	if (!dev)
		return usage();
	if (!(seconds > 0 && seconds <= MAX_SECONDS)) {
		fprintf(stderr, "live_xdp: --seconds must be in (0, %.0f]\n", MAX_SECONDS);
		return 2;
	}
	ifindex = if_nametoindex(dev);
	if (!ifindex) {
		fprintf(stderr, "live_xdp: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	if (!strcmp(cmd, "floor"))
		err = cmd_floor(ifindex);
	else if (!strcmp(cmd, "send") && pcap && prog_id)
		err = cmd_send(ifindex, pcap, prog_id, count, seconds);
	else
		return usage();
	if (err)
		fprintf(stderr, "live_xdp: %s on %s: %s\n", cmd, dev, strerror(-err));
	return err ? 1 : 0;
}
