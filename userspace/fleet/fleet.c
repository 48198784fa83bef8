// SPDX-License-Identifier: GPL-2.0
/* The fleet's threads and what they learn. The worker, once a second: keep the report's lease
 * alive (a new one when it expired), put this edge's report when it changed or ages, and read the
 * whole prefix (every member's report, every designation) in one linearizable range. The watcher
 * follows serving/ so a promotion reaches the loop within milliseconds of its commit; the
 * worker's read is the backstop for anything a watch missed.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fleet_impl.h"
#include "log.h"

void fleet_key(const struct fleet *f, const char *kind, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s/%s", f->prefix, kind, name);
}

const char *fleet_key_name(const struct fleet *f, const char *kind, const char *key)
{
	size_t pl = strlen(f->prefix), kl = strlen(kind);

	if (strncmp(key, f->prefix, pl) || strncmp(key + pl, kind, kl) || key[pl + kl] != '/')
		return NULL;
	return key + pl + kl + 1;
}

static void js_str(struct json_object *o, const char *key, char *buf, size_t len)
{
	struct json_object *v;

	buf[0] = '\0';
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		snprintf(buf, len, "%s", json_object_get_string(v));
}

int fleet_desig_parse(const struct etcd_kv *kv, struct fleet_desig *d)
{
	struct json_object *o = json_tokener_parse(kv->value), *v;

	memset(d, 0, sizeof(*d));
	if (!o)
		return -EPROTO;
	js_str(o, "region", d->region, sizeof(d->region));
	js_str(o, "by", d->by, sizeof(d->by));
	js_str(o, "from", d->from, sizeof(d->from));
	if (json_object_object_get_ex(o, "at", &v))
		d->at_ms = (uint64_t)json_object_get_int64(v);
	json_object_put(o);
	d->epoch = kv->mod_revision;
	return d->region[0] ? 0 : -EPROTO;
}

struct fleet_vip *fleet_vip_find(struct fleet *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n_vips; i++)
		if (!strcmp(f->vips[i].name, name))
			return &f->vips[i];
	return NULL;
}

struct fleet_policy *fleet_policy_get(struct fleet *f)
{
	struct fleet_policy *fp;

	pthread_mutex_lock(&f->lock);
	fp = f->pol;
	fp->refs++;
	pthread_mutex_unlock(&f->lock);
	return fp;
}

static void fleet_policy_put_locked(struct fleet_policy *fp)
{
	if (fp && !--fp->refs) {
		policy_free(fp->p);
		free(fp);
	}
}

void fleet_policy_put(struct fleet *f, struct fleet_policy *fp)
{
	pthread_mutex_lock(&f->lock);
	fleet_policy_put_locked(fp);
	pthread_mutex_unlock(&f->lock);
}

/* A region's state in a member's report, as rpo_region: up with its lag, and proven down when
 * the member has seen it down for at least down_for_ms (its "since" is Unix time).
 */
