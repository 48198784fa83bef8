// SPDX-License-Identifier: GPL-2.0
/* The policy schema: the node tree -> struct policy, one mapping at a time through a table of
 * keys (unknown, duplicate and missing keys are reported by the walker), section by section,
 * top-down. Checks that need the whole file (references, duplicates, merged probes, limits) are
 * policy_check.c's; the YAML tree is policy_yaml.c's, single values policy_scalar.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_impl.h"

#define PATH_LEN 192

/* ---- walking mappings by table ---- */

static void path_key(char *buf, const char *path, const char *key)
{
	snprintf(buf, PATH_LEN, "%s%s%s", path, *path ? "." : "", key);
}

static void path_idx(char *buf, const char *path, size_t i)
{
	snprintf(buf, PATH_LEN, "%s[%zu]", path, i);
}

static const struct field *field_find(const struct field *f, size_t nf, const char *key)
{
	size_t i;

	for (i = 0; i < nf; i++)
		if (!strcmp(f[i].key, key))
			return &f[i];
	return NULL;
}

static void unknown_key(struct policy_build *b, const struct ynode *k, const char *path,
			const struct field *f, size_t nf)
{
	char keys[POLICY_MSG_LEN / 2] = "", q[64];
	size_t i, n = 0;

	for (i = 0; i < nf && n < sizeof(keys); i++)
		n += snprintf(keys + n, sizeof(keys) - n, "%s%s", i ? ", " : "", f[i].key);
	policy_err(b, k->pos, path, "unknown key '%s' (expected one of: %s)",
		   policy_quote(k->str, q, sizeof(q)), keys);
}

/* Walk mapping n: each key to its field's parser; unknown, duplicate and missing required keys
 * are errors. Returns -ENOMEM or 0 (problems are reported, not returned).
 */
static int walk_map(struct policy_build *b, const struct ynode *n, const char *path,
		    const struct field *fields, size_t nf, void *obj)
{
	const struct ynode *seen[16] = { 0 };
	const struct ynode *k;
	const struct field *f;
	char kpath[PATH_LEN];
	size_t i;

	if (ynode_expect(b, n, YN_MAP, path, "a mapping"))
		return 0;
	for (i = 0; i + 1 < n->n; i += 2) {
		k = n->kids[i];
		if (k->bad || ynode_expect(b, k, YN_SCALAR, path, "a key"))
			continue;
		f = field_find(fields, nf, k->str);
		if (!f) {
			unknown_key(b, k, path, fields, nf);
			continue;
		}
		if (seen[f - fields]) {
			policy_err(b, k->pos, path, "duplicate key '%s' (first at line %u)", f->key,
				   seen[f - fields]->pos.line);
			continue;
		}
		seen[f - fields] = k;
		path_key(kpath, path, f->key);
		if (f->parse(b, n->kids[i + 1], kpath, obj, f->arg) == -ENOMEM)
			return -ENOMEM;
	}
	for (i = 0; i < nf; i++)
		if (fields[i].required && !seen[i])
			policy_err(b, n->pos, path, "missing required key '%s'", fields[i].key);
	return 0;
}

/* n must be a list of at most max items (more are reported once, at the first extra one). */
static int expect_list(struct policy_build *b, const struct ynode *n, const char *path, size_t max,
		       const char *what, size_t *count)
{
	if (ynode_expect(b, n, YN_SEQ, path, "a list"))
		return -EINVAL;
	*count = n->n;
	if (n->n > max) {
		policy_err(b, n->kids[max]->pos, path, "at most %zu %s allowed, got %zu", max, what,
			   n->n);
		*count = max;
	}
	return 0;
}

int policy_walk_map(struct policy_build *b, const struct ynode *n, const char *path,
		    const struct field *fields, size_t nf, void *obj)
{
	return walk_map(b, n, path, fields, nf, obj);
}

int policy_expect_list(struct policy_build *b, const struct ynode *n, const char *path, size_t max,
		       const char *what, size_t *count)
{
	return expect_list(b, n, path, max, what, count);
}

/* ---- the schema: probe blocks ---- */

