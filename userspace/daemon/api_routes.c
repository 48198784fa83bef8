// SPDX-License-Identifier: GPL-2.0
/* The API's answers: health probes and /api/v1/state from the RCU snapshot, and the operator's
 * writes, checked for shape here (api_json.c) and run by the loop thread (commands.c).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <microhttpd.h>
#include <urcu.h>

#include "api_impl.h"
#include "api_json.h"
#include "log.h"

/* ---- reads ---- */

static struct json_object *api_seconds_p(double s, int prec)
{
	char buf[32];

	/* fixed precision: json-c's %.17g would print 0.1 as 0.10000000000000001 */
	snprintf(buf, sizeof(buf), "%.*f", prec, s);
	return json_object_new_double_s(s, buf);
}

static struct json_object *api_seconds(double s)
{
	return api_seconds_p(s, 3);
}

static struct json_object *api_time(uint64_t ms)
{
	char buf[40];

	return ms ? json_object_new_string(api_iso_time(ms, buf, sizeof(buf))) : NULL;
}

static const char *api_region_name(const struct snapshot *s, int r)
{
	return r >= 0 && (size_t)r < s->n_regions ? s->regions[r].name : NULL;
}

static int api_home_region(const struct snapshot *s)
{
	size_t r;

	for (r = 0; r < s->n_regions; r++)
		if (!strcmp(s->regions[r].name, s->home_region))
			return (int)r;
	return -1;
}

static size_t api_regions_up(const struct snapshot *s)
{
	size_t r, n = 0;

	for (r = 0; r < s->n_regions; r++)
		n += s->regions[r].up;
	return n;
}

/* The fleet's health as this edge sees it (null without a fleet: section). */
static struct json_object *api_fleet_health(const struct snapshot *s)
{
	struct json_object *o;

	if (!s->has_fleet)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "etcd_reachable", json_object_new_boolean(s->fleet.reachable));
	json_object_object_add(o, "quorum", json_object_new_boolean(s->fleet.quorum));
	json_object_object_add(o, "members", json_object_new_int64(s->fleet.members));
	json_object_object_add(o, "live", json_object_new_int64(s->fleet.live));
	json_object_object_add(o, "revision", json_object_new_int64(s->fleet.revision));
	json_object_object_add(o, "last_ok", api_time(s->fleet.last_ok_ms));
	json_object_object_add(o, "error",
			       s->fleet.error[0] ? json_object_new_string(s->fleet.error) : NULL);
	return o;
}

void api_health_shallow(struct api *a, const struct api_req *q, struct api_reply *r)
{
	uint64_t age = api_beat_age_ms(a);
	struct json_object *o = json_object_new_object();

	if (age > API_STALL_MS) {
		json_object_object_add(o, "status", json_object_new_string("STALLED"));
		json_object_object_add(o, "error",
				       json_object_new_string("the event loop is not running"));
		api_reply_json(r, MHD_HTTP_SERVICE_UNAVAILABLE, o);
		return;
	}
	json_object_object_add(o, "status", json_object_new_string("OK"));
	api_reply_json(r, MHD_HTTP_OK, o);
}

/* The DNS/anycast probe. It never flaps on one missed backend probe: readiness comes from the
 * snapshot, whose region states already need fall failures in a row to change.
 */
