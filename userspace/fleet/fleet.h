/* SPDX-License-Identifier: GPL-2.0 */
/* The fleet: edges agreeing through etcd (DESIGN "The fleet"). Under /anyedge/<fleet.name>/:
 *   report/<edge>   each edge's view (regions, lag, announcements, policy hash) under a lease;
 *   announcers/<vip> the edges announcing it, changed only by compare-and-swap: an edge leaves
 *                   it for health only while min_announcing other live members stay in it;
 *   serving/<vip>   an active-passive VIP's serving region, changed only by compare-and-swap;
 *                   its mod_revision is the designation's epoch. Absent: the policy's primary.
 * etcd is spoken to on the fleet's own threads (a worker: lease, report, a read of the whole
 * prefix each second; a watcher: designations as they commit) and, for a promotion, on the
 * caller's thread (the API's). The loop only reads what they learned, under a short lock, when
 * fleet_fd() is readable: it never waits on etcd.
 */
#ifndef ANYEDGE_FLEET_H
#define ANYEDGE_FLEET_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "policy.h"

struct fleet;

/* A VIP's designation as the fleet knows it. */
struct fleet_desig {
	char region[POLICY_NAME_MAX]; /* "" : none in etcd, the policy's primary serves */
	char by[POLICY_NAME_MAX]; /* the edge that promoted */
	char from[POLICY_NAME_MAX];
	int64_t epoch; /* etcd mod_revision of the designation; 0 when none */
	uint64_t at_ms; /* CLOCK_REALTIME ms of the promotion */
};

/* For /health/ready, /metrics and the state API. */
struct fleet_health {
	bool reachable; /* the last round with etcd went through */
	bool quorum; /* a majority of members have live reports */
	char error[256]; /* the last failure, "" when none */
	uint64_t last_ok_ms; /* CLOCK_REALTIME ms of the last good round; 0: never */
	uint32_t members, live, majority;
	int64_t revision; /* etcd's revision at the last read */
	uint64_t rounds, failures, promotions, promotions_refused, promotions_lost;
	/* what this edge's worker and watcher have cost etcd (promotions not counted) */
	uint64_t requests, bytes_out, bytes_in;
	uint32_t report_bytes; /* the report as last put */
};

/* The fleet keeps its own copy of the policy, loaded again from p->path. */
int fleet_new(const struct policy *p, struct fleet **out);
int fleet_start(struct fleet *f);
/* Stop the threads (within ~1 s) and revoke the report's lease: the others see us gone. */
void fleet_free(struct fleet *f);

/* ---- the loop ---- */

/* Readable when designations may have changed; fleet_ack() reads it. */
int fleet_fd(const struct fleet *f);
void fleet_ack(struct fleet *f);
/* A reloaded policy (same fleet name and endpoints: those need a restart). */
int fleet_set_policy(struct fleet *f, const struct policy *p);
/* This edge's view for its report; the worker puts it within a second. Takes ownership. */
void fleet_set_report(struct fleet *f, struct json_object *report);
/* The designation of VIP name: 0 with *d filled; -EAGAIN while etcd has never been read since
 * start (keep what was applied last).
 */
int fleet_designation(struct fleet *f, const char *vip, struct fleet_desig *d);
void fleet_health(struct fleet *f, struct fleet_health *h);

/* Never the last to withdraw (fleet.min_announcing). What this edge's speaker does with VIP
 * name: announces it (IN: it joins the VIP's announcers in etcd), has withdrawn or drains it
 * (OUT: it leaves them), or would withdraw it for health (ASK: it leaves them only by a
 * compare-and-swap that leaves min_announcing other live members announcing). The worker
 * decides; fleet_may_withdraw() reads its answer. Anything but ASK takes an answer back.
 */
enum fleet_ann { FLEET_ANN_OUT = 0, FLEET_ANN_IN, FLEET_ANN_ASK };
void fleet_set_announce(struct fleet *f, const char *vip, enum fleet_ann want);
/* True: VIP name may be withdrawn for health now. False: keep announcing, why says why. */
bool fleet_may_withdraw(struct fleet *f, const char *vip, char *why, size_t len);

/* ---- any thread: the operator ---- */

struct fleet_promote_req {
	char source[POLICY_NAME_MAX];
	char target[POLICY_NAME_MAX];
	bool force;
	double max_lag_s; /* NaN: the target's policy limit */
};

struct fleet_answer {
	int status; /* HTTP: 200, 409, 422, 503 */
	char msg[768];
	int64_t epoch; /* 200: the new designation's epoch */
};

/* Promote fleet-wide: checked against a majority of the members' live reports unless force,
 * then one compare-and-swap of every VIP moved. Blocks for a few request timeouts at most.
 */
void fleet_promote(struct fleet *f, const struct fleet_promote_req *req, struct fleet_answer *a);
/* A drain on every member: region R, or every backend at address ADDR; kept in etcd until
 * undrained. 200, 422 (unknown to this edge's policy) or 503 (etcd).
 */
void fleet_drain(struct fleet *f, const char *name, bool region, bool drain,
		 struct fleet_answer *a);

/* The loop: is this backend (its region, its address) drained fleet-wide? -EAGAIN: not known. */
int fleet_drained(struct fleet *f, const char *region, const char *addr, bool *drained);

/* GET /api/v1/fleet: every member's report and age, the designations, etcd's health. */
struct json_object *fleet_view(struct fleet *f);

#endif /* ANYEDGE_FLEET_H */
