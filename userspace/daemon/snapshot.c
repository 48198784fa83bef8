// SPDX-License-Identifier: GPL-2.0
/* The loop thread copies what readers may see into a fresh snapshot and swaps it in; readers
 * never see a half-made one and never block the writer for longer than a grace period.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu.h>

#include "clock.h"
#include "edge.h"
#include "snapshot.h"

static void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	free(s->announce);
	free(s->regions);
	free(s->backends);
	free(s->vips);
	free(s);
}

/* Decisions run on CLOCK_MONOTONIC; readers are shown Unix time. 0 stays 0 ("never"). */
static uint64_t wall(const struct snapshot *s, uint64_t mono)
{
	return mono ? mono + s->wall_off_ms : 0;
}

static void fill_regions(struct snapshot *s, const struct edge *e)
{
	const struct policy *p = e->policy;
	size_t r;

	for (r = 0; r < s->n_regions; r++) {
		const struct region_health *rh = &e->health.r[r];
		struct snap_region *sr = &s->regions[r];

		snprintf(sr->name, sizeof(sr->name), "%s", p->regions[r].name);
		sr->up = rh->up;
		sr->passing = rh->passing;
		sr->n_backends = p->regions[r].n_backends;
		sr->since_ms = wall(s, rh->since_ms);
		snprintf(sr->why, sizeof(sr->why), "%s", rh->why);
		sr->has_lag = rh->has_lag;
		sr->replica_lag_s = rh->replica_lag_s;
	}
}

static void fill_backends(struct snapshot *s, const struct edge *e)
{
	const struct policy *p = e->policy;
	size_t r, i, k = 0;

	for (r = 0; r < p->n_regions; r++) {
		for (i = 0; i < p->regions[r].n_backends; i++, k++) {
			const struct backend_health *bh = &e->health.b[k];
			struct snap_backend *sb = &s->backends[k];

			inet_addr_str(&p->regions[r].backends[i].addr, sb->addr, sizeof(sb->addr));
			sb->region = r;
			sb->weight = p->regions[r].backends[i].weight;
			sb->up = bh->up;
			sb->draining = bh->draining;
			sb->admin_drained = bh->admin_drained;
			sb->probed = bh->probed;
			sb->last_ms = wall(s, bh->last_ms);
			sb->since_ms = wall(s, bh->since_ms);
			sb->last = bh->last;
		}
	}
}

static void fill_vips(struct snapshot *s, const struct edge *e)
{
	const struct policy *p = e->policy;
	size_t v;

	for (v = 0; v < s->n_vips; v++) {
		struct snap_vip *sv = &s->vips[v];

		snprintf(sv->name, sizeof(sv->name), "%s", p->vips[v].name);
		inet_addr_str(&p->vips[v].addr, sv->addr, sizeof(sv->addr));
		sv->mode = p->vips[v].mode;
		sv->primary = p->vips[v].primary;
		sv->serving = e->health.serving[v];
		sv->n_regions = (uint8_t)p->vips[v].n_regions;
		memcpy(sv->regions, p->vips[v].regions, sizeof(sv->regions));
		sv->fleet_epoch = edge_fleet_epoch(e, v);
		sv->stats_slot = e->dp ? dp_vip_slot(e->dp, v) : AE_MAX_VIPS;
	}
}

static void fill_announce(struct snapshot *s, const struct edge *e)
{
	const struct policy *p = e->policy;
	struct announce_params prm;
	struct speaker_stats st;
	size_t v;

	if (!e->bgp)
		return;
	announce_params_from(&prm, p);
	for (v = 0; v < p->n_vips; v++) {
		const struct speaker_vip *sv = speaker_vip(e->bgp, v);
		struct snap_announce *sa = &s->announce[s->n_announce];

		if (!sv)
			continue;
		snprintf(sa->vip, sizeof(sa->vip), "%s", p->vips[v].name);
		inet_prefix_str(&p->vips[v].announce, sa->prefix, sizeof(sa->prefix));
		sa->state = sv->a.state == ANNOUNCE_ANNOUNCED ? "announced" :
			    sv->a.state == ANNOUNCE_DRAINING  ? "draining" :
								"withdrawn";
		sa->since_ms = wall(s, sv->a.state_since_ms);
		snprintf(sa->why, sizeof(sa->why), "%s", sv->why);
		sa->held = sv->held;
		snprintf(sa->held_why, sizeof(sa->held_why), "%s", sv->held ? sv->held_why : "");
		sa->penalty = announce_penalty(&sv->a, &prm, s->made_ms);
		sa->suppressed = sv->a.suppressed;
		s->n_announce++;
	}
	speaker_get_stats(e->bgp, &st);
	s->bgp = (struct snap_bgp){ st.announces,
				    st.withdraws,
				    st.suppressions,
				    st.reconciles,
				    st.corrections,
				    st.bird_errors,
				    wall(s, st.last_change_ms),
				    st.last_reply_ms };
}

