// SPDX-License-Identifier: GPL-2.0
/* A promotion for the whole fleet, on the caller's thread: read every report and designation,
 * check the target against a majority of the members' live reports (unless forced), then move
 * every active-passive VIP served from the source in one compare-and-swap. A lost race is 409
 * naming the winner; etcd unreachable or without quorum is 503 and nothing moves anywhere. A
 * swap that timed out may have applied: the designation is read again, and our own nonce says.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fleet_impl.h"
#include "log.h"

#define PROMOTE_MAX_VIPS 64 /* moved in one swap; more are an error, not a partial move */

static void answer(struct fleet_answer *a, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void answer(struct fleet_answer *a, int status, const char *fmt, ...)
{
	va_list ap;

	a->status = status;
	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof(a->msg), fmt, ap);
	va_end(ap);
}

static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t off = strlen(buf);
	va_list ap;

	if (off + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + off, len - off, fmt, ap);
	va_end(ap);
}

/* 503 for what etcd said: no leader, unreachable, or no answer in time. */
static void answer_etcd(struct fleet_answer *a, struct etcd *c, int err, const char *what)
{
	const char *kind = err == -EAGAIN ?
				   "etcd has no leader (quorum lost or an election under way)" :
			   err == -ECONNREFUSED ? "etcd is unreachable" :
			   err == -ETIMEDOUT	? "etcd did not answer in time" :
						  "etcd failed";

	answer(a, 503, "%s (%s: %s): %s", kind, what, etcd_error(c),
	       err == -ETIMEDOUT && !strcmp(what, "swap") ?
		       "the promotion may still apply fleet-wide; see anyedge fleet" :
		       "nothing promoted; every edge keeps its current serving region");
}

/* How many configured members' live reports see the target fit; details into why. */
static uint32_t count_seeing(struct fleet *f, const struct policy *p, const struct etcd_kvs *kvs,
			     int target, double max_s, char *why, size_t len)
{
	char w[160], key[FLEET_KEY_MAX];
	struct json_object *rep;
	struct rpo_region rr;
	uint32_t yes = 0;
	size_t m, i;

	for (m = 0; m < f->n_members; m++) {
		fleet_key(f, "report", f->members[m].name, key, sizeof(key));
		rep = NULL;
		for (i = 0; i < kvs->n && !rep; i++)
			if (!strcmp(kvs->kv[i].key, key))
				rep = json_tokener_parse(kvs->kv[i].value);
		if (!rep) {
			snprintf(w, sizeof(w), "no live report");
		} else {
			/* the one RPO rule (rpo.c), on what this member sees */
			fleet_report_region(rep, p->regions[target].name, 0, 0, &rr);
			yes += !rpo_check(p, (size_t)target, &rr, max_s, w, sizeof(w));
		}
		append(why, len, "%s%s: %s", m ? "; " : "", f->members[m].name, w);
		json_object_put(rep);
	}
	return yes;
}

struct move {
	struct fleet_vip *v; /* a copy's entry: names only are read */
	int64_t mod; /* the designation's revision now; 0: none */
	char key[FLEET_KEY_MAX];
	char *value;
};

/* The designation of VIP v in kvs (region "" and epoch 0 when none). */
static void desig_in(struct fleet *f, const struct etcd_kvs *kvs, const char *vip,
		     struct fleet_desig *d)
{
	char key[FLEET_KEY_MAX];
	size_t i;

	memset(d, 0, sizeof(*d));
	fleet_key(f, "serving", vip, key, sizeof(key));
	for (i = 0; i < kvs->n; i++)
		if (!strcmp(kvs->kv[i].key, key) && !fleet_desig_parse(&kvs->kv[i], d))
			return;
}

static bool lists(const struct fleet_vip *v, const char *region)
{
	size_t k;

	for (k = 0; k < v->n_regions; k++)
		if (!strcmp(v->regions[k], region))
			return true;
	return false;
}

/* After a lost race or a timeout: what the moved VIPs' designations say now. */
static void winner(struct fleet *f, const struct etcd_kvs *now, struct move *mv, size_t n,
		   const char *nonce, bool *ours, char *buf, size_t len)
{
	struct fleet_desig d;
	size_t i, k;

	*ours = true;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		desig_in(f, now, mv[i].v->name, &d);
		for (k = 0; k < now->n; k++)
			if (!strcmp(now->kv[k].key, mv[i].key) && strstr(now->kv[k].value, nonce))
				break;
		if (k < now->n)
			continue;
		*ours = false;
		if (d.epoch)
			append(buf, len, "%s%s promoted %s from %s to %s at epoch %lld",
			       buf[0] ? "; " : "", d.by[0] ? d.by : "another edge", mv[i].v->name,
			       d.from, d.region, (long long)d.epoch);
		else
			append(buf, len, "%s%s: its designation was removed", buf[0] ? "; " : "",
			       mv[i].v->name);
	}
}