void api_health_ready(struct api *a, const struct api_req *q, struct api_reply *r)
{
	struct json_object *o = json_object_new_object();
	const struct snapshot *s;
	const char *err = NULL;
	char stall[96];
	bool ready;
	int home;

	api_rcu_thread();
	rcu_read_lock();
	s = snapshot_get(a->o.snap);
	if (!s) {
		rcu_read_unlock();
		json_object_object_add(o, "status", json_object_new_string("DEGRADED"));
		json_object_object_add(o, "error", json_object_new_string("starting"));
		api_reply_json(r, MHD_HTTP_SERVICE_UNAVAILABLE, o);
		return;
	}
	ready = s->ready;
	if (!ready)
		err = s->why[0] ? s->why : "not ready";
	if (api_beat_age_ms(a) > API_STALL_MS) {
		/* a stuck loop keeps stale maps: nobody should send traffic here on its word */
		snprintf(stall, sizeof(stall), "the event loop has not run for over %u s",
			 API_STALL_MS / 1000);
		ready = false;
		err = stall;
	}
	home = api_home_region(s);
	json_object_object_add(o, "status", json_object_new_string(ready ? "READY" : "DEGRADED"));
	json_object_object_add(o, "edge", json_object_new_string(s->edge));
	json_object_object_add(o, "region", json_object_new_string(s->home_region));
	json_object_object_add(o, "system_mode",
			       json_object_new_string(s->draining ? "draining" : "active"));
	{
		struct json_object *bird = json_object_new_object();

		json_object_object_add(bird, "connected",
				       json_object_new_boolean(s->bird_connected));
		json_object_object_add(o, "bird", bird);
	}
	json_object_object_add(o, "regions_up", json_object_new_int64((int64_t)api_regions_up(s)));
	json_object_object_add(o, "replica_lag_seconds",
			       home >= 0 && s->regions[home].has_lag ?
				       api_seconds(s->regions[home].replica_lag_s) :
				       NULL);
	/* etcd down does not make the edge unready: it serves the designations applied last */
	if (s->has_fleet)
		json_object_object_add(o, "fleet", api_fleet_health(s));
	if (err)
		json_object_object_add(o, "error", json_object_new_string(err));
	rcu_read_unlock();
	api_reply_json(r, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, o);
}

static struct json_object *api_state_regions(const struct snapshot *s)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < s->n_regions; i++) {
		const struct snap_region *sr = &s->regions[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(sr->name));
		json_object_object_add(o, "state", json_object_new_string(sr->up ? "up" : "down"));
		json_object_object_add(o, "since", api_time(sr->since_ms));
		json_object_object_add(o, "why", json_object_new_string(sr->why));
		json_object_object_add(o, "backends_passing", json_object_new_int64(sr->passing));
		json_object_object_add(o, "backends", json_object_new_int64(sr->n_backends));
		json_object_object_add(o, "replica_lag_seconds",
				       sr->has_lag ? api_seconds(sr->replica_lag_s) : NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The controller's own liveness, for a supervisor: the loop's heartbeat (each turn, at least
 * once a second). The data plane forwards without it; nothing else notices a hung loop.
 */
static struct json_object *api_state_loop(const struct api *a)
{
	struct json_object *l = json_object_new_object();
	uint64_t age = api_beat_age_ms(a);

	json_object_object_add(l, "heartbeat_age_seconds",
			       age == UINT64_MAX ? NULL : api_seconds_p(age / 1e3, 3));
	json_object_object_add(l, "stalled", json_object_new_boolean(age > API_STALL_MS));
	json_object_object_add(l, "stall_after_seconds", json_object_new_int(API_STALL_MS / 1000));
	return l;
}

static struct json_object *api_state_guard(const struct snapshot *s)
{
	struct json_object *g = json_object_new_object();
	bool holding = strcmp(s->guard, "none") != 0;

	json_object_object_add(g, "holding", json_object_new_boolean(holding));
	json_object_object_add(g, "reason", holding ? json_object_new_string(s->guard) : NULL);
	json_object_object_add(g, "why", holding ? json_object_new_string(s->guard_why) : NULL);
	json_object_object_add(g, "since", api_time(s->guard_since_ms));
	json_object_object_add(g, "settling", json_object_new_boolean(s->settling));
	return g;
}

static const char *api_backend_health(const struct snap_backend *b)
{
	if (b->up)
		return "up";
	return b->probed ? "down" : "unknown";
}

static struct json_object *api_state_backends(const struct snapshot *s)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < s->n_backends; i++) {
		const struct snap_backend *b = &s->backends[i];
		struct json_object *o = json_object_new_object(), *lp = NULL;