static int probe_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		       int f)
{
	static const char *const types[] = { "http", "tcp" };
	struct probe_block *pb = obj;
	struct policy_probe *p = &pb->v;
	int ret = -EINVAL, t = 0;

	switch (f) {
	case PF_TYPE:
		ret = policy_get_word(b, v, path, types, ARRAY_SIZE(types), &t);
		p->type = t == 1 ? PROBE_TCP : PROBE_HTTP;
		break;
	case PF_PORT: {
		uint32_t port;

		ret = policy_get_u32(b, v, path, 1, 65535, &port);
		p->port = port;
		break;
	}
	case PF_PATH:
		ret = policy_get_str(b, v, path, p->path, sizeof(p->path));
		if (!ret && p->path[0] != '/') {
			policy_err(b, v->pos, path, "expected a URL path starting with '/'");
			ret = -EINVAL;
		}
		break;
	case PF_INTERVAL:
		ret = policy_get_duration(b, v, path, 1, &p->interval_ms);
		break;
	case PF_TIMEOUT:
		ret = policy_get_duration(b, v, path, 1, &p->timeout_ms);
		break;
	case PF_RISE:
		ret = policy_get_u32(b, v, path, 1, 1000, &p->rise);
		break;
	case PF_FALL:
		ret = policy_get_u32(b, v, path, 1, 1000, &p->fall);
		break;
	case PF_MAX_REPLICA_LAG:
		ret = policy_get_duration(b, v, path, 0, &p->max_replica_lag_ms);
		break;
	case PF_FAIL_ON_LAG: {
		static const char *const onoff[] = { "off", "on" };

		ret = policy_get_word(b, v, path, onoff, ARRAY_SIZE(onoff), &t);
		p->fail_on_lag = t == 1;
		break;
	}
	}
	if (!ret) {
		pb->set |= 1U << f;
		pb->fpos[f] = v->pos;
	} else {
		pb->bad |= 1U << f;
	}
	return ret;
}

static const struct field probe_fields[] = {
	{ "type", probe_field, false, PF_TYPE },
	{ "port", probe_field, false, PF_PORT },
	{ "path", probe_field, false, PF_PATH },
	{ "interval", probe_field, false, PF_INTERVAL },
	{ "timeout", probe_field, false, PF_TIMEOUT },
	{ "rise", probe_field, false, PF_RISE },
	{ "fall", probe_field, false, PF_FALL },
	{ "max_replica_lag", probe_field, false, PF_MAX_REPLICA_LAG },
	{ "fail_on_lag", probe_field, false, PF_FAIL_ON_LAG },
};

static int parse_probe_block(struct policy_build *b, const struct ynode *v, const char *path,
			     struct probe_block *pb)
{
	pb->present = true;
	pb->pos = v->pos;
	if (v->type != YN_MAP)
		pb->bad = ~0U; /* reported by walk_map: nothing more to say about its keys */
	return walk_map(b, v, path, probe_fields, ARRAY_SIZE(probe_fields), pb);
}

static int parse_global_probe(struct policy_build *b, const struct ynode *v, const char *path,
			      void *obj, int arg)
{
	return parse_probe_block(b, v, path, &b->aux.probe);
}

/* ---- the schema: edge ---- */

static int encap_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		       int family)
{
	struct policy_edge *e = &b->p->edge;
	int ret;

	ret = policy_get_addr(b, v, path, family,
			      family == AE_FAMILY_V4 ? &e->encap_v4 : &e->encap_v6);
	if (ret)
		b->aux.encap_bad = true;
	return ret;
}

static const struct field encap_fields[] = {
	{ "ipv4", encap_field, false, AE_FAMILY_V4 },
	{ "ipv6", encap_field, false, AE_FAMILY_V6 },
};

enum edge_field { EF_NAME, EF_INTERFACE, EF_REGION, EF_ENCAP, EF_MAC, EF_GW_MAC, EF_GATEWAY };

static bool interface_ok(const char *s)
{
	return *s && !strchr(s, '/') && !strpbrk(s, " \t:") && strcmp(s, ".") && strcmp(s, "..");
}

