/* SPDX-License-Identifier: GPL-2.0 */
/* The operator's routing policy, parsed and validated. Every other module reads this model;
 * only policy_parse.c / policy_check.c build it. Region and VIP indices into the arrays below are
 * the ids the data plane uses.
 */
#ifndef ANYEDGE_POLICY_H
#define ANYEDGE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inet.h"

#define POLICY_MAX_BYTES (1 << 20) /* a larger file is refused, not read */
#define POLICY_NAME_MAX 64 /* names: [A-Za-z0-9_.-], 1..63 chars, not first . or - */
#define POLICY_PATH_MAX 256
#define POLICY_MAX_PORTS 64 /* per VIP */
#define POLICY_MAX_BACKENDS_PER_REGION 1024
#define POLICY_FLOW_TABLE_MAX (1 << 24) /* flows: 1 GiB of table, all prefaulted at load */
#define POLICY_BIRD_SYM_MAX 64 /* BIRD 2 refuses longer symbols ("Symbol too long") */

/* Where an item stood in the file, for errors found after parsing (cross references). */
struct policy_pos {
	unsigned int line; /* 1-based */
	unsigned int col; /* 1-based */
};

enum probe_type {
	PROBE_HTTP = 0,
	PROBE_TCP = 1,
};

struct policy_probe {
	enum probe_type type;
	uint16_t port;
	char path[POLICY_PATH_MAX]; /* HTTP only; default /health/ready */
	uint32_t interval_ms; /* default 1000 */
	uint32_t timeout_ms; /* default 500; must be < interval */
	uint32_t rise; /* default 2 */
	uint32_t fall; /* default 2 */
	uint32_t max_replica_lag_ms; /* the RPO limit of promotions; 0: no limit; default 10000 */
	bool fail_on_lag; /* lag over max_replica_lag also fails the probe; default off */
};

struct policy_backend {
	struct inet_addr addr;
	uint32_t weight; /* 0..65535; 0 = drained: no new flows */
	bool has_probe; /* probe overridden for this backend */
	struct policy_probe probe; /* effective probe (override merged over region/global) */
	struct policy_pos pos;
};

struct policy_region {
	char name[POLICY_NAME_MAX];
	bool min_healthy_is_pct;
	uint32_t min_healthy; /* count, or percent 0..100 when min_healthy_is_pct; default 1 */
	bool has_probe;
	struct policy_probe probe; /* effective probe for the region's backends */
	struct policy_backend *backends;
	size_t n_backends;
	struct policy_pos pos;
};

struct policy_client {
	struct inet_prefix prefix;
	uint8_t prefer[AE_MAX_PREFS]; /* region indices, in order */
	size_t n_prefer;
	struct policy_pos pos;
};

struct policy_port {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port; /* 1..65535, host order */
};

enum vip_mode {
	VIP_ACTIVE_ACTIVE = AE_MODE_ACTIVE_ACTIVE,
	VIP_ACTIVE_PASSIVE = AE_MODE_ACTIVE_PASSIVE,
};

enum withdraw_when {
	WITHDRAW_NO_REGION_UP = 0, /* default */
	WITHDRAW_LOCAL_REGION_DOWN = 1,
};

struct policy_vip {
	char name[POLICY_NAME_MAX];
	struct inet_addr addr;
	struct policy_port ports[POLICY_MAX_PORTS];
	size_t n_ports;
	enum vip_mode mode;
	int primary; /* region index; -1 for active-active */
	bool auto_promote_local;
	bool auto_promote_fleet; /* auto_promote: fleet: a majority of fleet members decide */
	uint8_t regions[AE_MAX_VIP_REGIONS]; /* region indices, in the VIP's order */
	size_t n_regions;
	bool has_announce;
	struct inet_prefix announce; /* must contain addr */
	enum withdraw_when withdraw_when;
	struct policy_pos pos;
	/* BIRD static protocol announcing it: "anyedge_" + name with '-' and '.' as '_'; the drain
	 * twin adds "_drain". Set for every VIP; unique and at most POLICY_BIRD_SYM_MAX - 6
	 * characters for announced ones.
	 */
	char bird_proto[POLICY_BIRD_SYM_MAX + 8];
};

struct policy_edge {
	char name[POLICY_NAME_MAX];
	char interface[16]; /* IFNAMSIZ */
	int region; /* region index */
	struct inet_addr encap_v4; /* family 0 when absent */
	struct inet_addr encap_v6;
	bool has_mac;
	uint8_t mac[6];
	bool has_gateway_mac;
	uint8_t gateway_mac[6];
	struct inet_addr gateway; /* family 0 when absent: from the routing table */
};

/* Flap damping of an announcement (RFC 2439 style): each withdrawal of an announced prefix
 * because it can no longer be served adds penalty; the penalty halves every half_life; above
 * suppress the prefix is not re-announced until the penalty decays below reuse, and never for
 * longer than max_suppress. penalty 0 turns damping off.
 */
