/* SPDX-License-Identifier: GPL-2.0 */
/* Backend probes: HTTP (the backend probe contract in DESIGN.md) and plain TCP connect, all
 * non-blocking on one epoll instance that the daemon's loop polls. A target that hangs, resets,
 * trickles or talks nonsense costs only its own verdict.
 */
#ifndef ANYEDGE_PROBE_H
#define ANYEDGE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define PROBE_RESPONSE_MAX 16384 /* bytes read of a response; more is a failed probe */

struct probe_result {
	bool ok; /* passed: connected, and for HTTP 200 + status READY + lag within bounds */
	uint32_t latency_us; /* connect start to verdict */
	int http_status; /* 0 when none was read */
	bool has_lag;
	double replica_lag_s; /* replica_lag_seconds, when has_lag */
	bool draining; /* system_mode: draining (the probe itself still passes) */
	bool local_error; /* failed on this host: no route, no source address, interface down */
	char why[128]; /* short reason when !ok: "timeout", "connection refused", "HTTP 503", ... */
	char error[96]; /* the backend's own "error" text, printable ASCII; "" when none */
};

/* The body of a 200 probe reply: {"status":"READY","replica_lag_seconds":1.5,
 * "system_mode":"active"}. Fills ok/has_lag/replica_lag_s/draining/why/error (not latency or
 * http_status); max_lag_ms 0: no limit. Returns 0, or -EINVAL for a body that is not such a
 * JSON object, or has a key twice (why says how).
 */
int probe_parse_body(const char *body, size_t len, uint32_t max_lag_ms, struct probe_result *r);
/* A whole reply of any status. 200: as probe_parse_body. Any other status fails ("HTTP 503:
 * <the body's error>"), except a body with system_mode: draining, which passes as draining (no
 * new flows; established ones stay). Returns what probe_parse_body does for 200, else 0.
 */
int probe_parse_reply(int http_status, const char *body, size_t len, uint32_t max_lag_ms,
		      struct probe_result *r);

struct probe_target {
	struct inet_addr addr;
	struct policy_probe cfg;
};

/* Called once per finished probe; index is the target's index in the last prober_set_targets.
 * It runs inside prober_dispatch and may call prober_set_targets (not prober_free).
 */
typedef void (*probe_done_fn)(void *ctx, size_t index, const struct probe_result *r);

struct prober;

int prober_new(probe_done_fn done, void *ctx, struct prober **out);
void prober_free(struct prober *pr);
/* Replace the target list. Probes in flight for targets that keep the same address and config
 * carry on (their index is remapped); others are cancelled. Each target is probed every
 * cfg.interval_ms, first within one interval (spread so thousands don't start at once).
 * -EINVAL (no address family, port, interval or timeout; HTTP path not "/..." without spaces or
 * controls) or -ENOMEM, and then nothing changed.
 */
int prober_set_targets(struct prober *pr, const struct probe_target *t, size_t n);
/* An fd that becomes readable when prober_dispatch has work; poll it from the main loop. */
int prober_fd(const struct prober *pr);
/* Do all work due now without blocking (connects, reads, timeouts, next rounds). 0 or -errno. */
int prober_dispatch(struct prober *pr);

/* Probes in flight at once, each holding one fd. Default: RLIMIT_NOFILE's soft limit less 256
 * for the rest of the daemon (at least 16). A probe due while the cap is reached waits for a
 * free place; its deadline runs from when it starts.
 */
void prober_set_max_inflight(struct prober *pr, size_t max);

struct prober_stats {
	uint64_t started; /* probes begun */
	uint64_t passed;
	uint64_t failed;
	uint64_t skipped; /* rounds not run because the target's previous probe was still going */
	uint64_t deferred; /* probes that waited for the in-flight cap */
	size_t inflight;
	size_t max_inflight;
};

void prober_get_stats(const struct prober *pr, struct prober_stats *st);

#endif /* ANYEDGE_PROBE_H */
