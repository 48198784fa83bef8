// SPDX-License-Identifier: GPL-2.0
/* live_xdp: the live-frame benchmark's tools (tests/live_bench.sh).
 *
 *   live_xdp floor --dev DEV
 *	attach the floor (xdp/live.bpf.c: XDP_TX, nothing else) to DEV in driver mode; the attach
 *	outlives this process (detach with `ip link set dev DEV xdp off`).
 *   live_xdp send --pcap FILE [--seconds S] [--count N] DEV:PROG_ID...
 *	for each lane DEV:PROG_ID (a sender's veth, the id of the program on its peer): put the
 *	sink on DEV (veth delivers the peer's XDP_TX frames only to an XDP program), then send
 *	FILE's frames in turn out of each DEV through an AF_PACKET socket that bypasses the
 *	qdisc, the lanes taking turns of 50 ms until each had S seconds (or N frames). Prints one
 *	JSON line per lane, in order: frames sent, the program's run count and run time (kernel
 *	run-time stats, on while this runs) over the run, and what came back to the sink (frames,
 *	tunnelled frames).
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
#define MAX_LANES 4
#define SLICE_S 0.05 /* each lane's turn: short, so no lane has a slow stretch of its own */

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

/* Sends frames in turn from *next until count frames or seconds; returns the number sent or
 * -errno.
 */