struct policy_damping {
	uint32_t penalty; /* default 1000 */
	uint32_t half_life_ms; /* default 60000 */
	uint32_t suppress; /* default 2000 */
	uint32_t reuse; /* default 750; less than suppress */
	uint32_t max_suppress_ms; /* default 600000 */
};

struct policy_bgp {
	char bird_socket[108]; /* sun_path; default /run/bird/bird.ctl */
	uint32_t hold_down_ms; /* default 10000 */
	char session[POLICY_NAME_MAX]; /* BGP protocol to confirm exports on; "" when absent */
	/* directory of the per-protocol state includes anyedged rewrites; absolute; default
	 * /var/lib/anyedge/bird-<edge.name>
	 */
	char state_dir[POLICY_PATH_MAX];
	uint32_t drain_wait_ms; /* drain twin announced this long before withdrawing; default 30000 */
	uint16_t community_asn; /* the tag on every anyedge route; default 64512:100 */
	uint16_t community_value;
	uint32_t prepend; /* AS-path prepends on the drain twin's export; default 3 */
	struct policy_damping damping;
};

struct policy_api {
	char listen[POLICY_PATH_MAX]; /* "host:port" or a UNIX socket path; default 127.0.0.1:9180 */
	char token_file[POLICY_PATH_MAX]; /* "" when absent */
};

struct policy_safety {
	bool guard; /* freeze on evidence of the edge's own blindness; default on */
};

struct policy_dataplane {
	uint32_t hash_seed; /* default 0 */
	uint32_t ring_size; /* a prime > 100 x largest region; default 65537 */
	uint32_t flow_table_size; /* default 1048576 */
};

#define POLICY_FLEET_MAX_ETCD 7
#define POLICY_FLEET_MAX_MEMBERS 32

/* fleet: edges agree through etcd (userspace/fleet/). Absent: enabled is false and every edge
 * decides alone.
 */
struct policy_fleet {
	bool enabled;
	char name[POLICY_NAME_MAX]; /* keys live under /anyedge/<name>/ */
	char etcd[POLICY_FLEET_MAX_ETCD][POLICY_PATH_MAX]; /* http://host:port of each member */
	size_t n_etcd;
	char members[POLICY_FLEET_MAX_MEMBERS][POLICY_NAME_MAX]; /* edge names; quorum: a majority */
	size_t n_members;
	uint32_t report_ttl_ms; /* lease of an edge's report; default 5000 */
	uint32_t request_timeout_ms; /* one request to etcd; default 1500; below report_ttl */
	uint32_t promote_after_ms; /* auto_promote: fleet: serving region down this long; 10000 */
	uint32_t min_announcing; /* other live members announcing before a withdrawal; default 1 */
};

struct policy {
	char path[POLICY_PATH_MAX]; /* as given to policy_load */
	struct policy_edge edge;
	struct policy_region *regions;
	size_t n_regions; /* <= AE_MAX_REGIONS */
	struct policy_probe probe; /* global defaults */
	struct policy_client *clients;
	size_t n_clients;
	struct policy_vip *vips;
	size_t n_vips; /* <= AE_MAX_VIPS */
	struct policy_bgp bgp;
	struct policy_api api;
	struct policy_safety safety;
	struct policy_dataplane dataplane;
	struct policy_fleet fleet;
};

/* One problem found in a policy: called once per error, in file order where possible.
 * file is the name given to the loader; line/col are 1-based (0 when the whole file is meant).
 */
typedef void (*policy_diag_fn)(void *ctx, const char *file, unsigned int line, unsigned int col,
			       const char *msg);

/* Read, parse and validate a policy file. On success *out holds a new policy (policy_free it)
 * and 0 is returned. Otherwise every problem goes to diag and -EINVAL (bad content), -EFBIG
 * (over POLICY_MAX_BYTES) or -errno of open/read is returned; *out is left untouched.
 */
int policy_load(const char *path, struct policy **out, policy_diag_fn diag, void *ctx);
/* The same on a buffer already in memory; name stands for the file in diagnostics. */
int policy_load_buf(const char *name, const char *buf, size_t len, struct policy **out,
		    policy_diag_fn diag, void *ctx);
/* Write diagnostics as "FILE:LINE:COL: error: MSG\n" to the FILE * passed as ctx. */
void policy_diag_stderr(void *ctx, const char *file, unsigned int line, unsigned int col,
			const char *msg);
void policy_free(struct policy *p);

/* Lookups by name; -1 when absent. */
int policy_region_index(const struct policy *p, const char *name);
int policy_vip_index(const struct policy *p, const char *name);

#endif /* ANYEDGE_POLICY_H */
