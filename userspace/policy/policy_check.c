// SPDX-License-Identifier: GPL-2.0
/* Checks over the whole parsed policy: region references resolved to indices, probes merged
 * (global, then region, then backend), duplicates, mode rules, encap sources and the limits the
 * data plane's maps impose. Each problem is reported where it stands in the file.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_impl.h"

#define PATH_LEN 192
#define BIT(n) (1U << (n))

static void path_fmt(char buf[PATH_LEN], const char *fmt, size_t i, size_t j)
{
	snprintf(buf, PATH_LEN, fmt, i, j);
}

/* "a, b, c" of the regions idx[0..n), or of all regions when idx is NULL. */
static const char *region_list(const struct policy *p, const uint8_t *idx, size_t n, char *buf,
			       size_t len)
{
	size_t i, used = 0;
	const char *name;

	buf[0] = '\0';
	if (!idx)
		n = p->n_regions;
	for (i = 0; i < n && used < len; i++) {
		if (idx && idx[i] >= p->n_regions)
			continue;
		name = p->regions[idx ? idx[i] : i].name;
		if (!idx && policy_region_index(p, name) != (int)i)
			continue; /* a duplicate name, reported elsewhere */
		used += snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
	}
	return buf;
}

/* Index of the region ref names; -1, reported, when there is none. */
static int resolve(struct policy_build *b, const struct policy_ref *ref, const char *path)
{
	char list[256];
	int r;

	/* a bad name, or no regions at all: already reported */
	if (!ref->name[0] || !b->p->n_regions)
		return -1;
	r = policy_region_index(b->p, ref->name);
	if (r < 0)
		policy_err(b, ref->pos, path, "region '%s' is not defined (regions: %s)", ref->name,
			   region_list(b->p, NULL, 0, list, sizeof(list)));
	return r;
}

static const char *fmt_ms(uint32_t ms, char *buf, size_t len)
{
	if (ms && ms % 1000 == 0)
		snprintf(buf, len, "%us", ms / 1000);
	else
		snprintf(buf, len, "%ums", ms);
	return buf;
}

/* ---- regions and backends ---- */

static void check_regions(struct policy_build *b)
{
	const struct policy *p = b->p;
	const struct policy_region *r;
	char path[PATH_LEN];
	size_t i, j, total = 0;

	for (i = 0; i < p->n_regions; i++) {
		r = &p->regions[i];
		total += r->n_backends;
		for (j = 0; j < i && r->name[0]; j++) {
			if (strcmp(r->name, p->regions[j].name))
				continue;
			path_fmt(path, "regions[%zu].name", i, 0);
			policy_err(b, b->aux.regions[i].name_pos, path,
				   "duplicate region name '%s' (first at line %u)", r->name,
				   b->aux.regions[j].name_pos.line);
			break;
		}
		if (!r->min_healthy_is_pct && r->n_backends && r->min_healthy > r->n_backends) {
			path_fmt(path, "regions[%zu].min_healthy", i, 0);
			policy_err(b, b->aux.regions[i].min_healthy_pos, path,
				   "%u healthy backends needed but the region has only %zu",
				   r->min_healthy, r->n_backends);
		}
	}
	if (total > AE_MAX_BACKENDS)
		policy_err(b, b->aux.root_pos, "regions", "%zu backends in all; at most %d", total,
			   AE_MAX_BACKENDS);
}

struct backend_at {
	struct inet_addr addr;
	uint32_t region;
	uint32_t i;
};

static int backend_at_cmp(const void *x, const void *y)
{
	const struct backend_at *a = x, *c = y;
	int d = inet_addr_cmp(&a->addr, &c->addr);

	if (d)
		return d;
	if (a->region != c->region)
		return a->region < c->region ? -1 : 1;
	return a->i < c->i ? -1 : a->i > c->i;
}

