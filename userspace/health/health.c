// SPDX-License-Identifier: GPL-2.0
/* Backend health: rise/fall over probe results, drains, and the view handed to the data plane
 * (the guard's frozen one while it holds); carrying all of it over a policy reload. Region
 * state and active-passive serving are in health_region.c, the guard in health_guard.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health_impl.h"
#include "log.h"

void health_append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*off = (size_t)n >= len - *off ? len - 1 : *off + n;
}

size_t health_backend_region(const struct health *h, size_t i, size_t *k)
{
	size_t r;

	/* the same prefix-sum order as dp_backend_id() */
	for (r = 0; r < h->p->n_regions; r++) {
		if (i < h->p->regions[r].n_backends)
			break;
		i -= h->p->regions[r].n_backends;
	}
	if (k)
		*k = i;
	return r;
}

const struct policy_backend *health_backend_policy(const struct health *h, size_t i)
{
	size_t k, r = health_backend_region(h, i, &k);

	return &h->p->regions[r].backends[k];
}

const char *health_backend_name(const struct health *h, size_t i, char *buf, size_t len)
{
	size_t r = health_backend_region(h, i, NULL);
	char a[INET_ADDR_STR];

	inet_addr_str(&h->p->regions[r].backends[i - dp_backend_id(h->p, r, 0)].addr, a, sizeof(a));
	snprintf(buf, len, "%s (%s)", a, h->p->regions[r].name);
	return buf;
}

void health_backend_evidence(const struct health *h, size_t i, char *buf, size_t len)
{
	const struct backend_health *b = &h->b[i];
	size_t off = 0;

	buf[0] = '\0';
	if (!b->probed) {
		health_append(buf, len, &off, "no probe result yet");
		return;
	}
	if (b->fail_streak) {
		health_append(buf, len, &off, "failed %ux: ", b->fail_streak);
		if (b->last.why[0])
			health_append(buf, len, &off, "%s", b->last.why);
		else if (b->last.http_status)
			health_append(buf, len, &off, "HTTP %d", b->last.http_status);
		else
			health_append(buf, len, &off, "failed");
		return;
	}
	health_append(buf, len, &off, "passed %ux (%.1f ms", b->ok_streak,
		      b->last.latency_us / 1000.0);
	if (b->last.has_lag)
		health_append(buf, len, &off, ", replica lag %.1f s", b->last.replica_lag_s);
	if (b->last.draining)
		health_append(buf, len, &off, ", draining");
	if (b->last.error[0])
		health_append(buf, len, &off, ": %s", b->last.error);
	health_append(buf, len, &off, ")");
}

static void health_snapshot(struct health *h)
{
	size_t i;

	for (i = 0; i < AE_MAX_REGIONS; i++)
		h->frozen.region_up[i] = i < h->p->n_regions && h->r[i].up;
	memcpy(h->frozen.serving, h->serving, sizeof(h->serving));
	for (i = 0; i < h->n_b; i++) {
		h->frozen.backend_up[i] = h->b[i].up;
		h->frozen.backend_new_flows[i] = !h->b[i].draining;
	}
}

void health_changed(struct health *h)
{
	h->changes++;
	if (!health_holding(h))
		health_snapshot(h);
}

static void health_init_serving(struct health *h)
{
	size_t v;

	memset(h->serving, AE_NO_REGION, sizeof(h->serving));
	for (v = 0; v < h->p->n_vips && v < AE_MAX_VIPS; v++)
		if (h->p->vips[v].mode == VIP_ACTIVE_PASSIVE)
			h->serving[v] = (uint8_t)h->p->vips[v].primary;
}