void fleet_report_region(struct json_object *report, const char *region, uint64_t now_ms,
			 uint32_t down_for_ms, struct rpo_region *rr)
{
	struct json_object *regions, *r, *v;
	int64_t since;

	memset(rr, 0, sizeof(*rr));
	if (!report || !json_object_object_get_ex(report, "regions", &regions) ||
	    !json_object_object_get_ex(regions, region, &r))
		return;
	rr->up = json_object_object_get_ex(r, "up", &v) && json_object_get_boolean(v);
	if (json_object_object_get_ex(r, "replica_lag_seconds", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		rr->has_lag = true;
		rr->lag_s = json_object_get_double(v);
	}
	since = json_object_object_get_ex(r, "since", &v) ? json_object_get_int64(v) : 0;
	/* never seen change (since 0): starting, not proven down */
	rr->proven_down = !rr->up && since > 0 && now_ms >= (uint64_t)since + down_for_ms;
}

bool fleet_desig_take(struct fleet *f, const char *vip, const struct fleet_desig *d)
{
	struct fleet_vip *v = fleet_vip_find(f, vip);

	/* epochs only move forward: a slow read must not undo a newer watch event */
	if (!v || d->epoch < v->d.epoch || !memcmp(&v->d, d, sizeof(*d)))
		return false;
	v->d = *d;
	return true;
}

void fleet_race_window(const struct fleet *f, const char *vip, const char *what, int64_t rev)
{
	if (!f->test_cas_delay_ms)
		return;
	pr_info("fleet %s: vip %s: test: %s read at revision %lld in %u ms\n", f->name, vip, what,
		(long long)rev, f->test_cas_delay_ms);
	usleep(f->test_cas_delay_ms * 1000);
}

void fleet_notify(struct fleet *f)
{
	const uint64_t one = 1;

	if (write(f->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already set, the loop will look */
	}
}

/* ---- the policy copy ---- */

static void quiet(void *ctx, const char *file, unsigned int line, unsigned int col, const char *msg)
{
}

static int policy_copy(struct fleet *f, const struct policy *loaded)
{
	struct fleet_policy *fp, *old_pol;
	struct fleet_vip *nv, *old;
	const struct policy *p;
	size_t i, k;
	int err;

	fp = calloc(1, sizeof(*fp));
	if (!fp)
		return -ENOMEM;
	/* our own copy from the same file; a file changed meanwhile must still be the same edge */
	err = policy_load(loaded->path, &fp->p, quiet, NULL);
	if (!err && (strcmp(fp->p->edge.name, loaded->edge.name) ||
		     memcmp(&fp->p->fleet, &loaded->fleet, sizeof(loaded->fleet))))
		err = -ESTALE;
	if (err) {
		policy_free(fp->p);
		free(fp);
		return err;
	}
	fp->refs = 1;
	p = fp->p;
	nv = calloc(p->n_vips ? p->n_vips : 1, sizeof(*nv));
	if (!nv) {
		fleet_policy_put_locked(fp);
		return -ENOMEM;
	}
	for (i = 0; i < p->n_vips; i++) {
		const struct policy_vip *pv = &p->vips[i];

		snprintf(nv[i].name, sizeof(nv[i].name), "%s", pv->name);
		if (pv->mode == VIP_ACTIVE_PASSIVE && pv->primary >= 0)
			snprintf(nv[i].primary, sizeof(nv[i].primary), "%s",
				 p->regions[pv->primary].name);
		for (k = 0; k < pv->n_regions; k++)
			if (pv->regions[k] < p->n_regions)
				snprintf(nv[i].regions[nv[i].n_regions++], POLICY_NAME_MAX, "%s",
					 p->regions[pv->regions[k]].name);
		nv[i].auto_fleet = pv->auto_promote_fleet;
		nv[i].announced = pv->has_announce;
	}
	pthread_mutex_lock(&f->lock);
	/* designations known by VIP name carry over */
	for (i = 0; i < p->n_vips; i++) {
		old = fleet_vip_find(f, nv[i].name);
		if (old) {
			nv[i].d = old->d;
			nv[i].ann = old->ann;
			nv[i].want = old->want;
			nv[i].may_withdraw = old->may_withdraw;
			memcpy(nv[i].hold_why, old->hold_why, sizeof(nv[i].hold_why));
		}
	}
	free(f->vips);
	f->vips = nv;
	f->n_vips = p->n_vips;
	old_pol = f->pol;
	f->pol = fp;
	fleet_policy_put_locked(old_pol);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

int fleet_set_policy(struct fleet *f, const struct policy *p)
{
	int err = policy_copy(f, p);

	if (err)
		pr_warn("fleet %s: the reloaded policy was not taken (%s); promotions go on with "
			"the one before\n",
			f->name, strerror(-err));
	return err;
}

int fleet_new(const struct policy *p, struct fleet **out)
{
	const struct policy_fleet *pf = &p->fleet;
	const char *test;
	struct fleet *f;
	size_t i;
	int err;

	if (!pf->enabled)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->efd = -1;
	snprintf(f->prefix, sizeof(f->prefix), "/anyedge/%s/", pf->name);
	snprintf(f->name, sizeof(f->name), "%s", pf->name);
	snprintf(f->edge, sizeof(f->edge), "%s", p->edge.name);
	for (i = 0; i < pf->n_etcd; i++) {
		snprintf(f->ep_buf[i], sizeof(f->ep_buf[i]), "%s", pf->etcd[i]);
		f->eps[i] = f->ep_buf[i];
	}
	f->n_eps = pf->n_etcd;
	f->timeout_ms = pf->request_timeout_ms;
	f->ttl_ms = pf->report_ttl_ms;
	f->promote_after_ms = pf->promote_after_ms;
	f->min_announcing = pf->min_announcing;
	test = getenv("ANYEDGE_TEST_CAS_DELAY_MS");
	if (test) /* at most 10 s: the worker sleeps through it */
		f->test_cas_delay_ms = (uint32_t)strtoul(test, NULL, 10);
	if (f->test_cas_delay_ms > 10000)
		f->test_cas_delay_ms = 10000;
	f->n_members = pf->n_members;
	for (i = 0; i < pf->n_members; i++)
		snprintf(f->members[i].name, sizeof(f->members[i].name), "%s", pf->members[i]);
	f->health.members = pf->n_members;
	f->health.majority = pf->n_members / 2 + 1;
	snprintf(f->health.error, sizeof(f->health.error), "not yet in touch with etcd");
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	err = f->efd < 0 ? -errno : 0;
	if (!err)
		err = etcd_new(f->eps, f->n_eps, f->timeout_ms, &f->wc);
	if (!err)
		err = policy_copy(f, p);
	if (err) {
		fleet_free(f);
		return err;
	}
	*out = f;
	return 0;
}

int fleet_fd(const struct fleet *f)
{
	return f->efd;
}

void fleet_ack(struct fleet *f)
{
	uint64_t n;

	if (read(f->efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing new */
	}
}

void fleet_set_report(struct fleet *f, struct json_object *report)
{
	pthread_mutex_lock(&f->lock);
	json_object_put(f->report);
	f->report = report;
	pthread_mutex_unlock(&f->lock);
}

int fleet_designation(struct fleet *f, const char *vip, struct fleet_desig *d)
{
	struct fleet_vip *v;
	int err = -EAGAIN;

	pthread_mutex_lock(&f->lock);
	v = fleet_vip_find(f, vip);
	if (!v) {
		err = -ENOENT;
	} else if (f->read_once) {
		*d = v->d;
		err = 0;
	}
	pthread_mutex_unlock(&f->lock);
	return err;
}

void fleet_health(struct fleet *f, struct fleet_health *h)
{
	pthread_mutex_lock(&f->lock);
	*h = f->health;
	pthread_mutex_unlock(&f->lock);
}

/* ---- the worker ---- */

static void round_failed(struct fleet *f, const char *what, int err)
{
	pthread_mutex_lock(&f->lock);
	if (f->health.reachable)
		pr_warn("fleet %s: etcd %s failed: %s; keeping the designations applied last\n",
			f->name, what, etcd_error(f->wc));
	f->health.reachable = false;
	f->health.failures++;
	snprintf(f->health.error, sizeof(f->health.error), "%s: %s", what,
		 etcd_error(f->wc)[0] ? etcd_error(f->wc) : strerror(-err));
	/* a watch on a member we cannot reach may hang silently: start it over */
	__atomic_store_n(&f->watch_kick, true, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&f->lock);
	fleet_announcers_unconfirmed(f, etcd_error(f->wc)[0] ? etcd_error(f->wc) : strerror(-err));
}

static int keep_lease(struct fleet *f)
{
	int64_t ttl_s = (f->ttl_ms + 999) / 1000;
	int err;

	if (f->lease) {
		err = etcd_lease_keepalive(f->wc, f->lease, NULL);
		if (err != -ENOENT)
			return err;
		pr_warn("fleet %s: the report's lease expired; taking a new one\n", f->name);
		f->lease = 0;
	}
	err = etcd_lease_grant(f->wc, ttl_s, &f->lease);
	if (!err) {
		free(f->last_put); /* the report died with the old lease: put it again */
		f->last_put = NULL;
	}
	return err;
}

/* Put the report when it changed, or every third of its lease so its age means something. */
static int put_report(struct fleet *f)
{
	struct json_object *r, *copy = NULL;
	const char *text;
	char key[FLEET_KEY_MAX];
	bool same;
	int err = 0;

	pthread_mutex_lock(&f->lock);
	r = f->report;
	if (r)
		json_object_deep_copy(r, &copy, NULL);
	pthread_mutex_unlock(&f->lock);
	if (!copy)
		return 0;
	text = json_object_to_json_string_ext(copy, JSON_C_TO_STRING_PLAIN);
	same = f->last_put && !strcmp(f->last_put, text);
	if (same && mono_ms() - f->last_put_ms < f->ttl_ms / 3)
		goto out;
	free(f->last_put);
	f->last_put = strdup(text);
	json_object_object_add(copy, "at", json_object_new_int64((int64_t)real_ms()));
	text = json_object_to_json_string_ext(copy, JSON_C_TO_STRING_PLAIN);
	fleet_key(f, "report", f->edge, key, sizeof(key));
	err = etcd_put(f->wc, key, text, strlen(text), f->lease, NULL);
	pthread_mutex_lock(&f->lock);
	f->health.report_bytes = (uint32_t)strlen(text);
	pthread_mutex_unlock(&f->lock);
	if (err) {
		free(f->last_put);
		f->last_put = NULL;
	} else {
		f->last_put_ms = mono_ms();
	}
out:
	json_object_put(copy);
	return err;
}

/* The whole prefix, read: reports and designations replace what was known. */
static void take_read(struct fleet *f, const struct etcd_kvs *kvs)
{
	struct json_object *reports[POLICY_FLEET_MAX_MEMBERS] = { 0 };
	char(*drains)[POLICY_NAME_MAX] = calloc(kvs->n + 1, sizeof(*drains));
	struct fleet_desig d;
	const char *name;
	bool changed = false, seen;
	size_t i, m, v, n_drains = 0;
	uint32_t live = 0;

	for (i = 0; drains && i < kvs->n; i++) {
		name = fleet_key_name(f, "drain", kvs->kv[i].key);
		if (name)
			snprintf(drains[n_drains++], POLICY_NAME_MAX, "%s", name);
	}

	for (i = 0; i < kvs->n; i++) {
		name = fleet_key_name(f, "report", kvs->kv[i].key);
		if (!name)
			continue;
		for (m = 0; m < f->n_members; m++)
			if (!strcmp(f->members[m].name, name) && !reports[m])
				reports[m] = json_tokener_parse(kvs->kv[i].value);
	}
	pthread_mutex_lock(&f->lock);
	for (m = 0; m < f->n_members; m++) {
		json_object_put(f->members[m].report);
		f->members[m].report = reports[m];
		live += !!reports[m];
	}
	for (v = 0; v < f->n_vips; v++) {
		seen = false;
		for (i = 0; i < kvs->n; i++) {
			name = fleet_key_name(f, "serving", kvs->kv[i].key);
			if (!name || strcmp(name, f->vips[v].name) ||
			    fleet_desig_parse(&kvs->kv[i], &d))
				continue;
			seen = true;
			changed |= fleet_desig_take(f, name, &d);
		}
		/* none in etcd: the primary serves, unless a newer event said otherwise */
		if (!seen && f->vips[v].d.epoch && f->vips[v].d.epoch < kvs->revision) {
			memset(&f->vips[v].d, 0, sizeof(f->vips[v].d));
			changed = true;
		}
	}
	if (drains &&
	    (n_drains != f->n_drains || memcmp(drains, f->drains, n_drains * sizeof(*drains)))) {
		free(f->drains);
		f->drains = drains;
		f->n_drains = n_drains;
		drains = NULL;
		changed = true;
	}
	free(drains);
	changed |= !f->read_once;
	f->read_once = true;
	if (!f->health.reachable)
		pr_info("fleet %s: etcd reachable (%s)\n", f->name, etcd_endpoint(f->wc));
	f->health.reachable = true;
	f->health.error[0] = '\0';
	f->health.live = live;
	f->health.quorum = live >= f->health.majority;
	f->health.revision = kvs->revision;
	f->health.last_ok_ms = real_ms();
	f->health.rounds++;
	if (!f->watch_from)
		f->watch_from = kvs->revision + 1;
	pthread_mutex_unlock(&f->lock);
	if (changed)
		fleet_notify(f);
}

/* Per region, what a majority of the members' live reports say: proven down (for at least
 * promote_after), or fit with a lag a majority is within. The auto rule (rpo_next_target)
 * then decides on that view exactly as auto_promote: local does on one edge's.
 */
static void majority_view(struct fleet *f, const struct policy *p, const struct etcd_kvs *kvs,
			  struct rpo_region *view)
{
	struct json_object *reps[POLICY_FLEET_MAX_MEMBERS] = { 0 };
	uint32_t need = (uint32_t)(f->n_members / 2 + 1), down, n_lags, i, j;
	double lags[POLICY_FLEET_MAX_MEMBERS], x;
	char key[FLEET_KEY_MAX];
	uint64_t now = real_ms();
	struct rpo_region rr;
	size_t m, k, r;

	for (m = 0; m < f->n_members; m++) {
		fleet_key(f, "report", f->members[m].name, key, sizeof(key));
		for (k = 0; k < kvs->n && !reps[m]; k++)
			if (!strcmp(kvs->kv[k].key, key))
				reps[m] = json_tokener_parse(kvs->kv[k].value);
	}
	for (r = 0; r < p->n_regions && r < AE_MAX_REGIONS; r++) {
		down = n_lags = 0;
		for (m = 0; m < f->n_members; m++) {
			if (!reps[m])
				continue;
			fleet_report_region(reps[m], p->regions[r].name, now, f->promote_after_ms,
					    &rr);
			down += rr.proven_down;
			if (rr.up && rr.has_lag)
				lags[n_lags++] = rr.lag_s;
		}
		/* the need-th smallest lag: a majority sees the region at most this far behind */
		for (i = 1; i < n_lags; i++)
			for (j = i; j > 0 && lags[j - 1] > lags[j]; j--) {
				x = lags[j];
				lags[j] = lags[j - 1];
				lags[j - 1] = x;
			}
		memset(&view[r], 0, sizeof(view[r]));
		view[r].proven_down = down >= need;
		view[r].up = view[r].has_lag = n_lags >= need;
		view[r].lag_s = n_lags >= need ? lags[need - 1] : 0;
	}
	for (m = 0; m < f->n_members; m++)
		json_object_put(reps[m]);
}

/* auto_promote: fleet. Every edge may find the same thing at once: all swap against the same
 * revision of the designation, so one commits and the others lose quietly: one epoch.
 */
static void auto_promote(struct fleet *f, const struct etcd_kvs *kvs)
{
	struct fleet_policy *fp = fleet_policy_get(f);
	const struct policy *p = fp->p;
	struct rpo_region view[AE_MAX_REGIONS];
	struct fleet_desig d, cur;
	struct etcd_cas op;
	char key[FLEET_KEY_MAX], nonce[96];
	struct json_object *o;
	const char *val;
	int64_t mod, rev = 0;
	bool ok, viewed = false;
	size_t v, k;
	int s, t, err;

	for (v = 0; v < p->n_vips && v < AE_MAX_VIPS; v++) {
		if (!p->vips[v].auto_promote_fleet || p->vips[v].mode != VIP_ACTIVE_PASSIVE)
			continue;
		if (!viewed) {
			majority_view(f, p, kvs, view);
			viewed = true;
		}
		fleet_key(f, "serving", p->vips[v].name, key, sizeof(key));
		mod = 0;
		memset(&cur, 0, sizeof(cur));
		for (k = 0; k < kvs->n; k++)
			if (!strcmp(kvs->kv[k].key, key) && !fleet_desig_parse(&kvs->kv[k], &cur))
				mod = kvs->kv[k].mod_revision;
		s = mod ? policy_region_index(p, cur.region) : p->vips[v].primary;
		if (s < 0)
			continue;
		t = rpo_next_target(p, v, (size_t)s, view);
		if (t < 0)
			continue;
		snprintf(nonce, sizeof(nonce), "%s-auto-%lld", f->edge, (long long)mod);
		o = json_object_new_object();
		json_object_object_add(o, "region", json_object_new_string(p->regions[t].name));
		json_object_object_add(o, "from", json_object_new_string(p->regions[s].name));
		json_object_object_add(o, "by", json_object_new_string(f->edge));
		json_object_object_add(o, "at", json_object_new_int64((int64_t)real_ms()));
		json_object_object_add(o, "auto", json_object_new_boolean(true));
		json_object_object_add(o, "id", json_object_new_string(nonce));
		val = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		op = (struct etcd_cas){
			.key = key, .mod_revision = mod, .value = val, .value_len = strlen(val)
		};
		fleet_race_window(f, p->vips[v].name, "auto-promoting", mod);
		err = etcd_cas(f->wc, &op, 1, &ok, &rev, NULL);
		json_object_put(o);
		if (err || !ok) {
			/* lost to another edge, or etcd failed: the next read shows which */
			pr_info("fleet %s: vip %s: auto-promotion read at revision %lld not committed "
				"here (%s)\n",
				f->name, p->vips[v].name, (long long)mod,
				err ? etcd_error(f->wc) : "lost the race");
			continue;
		}
		pr_warn("fleet %s: vip %s auto-promoted (auto_promote: fleet) from %s to %s at epoch "
			"%lld (read at %lld): a majority of members see %s down for %.1f s and %s "
			"fit\n",
			f->name, p->vips[v].name, p->regions[s].name, p->regions[t].name,
			(long long)rev, (long long)mod, p->regions[s].name,
			f->promote_after_ms / 1000.0, p->regions[t].name);
		memset(&d, 0, sizeof(d));
		snprintf(d.region, sizeof(d.region), "%s", p->regions[t].name);
		snprintf(d.from, sizeof(d.from), "%s", p->regions[s].name);
		snprintf(d.by, sizeof(d.by), "%s", f->edge);
		d.epoch = rev;
		d.at_ms = real_ms();
		pthread_mutex_lock(&f->lock);
		f->health.promotions++;
		ok = fleet_desig_take(f, p->vips[v].name, &d);
		pthread_mutex_unlock(&f->lock);
		if (ok)
			fleet_notify(f);
	}
	fleet_policy_put(f, fp);
}

static void count_cost(struct fleet *f)
{
	struct etcd_stats w;

	etcd_get_stats(f->wc, &w);
	pthread_mutex_lock(&f->lock);
	f->health.requests = w.requests + f->watch_st.requests;
	f->health.bytes_out = w.bytes_out + f->watch_st.bytes_out;
	f->health.bytes_in = w.bytes_in + f->watch_st.bytes_in;
	pthread_mutex_unlock(&f->lock);
}

static void worker_round(struct fleet *f)
{
	struct etcd_kvs kvs;
	int err, i;

	count_cost(f);
	err = keep_lease(f);
	if (err) {
		round_failed(f, "lease", err);
		return;
	}
	err = put_report(f);
	if (err) {
		round_failed(f, "report", err);
		return;
	}
	err = etcd_range(f->wc, f->prefix, true, &kvs);
	if (err) {
		round_failed(f, "read", err);
		return;
	}
	take_read(f, &kvs);
	auto_promote(f, &kvs);
	/* a swap of the announcers lost to another edge's: read again, decide again (bounded) */
	for (i = 0; !fleet_announcers(f, &kvs) && i < 3; i++) {
		etcd_kvs_free(&kvs);
		err = etcd_range(f->wc, f->prefix, true, &kvs);
		if (err) {
			round_failed(f, "read", err);
			return;
		}
	}
	etcd_kvs_free(&kvs);
}

static void *worker_main(void *arg)
{
	struct fleet *f = arg;
	struct timespec until;
	uint64_t t0;

	pthread_mutex_lock(&f->lock);
	while (!f->stop) {
		pthread_mutex_unlock(&f->lock);
		t0 = mono_ms();
		worker_round(f);
		pthread_mutex_lock(&f->lock);
		if (f->stop)
			break;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		if (mono_ms() - t0 < FLEET_ROUND_MS)
			pthread_cond_timedwait(&f->wake, &f->lock, &until);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

/* ---- the watcher ---- */

static int on_serving(void *ctx, const struct etcd_event *ev, size_t n, int64_t rev)
{
	struct fleet *f = ctx;
	struct fleet_desig d;
	const char *name;
	bool changed = false;
	size_t i;

	pthread_mutex_lock(&f->lock);
	for (i = 0; i < n; i++) {
		name = fleet_key_name(f, "serving", ev[i].kv.key);
		if (!name)
			continue;
		if (ev[i].deleted) {
			memset(&d, 0, sizeof(d));
			d.epoch = ev[i].kv.mod_revision;
		} else if (fleet_desig_parse(&ev[i].kv, &d)) {
			continue;
		}
		changed |= fleet_desig_take(f, name, &d);
	}
	pthread_mutex_unlock(&f->lock);
	if (changed)
		fleet_notify(f);
	return 0;
}

static void *watcher_main(void *arg)
{
	struct fleet *f = arg;
	char prefix[FLEET_KEY_MAX];
	struct etcd *c = NULL;
	int64_t from, last = 0;
	int err, i;

	snprintf(prefix, sizeof(prefix), "%sserving/", f->prefix);
	if (etcd_new(f->eps, f->n_eps, f->timeout_ms, &c))
		return NULL;
	while (!__atomic_load_n(&f->stop, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&f->lock);
		from = last ? last + 1 : f->watch_from;
		__atomic_store_n(&f->watch_kick, f->stop, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&f->lock);
		err = etcd_watch(c, prefix, from, on_serving, f, &f->watch_kick, &last);
		pthread_mutex_lock(&f->lock);
		etcd_get_stats(c, &f->watch_st);
		pthread_mutex_unlock(&f->lock);
		if (err == -ESTALE)
			last = 0; /* compacted: the worker's next read fills the gap */
		if (err != -ECANCELED)
			pr_debug("fleet %s: watch ended: %s\n", f->name, etcd_error(c));
		for (i = 0; i < 5 && !__atomic_load_n(&f->stop, __ATOMIC_RELAXED); i++)
			usleep(50 * 1000);
	}
	etcd_free(c);
	return NULL;
}

int fleet_start(struct fleet *f)
{
	int err;

	err = -pthread_create(&f->worker, NULL, worker_main, f);
	if (err)
		return err;
	err = -pthread_create(&f->watcher, NULL, watcher_main, f);
	if (err) {
		pthread_mutex_lock(&f->lock);
		f->stop = true;
		pthread_cond_signal(&f->wake);
		pthread_mutex_unlock(&f->lock);
		pthread_join(f->worker, NULL);
		return err;
	}
	f->started = true;
	return 0;
}

void fleet_free(struct fleet *f)
{
	size_t m;

	if (!f)
		return;
	if (f->started) {
		pthread_mutex_lock(&f->lock);
		__atomic_store_n(&f->stop, true, __ATOMIC_RELAXED);
		__atomic_store_n(&f->watch_kick, true, __ATOMIC_RELAXED);
		pthread_cond_signal(&f->wake);
		pthread_mutex_unlock(&f->lock);
		pthread_join(f->worker, NULL);
		pthread_join(f->watcher, NULL);
	}
	/* gone from the others' view at once, not a lease later (etcd down: the lease lapses;
	 * waiting out the timeouts would only hold up the exit)
	 */
	if (f->lease && f->wc && f->health.reachable)
		etcd_lease_revoke(f->wc, f->lease);
	etcd_free(f->wc);
	for (m = 0; m < POLICY_FLEET_MAX_MEMBERS; m++)
		json_object_put(f->members[m].report);
	json_object_put(f->report);
	free(f->last_put);
	free(f->vips);
	free(f->drains);
	if (f->pol)
		fleet_policy_put_locked(f->pol);
	if (f->efd >= 0)
		close(f->efd);
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
