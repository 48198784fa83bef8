// SPDX-License-Identifier: GPL-2.0
/* The policy's fleet: section (edges agreeing through etcd) and its checks over the whole file:
 * the edge must be one of the members, timings must fit together, and auto_promote: fleet needs
 * a fleet while auto_promote: local (one edge promoting alone) is refused in one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy_impl.h"

#define PATH_LEN 192

/* "http://HOST:PORT" with nothing after the port: the v3 gateway's paths are appended to it.
 * HOST is a name, an IPv4 address or a bracketed IPv6 one; https is not spoken.
 */
static bool etcd_url_ok(const char *s)
{
	const char *host, *colon, *p;
	unsigned long port = 0;

	if (strncmp(s, "http://", 7))
		return false;
	host = s + 7;
	if (*host == '[') {
		p = strchr(host, ']');
		if (!p || p == host + 1 || p[1] != ':')
			return false;
		colon = p + 1;
	} else {
		colon = strrchr(host, ':');
		if (!colon || colon == host)
			return false;
		for (p = host; p < colon; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-",
				    *p))
				return false;
	}
	if (!colon[1])
		return false;
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9' || p - colon > 5)
			return false;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	return port >= 1 && port <= 65535;
}

static int fleet_etcd(struct policy_build *b, const struct ynode *v, const char *path)
{
	struct policy_fleet *f = &b->p->fleet;
	char ipath[PATH_LEN], q[64];
	size_t i, j, n;

	if (policy_expect_list(b, v, path, POLICY_FLEET_MAX_ETCD, "etcd endpoints", &n))
		return 0;
	if (!n)
		policy_err(b, v->pos, path,
			   "expected at least one etcd endpoint like "
			   "http://192.0.2.5:2379");
	for (i = 0; i < n; i++) {
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		if (policy_get_str(b, v->kids[i], ipath, f->etcd[i], sizeof(f->etcd[i])))
			continue;
		if (!etcd_url_ok(f->etcd[i])) {
			policy_err(
				b, v->kids[i]->pos, ipath,
				"expected an etcd client URL http://HOST:PORT (no path, no https), "
				"got '%s'",
				policy_quote(f->etcd[i], q, sizeof(q)));
			continue;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(f->etcd[j], f->etcd[i]))
				policy_err(b, v->kids[i]->pos, ipath,
					   "endpoint '%s' is listed twice (first at line %u)",
					   policy_quote(f->etcd[i], q, sizeof(q)),
					   v->kids[j]->pos.line);
	}
	f->n_etcd = n;
	return 0;
}

static int fleet_members(struct policy_build *b, const struct ynode *v, const char *path)
{
	struct policy_fleet *f = &b->p->fleet;
	char ipath[PATH_LEN];
	size_t i, j, n;

	b->aux.fleet_members_pos = v->pos;
	if (policy_expect_list(b, v, path, POLICY_FLEET_MAX_MEMBERS, "fleet members", &n))
		return 0;
	for (i = 0; i < n; i++) {
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		if (policy_get_name(b, v->kids[i], ipath, f->members[i]))
			continue;
		for (j = 0; j < i; j++)
			if (!strcmp(f->members[j], f->members[i]))
				policy_err(b, v->kids[i]->pos, ipath,
					   "member '%s' is listed twice (first at line %u)",
					   f->members[i], v->kids[j]->pos.line);
	}
	f->n_members = n;
	return 0;
}

enum fleet_key { FK_ETCD, FK_NAME, FK_MEMBERS, FK_TTL, FK_TIMEOUT, FK_PROMOTE_AFTER, FK_MIN_ANN };