/* was_up: each backend's state as a running edge had it (adoption), or NULL for all assume_up. */
static int init_with(struct health *h, const struct policy *p, bool assume_up, const bool *was_up,
		     uint64_t now_ms)
{
	size_t i, r;
	int err;

	memset(h, 0, sizeof(*h));
	if (!p || p->n_regions > AE_MAX_REGIONS)
		return -EINVAL;
	h->p = p;
	h->link_up = h->gateway_ok = true; /* until the edge says otherwise (health_set_edge) */
	h->n_b = dp_backend_count(p);
	h->b = calloc(h->n_b + 1, sizeof(*h->b));
	if (!h->b)
		return -ENOMEM;
	err = dp_view_alloc(&h->frozen, h->n_b);
	if (err) {
		free(h->b);
		h->b = NULL;
		return err;
	}
	for (i = 0; i < h->n_b; i++) {
		h->b[i].up = was_up ? was_up[i] : assume_up;
		h->b[i].known = assume_up; /* assumed up still needs fall failures to go down */
		h->b[i].since_ms = now_ms;
	}
	for (r = 0; r < p->n_regions; r++) {
		h->r[r].since_ms = now_ms;
		health_region_update(h, r, now_ms,
				     was_up    ? "as the running edge had it" :
				     assume_up ? "assumed at start" :
						 "at start");
	}
	health_init_serving(h);
	health_eval_guard(h, now_ms, "");
	health_snapshot(h);
	pr_info("health: %zu backends in %zu regions, %s\n", h->n_b, p->n_regions,
		was_up	  ? "as the running edge had them (adopted)" :
		assume_up ? "assumed up" :
			    "down until probes prove them");
	return 0;
}

int health_init(struct health *h, const struct policy *p, bool assume_up, uint64_t now_ms)
{
	return init_with(h, p, assume_up, NULL, now_ms);
}

int health_init_adopted(struct health *h, const struct policy *p, const struct dp_view *was,
			uint64_t now_ms)
{
	size_t v;
	int err;

	err = init_with(h, p, true, was->backend_up, now_ms);
	if (err)
		return err;
	for (v = 0; v < p->n_vips && v < AE_MAX_VIPS; v++)
		if (p->vips[v].mode == VIP_ACTIVE_PASSIVE && was->serving[v] < p->n_regions)
			h->serving[v] = was->serving[v];
	health_snapshot(h);
	return 0;
}

void health_free(struct health *h)
{
	free(h->b);
	h->b = NULL;
	dp_view_free(&h->frozen);
	h->n_b = 0;
}

void health_probe_result(struct health *h, size_t i, const struct probe_result *res,
			 uint64_t now_ms)
{
	const struct policy_probe *cfg;
	struct backend_health *b;
	char name[INET_ADDR_STR + POLICY_NAME_MAX + 4], ev[200];
	bool was_up, was_known, was_draining, changed = false;
	uint32_t rise, fall;
	size_t r;

	if (i >= h->n_b)
		return;
	b = &h->b[i];
	cfg = &health_backend_policy(h, i)->probe;
	rise = cfg->rise ? cfg->rise : 1;
	fall = cfg->fall ? cfg->fall : 1;
	r = health_backend_region(h, i, NULL);
	was_up = b->up;
	was_known = b->known;
	was_draining = b->draining;

	/* the guard's count of backends last failing on this host, kept as results come */
	h->n_local -= b->probed && !b->last.ok && b->last.local_error;
	h->n_local += !res->ok && res->local_error;
	b->probed = true;
	b->last = *res;
	b->last_ms = now_ms;
	if (res->ok)
		health_settle_pass(h, now_ms - res->latency_us / 1000 - 1);
	if (res->ok) {
		b->ok_streak++;
		b->fail_streak = 0;
		if (!b->up && b->ok_streak >= rise)
			b->up = b->known = true;
	} else {
		b->fail_streak++;
		b->ok_streak = 0;
		if (b->fail_streak >= fall) {
			b->up = false;
			b->known = true;
		}
	}
	/* draining is set by any reply that says so and cleared only by a pass that doesn't:
	 * a timeout tells nothing about the mode, and must not reopen new flows
	 */
	if (res->draining)
		b->draining = true;
	else if (res->ok)
		b->draining = false;

	/* text only for events: most results change nothing and cost nothing more */
	if (b->up != was_up || b->known != was_known || b->draining != was_draining) {
		health_backend_name(h, i, name, sizeof(name));
		health_backend_evidence(h, i, ev, sizeof(ev));
	}
	if (b->up != was_up) {
		b->since_ms = now_ms;
		changed = true;
		if (b->up) {
			pr_info("backend %s up: %s\n", name, ev);
		} else {
			pr_warn("backend %s down: %s\n", name, ev);
			health_settle(h, now_ms, now_ms, "a backend is down", false);
		}
		health_region_update(h, r, now_ms, "");
	} else if (b->known != was_known) {
		/* an unproven backend confirmed down: no view change */
		pr_info("backend %s confirmed down: %s\n", name, ev);
		changed = true;
	}
	if (b->draining != was_draining) {
		changed = true;
		if (b->draining)
			pr_info("backend %s draining (system_mode: draining; %s): no new flows, "
				"existing flows continue\n",
				name, ev);
		else
			pr_info("backend %s no longer draining: takes new flows\n", name);
	}
	health_region_lag(h, r);
	/* local errors can complete the evidence without any state flipping */
	health_eval_guard(h, now_ms, changed ? name : "");
	if (!health_holding(h))
		health_auto_promote(h, now_ms);
	if (changed)
		health_changed(h);
	health_tick(h, now_ms);
}