static int edge_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		      int f)
{
	struct policy_edge *e = &b->p->edge;
	int ret = -EINVAL;

	switch (f) {
	case EF_NAME:
		return policy_get_name(b, v, path, e->name);
	case EF_INTERFACE:
		ret = policy_get_str(b, v, path, e->interface, sizeof(e->interface));
		if (!ret && !interface_ok(e->interface)) {
			policy_err(b, v->pos, path, "not a valid interface name");
			ret = -EINVAL;
		}
		return ret;
	case EF_REGION:
		b->aux.has_edge_region = true;
		return policy_get_ref(b, v, path, &b->aux.edge_region);
	case EF_ENCAP:
		b->aux.encap_pos = v->pos;
		b->aux.encap_bad = v->type != YN_MAP;
		return walk_map(b, v, path, encap_fields, ARRAY_SIZE(encap_fields), NULL);
	case EF_MAC:
		ret = policy_get_mac(b, v, path, e->mac);
		e->has_mac = !ret;
		return ret;
	case EF_GW_MAC:
		ret = policy_get_mac(b, v, path, e->gateway_mac);
		e->has_gateway_mac = !ret;
		return ret;
	case EF_GATEWAY:
		return policy_get_addr(b, v, path, 0, &e->gateway);
	}
	return ret;
}

static const struct field edge_fields[] = {
	{ "name", edge_field, true, EF_NAME },
	{ "interface", edge_field, true, EF_INTERFACE },
	{ "region", edge_field, true, EF_REGION },
	{ "encap_source", edge_field, false, EF_ENCAP },
	{ "mac", edge_field, false, EF_MAC },
	{ "gateway_mac", edge_field, false, EF_GW_MAC },
	{ "gateway", edge_field, false, EF_GATEWAY },
};

static int parse_edge(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		      int arg)
{
	b->aux.has_edge = true;
	return walk_map(b, v, path, edge_fields, ARRAY_SIZE(edge_fields), NULL);
}

/* ---- the schema: regions and their backends ---- */

struct backend_obj {
	struct policy_backend *be;
	struct aux_backend *a;
};

enum backend_field { BF_ADDRESS, BF_WEIGHT, BF_PROBE };

static int backend_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
			 int f)
{
	struct backend_obj *o = obj;

	switch (f) {
	case BF_ADDRESS:
		o->a->addr_pos = v->pos;
		return policy_get_addr(b, v, path, 0, &o->be->addr);
	case BF_WEIGHT:
		return policy_get_u32(b, v, path, 0, 65535, &o->be->weight);
	case BF_PROBE:
		o->be->has_probe = true;
		return parse_probe_block(b, v, path, &o->a->probe);
	}
	return -EINVAL;
}

static const struct field backend_fields[] = {
	{ "address", backend_field, true, BF_ADDRESS },
	{ "weight", backend_field, false, BF_WEIGHT },
	{ "probe", backend_field, false, BF_PROBE },
};

struct region_obj {
	struct policy_region *r;
	struct aux_region *a;
};

static int region_backends(struct policy_build *b, const struct ynode *v, const char *path,
			   struct region_obj *o)
{
	struct backend_obj bo;
	char ipath[PATH_LEN];
	size_t i, n;
	int ret;

	if (expect_list(b, v, path, POLICY_MAX_BACKENDS_PER_REGION, "backends per region", &n))
		return 0;
	if (!n) {
		policy_err(b, v->pos, path, "expected at least one backend");
		return 0;
	}
	o->r->backends = calloc(n, sizeof(*o->r->backends));
	o->a->backends = calloc(n, sizeof(*o->a->backends));
	if (!o->r->backends || !o->a->backends)
		return -ENOMEM;
	o->r->n_backends = n;
	for (i = 0; i < n; i++) {
		bo.be = &o->r->backends[i];
		bo.a = &o->a->backends[i];
		bo.be->weight = 100;
		bo.be->pos = v->kids[i]->pos;
		path_idx(ipath, path, i);
		ret = walk_map(b, v->kids[i], ipath, backend_fields, ARRAY_SIZE(backend_fields),
			       &bo);
		if (ret)
			return ret;
	}
	return 0;
}