static int fleet_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		       int k)
{
	struct policy_fleet *f = &b->p->fleet;

	switch (k) {
	case FK_ETCD:
		return fleet_etcd(b, v, path);
	case FK_NAME:
		return policy_get_name(b, v, path, f->name);
	case FK_MEMBERS:
		return fleet_members(b, v, path);
	case FK_TTL:
		return policy_get_duration(b, v, path, 2000, &f->report_ttl_ms);
	case FK_TIMEOUT:
		b->aux.fleet_timeout_pos = v->pos;
		return policy_get_duration(b, v, path, 100, &f->request_timeout_ms);
	case FK_PROMOTE_AFTER:
		return policy_get_duration(b, v, path, 1000, &f->promote_after_ms);
	case FK_MIN_ANN:
		b->aux.fleet_min_announcing_pos = v->pos;
		return policy_get_u32(b, v, path, 0, POLICY_FLEET_MAX_MEMBERS, &f->min_announcing);
	}
	return -EINVAL;
}

static const struct field fleet_fields[] = {
	{ "etcd", fleet_field, true, FK_ETCD },
	{ "name", fleet_field, true, FK_NAME },
	{ "members", fleet_field, true, FK_MEMBERS },
	{ "report_ttl", fleet_field, false, FK_TTL },
	{ "request_timeout", fleet_field, false, FK_TIMEOUT },
	{ "promote_after", fleet_field, false, FK_PROMOTE_AFTER },
	{ "min_announcing", fleet_field, false, FK_MIN_ANN },
};

int policy_parse_fleet(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		       int arg)
{
	b->p->fleet.enabled = true;
	b->aux.fleet_pos = v->pos;
	return policy_walk_map(b, v, path, fleet_fields, ARRAY_SIZE(fleet_fields), NULL);
}

static void check_fleet_vips(struct policy_build *b)
{
	const struct policy *p = b->p;
	char path[PATH_LEN];
	size_t v;

	for (v = 0; v < p->n_vips; v++) {
		snprintf(path, sizeof(path), "vips[%zu].auto_promote", v);
		if (p->vips[v].auto_promote_fleet && !p->fleet.enabled)
			policy_err(
				b, b->aux.vips[v].auto_promote_pos, path,
				"auto_promote: fleet needs a fleet: section (etcd, name, members)");
		if (p->vips[v].auto_promote_local && p->fleet.enabled)
			policy_err(b, b->aux.vips[v].auto_promote_pos, path,
				   "auto_promote: local would let this edge promote alone, which a "
				   "fleet must never do: use auto_promote: fleet");
	}
}

void policy_check_fleet(struct policy_build *b)
{
	const struct policy_fleet *f = &b->p->fleet;
	size_t i;

	check_fleet_vips(b);
	if (!f->enabled)
		return;
	if (f->n_members && b->p->edge.name[0]) {
		for (i = 0; i < f->n_members; i++)
			if (!strcmp(f->members[i], b->p->edge.name))
				break;
		if (i == f->n_members)
			policy_err(b, b->aux.fleet_members_pos, "fleet.members",
				   "this edge ('%s', edge.name) is not among the members",
				   b->p->edge.name);
	}
	/* a request that may outlast the lease would let a live edge's report expire */
	if (f->request_timeout_ms * 2 > f->report_ttl_ms)
		policy_err(b,
			   b->aux.fleet_timeout_pos.line ? b->aux.fleet_timeout_pos :
							   b->aux.fleet_pos,
			   "fleet.request_timeout",
			   "%u ms is more than half of report_ttl (%u ms): a report could expire "
			   "while one request waits",
			   f->request_timeout_ms, f->report_ttl_ms);
	/* the default asks for one other announcer; an edge alone has none to ask */
	if (!b->aux.fleet_min_announcing_pos.line && f->n_members == 1)
		b->p->fleet.min_announcing = 0;
	if (f->n_members && f->min_announcing >= f->n_members)
		policy_err(b,
			   b->aux.fleet_min_announcing_pos.line ? b->aux.fleet_min_announcing_pos :
								  b->aux.fleet_pos,
			   "fleet.min_announcing",
			   "%u other members can never announce in a fleet of %zu: use at most %zu",
			   f->min_announcing, f->n_members, f->n_members - 1);
}
