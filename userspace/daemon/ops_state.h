/* SPDX-License-Identifier: GPL-2.0 */
/* The operator's state file (ops_state.c), read and written by the loop thread alone. */
#ifndef ANYEDGE_OPS_STATE_H
#define ANYEDGE_OPS_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "inet.h"
#include "policy.h"

struct edge;

struct ops_promotion {
	char source[POLICY_NAME_MAX];
	char target[POLICY_NAME_MAX];
	unsigned long long ms;
};

struct ops_state {
	bool edge_drained;
	struct ops_promotion *prom;
	size_t n_prom;
	char (*drained)[INET_ADDR_STR]; /* backends the operator drained, by address */
	size_t n_drained;
};

/* The file's path for e: $ANYEDGE_STATE_DIR (tests) or /var/lib/anyedge, <edge name>.state. */
void ops_state_path(const struct edge *e, char *buf, size_t len);
/* The saved state into st (empty when there is no file). 0 or -errno; free st after. */
int ops_state_read(const struct edge *e, struct ops_state *st);
void ops_state_free(struct ops_state *st);
/* Save e's state now, with add as the newest promotion when given; the history is dropped once
 * every active-passive VIP is back on its primary. 0, or -errno (logged): the old file is then
 * intact.
 */
int ops_state_write(const struct edge *e, const struct ops_promotion *add);

#endif /* ANYEDGE_OPS_STATE_H */
