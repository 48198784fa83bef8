// SPDX-License-Identifier: GPL-2.0
/* Region state (min_healthy over backend state, replica lag) and the serving region of
 * active-passive VIPs: the RPO-guarded promotions, by the operator or auto_promote: local, and
 * what readiness says about them.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "health_impl.h"
#include "log.h"
#include "rpo.h"

#define HEALTH_EVENT_MAX 1024

uint32_t health_region_need(const struct policy_region *pr)
{
	uint64_t need;

	if (pr->min_healthy_is_pct)
		need = ((uint64_t)pr->min_healthy * pr->n_backends + 99) / 100;
	else
		need = pr->min_healthy;
	/* a region with nothing passing cannot serve, whatever min_healthy: 0 says */
	return need ? (uint32_t)need : 1;
}

/* "1 of 2 backends passing (min 1)" and, with evidence, "; ADDR failed 2x: HTTP 503" for the
 * backends not up (region down) or up (region up), at most HEALTH_EVIDENCE_MAX of them.
 */
static void health_region_text(const struct health *h, size_t r, bool evidence, char *buf,
			       size_t len)
{
	const struct policy_region *pr = &h->p->regions[r];
	size_t first = dp_backend_id(h->p, r, 0), k, shown = 0, more = 0, off = 0;
	char a[INET_ADDR_STR], ev[200];

	buf[0] = '\0';
	health_append(buf, len, &off, "%u of %zu backends passing (min %u", h->r[r].passing,
		      pr->n_backends, health_region_need(pr));
	if (pr->min_healthy_is_pct)
		health_append(buf, len, &off, ", %u%%", pr->min_healthy);
	health_append(buf, len, &off, ")");
	if (!evidence)
		return;
	for (k = 0; k < pr->n_backends; k++) {
		if (h->b[first + k].up != h->r[r].up)
			continue;
		if (shown == HEALTH_EVIDENCE_MAX) {
			more++;
			continue;
		}
		shown++;
		health_backend_evidence(h, first + k, ev, sizeof(ev));
		health_append(buf, len, &off, "; %s %s",
			      inet_addr_str(&pr->backends[k].addr, a, sizeof(a)), ev);
	}
	if (more)
		health_append(buf, len, &off, "; and %zu more", more);
}

bool health_region_update(struct health *h, size_t r, uint64_t now_ms, const char *cause)
{
	const struct policy_region *pr = &h->p->regions[r];
	struct region_health *rh = &h->r[r];
	size_t first = dp_backend_id(h->p, r, 0), k;
	char ev[HEALTH_EVENT_MAX];
	bool was = rh->up;

	rh->passing = 0;
	for (k = 0; k < pr->n_backends; k++)
		rh->passing += h->b[first + k].up;
	rh->up = rh->passing >= health_region_need(pr);
	health_region_lag(h, r);
	health_region_text(h, r, true, ev, sizeof(ev));
	snprintf(rh->why, sizeof(rh->why), "%.*s", (int)sizeof(rh->why) - 1, ev);
	if (rh->up == was)
		return false;
	rh->since_ms = now_ms;
	rh->suspect = !rh->up;
	rh->settling = false;
	if (rh->up)
		pr_info("region %s up: %s%s%s%s\n", pr->name, ev, *cause ? " (" : "", cause,
			*cause ? ")" : "");
	else
		pr_warn("region %s down: %s%s%s%s\n", pr->name, ev, *cause ? " (" : "", cause,
			*cause ? ")" : "");
	if (h->guard != GUARD_NONE)
		pr_warn("region %s: not applied, the guard holds steering frozen (%s)\n", pr->name,
			health_guard_name(h->guard));
	return true;
}