		json_object_object_add(o, "address", json_object_new_string(b->addr));
		json_object_object_add(o, "region",
				       json_object_new_string(api_region_name(s, b->region) ?: ""));
		json_object_object_add(o, "health", json_object_new_string(api_backend_health(b)));
		json_object_object_add(o, "since", api_time(b->since_ms));
		json_object_object_add(o, "weight", json_object_new_int64(b->weight));
		json_object_object_add(o, "drained", json_object_new_boolean(b->admin_drained));
		json_object_object_add(o, "draining", json_object_new_boolean(b->draining));
		if (b->probed) {
			lp = json_object_new_object();
			json_object_object_add(lp, "at", api_time(b->last_ms));
			json_object_object_add(lp, "ok", json_object_new_boolean(b->last.ok));
			json_object_object_add(lp, "latency_seconds",
					       api_seconds_p(b->last.latency_us / 1e6, 6));
			json_object_object_add(lp, "http_status",
					       b->last.http_status ?
						       json_object_new_int(b->last.http_status) :
						       NULL);
			json_object_object_add(
				lp, "replica_lag_seconds",
				b->last.has_lag ? api_seconds(b->last.replica_lag_s) : NULL);
			json_object_object_add(
				lp, "why",
				b->last.why[0] ? json_object_new_string(b->last.why) : NULL);
			/* the backend's own "error" text, as it sent it (sanitized) */
			json_object_object_add(
				lp, "error",
				b->last.error[0] ? json_object_new_string(b->last.error) : NULL);
		}
		json_object_object_add(o, "last_probe", lp);
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *api_state_announce(const struct snapshot *s)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < s->n_announce; i++) {
		const struct snap_announce *an = &s->announce[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "vip", json_object_new_string(an->vip));
		json_object_object_add(o, "prefix", json_object_new_string(an->prefix));
		json_object_object_add(o, "state", json_object_new_string(an->state));
		json_object_object_add(o, "since", api_time(an->since_ms));
		json_object_object_add(o, "why", json_object_new_string(an->why));
		if (s->has_fleet)
			json_object_object_add(o, "fleet_held",
					       an->held ? json_object_new_string(an->held_why) :
							  NULL);
		json_object_object_add(o, "damping_penalty", json_object_new_double(an->penalty));
		json_object_object_add(o, "suppressed", json_object_new_boolean(an->suppressed));
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *api_state_vips(struct api *a, const struct snapshot *s)
{
	struct json_object *arr = json_object_new_array();
	struct ae_vip_stats st;
	size_t i, k;

	for (i = 0; i < s->n_vips; i++) {
		const struct snap_vip *v = &s->vips[i];
		struct json_object *o = json_object_new_object(), *serving, *regions, *stats;
		bool ap = v->mode == AE_MODE_ACTIVE_PASSIVE;
		const char *cur = ap ? api_region_name(s, v->serving) : NULL;

		json_object_object_add(o, "name", json_object_new_string(v->name));
		json_object_object_add(o, "address", json_object_new_string(v->addr));
		json_object_object_add(
			o, "mode", json_object_new_string(ap ? "active-passive" : "active-active"));
		json_object_object_add(o, "primary",
				       ap && api_region_name(s, v->primary) ?
					       json_object_new_string(s->regions[v->primary].name) :
					       NULL);
		json_object_object_add(o, "current_primary",
				       cur ? json_object_new_string(cur) : NULL);
		if (ap && s->has_fleet)
			json_object_object_add(o, "fleet_epoch",
					       json_object_new_int64(v->fleet_epoch));
		regions = json_object_new_array();
		serving = json_object_new_array();
		for (k = 0; k < v->n_regions; k++) {
			const char *n = api_region_name(s, v->regions[k]);

			if (!n)
				continue;
			json_object_array_add(regions, json_object_new_string(n));
			/* active-passive serves from its one region, and only while it is up */
			if (s->regions[v->regions[k]].up && (!ap || v->regions[k] == v->serving))
				json_object_array_add(serving, json_object_new_string(n));
		}
		json_object_object_add(o, "regions", regions);
		json_object_object_add(o, "serving_regions", serving);
		if (a->o.dp && !dp_read_vip_stats_slot(a->o.dp, v->stats_slot, &st)) {
			stats = json_object_new_object();
			json_object_object_add(stats, "packets",
					       json_object_new_uint64(st.packets));
			json_object_object_add(stats, "bytes", json_object_new_uint64(st.bytes));
			json_object_object_add(stats, "new_flows",
					       json_object_new_uint64(st.new_flows));
			json_object_object_add(o, "stats", stats);
		}
		json_object_array_add(arr, o);
	}
	return arr;
}

void api_state(struct api *a, const struct api_req *q, struct api_reply *r)
{
	struct json_object *o, *bird;
	const struct snapshot *s;

	api_rcu_thread();
	rcu_read_lock();
	s = snapshot_get(a->o.snap);
	if (!s) {
		rcu_read_unlock();
		api_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "starting");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "edge", json_object_new_string(s->edge));
	json_object_object_add(o, "region", json_object_new_string(s->home_region));
	json_object_object_add(o, "interface", json_object_new_string(s->interface));
	json_object_object_add(o, "attached", json_object_new_boolean(s->attached));
	json_object_object_add(o, "attach_mode", json_object_new_string(s->attach_mode));
	json_object_object_add(o, "link_up", json_object_new_boolean(s->link_up));
	json_object_object_add(o, "ready", json_object_new_boolean(s->ready));
	json_object_object_add(o, "why", s->ready ? NULL : json_object_new_string(s->why));
	json_object_object_add(o, "system_mode",
			       json_object_new_string(s->draining ? "draining" : "active"));
	/* "panic": the old name of guard.holding, kept for readers written against it */
	json_object_object_add(o, "panic", json_object_new_boolean(strcmp(s->guard, "none")));
	json_object_object_add(o, "guard", api_state_guard(s));
	json_object_object_add(o, "loop", api_state_loop(a));
	bird = json_object_new_object();
	json_object_object_add(bird, "connected", json_object_new_boolean(s->bird_connected));
	json_object_object_add(o, "bird", bird);
	json_object_object_add(o, "made", api_time(s->made_ms));
	json_object_object_add(o, "reloads", json_object_new_uint64(s->reloads));
	json_object_object_add(o, "reload_failures", json_object_new_uint64(s->reload_failures));
	json_object_object_add(o, "last_reload", api_time(s->last_reload_ms));
	json_object_object_add(o, "failovers", json_object_new_uint64(s->failovers));
	json_object_object_add(o, "failovers_refused",
			       json_object_new_uint64(s->failovers_refused));
	json_object_object_add(o, "last_failover", api_time(s->last_failover_ms));
	json_object_object_add(o, "regions", api_state_regions(s));
	json_object_object_add(o, "backends", api_state_backends(s));
	json_object_object_add(o, "vips", api_state_vips(a, s));
	json_object_object_add(o, "announcements", api_state_announce(s));
	json_object_object_add(o, "fleet", api_fleet_health(s));
	rcu_read_unlock();
	api_reply_json(r, MHD_HTTP_OK, o);
}

/* ---- writes: shape here, meaning on the loop thread ---- */

static void api_run(struct api *a, struct edge_cmd *cmd, struct api_reply *r)
{
	struct json_object *o;
	int err;

	err = cmdq_submit(a->o.cmdq, cmd, API_CMD_TIMEOUT_MS);
	if (err == -ETIMEDOUT) {
		api_reply_error(r, MHD_HTTP_GATEWAY_TIMEOUT,
				"the daemon's loop did not answer within %u s; the command may "
				"still run",
				API_CMD_TIMEOUT_MS / 1000);
		return;
	}
	if (err) {
		api_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "command not queued: %s",
				strerror(-err));
		return;
	}
	if (cmd->http_status != MHD_HTTP_OK) {
		api_reply_error(r, cmd->http_status ? cmd->http_status : 500, "%s", cmd->msg);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("OK"));
	json_object_object_add(o, "message", json_object_new_string(cmd->msg));
	api_reply_json(r, MHD_HTTP_OK, o);
}

