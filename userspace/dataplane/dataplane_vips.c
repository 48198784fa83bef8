// SPDX-License-Identifier: GPL-2.0
/* Who is steered where: client prefixes (LPM tries), VIP ids and their keys, and the VIP
 * address filter the program checks before any hash lookup.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane_impl.h"
#include "log.h"

static int put_prefs(int fd4, int fd6, const struct inet_prefix *pfx, const uint8_t *regions,
		     size_t n)
{
	struct ae_prefs prefs = { .n = n };
	int err;

	memcpy(prefs.regions, regions, n);
	if (pfx->addr.family == AE_FAMILY_V4) {
		struct ae_lpm4_key k = { .prefixlen = pfx->len };

		memcpy(k.addr, pfx->addr.bytes, 4);
		err = bpf_map_update_elem(fd4, &k, &prefs, BPF_ANY);
	} else {
		struct ae_lpm6_key k = { .prefixlen = pfx->len };

		memcpy(k.addr, pfx->addr.bytes, 16);
		err = bpf_map_update_elem(fd6, &k, &prefs, BPF_ANY);
	}
	return err ? -errno : 0;
}

static bool prefix_wanted(const struct policy *p, uint8_t family, const uint8_t *addr, uint32_t len)
{
	size_t i;

	if (!len)
		return true; /* the /0 default */
	for (i = 0; i < p->n_clients; i++) {
		const struct inet_prefix *c = &p->clients[i].prefix;

		if (c->addr.family == family && c->len == len &&
		    !memcmp(c->addr.bytes, addr, family == AE_FAMILY_V4 ? 4 : 16))
			return true;
	}
	return false;
}

/* Delete the keys of an LPM trie that the policy no longer has. */
#define PRUNE_KEY_MAX 20 /* the largest key pruned: ae_lpm6_key */
#define PRUNE_BATCH 64

/* Delete every key of map fd that wanted() refuses. Keys are collected a batch at a time and
 * deleted after the walk, so the walk never steps on a key it removed.
 */
static int prune_keys(int fd, bool (*wanted)(const void *key, const void *ctx), const void *ctx)
{
	uint8_t cur[PRUNE_KEY_MAX], next[PRUNE_KEY_MAX], dead[PRUNE_BATCH][PRUNE_KEY_MAX];
	size_t n_dead, i;
	void *prev;

	do {
		n_dead = 0;
		prev = NULL;
		while (n_dead < PRUNE_BATCH && !bpf_map_get_next_key(fd, prev, next)) {
			if (!wanted(next, ctx))
				memcpy(dead[n_dead++], next, sizeof(next));
			memcpy(cur, next, sizeof(cur));
			prev = cur;
		}
		for (i = 0; i < n_dead; i++)
			if (bpf_map_delete_elem(fd, dead[i]) && errno != ENOENT)
				return -errno;
	} while (n_dead == PRUNE_BATCH);
	return 0;
}

struct prefs_ctx {
	const struct policy *p;
	uint8_t family;
};

static bool pref_key_wanted(const void *key, const void *ctx)
{
	const struct ae_lpm6_key *k = key; /* an ae_lpm4_key shares its start */
	const struct prefs_ctx *c = ctx;

	return prefix_wanted(c->p, c->family, k->addr, k->prefixlen);
}

static int prune_prefs(int fd, const struct policy *p, uint8_t family)
{
	struct prefs_ctx c = { p, family };

	return prune_keys(fd, pref_key_wanted, &c);
}

int apply_prefs(struct dataplane *dp, const struct policy *p)
{
	int fd4 = bpf_map__fd(dp->skel->maps.client_prefs_v4);
	int fd6 = bpf_map__fd(dp->skel->maps.client_prefs_v6);
	struct inet_prefix any4 = { .addr.family = AE_FAMILY_V4 };
	struct inet_prefix any6 = { .addr.family = AE_FAMILY_V6 };
	uint8_t home = (uint8_t)p->edge.region;
	size_t i;
	int err;

	/* a client no prefix matches prefers the edge's own region, then the VIP's order */
	err = put_prefs(fd4, fd6, &any4, &home, 1);
	if (!err)
		err = put_prefs(fd4, fd6, &any6, &home, 1);
	for (i = 0; !err && i < p->n_clients; i++)
		err = put_prefs(fd4, fd6, &p->clients[i].prefix, p->clients[i].prefer,
				p->clients[i].n_prefer);
	if (!err)
		err = prune_prefs(fd4, p, AE_FAMILY_V4);
	if (!err)
		err = prune_prefs(fd6, p, AE_FAMILY_V6);
	return err;
}

