/* SPDX-License-Identifier: GPL-2.0 */
/* anyedged's HTTP API (DESIGN "Daemon HTTP API"): health probes, state, operator commands and
 * Prometheus metrics, served by libmicrohttpd on its own threads. Reads come from the RCU
 * snapshot and the BPF maps; writes go to the loop thread through the command queue.
 */
#ifndef ANYEDGE_API_H
#define ANYEDGE_API_H

#include <stdint.h>

#include "cmdq.h"
#include "dataplane.h"
#include "fleet/fleet.h"
#include "snapshot.h"

#define API_BODY_MAX (64 * 1024) /* larger request bodies get 413 */
#define API_STALL_MS 5000 /* a loop heartbeat older than this: the health probes answer 503 */
#define API_CMD_TIMEOUT_MS 10000 /* a command the loop has not answered by then: 504 */

struct api_opts {
	const char *listen; /* "host:port", "[v6]:port" or an absolute UNIX socket path */
	const char *token_file; /* NULL or "": writes need no token */
	struct snapshot_slot *snap;
	struct cmdq *cmdq;
	const struct dataplane *dp; /* read-only: per-CPU counters for /metrics */
	const uint64_t *beat_ms; /* the loop's last turn, mono_ms() (clock.h), read atomically */
	struct fleet *fleet; /* NULL without a fleet: section; promotions go through it */
};

struct api;

/* Bind api.listen and start serving. 0, or -errno (address in use, unreadable token file...). */
int api_start(const struct api_opts *o, struct api **out);
/* Stop accepting, wait for requests in progress, close (and unlink a UNIX socket). */
void api_stop(struct api *a);

#endif /* ANYEDGE_API_H */