/* A fleet request's answer: its error as an error, else OK with its message (and the new
 * epoch, for a promotion)
 */
static void api_reply_fleet(struct api_reply *r, const struct fleet_answer *ans, bool epoch)
{
	struct json_object *o;

	if (ans->status != MHD_HTTP_OK) {
		api_reply_error(r, ans->status, "%s", ans->msg);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("OK"));
	json_object_object_add(o, "message", json_object_new_string(ans->msg));
	if (epoch)
		json_object_object_add(o, "epoch", json_object_new_int64(ans->epoch));
	api_reply_json(r, MHD_HTTP_OK, o);
}

/* With a fleet, a promotion is the fleet's: one compare-and-swap in etcd on this API thread
 * (never the loop's), applied by every edge, this one included, from the designation.
 */
static void api_failover_fleet(struct api *a, const struct edge_cmd *cmd, struct api_reply *r)
{
	struct fleet_promote_req req = { .force = cmd->force, .max_lag_s = cmd->max_lag_s };
	struct fleet_answer ans;

	snprintf(req.source, sizeof(req.source), "%s", cmd->source);
	snprintf(req.target, sizeof(req.target), "%s", cmd->target);
	fleet_promote(a->o.fleet, &req, &ans);
	api_reply_fleet(r, &ans, true);
}