static long long send_frames(int fd, const struct frames *f, size_t *next, unsigned long long count,
			     double seconds, double *took)
{
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	unsigned long long sent = 0;
	unsigned int i, n;
	double t0 = now_s();
	int r;

	while (sent < count && now_s() - t0 < seconds) {
		n = count - sent < BATCH ? (unsigned int)(count - sent) : BATCH;
		memset(msg, 0, sizeof(msg[0]) * n);
		for (i = 0; i < n; i++) {
			iov[i].iov_base = f->f[*next].data;
			iov[i].iov_len = f->f[*next].len;
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			*next = (*next + 1) % f->n;
		}
		r = sendmmsg(fd, msg, n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		sent += r;
	}
	*took += now_s() - t0;
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

/* A sender's veth and the program on its peer. */
struct lane {
	int ifindex, prog_fd, sock, attached;
	__u32 prog_id;
	struct live_bpf *sink;
	struct prog_stats before, after;
	unsigned long long sent;
	double took;
	size_t next;
};

static int lane_open(struct lane *l, const char *spec)
{
	char dev[IF_NAMESIZE];
	const char *colon = strchr(spec, ':');
	int err;

	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(dev))
		return -EINVAL;
	memcpy(dev, spec, colon - spec);
	dev[colon - spec] = 0;
	l->prog_id = strtoul(colon + 1, NULL, 10);
	l->ifindex = if_nametoindex(dev);
	if (!l->ifindex)
		return -errno;
	l->prog_fd = bpf_prog_get_fd_by_id(l->prog_id);
	if (l->prog_fd < 0)
		return -errno;
	l->sink = live_bpf__open_and_load();
	if (!l->sink)
		return -errno;
	err = bpf_xdp_attach(l->ifindex, bpf_program__fd(l->sink->progs.live_sink),
			     XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		return err;
	l->attached = 1;
	l->sock = tx_socket(l->ifindex);
	return l->sock < 0 ? l->sock : 0;
}

static void lane_close(struct lane *l)
{
	if (l->sock >= 0)
		close(l->sock);
	if (l->attached)
		bpf_xdp_detach(l->ifindex, XDP_FLAGS_DRV_MODE, NULL);
	live_bpf__destroy(l->sink);
	if (l->prog_fd >= 0)
		close(l->prog_fd);
}

static void lane_print(const struct lane *l)
{
	unsigned long long runs = l->after.runs - l->before.runs;
	unsigned long long ns = l->after.run_ns - l->before.run_ns;

	printf("{\"prog_id\": %u, \"sent\": %llu, \"seconds\": %.3f, \"pps\": %.0f, "
	       "\"runs\": %llu, \"run_ns\": %llu, \"ns_per_run\": %.2f, \"returned\": %llu, "
	       "\"tunnelled\": %llu}\n",
	       l->prog_id, l->sent, l->took, l->took > 0 ? l->sent / l->took : 0.0, runs, ns,
	       runs ? (double)ns / runs : 0.0, (unsigned long long)l->sink->bss->sink_frames,
	       (unsigned long long)l->sink->bss->sink_tunnelled);
}

/* Each lane in turn for SLICE_S, until each had seconds or count frames: the programs share whatever else the machine
 * does in those seconds. A program runs only on its own lane's frames, so its run-time stats
 * from start to end are its lane's.
 */
static int cmd_send(char **specs, int n, const char *pcap, unsigned long long count, double seconds)
{
	struct lane lanes[MAX_LANES];
	struct frames fr = {};
	int stats_fd = -1, i, busy, err;
	long long sent;
	double t0;

	if (n < 1 || n > MAX_LANES)
		return -EINVAL;
	memset(lanes, 0, sizeof(lanes));
	for (i = 0; i < n; i++)
		lanes[i].prog_fd = lanes[i].sock = -1;
	err = frames_read(pcap, &fr);
	if (err)
		return err;
	if (!fr.n) {
		fprintf(stderr, "live_xdp: %s holds no frames\n", pcap);
		err = -EINVAL;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		err = lane_open(&lanes[i], specs[i]);
		if (err) {
			fprintf(stderr, "live_xdp: %s: %s\n", specs[i], strerror(-err));
			goto cleanup;
		}
	}
	/* stats stay on while this fd is open, and go off with it whatever way this ends */
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		err = -errno;
		goto cleanup;
	}
	for (i = 0; i < n && !err; i++)
		err = prog_stats(lanes[i].prog_fd, &lanes[i].before);
	for (t0 = now_s(), busy = 1; !err && busy && now_s() - t0 < seconds * n;) {
		for (i = 0, busy = 0; i < n && !err; i++) {
			struct lane *l = &lanes[i];

			if (l->sent >= count)
				continue;
			busy = 1;
			sent = send_frames(l->sock, &fr, &l->next, count - l->sent, SLICE_S,
					   &l->took);
			if (sent < 0)
				err = (int)sent;
			else
				l->sent += sent;
		}
	}
	if (err)
		goto cleanup;
	usleep(DRAIN_US);
	for (i = 0; i < n && !err; i++)
		err = prog_stats(lanes[i].prog_fd, &lanes[i].after);
	for (i = 0; i < n && !err; i++)
		lane_print(&lanes[i]);
cleanup:
	if (stats_fd >= 0)
		close(stats_fd);
	for (i = 0; i < n; i++)
		lane_close(&lanes[i]);
	frames_free(&fr);
	return err;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: live_xdp floor --dev DEV\n"
		"       live_xdp send --pcap FILE [--seconds S] [--count N] DEV:PROG_ID...\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = NULL, *pcap = NULL, *cmd;
	unsigned long long count = 1ULL << 40;
	double seconds = 1.0;
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
		else if (c == 's')
			seconds = strtod(optarg, NULL);
		else if (c == 'n')
			count = strtoull(optarg, NULL, 10);
		else
			return usage();
	}
	if (!(seconds > 0 && seconds <= MAX_SECONDS)) {
		fprintf(stderr, "live_xdp: --seconds must be in (0, %.0f]\n", MAX_SECONDS);
		return 2;
	}
	if (!strcmp(cmd, "floor") && dev && optind == argc) {
		ifindex = if_nametoindex(dev);
		err = ifindex ? cmd_floor(ifindex) : -errno;
	} else if (!strcmp(cmd, "send") && pcap && !dev && optind < argc) {
		err = cmd_send(argv + optind, argc - optind, pcap, count, seconds);
	} else {
		return usage();
	}
	if (err)
		fprintf(stderr, "live_xdp: %s: %s\n", cmd, strerror(-err));
	return err ? 1 : 0;
}
