/* SPDX-License-Identifier: GPL-2.0 */
/* A client for BIRD's control socket (the UNIX socket birdc uses), non-blocking, for the
 * daemon's event loop: one command in flight at a time, replies parsed by BIRD's four-digit
 * codes, reconnect with backoff when BIRD restarts. See nest/cli.c and doc/reply_codes in BIRD.
 */
#ifndef ANYEDGE_BIRD_CTL_H
#define ANYEDGE_BIRD_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bird_reply.h"

/* Longest command: BIRD drops the connection on a command over its 4 KiB buffer. */
#define BIRD_CMD_MAX (BIRD_LINE_MAX - 1)
#define BIRD_CTL_QUEUE_MAX 64 /* queued commands, the one in flight excluded */

struct bird_ctl;

/* Called when a command's reply is complete or failed (timeout, BIRD gone). */
typedef void (*bird_done_fn)(void *ctx, const char *cmd, const struct bird_reply *r);
/* Called on connect (after the 0001 greeting) and on disconnect. */
typedef void (*bird_state_fn)(void *ctx, bool connected);

int bird_ctl_new(const char *socket_path, uint32_t timeout_ms, bird_done_fn done,
		 bird_state_fn state, void *ctx, struct bird_ctl **out);
void bird_ctl_free(struct bird_ctl *c);
bool bird_ctl_connected(const struct bird_ctl *c);
/* Queue a command (one line, no newline); sent when connected and nothing is in flight.
 * 0 or -errno (-E2BIG queue full, -EINVAL empty or multi-line, -EMSGSIZE over BIRD_CMD_MAX).
 * Queued commands wait across reconnects; the one in flight fails when the connection goes.
 */
int bird_ctl_send(struct bird_ctl *c, const char *cmd);
/* An fd to poll (its epoll instance); call bird_ctl_dispatch when readable. The callbacks run
 * only from dispatch (never from send or new); they may call bird_ctl_send, not bird_ctl_free.
 * bird_ctl_new starts the first connect at once; later ones back off 100 ms doubling to 5 s,
 * reset by a greeting.
 */
int bird_ctl_fd(const struct bird_ctl *c);
int bird_ctl_dispatch(struct bird_ctl *c);

/* Blocking one-shot for the CLI and tests: connect, greeting, one command, reply.
 * 0 when BIRD replied (out->error tells a BIRD error), or -errno with out->err set
 * (-ETIMEDOUT, -ECONNREFUSED, -ENOENT, -EPROTO, ...). Free out with bird_reply_free.
 */
int bird_ctl_once(const char *socket_path, const char *cmd, uint32_t timeout_ms,
		  struct bird_reply *out);

#endif /* ANYEDGE_BIRD_CTL_H */