void api_failover(struct api *a, const struct api_req *q, struct api_reply *r)
{
	struct edge_cmd cmd;
	char why[256];

	if (api_json_failover(q->body, q->len, &cmd, why, sizeof(why))) {
		api_reply_error(r, API_HTTP_UNPROCESSABLE, "%s", why);
		return;
	}
	if (a->o.fleet)
		api_failover_fleet(a, &cmd, r);
	else
		api_run(a, &cmd, r);
}

void api_fleet(struct api *a, const struct api_req *q, struct api_reply *r)
{
	if (!a->o.fleet) {
		api_reply_error(r, MHD_HTTP_NOT_FOUND,
				"this edge has no fleet: section in its policy: it decides alone");
		return;
	}
	api_reply_json(r, MHD_HTTP_OK, fleet_view(a->o.fleet));
}

/* A drain for every member: put in etcd here, applied by each edge from its next read. */
static void api_drain_fleet(struct api *a, const struct edge_cmd *cmd, bool drain,
			    struct api_reply *r)
{
	struct fleet_answer ans;

	if (!a->o.fleet) {
		api_reply_error(r, API_HTTP_UNPROCESSABLE,
				"this edge has no fleet: section in its policy: drop \"fleet\"");
		return;
	}
	fleet_drain(a->o.fleet, cmd->region[0] ? cmd->region : cmd->backend, cmd->region[0], drain,
		    &ans);
	api_reply_fleet(r, &ans, false);
}

static void api_drain_common(struct api *a, const struct api_req *q, struct api_reply *r,
			     bool drain)
{
	struct edge_cmd cmd;
	char why[256];

	if (api_json_drain(q->body, q->len, drain, &cmd, why, sizeof(why))) {
		api_reply_error(r, API_HTTP_UNPROCESSABLE, "%s", why);
		return;
	}
	if (cmd.fleet)
		api_drain_fleet(a, &cmd, drain, r);
	else
		api_run(a, &cmd, r);
}

void api_drain(struct api *a, const struct api_req *q, struct api_reply *r)
{
	api_drain_common(a, q, r, true);
}

void api_undrain(struct api *a, const struct api_req *q, struct api_reply *r)
{
	api_drain_common(a, q, r, false);
}

void api_reload(struct api *a, const struct api_req *q, struct api_reply *r)
{
	struct edge_cmd cmd = { .kind = CMD_RELOAD };
	char why[256];

	if (api_json_empty(q->body, q->len, why, sizeof(why))) {
		api_reply_error(r, API_HTTP_UNPROCESSABLE, "%s", why);
		return;
	}
	api_run(a, &cmd, r);
}