/* A backend belongs to one region, once: sort by address, report all but the first of a run. */
static int check_backends_unique(struct policy_build *b)
{
	const struct policy *p = b->p;
	struct backend_at *all, *first = NULL;
	char path[PATH_LEN], addr[INET_ADDR_STR];
	size_t r, i, n = 0;

	for (r = 0; r < p->n_regions; r++)
		n += p->regions[r].n_backends;
	all = calloc(n ? n : 1, sizeof(*all));
	if (!all)
		return -ENOMEM;
	n = 0;
	for (r = 0; r < p->n_regions; r++)
		for (i = 0; i < p->regions[r].n_backends; i++)
			all[n++] = (struct backend_at){ p->regions[r].backends[i].addr, r, i };
	qsort(all, n, sizeof(*all), backend_at_cmp);
	for (i = 0; i < n; i++) {
		if (!all[i].addr.family)
			continue;
		if (!first || !inet_addr_eq(&first->addr, &all[i].addr)) {
			first = &all[i];
			continue;
		}
		path_fmt(path, "regions[%zu].backends[%zu].address", all[i].region, all[i].i);
		policy_err(b, b->aux.regions[all[i].region].backends[all[i].i].addr_pos, path,
			   "backend %s is already listed as regions[%u].backends[%u] (line %u)",
			   inet_addr_str(&all[i].addr, addr, sizeof(addr)), first->region, first->i,
			   b->aux.regions[first->region].backends[first->i].addr_pos.line);
	}
	free(all);
	return 0;
}

/* ---- probes: global, then region, then backend ---- */

static void probe_merge(struct policy_probe *dst, const struct probe_block *pb)
{
	const struct policy_probe *s = &pb->v;

	if (pb->set & BIT(PF_TYPE))
		dst->type = s->type;
	if (pb->set & BIT(PF_PORT))
		dst->port = s->port;
	if (pb->set & BIT(PF_PATH))
		memcpy(dst->path, s->path, sizeof(dst->path));
	if (pb->set & BIT(PF_INTERVAL))
		dst->interval_ms = s->interval_ms;
	if (pb->set & BIT(PF_TIMEOUT))
		dst->timeout_ms = s->timeout_ms;
	if (pb->set & BIT(PF_RISE))
		dst->rise = s->rise;
	if (pb->set & BIT(PF_FALL))
		dst->fall = s->fall;
	if (pb->set & BIT(PF_MAX_REPLICA_LAG))
		dst->max_replica_lag_ms = s->max_replica_lag_ms;
	if (pb->set & BIT(PF_FAIL_ON_LAG))
		dst->fail_on_lag = s->fail_on_lag;
}

/* e is what pb makes of its parent's probe; a wrong pair is reported by the block that set one of
 * its halves, so an inherited mistake is reported once, where it was made.
 */
static void probe_validate(struct policy_build *b, const struct policy_probe *e,
			   const struct probe_block *pb, const char *path)
{
	char t[24], i[24];
	struct policy_pos pos;

	if (e->timeout_ms < e->interval_ms || !(pb->set & (BIT(PF_TIMEOUT) | BIT(PF_INTERVAL))))
		return;
	pos = pb->set & BIT(PF_TIMEOUT) ? pb->fpos[PF_TIMEOUT] : pb->fpos[PF_INTERVAL];
	policy_err(b, pos, path, "timeout %s must be less than interval %s",
		   fmt_ms(e->timeout_ms, t, sizeof(t)), fmt_ms(e->interval_ms, i, sizeof(i)));
}

/* Was the port given anywhere on the way to this backend, even wrongly (then reported)? */
static bool port_was_bad(const struct policy_build *b, size_t r, size_t i)
{
	const struct aux_region *a = &b->aux.regions[r];

	return (b->aux.probe.bad | a->probe.bad | a->backends[i].probe.bad) & BIT(PF_PORT);
}

static void check_region_probes(struct policy_build *b, size_t r, bool *port_reported)
{
	struct policy_region *reg = &b->p->regions[r];
	struct aux_region *a = &b->aux.regions[r];
	struct policy_backend *be;
	char path[PATH_LEN];
	size_t i;

	reg->probe = b->p->probe;
	probe_merge(&reg->probe, &a->probe);
	path_fmt(path, "regions[%zu].probe", r, 0);
	probe_validate(b, &reg->probe, &a->probe, path);
	for (i = 0; i < reg->n_backends; i++) {
		be = &reg->backends[i];
		be->probe = reg->probe;
		probe_merge(&be->probe, &a->backends[i].probe);
		path_fmt(path, "regions[%zu].backends[%zu].probe", r, i);
		probe_validate(b, &be->probe, &a->backends[i].probe, path);
		if (be->probe.port || *port_reported || port_was_bad(b, r, i))
			continue;
		*port_reported = true;
		path_fmt(path, "regions[%zu].backends[%zu]", r, i);
		policy_err(b, be->pos, path,
			   "no probe port: set probe.port (or a region's or backend's probe.port)");
	}
}