void health_set_admin_drain(struct health *h, size_t i, bool drained, uint64_t now_ms)
{
	char name[INET_ADDR_STR + POLICY_NAME_MAX + 4];

	if (i >= h->n_b || h->b[i].admin_drained == drained)
		return;
	h->b[i].admin_drained = drained;
	health_backend_name(h, i, name, sizeof(name));
	if (drained)
		pr_info("backend %s drained by the operator: no new flows, existing flows "
			"continue\n",
			name);
	else
		pr_info("backend %s undrained by the operator: takes new flows%s\n", name,
			h->b[i].draining ? " once it stops reporting draining" : "");
	health_changed(h);
}

int health_view(struct health *h, struct dp_view *v)
{
	size_t i;
	int err;

	err = dp_view_alloc(v, h->n_b);
	if (err)
		return err;
	/* serving and operator drain are the operator's, applied live even over a frozen view */
	memcpy(v->serving, h->serving, sizeof(v->serving));
	if (health_holding(h)) {
		memcpy(v->region_up, h->frozen.region_up, sizeof(v->region_up));
		for (i = 0; i < h->n_b; i++) {
			v->backend_up[i] = h->frozen.backend_up[i];
			v->backend_new_flows[i] = h->frozen.backend_new_flows[i] &&
						  !h->b[i].admin_drained;
		}
		return 0;
	}
	for (i = 0; i < h->p->n_regions; i++)
		v->region_up[i] = h->r[i].up;
	for (i = 0; i < h->n_b; i++) {
		v->backend_up[i] = h->b[i].up;
		v->backend_new_flows[i] = !h->b[i].draining && !h->b[i].admin_drained;
	}
	return 0;
}

/* ---- rebind: a new policy, the same world ---- */

struct addr_idx {
	struct inet_addr addr;
	size_t i;
};

static int addr_idx_cmp(const void *x, const void *y)
{
	return inet_addr_cmp(&((const struct addr_idx *)x)->addr,
			     &((const struct addr_idx *)y)->addr);
}

