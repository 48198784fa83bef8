// SPDX-License-Identifier: GPL-2.0
/* Drains for the whole fleet: drain/<region or address> in etcd, put by the edge asked and
 * applied by every member from its next read (within a second). Undrain deletes the key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fleet_impl.h"
#include "log.h"

/* Is addr the address of a backend in p? */
static bool policy_has_backend(const struct policy *p, const char *addr)
{
	char a[INET_ADDR_STR];
	size_t r, k;

	for (r = 0; r < p->n_regions; r++)
		for (k = 0; k < p->regions[r].n_backends; k++)
			if (!strcmp(inet_addr_str(&p->regions[r].backends[k].addr, a, sizeof(a)),
				    addr))
				return true;
	return false;
}

void fleet_drain(struct fleet *f, const char *name, bool region, bool drain, struct fleet_answer *a)
{
	struct fleet_policy *fp = fleet_policy_get(f);
	const char *what = region ? "region" : "backend";
	struct json_object *o = NULL;
	char key[FLEET_KEY_MAX];
	struct etcd *c = NULL;
	const char *val;
	int err;

	memset(a, 0, sizeof(*a));
	if (region ? policy_region_index(fp->p, name) < 0 : !policy_has_backend(fp->p, name)) {
		a->status = 422;
		snprintf(a->msg, sizeof(a->msg), "no %s %s in this edge's policy", what, name);
		goto out;
	}
	err = etcd_new(f->eps, f->n_eps, f->timeout_ms, &c);
	if (err) {
		a->status = 500;
		snprintf(a->msg, sizeof(a->msg), "etcd client: %s", strerror(-err));
		goto out;
	}
	fleet_key(f, "drain", name, key, sizeof(key));
	if (drain) {
		o = json_object_new_object();
		json_object_object_add(o, "kind", json_object_new_string(what));
		json_object_object_add(o, "by", json_object_new_string(f->edge));
		json_object_object_add(o, "at", json_object_new_int64((int64_t)real_ms()));
		val = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		err = etcd_put(c, key, val, strlen(val), 0, &a->epoch);
	} else {
		err = etcd_delete(c, key);
	}
	if (err) {
		a->status = 503;
		snprintf(
			a->msg, sizeof(a->msg),
			"etcd: %s: the fleet's drains are unchanged (drain this edge alone without "
			"--fleet)",
			etcd_error(c));
		goto out;
	}
	a->status = 200;
	snprintf(a->msg, sizeof(a->msg), "%s %s %s on every member of fleet %s", what, name,
		 drain ? "drained" : "undrained", f->name);
	pr_warn("fleet %s: %s\n", f->name, a->msg);
	/* this edge's worker reads at once rather than within the second */
	pthread_mutex_lock(&f->lock);
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
out:
	json_object_put(o);
	etcd_free(c);
	fleet_policy_put(f, fp);
}

int fleet_drained(struct fleet *f, const char *region, const char *addr, bool *drained)
{
	int err = -EAGAIN;
	size_t i;

	pthread_mutex_lock(&f->lock);
	if (f->read_once) {
		*drained = false;
		for (i = 0; i < f->n_drains; i++)
			if (!strcmp(f->drains[i], region) || !strcmp(f->drains[i], addr))
				*drained = true;
		err = 0;
	}
	pthread_mutex_unlock(&f->lock);
	return err;
}
