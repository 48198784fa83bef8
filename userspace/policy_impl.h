/* SPDX-License-Identifier: GPL-2.0 */
/* Private to policy_parse.c and policy_check.c: what the parser learned beyond struct policy
 * (region names not yet resolved, where each item stood, which probe keys were given), so that
 * the checks over the whole file can point at the line that is wrong.
 */
#ifndef ANYEDGE_POLICY_IMPL_H
#define ANYEDGE_POLICY_IMPL_H

#include <stdarg.h>

#include "policy.h"

#define POLICY_MAX_ERRORS 100 /* diagnostics shown; the rest are counted only */
#define POLICY_MSG_LEN 1024

/* A region named somewhere, resolved by policy_check. */
struct policy_ref {
	char name[POLICY_NAME_MAX];
	struct policy_pos pos;
};

enum probe_field {
	PF_TYPE,
	PF_PORT,
	PF_PATH,
	PF_INTERVAL,
	PF_TIMEOUT,
	PF_RISE,
	PF_FALL,
	PF_MAX_REPLICA_LAG,
	PF_N,
};

/* One probe: block as written; merged global -> region -> backend by policy_check. */
struct probe_block {
	bool present;
	unsigned int set; /* bit (1 << probe_field) for each key given */
	unsigned int bad; /* the same for each key given with a wrong value (already reported) */
	struct policy_pos pos; /* of the block */
	struct policy_pos fpos[PF_N]; /* of each key given */
	struct policy_probe v; /* only the fields in set mean anything */
};

struct aux_backend {
	struct policy_pos addr_pos;
	struct probe_block probe;
};

struct aux_region {
	struct policy_pos name_pos;
	struct policy_pos min_healthy_pos;
	struct probe_block probe;
	struct aux_backend *backends; /* n_backends of them */
};

struct aux_client {
	struct policy_pos prefix_pos;
	struct policy_ref prefer[AE_MAX_PREFS];
};

struct aux_vip {
	struct policy_pos name_pos;
	struct policy_pos addr_pos;
	struct policy_pos mode_pos;
	struct policy_pos announce_pos;
	bool has_primary;
	struct policy_ref primary;
	bool has_auto_promote;
	struct policy_pos auto_promote_pos;
	struct policy_ref regions[AE_MAX_VIP_REGIONS];
	struct policy_pos port_pos[POLICY_MAX_PORTS];
};

struct policy_aux {
	struct policy_pos root_pos;
	bool has_edge;
	bool has_edge_region;
	struct policy_ref edge_region;
	struct policy_pos encap_pos;
	bool encap_bad; /* encap_source was given wrongly (and reported) */
	struct policy_pos ring_size_pos;
	struct probe_block probe; /* the global block */
	struct aux_region *regions; /* parallel to policy.regions */
	struct aux_client *clients; /* parallel to policy.clients */
	struct aux_vip *vips; /* parallel to policy.vips */
};

/* A problem held back until the load ends, to be reported in file order. */
struct policy_diag_item {
	struct policy_pos pos;
	unsigned int seq; /* order found, to keep sorting stable */
	char *msg;
};

/* One load in progress. */
struct policy_build {
	const char *name;
	policy_diag_fn diag;
	void *ctx;
	unsigned int errors;
	struct policy_diag_item items[POLICY_MAX_ERRORS];
	size_t n_items;
	struct policy *p;
	struct policy_aux aux;
};

/* Note one problem as "PATH: MESSAGE" (just MESSAGE when path is NULL or ""); policy_flush
 * passes them to the diag callback, sorted by position.
 */
void policy_err(struct policy_build *b, struct policy_pos pos, const char *path, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

void policy_flush(struct policy_build *b);

/* Copy s for a message: at most ~48 characters, control characters as '?'. Returns buf. */
const char *policy_quote(const char *s, char *buf, size_t len);

/* Resolve references, merge probes, check duplicates and limits over the whole policy. Problems go
 * to policy_err; returns 0, or -ENOMEM.
 */
int policy_check(struct policy_build *b);

#endif /* ANYEDGE_POLICY_IMPL_H */
