/* SPDX-License-Identifier: GPL-2.0 */
/* Operator commands from other threads (the HTTP API) to the loop thread, the one writer:
 * a submitter blocks until the loop has run the command and filled in its answer.
 */
#ifndef ANYEDGE_CMDQ_H
#define ANYEDGE_CMDQ_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

enum edge_cmd_kind {
	CMD_FAILOVER, /* PROMOTE_PASSIVE_REGION source -> target */
	CMD_DRAIN, /* region or backend: no new flows */
	CMD_UNDRAIN,
	CMD_RELOAD, /* as SIGHUP */
	CMD_DRAIN_EDGE, /* the whole edge: BGP graceful shutdown, then withdraw */
	CMD_UNDRAIN_EDGE,
};

struct edge_cmd {
	enum edge_cmd_kind kind;
	char source[POLICY_NAME_MAX]; /* failover */
	char target[POLICY_NAME_MAX];
	bool force;
	double max_lag_s;
	char region[POLICY_NAME_MAX]; /* drain/undrain: one of region or backend */
	char backend[INET_ADDR_STR];
	bool fleet; /* drain/undrain on every member of the fleet (through etcd) */
	/* the answer, filled by the loop thread */
	int http_status; /* 200, 404, 409, 422, 500 ... */
	char msg[256];
};

struct cmdq;

int cmdq_new(struct cmdq **out);
void cmdq_free(struct cmdq *q);
/* Any thread: hand cmd to the loop and wait for its answer. -ETIMEDOUT leaves the command to
 * run later but answers nobody (cmd is copied, never referenced after return). 0 or -errno.
 */
int cmdq_submit(struct cmdq *q, struct edge_cmd *cmd, uint32_t timeout_ms);
/* The loop: poll this fd; on readable run every pending command through fn. */
int cmdq_fd(const struct cmdq *q);
typedef void (*cmdq_fn)(void *ctx, struct edge_cmd *cmd);
void cmdq_run(struct cmdq *q, cmdq_fn fn, void *ctx);

#endif /* ANYEDGE_CMDQ_H */