static void check_probes(struct policy_build *b)
{
	bool port_reported = false;
	size_t r;

	probe_merge(&b->p->probe, &b->aux.probe);
	probe_validate(b, &b->p->probe, &b->aux.probe, "probe");
	for (r = 0; r < b->p->n_regions; r++)
		check_region_probes(b, r, &port_reported);
}

/* ---- edge ---- */

static void check_edge(struct policy_build *b)
{
	if (b->aux.has_edge_region)
		b->p->edge.region = resolve(b, &b->aux.edge_region, "edge.region");
}

/* The tunnel to a backend has an outer header of the backend's family: its source must exist. */
static void check_encap(struct policy_build *b)
{
	const struct policy *p = b->p;
	const struct inet_addr *a;
	char path[PATH_LEN];
	bool seen4 = false, seen6 = false, v4;
	size_t r, i;

	if (!b->aux.has_edge || b->aux.encap_bad) /* already reported */
		return;
	for (r = 0; r < p->n_regions; r++) {
		for (i = 0; i < p->regions[r].n_backends; i++) {
			a = &p->regions[r].backends[i].addr;
			v4 = a->family == AE_FAMILY_V4;
			if (!a->family || (v4 && (seen4 || p->edge.encap_v4.family)) ||
			    (!v4 && (seen6 || p->edge.encap_v6.family)))
				continue;
			*(v4 ? &seen4 : &seen6) = true;
			path_fmt(path, "regions[%zu].backends[%zu].address", r, i);
			policy_err(
				b, b->aux.regions[r].backends[i].addr_pos, path,
				"an %s backend needs edge.encap_source.%s (the tunnel's outer source)",
				v4 ? "IPv4" : "IPv6", v4 ? "ipv4" : "ipv6");
		}
	}
}

/* ---- clients ---- */

static void check_client_prefer(struct policy_build *b, size_t c)
{
	struct policy_client *cl = &b->p->clients[c];
	const struct policy_ref *ref = b->aux.clients[c].prefer;
	char path[PATH_LEN];
	size_t k, j;
	int r;

	for (k = 0; k < cl->n_prefer; k++) {
		path_fmt(path, "clients[%zu].prefer[%zu]", c, k);
		r = resolve(b, &ref[k], path);
		cl->prefer[k] = r < 0 ? AE_NO_REGION : r;
		for (j = 0; j < k && r >= 0; j++) {
			if (cl->prefer[j] != r)
				continue;
			policy_err(b, ref[k].pos, path, "region '%s' is listed twice", ref[k].name);
			break;
		}
	}
}

struct client_at {
	struct inet_prefix prefix;
	size_t i;
};

static int client_at_cmp(const void *x, const void *y)
{
	const struct client_at *a = x, *c = y;
	int d = inet_addr_cmp(&a->prefix.addr, &c->prefix.addr);

	if (d)
		return d;
	if (a->prefix.len != c->prefix.len)
		return a->prefix.len < c->prefix.len ? -1 : 1;
	return a->i < c->i ? -1 : a->i > c->i;
}

static bool prefix_eq(const struct inet_prefix *a, const struct inet_prefix *c)
{
	return a->len == c->len && inet_addr_eq(&a->addr, &c->addr);
}

static void check_client_dups(struct policy_build *b, struct client_at *all, size_t n)
{
	char path[PATH_LEN], pfx[INET_PREFIX_STR];
	const struct client_at *first = NULL;
	size_t i;

	qsort(all, n, sizeof(*all), client_at_cmp);
	for (i = 0; i < n; i++) {
		if (!all[i].prefix.addr.family)
			continue;
		if (!first || !prefix_eq(&first->prefix, &all[i].prefix)) {
			first = &all[i];
			continue;
		}
		path_fmt(path, "clients[%zu].prefix", all[i].i, 0);
		policy_err(b, b->aux.clients[all[i].i].prefix_pos, path,
			   "prefix %s is already listed as clients[%zu] (line %u)",
			   inet_prefix_str(&all[i].prefix, pfx, sizeof(pfx)), first->i,
			   b->aux.clients[first->i].prefix_pos.line);
	}
}