void health_region_lag(struct health *h, size_t r)
{
	const struct policy_region *pr = &h->p->regions[r];
	struct region_health *rh = &h->r[r];
	size_t first = dp_backend_id(h->p, r, 0), k;
	const struct backend_health *b;

	rh->has_lag = false;
	rh->replica_lag_s = 0;
	for (k = 0; k < pr->n_backends; k++) {
		b = &h->b[first + k];
		if (!b->up || !b->probed || !b->last.has_lag)
			continue;
		if (!rh->has_lag || b->last.replica_lag_s > rh->replica_lag_s)
			rh->replica_lag_s = b->last.replica_lag_s;
		rh->has_lag = true;
	}
}

/* Down on evidence, not merely unproven: even if every backend not yet judged rose, region r
 * would stay under min_healthy. So a start where the passive happens to rise first, or a reload
 * that adds the region, does not promote away from a primary nobody has seen fail.
 */
static bool health_region_proven_down(const struct health *h, size_t r)
{
	const struct policy_region *pr = &h->p->regions[r];
	size_t first = dp_backend_id(h->p, r, 0), k, maybe = 0;

	if (h->r[r].up)
		return false;
	for (k = 0; k < pr->n_backends; k++)
		maybe += h->b[first + k].up || !h->b[first + k].known;
	return maybe < health_region_need(pr);
}

/* What the promotion rules (rpo.h) need to know of each region. */
static void health_rpo_regions(const struct health *h, struct rpo_region *out)
{
	size_t r;

	for (r = 0; r < h->p->n_regions; r++)
		out[r] = (struct rpo_region){
			.up = h->r[r].up,
			.proven_down = health_region_proven_down(h, r),
			.has_lag = h->r[r].has_lag,
			.lag_s = h->r[r].replica_lag_s,
		};
}

void health_auto_promote(struct health *h, uint64_t now_ms)
{
	struct rpo_region rr[AE_MAX_REGIONS];
	size_t v;
	uint8_t s;
	int t;

	health_rpo_regions(h, rr);
	for (v = 0; v < h->p->n_vips && v < AE_MAX_VIPS; v++) {
		s = h->serving[v];
		t = rpo_auto_target(h->p, v, s, rr);
		if (t < 0)
			continue;
		h->serving[v] = (uint8_t)t;
		pr_warn("vip %s: auto-promoted (auto_promote: local) from %s to %s: %s down (%s); "
			"%s up with replica lag %.1f s (max %.1f s)\n",
			h->p->vips[v].name, h->p->regions[s].name, h->p->regions[t].name,
			h->p->regions[s].name, h->r[s].why, h->p->regions[t].name,
			h->r[t].replica_lag_s, rpo_limit_ms(h->p, t) / 1000.0);
		health_changed(h);
	}
	(void)now_ms;
}

static bool health_vip_lists(const struct policy_vip *pv, int r)
{
	size_t k;

	for (k = 0; k < pv->n_regions; k++)
		if (pv->regions[k] == r)
			return true;
	return false;
}