static void vip_key(struct ae_vip_key *k, const struct policy_vip *pv, uint8_t proto, uint16_t port)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, pv->addr.bytes, 16);
	k->family = pv->addr.family;
	k->proto = proto;
	k->port = htons(port);
}

/* Write the words of vip_filter that differ from what the map holds. */
static int write_filter(struct dataplane *dp, const uint64_t *words)
{
	int fd = bpf_map__fd(dp->skel->maps.vip_filter);
	uint32_t i;

	for (i = 0; i < AE_VIP_FILTER_WORDS; i++) {
		if (words[i] == dp->filter[i])
			continue;
		if (bpf_map_update_elem(fd, &i, &words[i], BPF_ANY))
			return -errno;
		dp->filter[i] = words[i];
	}
	return 0;
}

static void filter_of(const struct policy *p, uint64_t *words)
{
	uint32_t addr[4], bit;
	size_t i;

	memset(words, 0, AE_VIP_FILTER_WORDS * sizeof(*words));
	for (i = 0; i < p->n_vips; i++) {
		memcpy(addr, p->vips[i].addr.bytes, 16);
		bit = ae_vip_filter_bit(addr[0] ^ addr[1] ^ addr[2] ^ addr[3]);
		words[bit / 64] |= 1ULL << (bit % 64);
	}
}

static uint32_t fnv1a(uint32_t h, const void *data, size_t len)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static uint32_t vip_name_hash(const struct policy_vip *pv)
{
	uint32_t h = fnv1a(2166136261u, pv->name, strlen(pv->name));

	return h ? h : 1;
}

int assign_vip_ids(struct vip_ids *ids, const struct policy *p)
{
	bool taken[AE_MAX_VIPS] = { false };
	uint32_t id, tries, nh;
	size_t i;

	for (i = 0; i < p->n_vips; i++) {
		nh = vip_name_hash(&p->vips[i]);
		for (id = 0; id < AE_MAX_VIPS; id++)
			if (ids->name_hash[id] == nh && !taken[id])
				break;
		for (tries = 0; id == AE_MAX_VIPS && tries < AE_MAX_VIPS; tries++) {
			uint32_t c = (ids->next + tries) % AE_MAX_VIPS;

			if (!ids->name_hash[c] && !taken[c])
				id = c;
		}
		if (id == AE_MAX_VIPS)
			return -E2BIG;
		if (!ids->name_hash[id])
			ids->next = (id + 1) % AE_MAX_VIPS;
		ids->name_hash[id] = nh;
		taken[id] = true;
		ids->of[i] = id;
	}
	ids->n = p->n_vips;
	return 0;
}

/* Where k is in table t (salted with salt), else the empty entry it would take, as the program
 * probes; NULL when its probes are all taken by other keys.
 */
static struct ae_vip_slot *vip_table_probe(const struct ae_vip_slot *t, __u32 salt,
					   const struct ae_vip_key *k)
{
	__u32 h = ae_vip_key_hash(k, salt), i;
	const struct ae_vip_slot *e;

	for (i = 0; i < AE_VIP_PROBES; i++) {
		e = &t[(h + i) & (AE_VIP_SLOTS - 1)];
		if (!e->key.family || !memcmp(&e->key, k, sizeof(*k)))
			return (struct ae_vip_slot *)e;
	}
	return NULL;
}

/* Put k in table t unless it is there (another port's port-0 entry): -ENOSPC when it can't. */
static int vip_table_put(struct ae_vip_slot *t, __u32 salt, const struct ae_vip_key *k, __u32 id,
			 const struct ae_vip *vip)
{
	struct ae_vip_slot *e = vip_table_probe(t, salt, k);

	if (!e)
		return -ENOSPC;
	if (!e->key.family)
		*e = (struct ae_vip_slot){ .key = *k, .id = id, .vip = *vip };
	return 0;
}

static void vip_facts(const struct dataplane *dp, const struct policy *p, const struct dp_view *v,
		      size_t i, struct ae_vip *out)
{
	const struct policy_vip *pv = &p->vips[i];
	size_t j;

	*out = (struct ae_vip){
		.mode = pv->mode,
		.serving = v->serving[i],
		.n_regions = pv->n_regions,
		.name_hash = dp->vids.name_hash[dp->vids.of[i]],
	};
	for (j = 0; j < pv->n_regions; j++) {
		out->regions[j] = pv->regions[j];
		out->region_mask |= 1U << pv->regions[j];
	}
}