/* The moves' designations become ours in what this edge knows, and the loop is told. */
static void take_own(struct fleet *f, struct move *mv, size_t n, const struct fleet_promote_req *r,
		     int64_t epoch, uint64_t at)
{
	struct fleet_desig d = { .epoch = epoch, .at_ms = at };
	bool changed = false;
	size_t i;

	snprintf(d.region, sizeof(d.region), "%s", r->target);
	snprintf(d.from, sizeof(d.from), "%s", r->source);
	snprintf(d.by, sizeof(d.by), "%s", f->edge);
	pthread_mutex_lock(&f->lock);
	for (i = 0; i < n; i++)
		changed |= fleet_desig_take(f, mv[i].v->name, &d);
	f->health.promotions++;
	pthread_mutex_unlock(&f->lock);
	if (changed)
		fleet_notify(f);
}

static int swap(struct fleet *f, struct etcd *c, struct move *mv, size_t n, bool *ok, int64_t *rev,
		struct etcd_kvs *now)
{
	struct etcd_cas ops[PROMOTE_MAX_VIPS];
	size_t i;

	for (i = 0; i < n; i++)
		ops[i] = (struct etcd_cas){ .key = mv[i].key,
					    .mod_revision = mv[i].mod,
					    .value = mv[i].value,
					    .value_len = strlen(mv[i].value) };
	return etcd_cas(c, ops, n, ok, rev, now);
}

static void promote(struct fleet *f, struct etcd *c, const struct policy *p, struct fleet_vip *vips,
		    size_t n_vips, const struct fleet_promote_req *r, double max_s,
		    struct fleet_answer *a)
{
	struct move mv[PROMOTE_MAX_VIPS];
	struct etcd_kvs kvs, now = { 0 };
	char seen[512] = "", names[256] = "", w[512], nonce[112];
	uint32_t yes = 0, need = f->n_members / 2 + 1;
	struct fleet_desig d;
	size_t i, n = 0;
	uint64_t at = real_ms();
	int64_t rev = 0;
	bool ok = false, ours;
	int err;

