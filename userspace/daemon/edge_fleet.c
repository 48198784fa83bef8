// SPDX-License-Identifier: GPL-2.0
/* The edge's side of the fleet (userspace/fleet/), on the loop thread: this edge's report for
 * the others, the fleet's designations applied to the serving regions of active-passive VIPs,
 * and the designations applied last kept on disk, so an edge restarted while etcd is down
 * serves what the fleet last agreed rather than the policy's primary.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "edge.h"
#include "files.h"
#include "fleet/fleet.h"
#include "log.h"

struct edge_fleet {
	struct fleet *f;
	bool *fdrained; /* per backend id: drained because the fleet says so */
	size_t n_fdrained;
	char policy_hash[20]; /* FNV-1a 64 of the policy file, hex */
	int64_t epoch[AE_MAX_VIPS]; /* of the designation each VIP serves by; 0: its primary */
};

struct fleet *edge_fleet(const struct edge *e)
{
	return e->fleet ? e->fleet->f : NULL;
}

int64_t edge_fleet_epoch(const struct edge *e, size_t v)
{
	return e->fleet && v < AE_MAX_VIPS ? e->fleet->epoch[v] : 0;
}

int edge_fleet_fd(const struct edge *e)
{
	return e->fleet ? fleet_fd(e->fleet->f) : -1;
}

/* What the members compare: the same hash means the same policy file. */
static void policy_hash(const char *path, char out[20])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	char *buf = malloc(POLICY_MAX_BYTES + 1);
	ssize_t n, i;

	snprintf(out, 20, "unknown");
	if (!buf)
		return;
	n = file_read_small(path, buf, POLICY_MAX_BYTES + 1);
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)buf[i]) * 0x100000001b3ULL;
	if (n >= 0)
		snprintf(out, 20, "%016llx", (unsigned long long)h);
	free(buf);
}

/* ---- the designations on disk: "serving VIP REGION EPOCH" lines ---- */

static void desig_save(const struct edge *e)
{
	const struct policy *p = e->policy;
	char path[512], *text = NULL;
	size_t len = 0, v;
	FILE *f;
	int err = 0;

	edge_state_path(e, "fleet", path, sizeof(path));
	f = open_memstream(&text, &len);
	if (!f)
		return;
	fprintf(f, "# anyedged: the fleet designations edge %s applied last; rewritten by it\n",
		p->edge.name);
	for (v = 0; v < p->n_vips && v < AE_MAX_VIPS; v++)
		if (p->vips[v].mode == VIP_ACTIVE_PASSIVE)
			fprintf(f, "serving %s %s %lld\n", p->vips[v].name,
				p->regions[e->health.serving[v]].name,
				(long long)e->fleet->epoch[v]);
	if (fclose(f))
		err = -ENOMEM;
	if (!err)
		err = file_replace(path, text, len, 0644);
	if (err)
		pr_warn("fleet: designations not saved to %s: %s; a restart while etcd is down "
			"would serve the policy's primaries\n",
			path, strerror(-err));
	free(text);
}

void edge_fleet_restore(struct edge *e)
{
	char path[512], line[256], vip[POLICY_NAME_MAX], region[POLICY_NAME_MAX];
	long long epoch;
	int v, r;
	FILE *f;

	if (!e->policy->fleet.enabled)
		return;
	edge_state_path(e, "fleet", path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "serving %63s %63s %lld", vip, region, &epoch) != 3)
			continue;
		v = policy_vip_index(e->policy, vip);
		r = policy_region_index(e->policy, region);
		if (v < 0 || r < 0 || health_set_serving(&e->health, (size_t)v, r, edge_now_ms()))
			continue;
		pr_info("fleet: vip %s serves from %s as last applied (epoch %lld, %s) until etcd "
			"says otherwise\n",
			vip, region, epoch, path);
	}
	fclose(f);
}

/* ---- the fleet's drains ---- */

/* The fleet's drains onto the backends: set where the fleet drains a region or an address,
 * lifted where it no longer does and it was the fleet that set it. True when one changed.
 */