static int vip_table_fill(struct dataplane *dp, const struct policy *p, const struct dp_view *v,
			  __u32 salt)
{
	struct ae_vip_slot *t = dp->vip_next;
	struct ae_vip_key k;
	struct ae_vip facts;
	size_t i, j;
	int err = 0;

	memset(t, 0, sizeof(dp->vip_next));
	for (i = 0; !err && i < p->n_vips; i++) {
		const struct policy_vip *pv = &p->vips[i];
		__u32 id = dp->vids.of[i];

		vip_facts(dp, p, v, i, &facts);
		for (j = 0; !err && j < pv->n_ports; j++) {
			/* the port's own entry, and the port-0 entry its fragments use */
			vip_key(&k, pv, pv->ports[j].proto, pv->ports[j].port);
			err = vip_table_put(t, salt, &k, id, &facts);
			vip_key(&k, pv, pv->ports[j].proto, 0);
			if (!err)
				err = vip_table_put(t, salt, &k, id, &facts);
		}
	}
	return err;
}

#define VIP_SALT_TRIES 64 /* at the most keys, a salt fails ~1 time in 5 */

/* Build every VIP key, with its VIP's facts, into the copy of vip_keys not in use and make it the
 * live one: a reader sees the old table or the new, whole. The live salt is kept while it places
 * every key.
 */
static int apply_vip_keys(struct dataplane *dp, const struct policy *p, const struct dp_view *v)
{
	int fd = bpf_map__fd(dp->skel->maps.vip_keys);
	__u32 live = dp->config.vip_table, salt = live >> 1, next = !(live & 1), keys[AE_VIP_SLOTS];
	struct ae_config c = dp->config;
	__u32 i, n = AE_VIP_SLOTS;
	int err, tries;

	for (tries = 0; tries < VIP_SALT_TRIES; tries++, salt = (salt + 1) & 0x7fffffff) {
		err = vip_table_fill(dp, p, v, salt);
		if (err != -ENOSPC)
			break;
	}
	if (err == -ENOSPC)
		pr_warn("dataplane: no salt of %d tried places every VIP key within %d entries\n",
			VIP_SALT_TRIES, AE_VIP_PROBES);
	if (err)
		return err;
	if (salt == live >> 1 && !memcmp(dp->vip_next, dp->vip_live, sizeof(dp->vip_live)))
		return 0;
	for (i = 0; i < AE_VIP_SLOTS; i++)
		keys[i] = next * AE_VIP_SLOTS + i;
	if (bpf_map_update_batch(fd, keys, dp->vip_next, &n, NULL))
		return -errno;
	c.vip_table = salt << 1 | next;
	err = write_config(dp, &c);
	if (!err)
		memcpy(dp->vip_live, dp->vip_next, sizeof(dp->vip_live));
	return err;
}

/* The live entry of k: dp->vip_live is the live copy as written (or as adopted). */
int find_vip_key(const struct dataplane *dp, const struct ae_vip_key *k, struct ae_vip_slot *out)
{
	const struct ae_vip_slot *e = vip_table_probe(dp->vip_live, dp->config.vip_table >> 1, k);

	if (!e || !e->key.family)
		return -ENOENT;
	*out = *e;
	return 0;
}

int apply_vips(struct dataplane *dp, const struct policy *p, const struct dp_view *v)
{
	uint64_t want[AE_VIP_FILTER_WORDS], both[AE_VIP_FILTER_WORDS];
	bool used[AE_MAX_VIPS] = { false };
	size_t i;
	uint32_t id;
	int err;

	/* new VIPs' bits go in before their entries, stale bits come out after theirs */
	filter_of(p, want);
	for (i = 0; i < AE_VIP_FILTER_WORDS; i++)
		both[i] = want[i] | dp->filter[i];
	err = write_filter(dp, both);
	if (!err)
		err = apply_vip_keys(dp, p, v);
	if (err)
		return err;
	/* ids no VIP holds any more are free again */
	for (i = 0; i < p->n_vips; i++)
		used[dp->vids.of[i]] = true;
	for (id = 0; id < AE_MAX_VIPS; id++)
		if (!used[id])
			dp->vids.name_hash[id] = 0;
	return write_filter(dp, want);
}
