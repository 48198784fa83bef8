// SPDX-License-Identifier: GPL-2.0
/* What GET /api/v1/fleet shows: etcd's health as this edge sees it, every configured member
 * with its report and the report's age (or that it has none: its lease expired), every
 * active-passive VIP's designation with its epoch, and every announced VIP's announcers.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "fleet_impl.h"

static struct json_object *iso(uint64_t ms)
{
	char buf[80];
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms)
		return NULL;
	gmtime_r(&s, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned int)(ms % 1000));
	return json_object_new_string(buf);
}

static struct json_object *secs(double s)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.3f", s);
	return json_object_new_double_s(s, buf);
}

static struct json_object *view_etcd(struct fleet *f)
{
	struct json_object *o = json_object_new_object(), *eps = json_object_new_array();
	const struct fleet_health *h = &f->health;
	size_t i;

	for (i = 0; i < f->n_eps; i++)
		json_object_array_add(eps, json_object_new_string(f->eps[i]));
	json_object_object_add(o, "endpoints", eps);
	json_object_object_add(o, "reachable", json_object_new_boolean(h->reachable));
	json_object_object_add(o, "error", h->error[0] ? json_object_new_string(h->error) : NULL);
	json_object_object_add(o, "last_ok", iso(h->last_ok_ms));
	json_object_object_add(o, "revision", json_object_new_int64(h->revision));
	json_object_object_add(o, "requests_total", json_object_new_uint64(h->requests));
	json_object_object_add(o, "bytes_sent_total", json_object_new_uint64(h->bytes_out));
	json_object_object_add(o, "bytes_received_total", json_object_new_uint64(h->bytes_in));
	json_object_object_add(o, "report_bytes", json_object_new_int64(h->report_bytes));
	return o;
}

static struct json_object *view_members(struct fleet *f)
{
	struct json_object *arr = json_object_new_array(), *o, *rep, *at;
	uint64_t now = real_ms();
	size_t m;

	for (m = 0; m < f->n_members; m++) {
		o = json_object_new_object();
		rep = f->members[m].report;
		json_object_object_add(o, "name", json_object_new_string(f->members[m].name));
		json_object_object_add(
			o, "self", json_object_new_boolean(!strcmp(f->members[m].name, f->edge)));
		json_object_object_add(o, "live", json_object_new_boolean(rep != NULL));
		if (rep && json_object_object_get_ex(rep, "at", &at)) {
			int64_t t = json_object_get_int64(at);

			json_object_object_add(o, "age_seconds",
					       secs(now > (uint64_t)t ? (now - (uint64_t)t) / 1e3 :
									0));
		} else {
			json_object_object_add(o, "age_seconds", NULL);
		}
		json_object_object_add(o, "report", rep ? json_object_get(rep) : NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *view_serving(struct fleet *f)
{
	struct json_object *arr = json_object_new_array(), *o;
	const struct fleet_vip *v;
	size_t i;

	for (i = 0; i < f->n_vips; i++) {
		v = &f->vips[i];
		if (!v->primary[0])
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "vip", json_object_new_string(v->name));
		json_object_object_add(o, "primary", json_object_new_string(v->primary));
		json_object_object_add(
			o, "region", json_object_new_string(v->d.epoch ? v->d.region : v->primary));
		json_object_object_add(o, "epoch", json_object_new_int64(v->d.epoch));
		json_object_object_add(o, "by",
				       v->d.by[0] ? json_object_new_string(v->d.by) : NULL);
		json_object_object_add(o, "from",
				       v->d.from[0] ? json_object_new_string(v->d.from) : NULL);
		json_object_object_add(o, "at", iso(v->d.at_ms));
		json_object_object_add(o, "auto_promote",
				       v->auto_fleet ? json_object_new_string("fleet") : NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* Per announced VIP, the edges etcd lists as announcing it (never the last to withdraw) and
 * why this edge keeps it announced when the fleet holds it.
 */
static struct json_object *view_announcers(struct fleet *f)
{
	struct json_object *arr = json_object_new_array(), *o, *edges;
	const struct fleet_vip *v;
	size_t i, k;

	for (i = 0; i < f->n_vips; i++) {
		v = &f->vips[i];
		if (!v->announced)
			continue;
		o = json_object_new_object();
		edges = json_object_new_array();
		for (k = 0; k < v->ann.n; k++)
			json_object_array_add(edges, json_object_new_string(v->ann.edge[k]));
		json_object_object_add(o, "vip", json_object_new_string(v->name));
		json_object_object_add(o, "edges", edges);
		json_object_object_add(o, "revision", json_object_new_int64(v->ann.mod));
		json_object_object_add(o, "held",
				       v->want == FLEET_ANN_ASK && !v->may_withdraw ?
					       json_object_new_string(v->hold_why) :
					       NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* Regions and backend addresses drained on every member. */
static struct json_object *view_drains(struct fleet *f)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < f->n_drains; i++)
		json_object_array_add(arr, json_object_new_string(f->drains[i]));
	return arr;
}

struct json_object *fleet_view(struct fleet *f)
{
	struct json_object *o = json_object_new_object(), *q = json_object_new_object();

	pthread_mutex_lock(&f->lock);
	json_object_object_add(o, "fleet", json_object_new_string(f->name));
	json_object_object_add(o, "edge", json_object_new_string(f->edge));
	json_object_object_add(o, "etcd", view_etcd(f));
	json_object_object_add(q, "members", json_object_new_int64(f->health.members));
	json_object_object_add(q, "live", json_object_new_int64(f->health.live));
	json_object_object_add(q, "majority", json_object_new_int64(f->health.majority));
	json_object_object_add(q, "ok",
			       json_object_new_boolean(f->health.quorum && f->health.reachable));
	json_object_object_add(o, "quorum", q);
	json_object_object_add(o, "members", view_members(f));
	json_object_object_add(o, "serving", view_serving(f));
	json_object_object_add(o, "announcers", view_announcers(f));
	json_object_object_add(o, "drained", view_drains(f));
	pthread_mutex_unlock(&f->lock);
	return o;
}
