// SPDX-License-Identifier: GPL-2.0
/* Never the last to withdraw. Per VIP, announcers/<vip> lists the edges announcing it; it
 * changes only by compare-and-swap on its mod_revision. An edge whose regions are all down
 * (ASK) leaves the list only by a swap that keeps min_announcing other members in it whose
 * reports are live in the same read; two edges asking at once swap against the same revision,
 * so one commits and the other reads again, finds itself the last and keeps announcing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_impl.h"
#include "log.h"

static void set_parse(const struct etcd_kv *kv, struct fleet_ann_set *s)
{
	struct json_object *o = json_tokener_parse(kv->value), *arr, *e;
	size_t i;

	s->mod = kv->mod_revision;
	if (o && json_object_object_get_ex(o, "edges", &arr) &&
	    json_object_is_type(arr, json_type_array))
		for (i = 0; i < json_object_array_length(arr) && s->n < POLICY_FLEET_MAX_MEMBERS;
		     i++) {
			e = json_object_array_get_idx(arr, i);
			if (json_object_is_type(e, json_type_string))
				snprintf(s->edge[s->n++], POLICY_NAME_MAX, "%s",
					 json_object_get_string(e));
		}
	json_object_put(o);
}

static bool set_has(const struct fleet_ann_set *s, const char *edge)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->edge[i], edge))
			return true;
	return false;
}

/* Does this report say its edge announces vip? */
static bool report_announces(const char *report, const char *vip)
{
	struct json_object *o = json_tokener_parse(report), *arr, *e;
	bool yes = false;
	size_t i;

	if (o && json_object_object_get_ex(o, "announcing", &arr) &&
	    json_object_is_type(arr, json_type_array))
		for (i = 0; i < json_object_array_length(arr) && !yes; i++) {
			e = json_object_array_get_idx(arr, i);
			yes = json_object_is_type(e, json_type_string) &&
			      !strcmp(json_object_get_string(e), vip);
		}
	json_object_put(o);
	return yes;
}

/* Members of the set other than us whose report is live (under its lease) in this read and
 * says they announce vip: one that withdrew and could not yet leave the set does not count.
 */
static uint32_t others_live(const struct fleet *f, const char *vip, const struct fleet_ann_set *s,
			    const struct etcd_kvs *kvs)
{
	char key[FLEET_KEY_MAX];
	uint32_t n = 0;
	size_t i, k;

	for (i = 0; i < s->n; i++) {
		if (!strcmp(s->edge[i], f->edge))
			continue;
		fleet_key(f, "report", s->edge[i], key, sizeof(key));
		for (k = 0; k < kvs->n; k++)
			if (!strcmp(kvs->kv[k].key, key)) {
				n += report_announces(kvs->kv[k].value, vip);
				break;
			}
	}
	return n;
}

/* The set with us in (join) or out, swapped in against the revision read; 1 lost, 0, -errno. */
static int set_swap(struct fleet *f, const char *vip, const struct fleet_ann_set *s, bool join)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char key[FLEET_KEY_MAX];
	struct etcd_cas op;
	const char *val;
	int64_t rev;
	bool ok;
	size_t i;
	int err;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->edge[i], f->edge))
			json_object_array_add(arr, json_object_new_string(s->edge[i]));
	if (join)
		json_object_array_add(arr, json_object_new_string(f->edge));
	json_object_object_add(o, "edges", arr);
	val = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	fleet_key(f, "announcers", vip, key, sizeof(key));
	op = (struct etcd_cas){
		.key = key, .mod_revision = s->mod, .value = val, .value_len = strlen(val)
	};
	err = etcd_cas(f->wc, &op, 1, &ok, &rev, NULL);
	/* both edges' swaps in their logs: a race is read from them */
	if (err)
		pr_warn("fleet %s: vip %s: %s its announcers at revision %lld: not confirmed (%s)\n",
			f->name, vip, join ? "joining" : "leaving", (long long)s->mod,
			etcd_error(f->wc));
	else if (ok)
		pr_info("fleet %s: vip %s: %s its announcers at revision %lld: committed at %lld, "
			"now %s\n",
			f->name, vip, join ? "joined" : "left", (long long)s->mod, (long long)rev,
			val);
	else
		pr_info("fleet %s: vip %s: %s its announcers at revision %lld: lost, another edge "
			"swapped first\n",
			f->name, vip, join ? "joining" : "leaving", (long long)s->mod);
	json_object_put(o);
	return err ? err : ok ? 0 : 1;
}

