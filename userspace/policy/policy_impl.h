/* SPDX-License-Identifier: GPL-2.0 */
/* Private to the policy module (policy_*.c): what the parser learned beyond struct policy
 * (region names not yet resolved, where each item stood, which probe keys were given), so that
 * the checks over the whole file can point at the line that is wrong; and what the module's files
 * share: diagnostics, the YAML node tree, the scalar readers.
 */
#ifndef ANYEDGE_POLICY_IMPL_H
#define ANYEDGE_POLICY_IMPL_H

#include <stdarg.h>

#include "policy.h"

#define POLICY_MAX_ERRORS 100 /* diagnostics shown; the rest are counted only */
#define POLICY_MSG_LEN 1024

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct policy_pos no_pos; /* for problems with no place in the text */

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
	PF_FAIL_ON_LAG,
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
	struct policy_pos withdraw_pos; /* of announce.withdraw_when; line 0 when absent */
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
	struct policy_pos damping_pos; /* of bgp.damping and its reuse key, for the checks */
	struct policy_pos reuse_pos;
	struct policy_pos fleet_pos; /* of the fleet: mapping, and of its keys the checks name */
	struct policy_pos fleet_members_pos;
	struct policy_pos fleet_timeout_pos;
	struct policy_pos fleet_min_announcing_pos;
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

/* ---- policy_diag.c ---- */

/* Note one problem as "PATH: MESSAGE" (just MESSAGE when path is NULL or ""); policy_flush
 * passes them to the diag callback, sorted by position.
 */
void policy_err(struct policy_build *b, struct policy_pos pos, const char *path, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

void policy_flush(struct policy_build *b);

/* Copy s for a message: at most ~48 characters, control characters as '?'. Returns buf. */
const char *policy_quote(const char *s, char *buf, size_t len);

/* ---- policy_yaml.c: the node tree ---- */

enum ynode_type { YN_SCALAR, YN_MAP, YN_SEQ };

struct ynode {
	enum ynode_type type;
	bool plain; /* an unquoted scalar */
	bool bad; /* stands for something already reported (an alias): skip quietly */
	struct policy_pos pos;
	char *str; /* scalar */
	size_t len;
	struct ynode **kids; /* sequence items; mapping keys and values alternating */
	size_t n, cap;
};

/* Parse buf into a tree; every problem is reported. 0, -EINVAL or -ENOMEM; on error *root may
 * still hold part of a tree, to be freed.
 */
int ynode_load(struct policy_build *b, const char *buf, size_t len, struct ynode **root);
void ynode_free(struct ynode *n);
/* A plain scalar that YAML reads as null: empty, ~, null, Null or NULL. */
bool ynode_is_null(const struct ynode *n);
/* n must be of type (a non-null scalar, for YN_SCALAR); else report "expected WHAT". */
int ynode_expect(struct policy_build *b, const struct ynode *n, enum ynode_type type,
		 const char *path, const char *what);

/* ---- policy_scalar.c: single values, each reported when wrong; 0 or -EINVAL ---- */

/* The scalar's text, or NULL (reported) when n is no single value or holds a NUL. */
const char *policy_get_scalar(struct policy_build *b, const struct ynode *n, const char *path,
			      const char *what);
int policy_get_str(struct policy_build *b, const struct ynode *n, const char *path, char *buf,
		   size_t size);
int policy_get_name(struct policy_build *b, const struct ynode *n, const char *path,
		    char buf[POLICY_NAME_MAX]);
int policy_get_ref(struct policy_build *b, const struct ynode *n, const char *path,
		   struct policy_ref *ref);
int policy_get_u32(struct policy_build *b, const struct ynode *n, const char *path, uint32_t min,
		   uint32_t max, uint32_t *out);
int policy_get_duration(struct policy_build *b, const struct ynode *n, const char *path,
			uint32_t min_ms, uint32_t *out);
int policy_get_pct(struct policy_build *b, const struct ynode *n, const char *path, uint32_t *out);
int policy_get_addr(struct policy_build *b, const struct ynode *n, const char *path, int family,
		    struct inet_addr *out);
int policy_get_prefix(struct policy_build *b, const struct ynode *n, const char *path,
		      struct inet_prefix *out);
int policy_get_mac(struct policy_build *b, const struct ynode *n, const char *path, uint8_t mac[6]);
int policy_get_word(struct policy_build *b, const struct ynode *n, const char *path,
		    const char *const *words, size_t nw, int *out);
int policy_get_port(struct policy_build *b, const struct ynode *n, const char *path,
		    struct policy_port *out);
/* The bare parsers, reporting nothing: decimal digits below 2^32; "N%" with N 0..100. */
bool policy_parse_decimal(const char *s, size_t len, uint64_t *out);
bool policy_parse_pct(const char *s, uint32_t *out);

/* ---- policy_parse.c: the schema ---- */

typedef int (*field_fn)(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
			int arg);

/* One key of a mapping: its parser, whether it must be there, and an argument for the parser. */
struct field {
	const char *key;
	field_fn parse;
	bool required;
	int arg; /* passed to parse */
};

/* Walk mapping n: each key to its field's parser; unknown, duplicate and missing required keys
 * are reported. Returns -ENOMEM or 0.
 */
int policy_walk_map(struct policy_build *b, const struct ynode *n, const char *path,
		    const struct field *fields, size_t nf, void *obj);
/* n must be a list of at most max items (more are reported); -EINVAL (reported) otherwise. */
int policy_expect_list(struct policy_build *b, const struct ynode *n, const char *path, size_t max,
		       const char *what, size_t *count);

/* The whole tree into b->p and b->aux. Problems go to policy_err; returns 0, or -ENOMEM. */
int policy_parse_root(struct policy_build *b, const struct ynode *root);

/* ---- policy_fleet.c: the fleet: section ---- */

int policy_parse_fleet(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		       int arg);
/* Members, the edge among them, timings, and auto_promote: fleet only with a fleet. */
void policy_check_fleet(struct policy_build *b);

/* ---- policy_check.c ---- */

/* Resolve references, merge probes, check duplicates and limits over the whole policy. Problems go
 * to policy_err; returns 0, or -ENOMEM.
 */
int policy_check(struct policy_build *b);

#endif /* ANYEDGE_POLICY_IMPL_H */
