// SPDX-License-Identifier: GPL-2.0
/* Operator commands, run on the loop thread (the one writer): failover, drain and undrain of a
 * region, a backend or the whole edge, reload. Each is logged as an event, applied to the maps,
 * and answered with an HTTP status for the API. What must survive a restart is saved in the
 * state file (ops_state.c) and re-applied at start.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "cmdq.h"
#include "edge.h"
#include "files.h"
#include "log.h"
#include "ops_state.h"
#include "rpo.h"

/* Drain (or undrain) every backend at addr: one address may serve in two regions, and the
 * operator means the machine. Returns how many.
 */
static size_t ops_drain_addr(struct edge *e, const char *addr, bool drain)
{
	const struct policy *p = e->policy;
	char a[INET_ADDR_STR];
	size_t r, k, n = 0;

	for (r = 0; r < p->n_regions; r++) {
		for (k = 0; k < p->regions[r].n_backends; k++) {
			inet_addr_str(&p->regions[r].backends[k].addr, a, sizeof(a));
			if (strcmp(a, addr))
				continue;
			health_set_admin_drain(&e->health, dp_backend_id(p, r, k), drain,
					       edge_now_ms());
			n++;
		}
	}
	return n;
}

int edge_ops_restore(struct edge *e)
{
	char path[512], why[256];
	struct ops_state st;
	int s, t, err;
	size_t i;

	err = ops_state_read(e, &st);
	ops_state_path(e, path, sizeof(path));
	if (err) {
		/* refusing to start would take the edge down for a file: go on without it */
		pr_warn("operator: cannot read %s: %s; no saved promotions applied\n", path,
			strerror(-err));
		return 0;
	}
	if (st.edge_drained) {
		e->draining = true;
		pr_warn("operator: edge %s stays drained as saved in %s (undrain to serve)\n",
			e->policy->edge.name, path);
	}
	for (i = 0; i < st.n_prom; i++) {
		s = policy_region_index(e->policy, st.prom[i].source);
		t = policy_region_index(e->policy, st.prom[i].target);
		if (s < 0 || t < 0) {
			pr_warn("operator: saved promotion %s -> %s skipped: region no longer in "
				"the policy\n",
				st.prom[i].source, st.prom[i].target);
			continue;
		}
		/* forced: the operator decided this already; a restart must not undo it */
		err = health_promote(&e->health, s, t, true, INFINITY, why, sizeof(why),
				     edge_now_ms());
		if (!err)
			pr_info("operator: saved promotion %s -> %s re-applied: %s\n",
				st.prom[i].source, st.prom[i].target, why);
	}
	for (i = 0; i < st.n_drained; i++)
		if (ops_drain_addr(e, st.drained[i], true))
			pr_info("operator: backend %s stays drained as saved\n", st.drained[i]);
	ops_state_free(&st);
	return 0;
}