int snapshot_publish(struct snapshot_slot *slot, const struct edge *e)
{
	const struct policy *p = e->policy;
	struct snapshot *s, *old;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->n_regions = p->n_regions;
	s->n_backends = dp_backend_count(p);
	s->n_vips = p->n_vips;
	s->regions = calloc(s->n_regions + 1, sizeof(*s->regions));
	s->backends = calloc(s->n_backends + 1, sizeof(*s->backends));
	s->vips = calloc(s->n_vips + 1, sizeof(*s->vips));
	s->announce = calloc(s->n_vips + 1, sizeof(*s->announce));
	if (!s->regions || !s->backends || !s->vips || !s->announce) {
		snapshot_free(s);
		return -ENOMEM;
	}
	s->made_ms = edge_now_ms();
	s->wall_off_ms = real_ms() - s->made_ms;
	snprintf(s->edge, sizeof(s->edge), "%s", p->edge.name);
	snprintf(s->home_region, sizeof(s->home_region), "%s", p->regions[p->edge.region].name);
	snprintf(s->interface, sizeof(s->interface), "%s", p->edge.interface);
	s->attached = e->attach_mode != NULL;
	snprintf(s->attach_mode, sizeof(s->attach_mode), "%s",
		 e->attach_mode ? e->attach_mode : "none");
	s->link_up = e->link.up;
	s->guard = health_guard_name(e->health.guard);
	snprintf(s->guard_why, sizeof(s->guard_why), "%s", e->health.guard_why);
	s->guard_since_ms = e->health.guard == GUARD_NONE ? 0 : wall(s, e->health.guard_since_ms);
	memcpy(s->guard_entered, e->health.guard_entered, sizeof(s->guard_entered));
	s->settling = e->health.guard == GUARD_NONE && e->health.settle_until_ms;
	s->reloads = e->reloads;
	s->reload_failures = e->reload_failures;
	s->draining = e->draining;
	s->bird_connected = e->bird_connected;
	s->last_reload_ms = wall(s, e->last_reload_ms);
	s->failovers = e->failovers;
	s->failovers_refused = e->failovers_refused;
	s->last_failover_ms = wall(s, e->last_failover_ms);
	s->ready = health_ready(&e->health, s->why, sizeof(s->why));
	if (s->ready && !s->attached) {
		s->ready = false;
		snprintf(s->why, sizeof(s->why), "XDP program not attached");
	} else if (s->ready && !s->link_up) {
		s->ready = false;
		snprintf(s->why, sizeof(s->why), "link %s is down", s->interface);
	} else if (s->ready && s->draining) {
		s->ready = false;
		snprintf(s->why, sizeof(s->why), "edge drained by the operator");
	}
	fill_regions(s, e);
	fill_backends(s, e);
	fill_vips(s, e);
	fill_announce(s, e);
	s->made_ms = wall(s, s->made_ms); /* announce penalties were decayed to the monotonic one */
	if (edge_fleet(e)) {
		s->has_fleet = true;
		fleet_health(edge_fleet(e), &s->fleet);
	}

	old = rcu_xchg_pointer(&slot->cur, s);
	if (old) {
		synchronize_rcu();
		snapshot_free(old);
	}
	return 0;
}

void snapshot_slot_free(struct snapshot_slot *slot)
{
	struct snapshot *old = rcu_xchg_pointer(&slot->cur, NULL);

	if (old) {
		synchronize_rcu();
		snapshot_free(old);
	}
}

const struct snapshot *snapshot_get(struct snapshot_slot *slot)
{
	return rcu_dereference(slot->cur);
}