/* For each new backend, its index in the old policy or SIZE_MAX (addresses are unique). */
static int health_map_backends(const struct policy *op, const struct policy *np, size_t *map)
{
	size_t on = dp_backend_count(op), r, k, i = 0;
	struct addr_idx *idx, key, *hit;

	idx = calloc(on + 1, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (r = 0; r < op->n_regions; r++)
		for (k = 0; k < op->regions[r].n_backends; k++, i++)
			idx[i] = (struct addr_idx){ op->regions[r].backends[k].addr, i };
	qsort(idx, on, sizeof(*idx), addr_idx_cmp);
	i = 0;
	for (r = 0; r < np->n_regions; r++) {
		for (k = 0; k < np->regions[r].n_backends; k++, i++) {
			key.addr = np->regions[r].backends[k].addr;
			hit = on ? bsearch(&key, idx, on, sizeof(*idx), addr_idx_cmp) : NULL;
			map[i] = hit ? hit->i : SIZE_MAX;
		}
	}
	free(idx);
	return 0;
}

/* The serving region of new VIP v: kept by name while still one of its regions, unless the
 * policy named a different primary (a deliberate edit wins over an older promotion).
 */
static uint8_t health_rebind_serving(const struct health *old, const struct policy *np, size_t v)
{
	const struct policy *op = old->p;
	const struct policy_vip *nv = &np->vips[v], *ov;
	int o = policy_vip_index(op, nv->name), s;
	size_t k;

	if (nv->mode != VIP_ACTIVE_PASSIVE)
		return AE_NO_REGION;
	if (o < 0 || o >= AE_MAX_VIPS || op->vips[o].mode != VIP_ACTIVE_PASSIVE)
		return (uint8_t)nv->primary;
	ov = &op->vips[o];
	if (strcmp(op->regions[ov->primary].name, np->regions[nv->primary].name))
		return (uint8_t)nv->primary;
	if (old->serving[o] >= op->n_regions)
		return (uint8_t)nv->primary;
	s = policy_region_index(np, op->regions[old->serving[o]].name);
	for (k = 0; s >= 0 && k < nv->n_regions; k++)
		if (nv->regions[k] == s)
			return (uint8_t)s;
	return (uint8_t)nv->primary;
}

int health_rebind(struct health *h, const struct policy *p, uint64_t now_ms)
{
	struct health old = *h;
	size_t n = dp_backend_count(p), i, r, v, *map;
	struct dp_view frozen;
	int err, o;

	if (!p || p->n_regions > AE_MAX_REGIONS)
		return -EINVAL;
	map = calloc(n + 1, sizeof(*map));
	if (!map)
		return -ENOMEM;
	err = health_map_backends(old.p, p, map);
	if (err)
		goto out;
	err = dp_view_alloc(&frozen, n);
	if (err)
		goto out;
	h->b = calloc(n + 1, sizeof(*h->b));
	if (!h->b) {
		h->b = old.b;
		dp_view_free(&frozen);
		err = -ENOMEM;
		goto out;
	}
	/* nothing can fail from here: the old state is only read */
	h->p = p;
	h->n_b = n;
	h->n_local = 0;
	for (i = 0; i < n; i++) {
		if (map[i] != SIZE_MAX) {
			h->b[i] = old.b[map[i]];
			h->n_local += h->b[i].probed && !h->b[i].last.ok &&
				      h->b[i].last.local_error;
			frozen.backend_up[i] = old.frozen.backend_up[map[i]];
			frozen.backend_new_flows[i] = old.frozen.backend_new_flows[map[i]];
		} else {
			h->b[i].since_ms = now_ms; /* new: down until proven */
		}
	}
	memset(h->r, 0, sizeof(h->r));
	for (r = 0; r < p->n_regions; r++) {
		o = policy_region_index(old.p, p->regions[r].name);
		if (o >= 0) {
			h->r[r] = old.r[o]; /* so a flip by the reload is seen and logged */
			frozen.region_up[r] = old.frozen.region_up[o];
		} else {
			h->r[r].since_ms = now_ms;
		}
	}
	for (v = 0; v < AE_MAX_VIPS; v++) {
		h->serving[v] = v < p->n_vips ? health_rebind_serving(&old, p, v) : AE_NO_REGION;
		if (v < p->n_vips && h->serving[v] != AE_NO_REGION &&
		    (o = policy_vip_index(old.p, p->vips[v].name)) >= 0 &&
		    old.serving[o] < old.p->n_regions &&
		    strcmp(old.p->regions[old.serving[o]].name, p->regions[h->serving[v]].name))
			pr_warn("vip %s: serving region %s -> %s by policy reload\n",
				p->vips[v].name, old.p->regions[old.serving[o]].name,
				p->regions[h->serving[v]].name);
	}
	free(old.b);
	dp_view_free(&old.frozen);
	/* the frozen view was remapped by address and name, so a holding guard survives the reload */
	h->frozen = frozen;
	for (r = 0; r < p->n_regions; r++)
		health_region_update(h, r, now_ms, "policy reload");
	health_eval_guard(h, now_ms, "policy reload");
	if (!health_holding(h))
		health_auto_promote(h, now_ms);
	health_changed(h);
	pr_info("health: rebound to the new policy: %zu backends in %zu regions\n", n,
		p->n_regions);
out:
	free(map);
	return err;
}