static int check_clients(struct policy_build *b)
{
	const struct policy *p = b->p;
	size_t c, n4 = 0, n6 = 0;
	struct client_at *all;
	char path[PATH_LEN];

	all = calloc(p->n_clients ? p->n_clients : 1, sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (c = 0; c < p->n_clients; c++) {
		check_client_prefer(b, c);
		all[c] = (struct client_at){ p->clients[c].prefix, c };
		n4 += p->clients[c].prefix.addr.family == AE_FAMILY_V4;
		n6 += p->clients[c].prefix.addr.family == AE_FAMILY_V6;
		if (!p->clients[c].prefix.addr.family || p->clients[c].prefix.len)
			continue;
		path_fmt(path, "clients[%zu].prefix", c, 0);
		policy_err(b, b->aux.clients[c].prefix_pos, path,
			   "a /0 prefix is reserved: clients no prefix matches use edge.region");
	}
	check_client_dups(b, all, p->n_clients);
	free(all);
	if (n4 > AE_MAX_PREFIXES || n6 > AE_MAX_PREFIXES)
		policy_err(b, b->aux.root_pos, "clients",
			   "%zu IPv4 and %zu IPv6 prefixes; at most %d of each", n4, n6,
			   AE_MAX_PREFIXES);
	return 0;
}

/* ---- VIPs ---- */

static void check_vip_regions(struct policy_build *b, size_t v)
{
	struct policy_vip *vip = &b->p->vips[v];
	const struct policy_ref *ref = b->aux.vips[v].regions;
	char path[PATH_LEN];
	size_t k, j;
	int r;

	for (k = 0; k < vip->n_regions; k++) {
		path_fmt(path, "vips[%zu].regions[%zu]", v, k);
		r = resolve(b, &ref[k], path);
		vip->regions[k] = r < 0 ? AE_NO_REGION : r;
		for (j = 0; j < k && r >= 0; j++) {
			if (vip->regions[j] != r)
				continue;
			policy_err(b, ref[k].pos, path, "region '%s' is listed twice", ref[k].name);
			break;
		}
	}
}

/* The primary by name among the VIP's own regions; -1 when it is not one of them. */
static int vip_primary_index(const struct policy_vip *vip, const struct aux_vip *a)
{
	size_t k;

	for (k = 0; k < vip->n_regions; k++)
		if (!strcmp(a->regions[k].name, a->primary.name))
			return vip->regions[k] == AE_NO_REGION ? -1 : vip->regions[k];
	return -1;
}

static void check_vip_mode(struct policy_build *b, size_t v)
{
	struct policy_vip *vip = &b->p->vips[v];
	const struct aux_vip *a = &b->aux.vips[v];
	char path[PATH_LEN], list[256];

	if (vip->mode == VIP_ACTIVE_ACTIVE) {
		path_fmt(path, "vips[%zu].primary", v, 0);
		if (a->has_primary)
			policy_err(
				b, a->primary.pos, path,
				"only an active-passive VIP has a primary (set mode: active-passive)");
		path_fmt(path, "vips[%zu].auto_promote", v, 0);
		if (a->has_auto_promote)
			policy_err(b, a->auto_promote_pos, path,
				   "only an active-passive VIP can be promoted");
		return;
	}
	path_fmt(path, "vips[%zu]", v, 0);
	if (!a->has_primary) {
		policy_err(b, vip->pos, path, "an active-passive VIP needs primary: REGION");
		return;
	}
	if (!a->primary.name[0])
		return;
	path_fmt(path, "vips[%zu].primary", v, 0);
	vip->primary = vip_primary_index(vip, a);
	if (vip->primary < 0)
		policy_err(b, a->primary.pos, path,
			   "region '%s' is not among the VIP's regions [%s]", a->primary.name,
			   region_list(b->p, vip->regions, vip->n_regions, list, sizeof(list)));
}

static bool vip_lists_region(const struct policy_vip *vip, int r)
{
	size_t i;

	for (i = 0; i < vip->n_regions; i++)
		if (vip->regions[i] == r)
			return true;
	return false;
}

static void check_vip_announce(struct policy_build *b, size_t v)
{
	const struct policy_vip *vip = &b->p->vips[v];
	char path[PATH_LEN], pfx[INET_PREFIX_STR], addr[INET_ADDR_STR];

	if (vip->has_announce && vip->withdraw_when == WITHDRAW_LOCAL_REGION_DOWN &&
	    b->p->edge.region >= 0 && !vip_lists_region(vip, b->p->edge.region)) {
		/* it could never be announced: say so rather than stay silent */
		path_fmt(path, "vips[%zu].announce.withdraw_when", v, 0);
		policy_err(
			b, b->aux.vips[v].withdraw_pos, path,
			"local_region_down needs the VIP to list edge.region '%s' in its regions",
			b->p->regions[b->p->edge.region].name);
	}
	if (!vip->has_announce || !vip->addr.family || !vip->announce.addr.family)
		return;
	if (inet_prefix_contains(&vip->announce, &vip->addr))
		return;
	path_fmt(path, "vips[%zu].announce.prefix", v, 0);
	policy_err(b, b->aux.vips[v].announce_pos, path, "%s does not contain the VIP's address %s",
		   inet_prefix_str(&vip->announce, pfx, sizeof(pfx)),
		   inet_addr_str(&vip->addr, addr, sizeof(addr)));
}

/* BIRD symbols are [A-Za-z_][A-Za-z0-9_]*: a VIP name's '-' and '.' become '_'. */
static void vip_bird_proto(struct policy_vip *vip)
{
	char *c;

	snprintf(vip->bird_proto, sizeof(vip->bird_proto), "anyedge_%s", vip->name);
	for (c = vip->bird_proto; *c; c++)
		if (*c == '-' || *c == '.')
			*c = '_';
}

/* Two announced VIPs must not map to one protocol, nor one's plain protocol to the other's drain
 * twin ("web_drain" against the twin of "web"); and the twin's name must fit BIRD's limit.
 */
static void check_vip_bird_names(struct policy_build *b, size_t v)
{
	const struct policy *p = b->p;
	const struct policy_vip *vip = &p->vips[v], *o;
	size_t j, len = strlen(vip->bird_proto);
	char path[PATH_LEN], twin[sizeof(vip->bird_proto) + 8];

	if (!vip->has_announce || !vip->name[0])
		return;
	path_fmt(path, "vips[%zu].name", v, 0);
	if (len + strlen("_drain") > POLICY_BIRD_SYM_MAX) {
		policy_err(b, b->aux.vips[v].name_pos, path,
			   "too long for an announced VIP: its BIRD protocol %s_drain would exceed "
			   "BIRD's %d characters (at most %d characters)",
			   vip->bird_proto, POLICY_BIRD_SYM_MAX,
			   POLICY_BIRD_SYM_MAX - (int)strlen("anyedge__drain"));
		return;
	}
	for (j = 0; j < v; j++) {
		o = &p->vips[j];
		if (!o->has_announce || !o->name[0] || !strcmp(o->name, vip->name))
			continue; /* a duplicate name is reported by check_vip_names */
		if (!strcmp(o->bird_proto, vip->bird_proto)) {
			policy_err(b, b->aux.vips[v].name_pos, path,
				   "'%s' and vips[%zu] '%s' (line %u) both become BIRD protocol %s "
				   "('-' and '.' turn into '_'): rename one",
				   vip->name, j, o->name, b->aux.vips[j].name_pos.line,
				   vip->bird_proto);
			return;
		}
		snprintf(twin, sizeof(twin), "%s_drain", o->bird_proto);
		if (!strcmp(twin, vip->bird_proto)) {
			policy_err(
				b, b->aux.vips[v].name_pos, path,
				"'%s' becomes BIRD protocol %s, the drain twin of vips[%zu] '%s' "
				"(line %u): rename one",
				vip->name, vip->bird_proto, j, o->name,
				b->aux.vips[j].name_pos.line);
			return;
		}
		snprintf(twin, sizeof(twin), "%s_drain", vip->bird_proto);
		if (!strcmp(twin, o->bird_proto)) {
			policy_err(
				b, b->aux.vips[v].name_pos, path,
				"the drain twin of '%s' would be BIRD protocol %s, already that of "
				"vips[%zu] '%s' (line %u): rename one",
				vip->name, twin, j, o->name, b->aux.vips[j].name_pos.line);
			return;
		}
	}
}

static void check_vip_names(struct policy_build *b, size_t v)
{
	const struct policy *p = b->p;
	char path[PATH_LEN];
	size_t j;

	for (j = 0; j < v && p->vips[v].name[0]; j++) {
		if (strcmp(p->vips[v].name, p->vips[j].name))
			continue;
		path_fmt(path, "vips[%zu].name", v, 0);
		policy_err(b, b->aux.vips[v].name_pos, path,
			   "duplicate VIP name '%s' (first at line %u)", p->vips[v].name,
			   b->aux.vips[j].name_pos.line);
		return;
	}
}

struct vip_key_at {
	struct inet_addr addr;
	uint8_t proto;
	uint16_t port;
	uint32_t vip;
	uint32_t i; /* index into the VIP's ports */
};

static int vip_key_cmp(const void *x, const void *y)
{
	const struct vip_key_at *a = x, *c = y;
	int d = inet_addr_cmp(&a->addr, &c->addr);

	if (d)
		return d;
	if (a->proto != c->proto)
		return a->proto < c->proto ? -1 : 1;
	if (a->port != c->port)
		return a->port < c->port ? -1 : 1;
	if (a->vip != c->vip)
		return a->vip < c->vip ? -1 : 1;
	return a->i < c->i ? -1 : a->i > c->i;
}

static bool vip_key_eq(const struct vip_key_at *a, const struct vip_key_at *c)
{
	return inet_addr_eq(&a->addr, &c->addr) && a->proto == c->proto && a->port == c->port;
}

static void vip_key_dup(struct policy_build *b, const struct vip_key_at *k,
			const struct vip_key_at *first)
{
	char path[PATH_LEN];
	const char *proto = k->proto == IPPROTO_TCP ? "tcp" : "udp";

	path_fmt(path, "vips[%zu].ports[%zu]", k->vip, k->i);
	/* across VIPs the shared address is the error, reported by check_vip_address_unique */
	if (first->vip == k->vip)
		policy_err(b, b->aux.vips[k->vip].port_pos[k->i], path, "%s/%u is listed twice",
			   proto, k->port);
}

/* Each (address, proto, port) steers to one VIP; the data plane's vips map also takes one
 * port-0 entry per (address, proto) for fragments, and all must fit in AE_MAX_VIP_KEYS.
 */
static int check_vip_keys(struct policy_build *b)
{
	const struct policy *p = b->p;
	const struct vip_key_at *first = NULL;
	struct vip_key_at *all;
	size_t v, i, n = 0, frag = 0;

	for (v = 0; v < p->n_vips; v++)
		n += p->vips[v].n_ports;
	all = calloc(n ? n : 1, sizeof(*all));
	if (!all)
		return -ENOMEM;
	n = 0;
	for (v = 0; v < p->n_vips; v++)
		for (i = 0; i < p->vips[v].n_ports; i++)
			if (p->vips[v].addr.family && p->vips[v].ports[i].port)
				all[n++] = (struct vip_key_at){ p->vips[v].addr,
								p->vips[v].ports[i].proto,
								p->vips[v].ports[i].port, v, i };
	qsort(all, n, sizeof(*all), vip_key_cmp);
	for (i = 0; i < n; i++) {
		if (first && vip_key_eq(first, &all[i])) {
			vip_key_dup(b, &all[i], first);
			continue;
		}
		if (!first || !inet_addr_eq(&first->addr, &all[i].addr) ||
		    first->proto != all[i].proto)
			frag++;
		first = &all[i];
	}
	free(all);
	if (n + frag > AE_MAX_VIP_KEYS)
		policy_err(
			b, b->aux.root_pos, "vips",
			"%zu ports plus %zu fragment entries need more than the %d VIP map entries",
			n, frag, AE_MAX_VIP_KEYS);
	return 0;
}

/* One VIP per address: fragments carry no ports, so the data plane steers every fragment to an
 * address by (address, proto) alone, and two VIPs there could not be told apart.
 */
static void check_vip_address_unique(struct policy_build *b, size_t v)
{
	const struct policy *p = b->p;
	char path[PATH_LEN], addr[INET_ADDR_STR];
	size_t w;

	for (w = 0; w < v; w++) {
		if (!p->vips[v].addr.family || !inet_addr_eq(&p->vips[v].addr, &p->vips[w].addr))
			continue;
		path_fmt(path, "vips[%zu].address", v, 0);
		policy_err(b, b->aux.vips[v].addr_pos, path,
			   "%s is already the address of vips[%zu] '%s' (line %u); one VIP per "
			   "address: list all its ports there",
			   inet_addr_str(&p->vips[v].addr, addr, sizeof(addr)), w, p->vips[w].name,
			   b->aux.vips[w].addr_pos.line);
		return;
	}
}

static int check_vips(struct policy_build *b)
{
	size_t v;

	for (v = 0; v < b->p->n_vips; v++)
		vip_bird_proto(&b->p->vips[v]);
	for (v = 0; v < b->p->n_vips; v++) {
		check_vip_address_unique(b, v);
		check_vip_names(b, v);
		check_vip_bird_names(b, v);
		check_vip_regions(b, v);
		check_vip_mode(b, v);
		check_vip_announce(b, v);
	}
	return check_vip_keys(b);
}

/* ---- bgp ---- */

static void check_bgp(struct policy_build *b)
{
	struct policy_bgp *g = &b->p->bgp;
	struct policy_pos pos = b->aux.reuse_pos;

	if (!g->state_dir[0] && b->p->edge.name[0])
		snprintf(g->state_dir, sizeof(g->state_dir), "/var/lib/anyedge/bird-%s",
			 b->p->edge.name);
	if (g->damping.reuse < g->damping.suppress)
		return;
	if (!pos.line)
		pos = b->aux.damping_pos;
	policy_err(b, pos, "bgp.damping.reuse",
		   "%u must be less than suppress %u (a suppressed prefix is reused once its "
		   "penalty decays below reuse)",
		   g->damping.reuse, g->damping.suppress);
}

/* ---- dataplane ---- */

static bool is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 2)
		return false;
	for (d = 2; (uint64_t)d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

static uint32_t next_prime(uint32_t n)
{
	while (!is_prime(n))
		n++;
	return n;
}

/* Maglev spreads evenly only when the ring is much larger than the backend count. */
static void check_dataplane(struct policy_build *b)
{
	const struct policy *p = b->p;
	uint32_t m = p->dataplane.ring_size;
	struct policy_pos pos = b->aux.ring_size_pos;
	size_t r, largest = 0, at = 0;

	if (!is_prime(m)) {
		policy_err(b, pos, "dataplane.ring_size", "%u is not a prime (try %u)", m,
			   next_prime(m));
		return;
	}
	for (r = 0; r < p->n_regions; r++) {
		if (p->regions[r].n_backends > largest) {
			largest = p->regions[r].n_backends;
			at = r;
		}
	}
	if ((uint64_t)m > 100 * (uint64_t)largest)
		return;
	if (!pos.line)
		pos = p->regions[at].pos;
	policy_err(b, pos, "dataplane.ring_size",
		   "%u%s is too small for region '%s' with %zu backends: use a prime above %zu, "
		   "like %u",
		   m, b->aux.ring_size_pos.line ? "" : " (the default)", p->regions[at].name,
		   largest, 100 * largest, next_prime(100 * largest + 1));
}

int policy_check(struct policy_build *b)
{
	int ret;

	check_regions(b);
	ret = check_backends_unique(b);
	if (ret)
		return ret;
	check_probes(b);
	check_edge(b);
	check_encap(b);
	ret = check_clients(b);
	if (ret)
		return ret;
	ret = check_vips(b);
	if (ret)
		return ret;
	check_bgp(b);
	check_dataplane(b);
	policy_check_fleet(b);
	return 0;
}