static void ops_answer(struct edge_cmd *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ops_answer(struct edge_cmd *c, int status, const char *fmt, ...)
{
	va_list ap;

	c->http_status = status;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
}

static void ops_failover(struct edge *e, struct edge_cmd *c)
{
	struct ops_promotion rec = { 0 };
	int s = policy_region_index(e->policy, c->source);
	int t = policy_region_index(e->policy, c->target);
	uint8_t was[AE_MAX_VIPS];
	double max_lag;
	char why[256];
	int err;

	if (s < 0 || t < 0) {
		ops_answer(c, 422, "unknown region \"%s\"", s < 0 ? c->source : c->target);
		return;
	}
	max_lag = isnan(c->max_lag_s) ? rpo_default_max_lag_s(e->policy, t) : c->max_lag_s;
	memcpy(was, e->health.serving, sizeof(was));
	err = health_promote(&e->health, s, t, c->force, max_lag, why, sizeof(why), edge_now_ms());
	switch (err) {
	case 0:
		snprintf(rec.source, sizeof(rec.source), "%s", c->source);
		snprintf(rec.target, sizeof(rec.target), "%s", c->target);
		rec.ms = real_ms(); /* saved: shown to people after a restart */
		/* a promotion a restart would forget is not made: a restarted edge would send the
		 * VIP's writes back to the old region
		 */
		err = ops_state_write(e, &rec);
		if (err) {
			memcpy(e->health.serving, was, sizeof(was));
			e->failovers_refused++;
			pr_warn("operator: failover %s -> %s refused: the operator state cannot be "
				"saved (%s); nothing changed\n",
				c->source, c->target, strerror(-err));
			ops_answer(
				c, 503,
				"refused: the operator state cannot be saved (%s), and a promotion "
				"a restart would forget is not made; nothing changed",
				strerror(-err));
			break;
		}
		e->failovers++;
		e->last_failover_ms = edge_now_ms();
		pr_warn("operator: failover %s -> %s%s: %s\n", c->source, c->target,
			c->force ? " (forced)" : "", why);
		ops_answer(c, 200, "%s", why);
		break;
	case -EBUSY:
		e->failovers_refused++;
		ops_answer(c, 409, "%s", why);
		break;
	case -EINVAL:
		/* the shape was checked before: what is left is the state, e.g. nothing to move */
		pr_warn("operator: failover %s -> %s refused: %s\n", c->source, c->target, why);
		ops_answer(c, 409, "refused: %s", why);
		break;
	default:
		ops_answer(c, 422, "%s", why);
		break;
	}
}

static void ops_drain(struct edge *e, struct edge_cmd *c, bool drain)
{
	const struct policy *p = e->policy;
	const char *verb = drain ? "drained" : "undrained";
	size_t k, n = 0;
	int ri;

	if (c->region[0]) {
		ri = policy_region_index(p, c->region);
		if (ri < 0) {
			ops_answer(c, 422, "unknown region \"%s\"", c->region);
			return;
		}
		for (k = 0; k < p->regions[ri].n_backends; k++, n++)
			health_set_admin_drain(&e->health, dp_backend_id(p, ri, k), drain,
					       edge_now_ms());
		pr_warn("operator: region %s %s (%zu backends): %s\n", c->region, verb, n,
			drain ? "no new flows, existing flows continue" : "takes new flows");
		ops_state_write(e, NULL);
		ops_answer(c, 200, "region %s %s (%zu backends)", c->region, verb, n);
		return;
	}
	if (!ops_drain_addr(e, c->backend, drain)) {
		ops_answer(c, 422, "no backend %s in the policy", c->backend);
		return;
	}
	ops_state_write(e, NULL);
	ops_answer(c, 200, "backend %s %s", c->backend, verb);
}

static void ops_diag(void *ctx, const char *file, unsigned int line, unsigned int col,
		     const char *msg)
{
	char *buf = ctx;
	size_t off = strlen(buf);

	if (off + 2 >= 200)
		return;
	snprintf(buf + off, 200 - off, "%s%s:%u:%u: error: %s", off ? "; " : "", file, line, col,
		 msg);
}

static void ops_reload(struct edge *e, struct edge_cmd *c)
{
	struct policy *np = NULL;
	char diag[200] = "";
	int err;

	pr_info("operator: reload requested over the API\n");
	err = edge_reload(e);
	if (!err) {
		ops_answer(c, 200, "reloaded %s", e->opts.config);
		return;
	}
	/* the reasons went to the log; load again, quietly, to hand the first of them back */
	if (!policy_load(e->opts.config, &np, ops_diag, diag))
		policy_free(np);
	ops_answer(c, 409, "reload refused, the running policy stays in force: %s",
		   diag[0] ? diag : strerror(-err));
}

static void ops_drain_edge(struct edge *e, struct edge_cmd *c, bool drain)
{
	if (e->draining != drain) {
		e->draining = drain;
		ops_state_write(e, NULL);
		if (drain)
			pr_warn("operator: edge %s drained: /health/ready answers 503 "
				"(system_mode draining) and BGP withdraws gracefully\n",
				e->policy->edge.name);
		else
			pr_warn("operator: edge %s undrained: serving again\n",
				e->policy->edge.name);
	}
	ops_answer(c, 200, "edge %s %s", e->policy->edge.name, drain ? "drained" : "undrained");
}

static void ops_run_one(void *ctx, struct edge_cmd *c)
{
	struct edge *e = ctx;
	int err;

	switch (c->kind) {
	case CMD_FAILOVER:
		ops_failover(e, c);
		break;
	case CMD_DRAIN:
	case CMD_UNDRAIN:
		ops_drain(e, c, c->kind == CMD_DRAIN);
		break;
	case CMD_RELOAD:
		ops_reload(e, c);
		break;
	case CMD_DRAIN_EDGE:
	case CMD_UNDRAIN_EDGE:
		ops_drain_edge(e, c, c->kind == CMD_DRAIN_EDGE);
		break;
	default:
		ops_answer(c, 422, "unknown command");
		return;
	}
	/* an answer of 200 means the maps say so too */
	if (e->health.changes != e->applied) {
		err = edge_apply(e, "operator command");
		if (err && c->http_status == 200)
			ops_answer(c, 500, "accepted, but the data plane was not updated: %s",
				   strerror(-err));
	} else {
		/* an edge drain changes no map, only announcements */
		if (e->bgp) {
			speaker_set_drain(e->bgp, e->draining, edge_now_ms());
			e->bird_connected = speaker_bird_connected(e->bgp);
		}
		snapshot_publish(&e->snap, e);
	}
}

void edge_ops_run(struct edge *e)
{
	cmdq_run(e->cmdq, ops_run_one, e);
}

void edge_ops_beat(struct edge *e)
{
	__atomic_store_n(&e->beat_ms, mono_ms(), __ATOMIC_RELAXED);
}

int edge_ops_start(struct edge *e)
{
	struct api_opts o = {
		.listen = e->policy->api.listen,
		.token_file = e->policy->api.token_file,
		.snap = &e->snap,
		.dp = e->dp,
		.beat_ms = &e->beat_ms,
		.fleet = edge_fleet(e),
	};
	int err;

	err = cmdq_new(&e->cmdq);
	if (err)
		return err;
	o.cmdq = e->cmdq;
	/* alive from here: the loop starts right after */
	edge_ops_beat(e);
	err = api_start(&o, &e->api);
	if (err)
		pr_warn("edge: the HTTP API did not start: %s\n", strerror(-err));
	return err;
}

void edge_ops_stop(struct edge *e)
{
	api_stop(e->api);
	e->api = NULL;
	cmdq_free(e->cmdq);
	e->cmdq = NULL;
}
