/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the fleet module: the one struct its threads share (fleet.c: threads and what they
 * learn; fleet_promote.c: promotions; fleet_view.c: what the API shows), and the key layout.
 */
#ifndef ANYEDGE_FLEET_IMPL_H
#define ANYEDGE_FLEET_IMPL_H

#include <pthread.h>

#include "etcd_client.h"
#include "fleet.h"
#include "rpo.h"

#define FLEET_KEY_MAX 192
#define FLEET_ROUND_MS 1000 /* lease keepalive, report and a full read: once a second */

/* announcers/<vip>: the edges announcing a VIP, as last read (fleet_announce.c). */
struct fleet_ann_set {
	char edge[POLICY_FLEET_MAX_MEMBERS][POLICY_NAME_MAX];
	size_t n;
	int64_t mod; /* its mod_revision; 0: no record yet */
};

/* What the fleet needs of the policy, copied so the API's threads never touch the loop's. */
struct fleet_vip {
	char name[POLICY_NAME_MAX];
	char primary[POLICY_NAME_MAX];
	char regions[AE_MAX_VIP_REGIONS][POLICY_NAME_MAX];
	size_t n_regions;
	bool auto_fleet;
	bool announced; /* has an announce: prefix, so announcers/<vip> */
	struct fleet_desig d; /* as etcd last said */
	struct fleet_ann_set ann; /* as the worker last read it */
	enum fleet_ann want; /* the speaker's, from the loop */
	bool may_withdraw; /* the worker's answer to ASK */
	char hold_why[160];
};

/* The fleet's own copy of the policy, loaded from the same file: the API's threads may hold it
 * through a promotion while the loop reloads. Freed with its last reference.
 */
struct fleet_policy {
	struct policy *p;
	unsigned int refs;
};

/* A member's report as last read: NULL when it has none (its lease expired: not live). */
struct fleet_member {
	char name[POLICY_NAME_MAX];
	struct json_object *report;
};

struct fleet {
	/* fixed at fleet_new */
	char prefix[80]; /* "/anyedge/<name>/" */
	char name[POLICY_NAME_MAX];
	char edge[POLICY_NAME_MAX];
	const char *eps[POLICY_FLEET_MAX_ETCD];
	char ep_buf[POLICY_FLEET_MAX_ETCD][POLICY_PATH_MAX];
	size_t n_eps;
	uint32_t timeout_ms, ttl_ms, promote_after_ms, min_announcing;
	uint32_t test_cas_delay_ms; /* ANYEDGE_TEST_CAS_DELAY_MS: fleet_race_window, tests only */
	size_t n_members;
	int efd;

	pthread_mutex_t lock; /* everything below */
	pthread_cond_t wake; /* the worker's sleep: a new report or stop cuts it short */
	bool stop, started;
	bool watch_kick; /* read by the watch's progress callback: start over (or stop) */
	pthread_t worker, watcher;
	struct fleet_vip *vips;
	size_t n_vips;
	struct fleet_policy *pol;
	struct fleet_member members[POLICY_FLEET_MAX_MEMBERS];
	bool read_once; /* etcd has answered since start: its designations stand */
	char (*drains)[POLICY_NAME_MAX]; /* regions and addresses under drain/, as last read */
	size_t n_drains;
	struct fleet_health health;
	struct json_object *report; /* from the loop, not yet put */
	/* the worker's own */
	struct etcd *wc;
	int64_t lease;
	char *last_put; /* the report as last put, without its time */
	uint64_t last_put_ms;
	int64_t watch_from;
	struct etcd_stats watch_st; /* the watcher's handle's, as it last saw them */
};

/* fleet_announce.c: the announcers of every VIP against this read; false when a swap lost a
 * race (read again and decide again).
 */
bool fleet_announcers(struct fleet *f, const struct etcd_kvs *kvs);
/* etcd unreachable: no withdrawal for health can be confirmed (fail static). */
void fleet_announcers_unconfirmed(struct fleet *f, const char *err);

/* "/anyedge/<fleet>/serving/<vip>" and "/anyedge/<fleet>/report/<edge>" */
void fleet_key(const struct fleet *f, const char *kind, const char *name, char *buf, size_t len);
/* The name after "<prefix><kind>/" in key, or NULL when key is not of that kind. */
const char *fleet_key_name(const struct fleet *f, const char *kind, const char *key);
/* A designation's value into d (epoch from mod_revision); -EPROTO when it is no designation. */
int fleet_desig_parse(const struct etcd_kv *kv, struct fleet_desig *d);
/* Under the lock: take d for VIP name when newer than what is known; true when it changed. */
bool fleet_desig_take(struct fleet *f, const char *vip, const struct fleet_desig *d);
/* Tests only (ANYEDGE_TEST_CAS_DELAY_MS): widen the window between a read and the
 * compare-and-swap made on it (leaving a VIP's announcers, an auto-promotion), so edges that
 * decide close together all read the same revision and race.
 */
void fleet_race_window(const struct fleet *f, const char *vip, const char *what, int64_t rev);
/* Wake the loop: designations may have changed. */
void fleet_notify(struct fleet *f);
struct fleet_vip *fleet_vip_find(struct fleet *f, const char *name);
/* A reference to the current policy copy; fleet_policy_put when done. */
struct fleet_policy *fleet_policy_get(struct fleet *f);
void fleet_policy_put(struct fleet *f, struct fleet_policy *fp);
/* The evidence a member's report gives for region (name): for rpo_check and the auto rule. */
void fleet_report_region(struct json_object *report, const char *region, uint64_t now_ms,
			 uint32_t down_for_ms, struct rpo_region *rr);

#endif /* ANYEDGE_FLEET_IMPL_H */