/* Under the lock: the answer for VIP vip, when the loop still asks. */
static void answer(struct fleet *f, const char *vip, bool may, const char *why)
{
	struct fleet_vip *v = fleet_vip_find(f, vip);

	if (!v || v->want != FLEET_ANN_ASK || (v->may_withdraw == may && !strcmp(v->hold_why, why)))
		return;
	v->may_withdraw = may;
	snprintf(v->hold_why, sizeof(v->hold_why), "%s", why);
	fleet_notify(f);
}

bool fleet_announcers(struct fleet *f, const struct etcd_kvs *kvs)
{
	char vip[POLICY_NAME_MAX], why[160];
	const char *name;
	enum fleet_ann want;
	struct fleet_ann_set s;
	struct fleet_vip *fv;
	bool done = true, in;
	uint32_t others;
	size_t v = 0, k;
	int err;

	for (;;) {
		pthread_mutex_lock(&f->lock);
		if (v >= f->n_vips) {
			pthread_mutex_unlock(&f->lock);
			break;
		}
		snprintf(vip, sizeof(vip), "%s", f->vips[v].name);
		want = f->vips[v].want;
		pthread_mutex_unlock(&f->lock);
		v++;

		memset(&s, 0, sizeof(s));
		for (k = 0; k < kvs->n; k++) {
			name = fleet_key_name(f, "announcers", kvs->kv[k].key);
			if (name && !strcmp(name, vip))
				set_parse(&kvs->kv[k], &s);
		}
		pthread_mutex_lock(&f->lock);
		fv = fleet_vip_find(f, vip);
		if (fv) /* for GET /api/v1/fleet */
			fv->ann = s;
		pthread_mutex_unlock(&f->lock);
		in = set_has(&s, f->edge);
		others = others_live(f, vip, &s, kvs);
		err = 0;
		if (want == FLEET_ANN_IN && !in)
			err = set_swap(f, vip, &s, true);
		else if (want == FLEET_ANN_OUT && in)
			err = set_swap(f, vip, &s, false);
		else if (want == FLEET_ANN_ASK && others >= f->min_announcing && in) {
			fleet_race_window(f, vip, "leaving its announcers", s.mod);
			err = set_swap(f, vip, &s, false);
		}
		if (err > 0) {
			done = false; /* another edge swapped first: read again, decide again */
			continue;
		}
		if (want != FLEET_ANN_ASK)
			continue;
		if (err < 0)
			snprintf(why, sizeof(why),
				 "etcd did not confirm this edge's withdrawal (%s): fail static",
				 etcd_error(f->wc));
		else
			snprintf(why, sizeof(why),
				 "the last to announce it: %u other live member%s announce%s it, "
				 "fleet.min_announcing is %u",
				 others, others == 1 ? "" : "s", others == 1 ? "s" : "",
				 f->min_announcing);
		pthread_mutex_lock(&f->lock);
		answer(f, vip, !err && others >= f->min_announcing, why);
		pthread_mutex_unlock(&f->lock);
	}
	return done;
}

void fleet_announcers_unconfirmed(struct fleet *f, const char *err)
{
	char why[160];
	size_t v;

	snprintf(why, sizeof(why), "etcd unreachable (%s): a withdrawal cannot be confirmed", err);
	pthread_mutex_lock(&f->lock);
	for (v = 0; v < f->n_vips; v++)
		if (f->vips[v].want == FLEET_ANN_ASK)
			answer(f, f->vips[v].name, false, why);
	pthread_mutex_unlock(&f->lock);
}

void fleet_set_announce(struct fleet *f, const char *vip, enum fleet_ann want)
{
	struct fleet_vip *v;

	pthread_mutex_lock(&f->lock);
	v = fleet_vip_find(f, vip);
	if (v && v->want != want) {
		v->want = want;
		v->may_withdraw = false; /* an answer is for one ASK only */
		snprintf(v->hold_why, sizeof(v->hold_why), "waiting for the fleet's word");
		pthread_cond_signal(&f->wake); /* decide now, not at the next round */
	}
	pthread_mutex_unlock(&f->lock);
}

bool fleet_may_withdraw(struct fleet *f, const char *vip, char *why, size_t len)
{
	struct fleet_vip *v;
	bool may = false;

	pthread_mutex_lock(&f->lock);
	v = fleet_vip_find(f, vip);
	if (v) {
		may = v->want == FLEET_ANN_ASK && v->may_withdraw;
		snprintf(why, len, "%s", v->hold_why[0] ? v->hold_why : "etcd not read yet");
	} else {
		snprintf(why, len, "not in the fleet's policy copy");
	}
	pthread_mutex_unlock(&f->lock);
	return may;
}