int health_promote(struct health *h, int source, int target, bool force, double max_lag_s,
		   char *why, size_t why_len, uint64_t now_ms)
{
	const struct policy *p = h->p;
	const char *sn, *tn;
	size_t v, n = 0, off = 0, skipped = 0;
	struct rpo_region rr[AE_MAX_REGIONS];
	char buf[256], ev[256];
	bool safe;

	if (!why || !why_len) {
		why = buf;
		why_len = sizeof(buf);
	}
	why[0] = '\0';
	if (source < 0 || target < 0 || (size_t)source >= p->n_regions ||
	    (size_t)target >= p->n_regions) {
		snprintf(why, why_len, "unknown region");
		return -ENOENT;
	}
	sn = p->regions[source].name;
	tn = p->regions[target].name;
	if (source == target) {
		snprintf(why, why_len, "source and target are both %s", sn);
		return -EINVAL;
	}
	if (isnan(max_lag_s) || max_lag_s < 0) {
		snprintf(why, why_len, "max allowed replica lag must be a number >= 0");
		return -EINVAL;
	}
	for (v = 0; v < p->n_vips && v < AE_MAX_VIPS; v++) {
		if (p->vips[v].mode != VIP_ACTIVE_PASSIVE || h->serving[v] != source)
			continue;
		if (health_vip_lists(&p->vips[v], target))
			n++;
		else
			skipped++;
	}
	if (!n) {
		snprintf(why, why_len, "no active-passive VIP served from %s%s%s", sn,
			 skipped ? " lists " : "", skipped ? tn : "");
		return -EINVAL;
	}
	/* the RPO guard: never move writes to a region that is down or may be far behind */
	health_rpo_regions(h, rr);
	safe = !rpo_check(p, target, &rr[target], max_lag_s, ev, sizeof(ev));
	if (!safe && !h->r[target].up) {
		off = strlen(ev);
		health_append(ev, sizeof(ev), &off, " (%s)", h->r[target].why);
		off = 0;
	}
	if (!safe && !force) {
		snprintf(why, why_len, "refused: %s; force to promote anyway", ev);
		pr_warn("promotion %s -> %s refused: %s\n", sn, tn, ev);
		return -EBUSY;
	}
	health_append(why, why_len, &off, "promoted");
	for (v = 0; v < p->n_vips && v < AE_MAX_VIPS; v++) {
		if (p->vips[v].mode != VIP_ACTIVE_PASSIVE || h->serving[v] != source ||
		    !health_vip_lists(&p->vips[v], target))
			continue;
		h->serving[v] = (uint8_t)target;
		health_append(why, why_len, &off, " %s", p->vips[v].name);
		pr_warn("vip %s: promoted by the operator from %s to %s%s: %s\n", p->vips[v].name,
			sn, tn, force ? " (forced)" : "", ev);
	}
	health_append(why, why_len, &off, " from %s to %s%s", sn, tn, force ? " (forced)" : "");
	if (skipped) {
		health_append(why, why_len, &off, "; %zu VIP(s) served from %s do not list %s",
			      skipped, sn, tn);
		pr_warn("promotion %s -> %s: %zu active-passive VIP(s) served from %s do not list "
			"%s and stay\n",
			sn, tn, skipped, sn, tn);
	}
	health_changed(h);
	return 0;
}

bool health_ready(const struct health *h, char *why, size_t why_len)
{
	const struct policy *p = h->p;
	size_t v, more = 0, first = SIZE_MAX;
	char buf[8];
	uint8_t s;

	if (!why || !why_len) {
		why = buf;
		why_len = sizeof(buf);
	}
	why[0] = '\0';
	if (h->guard != GUARD_NONE) {
		snprintf(why, why_len, "guard (%s): %s; steering frozen",
			 health_guard_name(h->guard), h->guard_why);
		return false;
	}
	for (v = 0; v < p->n_vips && v < AE_MAX_VIPS; v++) {
		s = h->serving[v];
		if (p->vips[v].mode != VIP_ACTIVE_PASSIVE || s >= p->n_regions || h->r[s].up)
			continue;
		if (first == SIZE_MAX)
			first = v;
		else
			more++;
	}
	if (first == SIZE_MAX)
		return true;
	s = h->serving[first];
	snprintf(why, why_len,
		 "vip %s: serving region %s is down (%s); new flows dropped until a promotion",
		 p->vips[first].name, p->regions[s].name, h->r[s].why);
	if (more) {
		size_t off = strlen(why);

		health_append(why, why_len, &off, "; and %zu more VIP(s)", more);
	}
	return false;
}

int health_set_serving(struct health *h, size_t v, int region, uint64_t now_ms)
{
	if (v >= h->p->n_vips || v >= AE_MAX_VIPS || h->p->vips[v].mode != VIP_ACTIVE_PASSIVE ||
	    region < 0 || !health_vip_lists(&h->p->vips[v], region))
		return -EINVAL;
	if (h->serving[v] != (uint8_t)region) {
		h->serving[v] = (uint8_t)region;
		health_changed(h);
	}
	return 0;
}