static int region_min_healthy(struct policy_build *b, const struct ynode *v, const char *path,
			      struct region_obj *o)
{
	const char *s = policy_get_scalar(b, v, path, "a count or a percentage");
	uint64_t count;
	char q[64];

	if (!s)
		return -EINVAL;
	o->a->min_healthy_pos = v->pos;
	if (policy_parse_pct(s, &o->r->min_healthy)) {
		o->r->min_healthy_is_pct = true;
		return 0;
	}
	if (policy_parse_decimal(s, strlen(s), &count) && count <= POLICY_MAX_BACKENDS_PER_REGION) {
		o->r->min_healthy = count;
		return 0;
	}
	policy_err(b, v->pos, path,
		   "expected a count of backends like 2 or a percentage like 50%%, got '%s'",
		   policy_quote(s, q, sizeof(q)));
	return -EINVAL;
}

enum region_field { RF_NAME, RF_MIN_HEALTHY, RF_PROBE, RF_BACKENDS };

static int region_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
			int f)
{
	struct region_obj *o = obj;

	switch (f) {
	case RF_NAME:
		o->a->name_pos = v->pos;
		return policy_get_name(b, v, path, o->r->name);
	case RF_MIN_HEALTHY:
		return region_min_healthy(b, v, path, o);
	case RF_PROBE:
		o->r->has_probe = true;
		return parse_probe_block(b, v, path, &o->a->probe);
	case RF_BACKENDS:
		return region_backends(b, v, path, o);
	}
	return -EINVAL;
}

static const struct field region_fields[] = {
	{ "name", region_field, true, RF_NAME },
	{ "min_healthy", region_field, false, RF_MIN_HEALTHY },
	{ "probe", region_field, false, RF_PROBE },
	{ "backends", region_field, true, RF_BACKENDS },
};