static bool apply_drains(struct edge *e)
{
	const struct policy *p = e->policy;
	struct edge_fleet *ef = e->fleet;
	size_t n = dp_backend_count(p), r, k, id;
	char a[INET_ADDR_STR];
	bool want, changed = false;

	if (ef->n_fdrained != n) {
		free(ef->fdrained);
		ef->fdrained = calloc(n ? n : 1, sizeof(*ef->fdrained));
		ef->n_fdrained = ef->fdrained ? n : 0;
		if (!ef->fdrained)
			return false;
	}
	for (r = 0; r < p->n_regions; r++) {
		for (k = 0; k < p->regions[r].n_backends; k++) {
			id = dp_backend_id(p, r, k);
			inet_addr_str(&p->regions[r].backends[k].addr, a, sizeof(a));
			if (fleet_drained(ef->f, p->regions[r].name, a, &want))
				return changed; /* etcd not read yet: as things are */
			if (want == ef->fdrained[id])
				continue;
			if (want || e->health.b[id].admin_drained)
				health_set_admin_drain(&e->health, id, want, edge_now_ms());
			ef->fdrained[id] = want;
			pr_warn("fleet: backend %s (%s) %s fleet-wide\n", a, p->regions[r].name,
				want ? "drained" : "undrained");
			changed = true;
		}
	}
	return changed;
}

/* ---- never the last to withdraw ---- */

/* The fleet's word on each announced VIP into the speaker. True when one changed. */
static bool apply_gates(struct edge *e)
{
	const struct policy *p = e->policy;
	bool changed = false, may;
	char why[160];
	size_t v;

	if (!e->bgp)
		return false;
	for (v = 0; v < p->n_vips; v++) {
		if (!p->vips[v].has_announce)
			continue;
		may = fleet_may_withdraw(e->fleet->f, p->vips[v].name, why, sizeof(why));
		changed |= speaker_fleet_gate(e->bgp, v, may, why);
	}
	return changed;
}

/* What the speaker does with each VIP, for the worker: held for want of the fleet's word
 * (ASK), announced (IN), withdrawn or draining (OUT).
 */
static void tell_announcing(struct edge *e)
{
	const struct policy *p = e->policy;
	const struct speaker_vip *sv;
	enum fleet_ann want;
	size_t v;

	for (v = 0; e->bgp && v < p->n_vips; v++) {
		sv = p->vips[v].has_announce ? speaker_vip(e->bgp, v) : NULL;
		if (!sv)
			continue;
		want = sv->held				 ? FLEET_ANN_ASK :
		       sv->a.state == ANNOUNCE_ANNOUNCED ? FLEET_ANN_IN :
							   FLEET_ANN_OUT;
		fleet_set_announce(e->fleet->f, p->vips[v].name, want);
	}
}

/* ---- the designations from etcd ---- */

void edge_fleet_run(struct edge *e)
{
	const struct policy *p = e->policy;
	struct edge_fleet *ef = e->fleet;
	struct fleet_desig d;
	bool changed = false, saved = false;
	const char *want;
	size_t v;
	int t;

	if (!ef)
		return;
	fleet_ack(ef->f);
	for (v = 0; v < p->n_vips && v < AE_MAX_VIPS; v++) {
		uint8_t before = e->health.serving[v];

		if (p->vips[v].mode != VIP_ACTIVE_PASSIVE ||
		    fleet_designation(ef->f, p->vips[v].name, &d))
			continue;
		want = d.epoch ? d.region : p->regions[p->vips[v].primary].name;
		t = policy_region_index(p, want);
		if (t < 0 || health_set_serving(&e->health, v, t, edge_now_ms())) {
			pr_warn("fleet: vip %s: designated region %s is not among this edge's "
				"regions for it; keeping %s\n",
				p->vips[v].name, want, p->regions[before].name);
			continue;
		}
		saved |= ef->epoch[v] != d.epoch;
		ef->epoch[v] = d.epoch;
		if (e->health.serving[v] == before)
			continue;
		pr_warn("fleet: vip %s now served from %s, was %s (epoch %lld%s%s)\n",
			p->vips[v].name, want, p->regions[before].name, (long long)d.epoch,
			d.by[0] ? ", promoted by " : ", the policy's primary", d.by);
		e->failovers++;
		e->last_failover_ms = edge_now_ms();
		changed = true;
	}
	if (changed || saved)
		desig_save(e);
	changed |= apply_drains(e);
	if (changed) {
		apply_gates(e);
		edge_apply(e, "fleet designation");
	} else if (apply_gates(e)) {
		speaker_update(e->bgp, &e->health, edge_healthy(e), edge_now_ms());
		edge_fleet_report(e);
		snapshot_publish(&e->snap, e);
	} else {
		snapshot_publish(&e->snap, e);
	}
}

