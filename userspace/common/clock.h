/* SPDX-License-Identifier: GPL-2.0 */
/* The two clocks: monotonic for durations and deadlines, real time for what people read. */
#ifndef ANYEDGE_CLOCK_H
#define ANYEDGE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t mono_us(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000;
}

static inline uint64_t mono_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

/* Unix time in ms: timestamps in logs, the API and events. */
static inline uint64_t real_ms(void)
{
	return clock_ns(CLOCK_REALTIME) / 1000000;
}

#endif /* ANYEDGE_CLOCK_H */