static int parse_regions(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
			 int arg)
{
	struct policy *p = b->p;
	struct region_obj o;
	char ipath[PATH_LEN];
	size_t i, n;
	int ret;

	if (expect_list(b, v, path, AE_MAX_REGIONS, "regions", &n))
		return 0;
	if (!n) {
		policy_err(b, v->pos, path, "expected at least one region");
		return 0;
	}
	p->regions = calloc(n, sizeof(*p->regions));
	b->aux.regions = calloc(n, sizeof(*b->aux.regions));
	if (!p->regions || !b->aux.regions)
		return -ENOMEM;
	p->n_regions = n;
	for (i = 0; i < n; i++) {
		o.r = &p->regions[i];
		o.a = &b->aux.regions[i];
		o.r->min_healthy = 1;
		o.r->pos = v->kids[i]->pos;
		path_idx(ipath, path, i);
		ret = walk_map(b, v->kids[i], ipath, region_fields, ARRAY_SIZE(region_fields), &o);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- the schema: clients ---- */

struct client_obj {
	struct policy_client *c;
	struct aux_client *a;
};

static int client_prefer(struct policy_build *b, const struct ynode *v, const char *path,
			 struct client_obj *o)
{
	char ipath[PATH_LEN];
	size_t i, n;

	if (expect_list(b, v, path, AE_MAX_PREFS, "preferred regions", &n))
		return 0;
	if (!n)
		policy_err(b, v->pos, path, "expected at least one region");
	for (i = 0; i < n; i++) {
		path_idx(ipath, path, i);
		policy_get_ref(b, v->kids[i], ipath, &o->a->prefer[i]);
	}
	o->c->n_prefer = n;
	return 0;
}

static int client_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
			int f)
{
	struct client_obj *o = obj;

	if (f == 0) {
		o->a->prefix_pos = v->pos;
		return policy_get_prefix(b, v, path, &o->c->prefix);
	}
	return client_prefer(b, v, path, o);
}

static const struct field client_fields[] = {
	{ "prefix", client_field, true, 0 },
	{ "prefer", client_field, true, 1 },
};

static int parse_clients(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
			 int arg)
{
	struct policy *p = b->p;
	struct client_obj o;
	char ipath[PATH_LEN];
	size_t i, n;
	int ret;

	if (expect_list(b, v, path, 2 * AE_MAX_PREFIXES, "client prefixes", &n) || !n)
		return 0;
	p->clients = calloc(n, sizeof(*p->clients));
	b->aux.clients = calloc(n, sizeof(*b->aux.clients));
	if (!p->clients || !b->aux.clients)
		return -ENOMEM;
	p->n_clients = n;
	for (i = 0; i < n; i++) {
		o.c = &p->clients[i];
		o.a = &b->aux.clients[i];
		o.c->pos = v->kids[i]->pos;
		path_idx(ipath, path, i);
		ret = walk_map(b, v->kids[i], ipath, client_fields, ARRAY_SIZE(client_fields), &o);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- the schema: VIPs ---- */

struct vip_obj {
	struct policy_vip *v;
	struct aux_vip *a;
};

static int vip_ports(struct policy_build *b, const struct ynode *v, const char *path,
		     struct vip_obj *o)
{
	char ipath[PATH_LEN];
	size_t i, n;

	if (expect_list(b, v, path, POLICY_MAX_PORTS, "ports per VIP", &n))
		return 0;
	if (!n)
		policy_err(b, v->pos, path, "expected at least one port like tcp/443");
	for (i = 0; i < n; i++) {
		path_idx(ipath, path, i);
		o->a->port_pos[i] = v->kids[i]->pos;
		policy_get_port(b, v->kids[i], ipath, &o->v->ports[i]);
	}
	o->v->n_ports = n;
	return 0;
}

static int vip_regions(struct policy_build *b, const struct ynode *v, const char *path,
		       struct vip_obj *o)
{
	char ipath[PATH_LEN];
	size_t i, n;

	if (expect_list(b, v, path, AE_MAX_VIP_REGIONS, "regions per VIP", &n))
		return 0;
	if (!n)
		policy_err(b, v->pos, path, "expected at least one region");
	for (i = 0; i < n; i++) {
		path_idx(ipath, path, i);
		policy_get_ref(b, v->kids[i], ipath, &o->a->regions[i]);
	}
	o->v->n_regions = n;
	return 0;
}

static int announce_field(struct policy_build *b, const struct ynode *v, const char *path,
			  void *obj, int f)
{
	static const char *const whens[] = { "no_region_up", "local_region_down" };
	struct vip_obj *o = obj;
	int w = 0, ret;

	if (f == 0) {
		o->a->announce_pos = v->pos;
		return policy_get_prefix(b, v, path, &o->v->announce);
	}
	o->a->withdraw_pos = v->pos;
	ret = policy_get_word(b, v, path, whens, ARRAY_SIZE(whens), &w);
	o->v->withdraw_when = w == 1 ? WITHDRAW_LOCAL_REGION_DOWN : WITHDRAW_NO_REGION_UP;
	return ret;
}

static const struct field announce_fields[] = {
	{ "prefix", announce_field, true, 0 },
	{ "withdraw_when", announce_field, false, 1 },
};

enum vip_field { VF_NAME, VF_ADDRESS, VF_PORTS, VF_MODE, VF_PRIMARY, VF_AUTO, VF_REGIONS, VF_ANN };

static int vip_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		     int f)
{
	static const char *const modes[] = { "active-active", "active-passive" };
	static const char *const autos[] = { "local", "fleet" };
	struct vip_obj *o = obj;
	int w = 0, ret = -EINVAL;

	switch (f) {
	case VF_NAME:
		o->a->name_pos = v->pos;
		return policy_get_name(b, v, path, o->v->name);
	case VF_ADDRESS:
		o->a->addr_pos = v->pos;
		return policy_get_addr(b, v, path, 0, &o->v->addr);
	case VF_PORTS:
		return vip_ports(b, v, path, o);
	case VF_MODE:
		o->a->mode_pos = v->pos;
		ret = policy_get_word(b, v, path, modes, ARRAY_SIZE(modes), &w);
		o->v->mode = w == 1 ? VIP_ACTIVE_PASSIVE : VIP_ACTIVE_ACTIVE;
		return ret;
	case VF_PRIMARY:
		o->a->has_primary = true;
		return policy_get_ref(b, v, path, &o->a->primary);
	case VF_AUTO:
		o->a->has_auto_promote = true;
		o->a->auto_promote_pos = v->pos;
		ret = policy_get_word(b, v, path, autos, ARRAY_SIZE(autos), &w);
		o->v->auto_promote_local = !ret && w == 0;
		o->v->auto_promote_fleet = !ret && w == 1;
		return ret;
	case VF_REGIONS:
		return vip_regions(b, v, path, o);
	case VF_ANN:
		o->v->has_announce = true;
		return walk_map(b, v, path, announce_fields, ARRAY_SIZE(announce_fields), o);
	}
	return ret;
}

static const struct field vip_fields[] = {
	{ "name", vip_field, true, VF_NAME },	     { "address", vip_field, true, VF_ADDRESS },
	{ "ports", vip_field, true, VF_PORTS },	     { "mode", vip_field, false, VF_MODE },
	{ "primary", vip_field, false, VF_PRIMARY }, { "auto_promote", vip_field, false, VF_AUTO },
	{ "regions", vip_field, true, VF_REGIONS },  { "announce", vip_field, false, VF_ANN },
};

static int parse_vips(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		      int arg)
{
	struct policy *p = b->p;
	char ipath[PATH_LEN];
	struct vip_obj o;
	size_t i, n;
	int ret;

	if (expect_list(b, v, path, AE_MAX_VIPS, "VIPs", &n))
		return 0;
	if (!n) {
		policy_err(b, v->pos, path, "expected at least one VIP");
		return 0;
	}
	p->vips = calloc(n, sizeof(*p->vips));
	b->aux.vips = calloc(n, sizeof(*b->aux.vips));
	if (!p->vips || !b->aux.vips)
		return -ENOMEM;
	p->n_vips = n;
	for (i = 0; i < n; i++) {
		o.v = &p->vips[i];
		o.a = &b->aux.vips[i];
		o.v->primary = -1;
		o.v->pos = v->kids[i]->pos;
		path_idx(ipath, path, i);
		ret = walk_map(b, v->kids[i], ipath, vip_fields, ARRAY_SIZE(vip_fields), &o);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- the schema: bgp, api, safety, dataplane ---- */

/* "ASN:VALUE", both 16 bits; ASN 0 and 65535 are reserved (65535:x are well-known ones such as
 * GRACEFUL_SHUTDOWN, which the drain twin adds itself).
 */
static int bgp_community(struct policy_build *b, const struct ynode *v, const char *path)
{
	const char *s = policy_get_scalar(b, v, path, "a BGP community like 64512:100");
	uint64_t asn, val;
	const char *colon;
	char q[64];

	if (!s)
		return -EINVAL;
	colon = strchr(s, ':');
	if (colon && policy_parse_decimal(s, colon - s, &asn) &&
	    policy_parse_decimal(colon + 1, strlen(colon + 1), &val) && asn >= 1 && asn <= 65534 &&
	    val <= 65535) {
		b->p->bgp.community_asn = asn;
		b->p->bgp.community_value = val;
		return 0;
	}
	policy_err(b, v->pos, path,
		   "expected a BGP community ASN:VALUE like 64512:100 (ASN 1..65534, VALUE "
		   "0..65535), got '%s'",
		   policy_quote(s, q, sizeof(q)));
	return -EINVAL;
}

/* BIRD reads the state files through an include glob inside a quoted string: the directory must
 * be absolute (BIRD resolves relative includes against its own config directory) and hold no
 * quote or glob character; room is left for the longest protocol file name.
 */
static int bgp_state_dir(struct policy_build *b, const struct ynode *v, const char *path)
{
	char *d = b->p->bgp.state_dir;
	size_t max = sizeof(b->p->bgp.state_dir) - POLICY_BIRD_SYM_MAX - 8;
	const char *bad;
	int ret;

	ret = policy_get_str(b, v, path, d, sizeof(b->p->bgp.state_dir));
	if (ret)
		return ret;
	bad = strpbrk(d, "\"*?[]{}\\\n");
	if (d[0] != '/' || bad || strlen(d) > max) {
		policy_err(b, v->pos, path,
			   "expected an absolute directory path of at most %zu characters without "
			   "quotes, backslashes or glob characters (*?[]{})",
			   max);
		d[0] = '\0';
		return -EINVAL;
	}
	return 0;
}

enum misc_field {
	MF_BIRD_SOCKET,
	MF_HOLD_DOWN,
	MF_SESSION,
	MF_STATE_DIR,
	MF_DRAIN_WAIT,
	MF_COMMUNITY,
	MF_PREPEND,
	MF_DAMPING,
	MF_DAMP_PENALTY,
	MF_DAMP_HALF_LIFE,
	MF_DAMP_SUPPRESS,
	MF_DAMP_REUSE,
	MF_DAMP_MAX_SUPPRESS,
	MF_LISTEN,
	MF_TOKEN_FILE,
	MF_GUARD,
	MF_PANIC,
	MF_HASH_SEED,
	MF_RING_SIZE,
	MF_FLOW_TABLE,
};

static int misc_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		      int f);

static const struct field damping_fields[] = {
	{ "penalty", misc_field, false, MF_DAMP_PENALTY },
	{ "half_life", misc_field, false, MF_DAMP_HALF_LIFE },
	{ "suppress", misc_field, false, MF_DAMP_SUPPRESS },
	{ "reuse", misc_field, false, MF_DAMP_REUSE },
	{ "max_suppress", misc_field, false, MF_DAMP_MAX_SUPPRESS },
};

static int misc_field(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		      int f)
{
	struct policy *p = b->p;

	switch (f) {
	case MF_BIRD_SOCKET:
		return policy_get_str(b, v, path, p->bgp.bird_socket, sizeof(p->bgp.bird_socket));
	case MF_HOLD_DOWN:
		return policy_get_duration(b, v, path, 0, &p->bgp.hold_down_ms);
	case MF_SESSION:
		return policy_get_name(b, v, path, p->bgp.session);
	case MF_STATE_DIR:
		return bgp_state_dir(b, v, path);
	case MF_DRAIN_WAIT:
		return policy_get_duration(b, v, path, 0, &p->bgp.drain_wait_ms);
	case MF_COMMUNITY:
		return bgp_community(b, v, path);
	case MF_PREPEND:
		return policy_get_u32(b, v, path, 0, 16, &p->bgp.prepend);
	case MF_DAMPING:
		b->aux.damping_pos = v->pos;
		return walk_map(b, v, path, damping_fields, ARRAY_SIZE(damping_fields), NULL);
	case MF_DAMP_PENALTY:
		return policy_get_u32(b, v, path, 0, 1000000, &p->bgp.damping.penalty);
	case MF_DAMP_HALF_LIFE:
		return policy_get_duration(b, v, path, 1000, &p->bgp.damping.half_life_ms);
	case MF_DAMP_SUPPRESS:
		return policy_get_u32(b, v, path, 1, 1000000, &p->bgp.damping.suppress);
	case MF_DAMP_REUSE:
		b->aux.reuse_pos = v->pos;
		return policy_get_u32(b, v, path, 1, 1000000, &p->bgp.damping.reuse);
	case MF_DAMP_MAX_SUPPRESS:
		return policy_get_duration(b, v, path, 0, &p->bgp.damping.max_suppress_ms);
	case MF_LISTEN:
		return policy_get_str(b, v, path, p->api.listen, sizeof(p->api.listen));
	case MF_TOKEN_FILE:
		return policy_get_str(b, v, path, p->api.token_file, sizeof(p->api.token_file));
	case MF_GUARD: {
		static const char *const onoff[] = { "off", "on" };
		int w = 1, ret = policy_get_word(b, v, path, onoff, ARRAY_SIZE(onoff), &w);

		p->safety.guard = w == 1;
		return ret;
	}
	case MF_PANIC:
		/* a safety knob silently ignored would mislead: say what replaced it */
		policy_err(
			b, v->pos, path,
			"removed: a share of all backends cannot tell a dead region from a blind "
			"edge; the guard now freezes only on evidence of the edge's own "
			"blindness (safety.guard: on, the default; see SCHEMA.md)");
		return -EINVAL;
	case MF_HASH_SEED:
		return policy_get_u32(b, v, path, 0, UINT32_MAX, &p->dataplane.hash_seed);
	case MF_RING_SIZE:
		b->aux.ring_size_pos = v->pos;
		return policy_get_u32(b, v, path, 2, 1 << 24, &p->dataplane.ring_size);
	case MF_FLOW_TABLE:
		/* prefaulted at load: 2^24 flows are 1 GiB; 2^28 would take 16 GiB at once */
		return policy_get_u32(b, v, path, 1, POLICY_FLOW_TABLE_MAX,
				      &p->dataplane.flow_table_size);
	}
	return -EINVAL;
}

static const struct field bgp_fields[] = {
	{ "bird_socket", misc_field, false, MF_BIRD_SOCKET },
	{ "hold_down", misc_field, false, MF_HOLD_DOWN },
	{ "session", misc_field, false, MF_SESSION },
	{ "state_dir", misc_field, false, MF_STATE_DIR },
	{ "drain_wait", misc_field, false, MF_DRAIN_WAIT },
	{ "community", misc_field, false, MF_COMMUNITY },
	{ "prepend", misc_field, false, MF_PREPEND },
	{ "damping", misc_field, false, MF_DAMPING },
};

static const struct field api_fields[] = {
	{ "listen", misc_field, false, MF_LISTEN },
	{ "token_file", misc_field, false, MF_TOKEN_FILE },
};

static const struct field safety_fields[] = {
	{ "guard", misc_field, false, MF_GUARD },
	{ "panic_threshold", misc_field, false, MF_PANIC },
};

static const struct field dataplane_fields[] = {
	{ "hash_seed", misc_field, false, MF_HASH_SEED },
	{ "ring_size", misc_field, false, MF_RING_SIZE },
	{ "flow_table_size", misc_field, false, MF_FLOW_TABLE },
};

enum block { BL_BGP, BL_API, BL_SAFETY, BL_DATAPLANE };

static int parse_block(struct policy_build *b, const struct ynode *v, const char *path, void *obj,
		       int which)
{
	switch (which) {
	case BL_BGP:
		return walk_map(b, v, path, bgp_fields, ARRAY_SIZE(bgp_fields), NULL);
	case BL_API:
		return walk_map(b, v, path, api_fields, ARRAY_SIZE(api_fields), NULL);
	case BL_SAFETY:
		return walk_map(b, v, path, safety_fields, ARRAY_SIZE(safety_fields), NULL);
	default:
		return walk_map(b, v, path, dataplane_fields, ARRAY_SIZE(dataplane_fields), NULL);
	}
}

static const struct field top_fields[] = {
	{ "edge", parse_edge, true, 0 },
	{ "regions", parse_regions, true, 0 },
	{ "probe", parse_global_probe, false, 0 },
	{ "clients", parse_clients, false, 0 },
	{ "vips", parse_vips, true, 0 },
	{ "bgp", parse_block, false, BL_BGP },
	{ "api", parse_block, false, BL_API },
	{ "safety", parse_block, false, BL_SAFETY },
	{ "dataplane", parse_block, false, BL_DATAPLANE },
	{ "fleet", policy_parse_fleet, false, 0 },
};

int policy_parse_root(struct policy_build *b, const struct ynode *root)
{
	b->aux.root_pos = root->pos;
	if (ynode_is_null(root)) {
		policy_err(b, no_pos, NULL, "the file is empty: expected a policy mapping");
		return 0;
	}
	if (root->type != YN_MAP) {
		ynode_expect(b, root, YN_MAP, "top level",
			     "a mapping of policy keys (edge, regions, ...)");
		return 0;
	}
	return walk_map(b, root, "", top_fields, ARRAY_SIZE(top_fields), NULL);
}
