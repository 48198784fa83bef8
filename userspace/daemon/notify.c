// SPDX-License-Identifier: GPL-2.0
/* sd_notify from libsystemd: it knows the socket forms (path, abstract, vsock) and the
 * watchdog variables, so this file only decides when and what.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "edge.h"
#include "notify.h"

/* owned by the loop thread */
static struct {
	bool init;
	uint64_t watchdog_us; /* 0: no watchdog asked for */
	uint64_t last_beat_us;
	char status[192];
} nt;

static uint64_t notify_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void notify_init(void)
{
	if (nt.init)
		return;
	nt.init = true;
	if (sd_watchdog_enabled(0, &nt.watchdog_us) <= 0)
		nt.watchdog_us = 0;
}

/* "edge fra1: 2 of 3 regions up, 3 VIPs, BIRD connected" and what is wrong, in a line */
static void notify_summary(const struct edge *e, char *buf, size_t len)
{
	size_t r, up = 0;

	for (r = 0; r < e->policy->n_regions; r++)
		up += e->health.r[r].up;
	snprintf(buf, len, "edge %s: %zu of %zu regions up, %zu VIPs, %s%s%s%s%s",
		 e->policy->edge.name, up, e->policy->n_regions, e->policy->n_vips,
		 !e->bgp	   ? "no BGP" :
		 e->bird_connected ? "BIRD connected" :
				     "BIRD NOT connected",
		 e->draining ? ", edge DRAINED" : "", e->health.guard ? ", GUARD: " : "",
		 e->health.guard ? health_guard_name(e->health.guard) : "",
		 e->link.up ? "" : ", LINK DOWN");
}

void notify_ready(const struct edge *e)
{
	notify_init();
	notify_summary(e, nt.status, sizeof(nt.status));
	sd_notifyf(0, "READY=1\nSTATUS=%s", nt.status);
	nt.last_beat_us = notify_now_us();
}

void notify_reloading(void)
{
	/* MONOTONIC_USEC: what Type=notify-reload (systemd 253) matches the reload by */
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
		   (unsigned long long)notify_now_us());
}

void notify_loop(const struct edge *e)
{
	char status[sizeof(nt.status)];
	uint64_t now = notify_now_us();

	notify_init();
	if (nt.watchdog_us && now - nt.last_beat_us >= nt.watchdog_us / 4) {
		sd_notify(0, "WATCHDOG=1");
		nt.last_beat_us = now;
	}
	notify_summary(e, status, sizeof(status));
	if (strcmp(status, nt.status)) {
		memcpy(nt.status, status, sizeof(status));
		sd_notifyf(0, "STATUS=%s", nt.status);
	}
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping; the XDP program stays attached and forwarding");
}