/* ---- this edge's report ---- */

void edge_fleet_report(struct edge *e)
{
	const struct policy *p = e->policy;
	struct json_object *o, *regions, *r, *ann, *serving;
	const struct speaker_vip *sv;
	uint64_t wall_off = real_ms() - edge_now_ms();
	char why[160];
	size_t i;

	if (!e->fleet)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "edge", json_object_new_string(p->edge.name));
	json_object_object_add(o, "policy_hash", json_object_new_string(e->fleet->policy_hash));
	json_object_object_add(o, "ready",
			       json_object_new_boolean(health_ready(&e->health, why, sizeof(why)) &&
						       edge_healthy(e)));
	regions = json_object_new_object();
	for (i = 0; i < p->n_regions; i++) {
		const struct region_health *rh = &e->health.r[i];

		r = json_object_new_object();
		json_object_object_add(r, "up", json_object_new_boolean(rh->up));
		/* Unix time: the other members compare it with their own clocks */
		json_object_object_add(
			r, "since",
			json_object_new_int64(rh->since_ms ? (int64_t)(rh->since_ms + wall_off) :
							     0));
		json_object_object_add(r, "passing", json_object_new_int64(rh->passing));
		/* the counts, not the probes' evidence: that moves every round */
		snprintf(why, sizeof(why), "%u of %zu backends passing", rh->passing,
			 p->regions[i].n_backends);
		json_object_object_add(r, "why", json_object_new_string(why));
		json_object_object_add(
			r, "replica_lag_seconds",
			rh->has_lag ? json_object_new_double(
					      (double)(int64_t)(rh->replica_lag_s * 10) / 10) :
				      NULL);
		json_object_object_add(regions, p->regions[i].name, r);
	}
	json_object_object_add(o, "regions", regions);
	ann = json_object_new_array();
	serving = json_object_new_object();
	for (i = 0; i < p->n_vips && i < AE_MAX_VIPS; i++) {
		sv = e->bgp ? speaker_vip(e->bgp, i) : NULL;
		if (sv && sv->a.state != ANNOUNCE_WITHDRAWN)
			json_object_array_add(ann, json_object_new_string(p->vips[i].name));
		if (p->vips[i].mode == VIP_ACTIVE_PASSIVE)
			json_object_object_add(
				serving, p->vips[i].name,
				json_object_new_string(p->regions[e->health.serving[i]].name));
	}
	json_object_object_add(o, "announcing", ann);
	json_object_object_add(o, "serving", serving);
	json_object_object_add(o, "draining", json_object_new_boolean(e->draining));
	fleet_set_report(e->fleet->f, o);
	tell_announcing(e);
}

/* ---- lifecycle ---- */

int edge_fleet_start(struct edge *e)
{
	struct edge_fleet *ef;
	int err;

	if (!e->policy->fleet.enabled)
		return 0;
	ef = calloc(1, sizeof(*ef));
	if (!ef)
		return -ENOMEM;
	policy_hash(e->opts.config, ef->policy_hash);
	err = fleet_new(e->policy, &ef->f);
	if (!err)
		err = fleet_start(ef->f);
	if (err) {
		pr_warn("fleet: not started: %s\n", strerror(-err));
		fleet_free(ef->f);
		free(ef);
		return err;
	}
	e->fleet = ef;
	apply_gates(e); /* no withdrawal for health before the fleet has had its say */
	edge_fleet_report(e);
	pr_info("fleet %s: member %s of %zu, etcd at %s%s\n", e->policy->fleet.name,
		e->policy->edge.name, e->policy->fleet.n_members, e->policy->fleet.etcd[0],
		e->policy->fleet.n_etcd > 1 ? " and others" : "");
	return 0;
}

void edge_fleet_stop(struct edge *e)
{
	if (!e->fleet)
		return;
	fleet_free(e->fleet->f);
	free(e->fleet->fdrained);
	free(e->fleet);
	e->fleet = NULL;
}

void edge_fleet_reload(struct edge *e)
{
	if (!e->fleet)
		return;
	policy_hash(e->opts.config, e->fleet->policy_hash);
	fleet_set_policy(e->fleet->f, e->policy);
	/* the rebind may have put a VIP back on its primary: the fleet's word stands */
	edge_fleet_run(e);
	edge_fleet_report(e);
}