	err = etcd_range(c, f->prefix, true, &kvs);
	if (err) {
		answer_etcd(a, c, err, "read");
		return;
	}
	snprintf(nonce, sizeof(nonce), "%s-%llu-%lx", f->edge, (unsigned long long)mono_us(),
		 (unsigned long)random());
	for (i = 0; i < n_vips; i++) {
		if (!vips[i].primary[0] || !lists(&vips[i], r->target) ||
		    !lists(&vips[i], r->source))
			continue;
		desig_in(f, &kvs, vips[i].name, &d);
		if (strcmp(d.epoch ? d.region : vips[i].primary, r->source)) {
			/* moved meanwhile, by whom: a lost race names its winner */
			if (d.epoch)
				append(names, sizeof(names),
				       "%s%s is served from %s since epoch %lld (promoted by %s), "
				       "not from %s",
				       names[0] ? "; " : "", vips[i].name, d.region,
				       (long long)d.epoch, d.by, r->source);
			continue;
		}
		if (n == PROMOTE_MAX_VIPS) {
			answer(a, 422, "more than %d VIPs would move at once", PROMOTE_MAX_VIPS);
			goto out;
		}
		mv[n].v = &vips[i];
		mv[n].mod = 0;
		fleet_key(f, "serving", vips[i].name, mv[n].key, sizeof(mv[n].key));
		for (size_t k = 0; k < kvs.n; k++)
			if (!strcmp(kvs.kv[k].key, mv[n].key))
				mv[n].mod = kvs.kv[k].mod_revision;
		mv[n].value = NULL;
		n++;
	}
	if (!n) {
		if (names[0])
			answer(a, 409, "nothing to promote: %s", names);
		else
			answer(a, 409,
			       "no active-passive VIP listing %s is served from %s in the fleet",
			       r->target, r->source);
		goto out;
	}
	if (!r->force) {
		yes = count_seeing(f, p, &kvs, policy_region_index(p, r->target), max_s, seen,
				   sizeof(seen));
		if (yes < need) {
			answer(a, 409,
			       "refused: %u of %zu members see %s fit to take writes, %u needed "
			       "(%s); force to promote anyway",
			       yes, f->n_members, r->target, need, seen);
			pthread_mutex_lock(&f->lock);
			f->health.promotions_refused++;
			pthread_mutex_unlock(&f->lock);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "region", json_object_new_string(r->target));
		json_object_object_add(o, "from", json_object_new_string(r->source));
		json_object_object_add(o, "by", json_object_new_string(f->edge));
		json_object_object_add(o, "at", json_object_new_int64((int64_t)at));
		json_object_object_add(o, "forced", json_object_new_boolean(r->force));
		json_object_object_add(o, "id", json_object_new_string(nonce));
		mv[i].value = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		if (!mv[i].value) {
			answer(a, 500, "out of memory");
			n = i;
			goto out;
		}
	}
	err = swap(f, c, mv, n, &ok, &rev, &now);
	if (err == -ETIMEDOUT) {
		/* it may have applied: only a fresh read can say, and our nonce in it */
		etcd_kvs_free(&now);
		err = etcd_range(c, f->prefix, true, &now);
		if (err) {
			answer_etcd(a, c, -ETIMEDOUT, "swap");
			goto out;
		}
		winner(f, &now, mv, n, nonce, &ours, w, sizeof(w));
		ok = ours;
		desig_in(f, &now, mv[0].v->name, &d);
		rev = d.epoch;
	} else if (err) {
		answer_etcd(a, c, err, "swap");
		goto out;
	} else if (!ok) {
		winner(f, &now, mv, n, nonce, &ours, w, sizeof(w));
	}
	names[0] = '\0';
	for (i = 0; i < n; i++)
		append(names, sizeof(names), "%s%s", i ? ", " : "", mv[i].v->name);
	if (!ok) {
		pthread_mutex_lock(&f->lock);
		f->health.promotions_lost++;
		pthread_mutex_unlock(&f->lock);
		answer(a, 409, "lost the race: %s", w[0] ? w : "the designation changed meanwhile");
		goto out;
	}
	take_own(f, mv, n, r, rev, at);
	a->epoch = rev;
	if (r->force)
		answer(a, 200, "%s promoted from %s to %s fleet-wide at epoch %lld (forced)", names,
		       r->source, r->target, (long long)rev);
	else
		answer(a, 200,
		       "%s promoted from %s to %s fleet-wide at epoch %lld: %u of %zu members see "
		       "%s fit (%s)",
		       names, r->source, r->target, (long long)rev, yes, f->n_members, r->target,
		       seen);
	pr_warn("fleet %s: %s\n", f->name, a->msg);
out:
	for (i = 0; i < n; i++)
		free(mv[i].value);
	etcd_kvs_free(&kvs);
	etcd_kvs_free(&now);
}

void fleet_promote(struct fleet *f, const struct fleet_promote_req *r, struct fleet_answer *a)
{
	struct fleet_policy *fp = fleet_policy_get(f);
	const struct policy *p = fp->p;
	struct fleet_vip *vips = NULL;
	struct etcd *c = NULL;
	size_t n_vips = 0;
	double max_s;
	int s, t, err;

	memset(a, 0, sizeof(*a));
	s = policy_region_index(p, r->source);
	t = policy_region_index(p, r->target);
	if (s < 0 || t < 0) {
		answer(a, 422, "unknown region \"%s\"", s < 0 ? r->source : r->target);
		goto out;
	}
	if (s == t) {
		answer(a, 422, "source and target are the same region");
		goto out;
	}
	max_s = isnan(r->max_lag_s) ? rpo_default_max_lag_s(p, (size_t)t) : r->max_lag_s;
	/* the VIPs by name, as this edge's copy has them: the loop may swap it meanwhile */
	pthread_mutex_lock(&f->lock);
	vips = malloc((f->n_vips ? f->n_vips : 1) * sizeof(*vips));
	if (vips) {
		memcpy(vips, f->vips, f->n_vips * sizeof(*vips));
		n_vips = f->n_vips;
	}
	pthread_mutex_unlock(&f->lock);
	if (!vips) {
		answer(a, 500, "out of memory");
		goto out;
	}
	err = etcd_new(f->eps, f->n_eps, f->timeout_ms, &c);
	if (err)
		answer(a, 500, "etcd client: %s", strerror(-err));
	else
		promote(f, c, p, vips, n_vips, r, max_s, a);
out:
	if (a->status != 200)
		pr_warn("fleet %s: promotion %s -> %s refused (%d): %s\n", f->name, r->source,
			r->target, a->status, a->msg);
	etcd_free(c);
	free(vips);
	fleet_policy_put(f, fp);
}
