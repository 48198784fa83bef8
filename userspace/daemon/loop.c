// SPDX-License-Identifier: GPL-2.0
/* The one event loop: signals, probes, kernel notifications, a 1 s tick and the guard's settle
 * windows, all on one epoll. Every state change happens here, on this thread.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cmdq.h"
#include "edge.h"
#include "log.h"
#include "notify.h"

enum { EV_SIGNAL, EV_PROBE, EV_KERNEL, EV_TICK, EV_CMD, EV_BGP, EV_GUARD, EV_FLEET };

static int watch(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int setup(struct edge *e)
{
	struct itimerspec tick = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	sigset_t set;
	int err;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	e->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	e->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	e->guardfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->sigfd < 0 || e->tickfd < 0 || e->guardfd < 0 || e->epfd < 0)
		return -errno;
	if (timerfd_settime(e->tickfd, 0, &tick, NULL))
		return -errno;
	err = watch(e->epfd, e->sigfd, EV_SIGNAL);
	if (!err)
		err = watch(e->epfd, prober_fd(e->prober), EV_PROBE);
	if (!err)
		err = watch(e->epfd, kernel_fd(e->kern), EV_KERNEL);
	if (!err)
		err = watch(e->epfd, e->tickfd, EV_TICK);
	if (!err)
		err = watch(e->epfd, e->guardfd, EV_GUARD);
	if (!err && e->bgp)
		err = watch(e->epfd, speaker_fd(e->bgp), EV_BGP);
	if (!err)
		err = watch(e->epfd, cmdq_fd(e->cmdq), EV_CMD); /* operator commands */
	if (!err && e->fleet)
		err = watch(e->epfd, edge_fleet_fd(e), EV_FLEET); /* the fleet's designations */
	return err;
}

static void on_signal(struct edge *e)
{
	struct signalfd_siginfo si;

	while (read(e->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			edge_reload(e);
		} else {
			pr_info("edge: signal %u: exiting; the XDP program stays attached and "
				"forwarding with the last maps\n",
				si.ssi_signo);
			e->stop = true;
			notify_stopping();
		}
	}
}

static void on_kernel(struct edge *e)
{
	struct link_facts before = e->link;
	bool changed = false;

	if (kernel_dispatch(e->kern, &changed) || !changed)
		return;
	kernel_facts(e->kern, &e->link);
	if (before.ifindex != e->link.ifindex)
		edge_relink(e);
	/* carrier loss and MAC changes flush neighbours: ask again at once, not at the next tick */
	if (!e->link.has_gateway_mac && !e->policy->edge.has_gateway_mac)
		kernel_resolve_gateway(e->kern);
	if (before.up != e->link.up)
		pr_warn("edge: link %s is %s\n", e->policy->edge.interface,
			e->link.up ? "up" : "DOWN");
	edge_facts_to_health(e);
	if (memcmp(before.mac, e->link.mac, 6) || before.mtu != e->link.mtu ||
	    before.has_gateway_mac != e->link.has_gateway_mac ||
	    memcmp(before.gateway_mac, e->link.gateway_mac, 6))
		edge_apply(e, "link facts changed");
	else
		snapshot_publish(&e->snap, e);
}

static void on_tick(struct edge *e)
{
	uint64_t n;

	if (read(e->tickfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	/* unknown, or stale (XDP traffic bypasses the kernel's neighbour confirmation) */
	if (!e->policy->edge.has_gateway_mac)
		kernel_resolve_gateway(e->kern);
	health_tick(&e->health, edge_now_ms());
	/* probe latencies and timestamps move every round: refresh what readers see */
	snapshot_publish(&e->snap, e);
	edge_fleet_report(e);
}

/* The guard's next settle window end, on a one-shot monotonic timer (0 disarms). */
static void arm_guard(struct edge *e)
{
	uint64_t next = health_next_ms(&e->health), now = edge_now_ms(), t;
	struct itimerspec its = { 0 };

	if (next == e->guard_armed_ms)
		return;
	e->guard_armed_ms = next;
	if (next != UINT64_MAX) {
		t = next > now ? next - now : 1;
		its.it_value.tv_sec = t / 1000;
		its.it_value.tv_nsec = (t % 1000) * 1000000 + 1;
	}
	timerfd_settime(e->guardfd, 0, &its, NULL);
}

static void on_guard(struct edge *e)
{
	uint64_t n;

	if (read(e->guardfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	e->guard_armed_ms = UINT64_MAX;
	health_tick(&e->health, edge_now_ms());
}

int edge_loop(struct edge *e)
{
	struct epoll_event evs[8];
	int n, i, err;

	err = setup(e);
	if (err) {
		pr_warn("edge: event loop setup: %s\n", strerror(-err));
		return err;
	}
	notify_ready(e); /* attached, first view applied, and SIGHUP no longer fatal */
	while (!e->stop) {
		n = epoll_wait(e->epfd, evs, 8, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		edge_ops_beat(e); /* /health/shallow: the loop turns (the tick wakes it each 1 s) */
		notify_loop(e); /* systemd's watchdog, likewise */
		for (i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case EV_SIGNAL:
				on_signal(e);
				break;
			case EV_PROBE:
				prober_dispatch(e->prober);
				break;
			case EV_KERNEL:
				on_kernel(e);
				break;
			case EV_TICK:
				on_tick(e);
				break;
			case EV_BGP:
				speaker_dispatch(e->bgp, &e->health, edge_healthy(e),
						 edge_now_ms());
				e->bird_connected = speaker_bird_connected(e->bgp);
				break;
			case EV_CMD:
				edge_ops_run(e);
				break;
			case EV_GUARD:
				on_guard(e);
				break;
			case EV_FLEET:
				edge_fleet_run(e);
				break;
			}
		}
		/* probe verdicts that changed health reach the maps before the next wait */
		if (e->health.changes != e->applied)
			edge_apply(e, "health changed");
		arm_guard(e);
	}
	return 0;
}
