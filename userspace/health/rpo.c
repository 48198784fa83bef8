// SPDX-License-Identifier: GPL-2.0
/* Promotion rules of active-passive VIPs: the RPO limit and the auto_promote target. */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "rpo.h"

uint32_t rpo_limit_ms(const struct policy *p, size_t r)
{
	const struct policy_region *pr = &p->regions[r];
	uint32_t m = 0, l;
	size_t k;

	for (k = 0; k < pr->n_backends; k++) {
		l = pr->backends[k].probe.max_replica_lag_ms;
		if (l && (!m || l < m))
			m = l;
	}
	return m;
}

double rpo_default_max_lag_s(const struct policy *p, size_t r)
{
	uint32_t m = rpo_limit_ms(p, r);

	return m ? m / 1000.0 : INFINITY;
}

int rpo_check(const struct policy *p, size_t r, const struct rpo_region *rr, double max_lag_s,
	      char *why, size_t why_len)
{
	const char *n = p->regions[r].name;
	char buf[8];

	if (!why || !why_len) {
		why = buf;
		why_len = sizeof(buf);
	}
	if (!rr->up)
		snprintf(why, why_len, "target region %s is down", n);
	else if (!rr->has_lag)
		snprintf(why, why_len, "replica lag of %s is unknown (no up backend reports it)",
			 n);
	else if (isnan(max_lag_s) || rr->lag_s > max_lag_s)
		snprintf(why, why_len, "replica lag of %s is %.1f s, over the allowed %.1f s", n,
			 rr->lag_s, max_lag_s);
	else {
		snprintf(why, why_len, "%s up, replica lag %.1f s within %.1f s", n, rr->lag_s,
			 max_lag_s);
		return 0;
	}
	return -EBUSY;
}

int rpo_next_target(const struct policy *p, size_t v, size_t s, const struct rpo_region *regions)
{
	const struct policy_vip *pv = &p->vips[v];
	size_t k, at, t;

	if (pv->mode != VIP_ACTIVE_PASSIVE || s >= p->n_regions || !regions[s].proven_down)
		return -1;
	for (at = 0; at < pv->n_regions && pv->regions[at] != s; at++)
		;
	for (k = 1; k <= pv->n_regions; k++) {
		t = pv->regions[(at + k) % pv->n_regions];
		if (t == s || t >= p->n_regions)
			continue;
		if (!rpo_check(p, t, &regions[t], rpo_default_max_lag_s(p, t), NULL, 0))
			return (int)t;
	}
	return -1;
}

int rpo_auto_target(const struct policy *p, size_t v, size_t s, const struct rpo_region *regions)
{
	return p->vips[v].auto_promote_local ? rpo_next_target(p, v, s, regions) : -1;
}
