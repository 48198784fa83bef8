// SPDX-License-Identifier: GPL-2.0
/* The sequence is KatranLb::loadBpfProgs with forwarding cores given: per-core LRUs created
 * first (the first is the prototype of lru_mapping's inner maps), the object loaded, ctl_array[0]
 * set to the default MAC, then addVip / addRealForVip (real ids from 1, Maglev rings of
 * chRingSize entries at vip_num * ring), and last the LRUs put into lru_mapping.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>

#include "katran_lb.h"
#include "maglev.h"

/* Katran's map layouts (balancer_structs.h, balancer_consts.h); sizes are checked against the
 * object's maps at load, so a different Katran fails loudly instead of being misconfigured.
 */
struct kt_flow_key {
	uint32_t src[4];
	uint32_t dst[4];
	uint16_t port16[2];
	uint8_t proto;
};

struct kt_real_pos_lru {
	uint32_t pos;
	uint64_t atime;
};

struct kt_vip_definition {
	uint32_t addr[4]; /* network order; IPv4 in the first word */
	uint16_t port; /* network order */
	uint8_t proto;
};

struct kt_vip_meta {
	uint32_t flags;
	uint32_t vip_num;
};

struct kt_real_definition {
	uint32_t addr[4];
	uint8_t flags;
};

struct kt_ctl_value {
	union {
		uint64_t value;
		uint8_t mac[6];
	};
};

struct kt_lb_stats {
	uint64_t v1, v2;
};

#define KT_LRU_MISS_CNTR 1 /* stats[MAX_VIPS + 1]: TCP LRU misses, v1 of SYNs, v2 of others */
#define KT_RING_SIZE 65537 /* RING_SIZE and KatranConfig's chRingSize default */
#define KT_F_IPV6 1 /* real_definition flag */
#define KT_PROG "balancer_ingress"

static int map_fd(struct katran_lb *lb, const char *name, uint32_t key_size, uint32_t value_size)
{
	struct bpf_map *m = bpf_object__find_map_by_name(lb->obj, name);

	if (!m) {
		fprintf(stderr, "katran: no map %s in the object\n", name);
		return -ENOENT;
	}
	if (bpf_map__key_size(m) != key_size || bpf_map__value_size(m) != value_size) {
		fprintf(stderr, "katran: map %s is %u/%u bytes, this harness knows %u/%u\n", name,
			bpf_map__key_size(m), bpf_map__value_size(m), key_size, value_size);
		return -EPROTO;
	}
	return bpf_map__fd(m);
}

static int create_lrus(struct katran_lb *lb, uint64_t lru_size)
{
	int i;

	lb->n_cpus = libbpf_num_possible_cpus();
	if (lb->n_cpus <= 0)
		return lb->n_cpus ? lb->n_cpus : -EINVAL;
	lb->lru_per_cpu = (uint32_t)(lru_size / (uint64_t)lb->n_cpus);
	lb->lru_fds = malloc(sizeof(int) * lb->n_cpus);
	if (!lb->lru_fds)
		return -ENOMEM;
	for (i = 0; i < lb->n_cpus; i++)
		lb->lru_fds[i] = -1;
	for (i = 0; i < lb->n_cpus; i++) {
		/* KatranLb::createLruMap: no flags, so one LRU list per map (the map is per core) */
		lb->lru_fds[i] = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "katran_lru",
						sizeof(struct kt_flow_key),
						sizeof(struct kt_real_pos_lru), lb->lru_per_cpu,
						NULL);
		if (lb->lru_fds[i] < 0)
			return -errno;
	}
	return 0;
}

static int load(struct katran_lb *lb, const char *path)
{
	struct bpf_program *prog;
	struct bpf_map *lru_mapping;
	int err;

	lb->obj = bpf_object__open_file(path, NULL);
	if (!lb->obj) {
		err = -errno;
		fprintf(stderr, "katran: open %s: %s\n", path, strerror(-err));
		return err;
	}
	prog = bpf_object__find_program_by_name(lb->obj, KT_PROG);
	lru_mapping = bpf_object__find_map_by_name(lb->obj, "lru_mapping");
	if (!prog || !lru_mapping) {
		fprintf(stderr, "katran: %s has no %s or no lru_mapping\n", path, KT_PROG);
		return -ENOENT;
	}
	/* its section name ("xdp-balancer" in older Katran) is not one libbpf knows */
	bpf_program__set_type(prog, BPF_PROG_TYPE_XDP);
	err = bpf_map__set_inner_map_fd(lru_mapping, lb->lru_fds[0]);
	if (!err)
		err = bpf_object__load(lb->obj);
	if (err) {
		fprintf(stderr, "katran: load %s: %s\n", path, strerror(-err));
		return err;
	}
	lb->prog_fd = bpf_program__fd(prog);
	return 0;
}

/* The real's index, adding it on first use (KatranLb: realNums_ from 1, 0 means no real). */
static int real_index(struct katran_lb *lb, const struct inet_addr *a, int reals_fd)
{
	struct kt_real_definition def = { 0 };
	uint32_t i;

	for (i = 1; i <= (uint32_t)lb->n_reals; i++)
		if (inet_addr_eq(&lb->reals[i], a))
			return (int)i;
	if (lb->n_reals == KT_MAX_REALS)
		return -E2BIG;
	i = (uint32_t)++lb->n_reals;
	lb->reals[i] = *a;
	if (a->family == AE_FAMILY_V6) {
		memcpy(def.addr, a->bytes, 16);
		def.flags = KT_F_IPV6;
	} else {
		memcpy(def.addr, a->bytes, 4);
	}
	return bpf_map_update_elem(reals_fd, &i, &def, BPF_ANY) ? -errno : (int)i;
}

static int vip_ring(struct katran_lb *lb, const struct policy *p, const struct policy_vip *v,
		    int reals_fd, uint32_t *ring)
{
	struct maglev_backend be[KT_MAX_REALS];
	size_t n = 0, r, b;
	int idx;

	for (r = 0; r < v->n_regions; r++) {
		const struct policy_region *reg = &p->regions[v->regions[r]];

		for (b = 0; b < reg->n_backends; b++) {
			if (n == KT_MAX_REALS)
				return -E2BIG;
			idx = real_index(lb, &reg->backends[b].addr, reals_fd);
			if (idx < 0)
				return idx;
			be[n].addr = reg->backends[b].addr;
			be[n].weight = reg->backends[b].weight;
			be[n].id = (uint32_t)idx;
			n++;
		}
	}
	return maglev_build(be, n, 0, KT_RING_SIZE, ring);
}

/* ring[] then its keys: one batch write of the VIP's whole ring */
static int add_vip(struct katran_lb *lb, const struct policy_vip *v, const struct policy_port *pt,
		   const uint32_t *ring, uint32_t *keys, int fds[3])
{
	struct kt_vip_definition key = { 0 };
	struct kt_vip_meta meta = { .flags = 0, .vip_num = (uint32_t)lb->n_vips };
	uint32_t count = KT_RING_SIZE, i;

	memcpy(key.addr, v->addr.bytes, v->addr.family == AE_FAMILY_V6 ? 16 : 4);
	key.port = htons(pt->port);
	key.proto = pt->proto;
	for (i = 0; i < KT_RING_SIZE; i++)
		keys[i] = meta.vip_num * KT_RING_SIZE + i;
	if (bpf_map_update_batch(fds[1], keys, ring, &count, NULL))
		return -errno;
	if (bpf_map_update_elem(fds[0], &key, &meta, BPF_NOEXIST))
		return -errno;
	lb->n_vips++;
	return 0;
}

static int program_vips(struct katran_lb *lb, const struct policy *p)
{
	struct kt_ctl_value ctl = { 0 };
	uint32_t *ring, zero = 0;
	int fds[3], ctl_fd, err = 0;
	size_t v, k;

	fds[0] =
		map_fd(lb, "vip_map", sizeof(struct kt_vip_definition), sizeof(struct kt_vip_meta));
	fds[1] = map_fd(lb, "ch_rings", 4, 4);
	fds[2] = map_fd(lb, "reals", 4, sizeof(struct kt_real_definition));
	ctl_fd = map_fd(lb, "ctl_array", 4, sizeof(struct kt_ctl_value));
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0 || ctl_fd < 0)
		return -EPROTO;
	memcpy(lb->mac, p->edge.gateway_mac, 6);
	memcpy(ctl.mac, lb->mac, 6);
	if (bpf_map_update_elem(ctl_fd, &zero, &ctl, BPF_ANY))
		return -errno;
	ring = malloc(sizeof(uint32_t) * KT_RING_SIZE * 2);
	if (!ring)
		return -ENOMEM;
	for (v = 0; v < p->n_vips && !err; v++) {
		err = vip_ring(lb, p, &p->vips[v], fds[2], ring);
		for (k = 0; k < p->vips[v].n_ports && !err; k++)
			err = add_vip(lb, &p->vips[v], &p->vips[v].ports[k], ring,
				      ring + KT_RING_SIZE, fds);
	}
	free(ring);
	return err;
}

static int attach_lrus(struct katran_lb *lb)
{
	uint32_t cpu;
	int fd = map_fd(lb, "lru_mapping", 4, 4);

	if (fd < 0)
		return fd;
	for (cpu = 0; cpu < (uint32_t)lb->n_cpus; cpu++)
		if (bpf_map_update_elem(fd, &cpu, &lb->lru_fds[cpu], BPF_ANY))
			return -errno;
	return 0;
}

int katran_lb_open(const char *path, const struct policy *p, uint64_t lru_size,
		   struct katran_lb *lb)
{
	int err;

	memset(lb, 0, sizeof(*lb));
	if (p->dataplane.ring_size != KT_RING_SIZE) {
		fprintf(stderr, "katran: the policy's ring is %u, Katran's is %u\n",
			p->dataplane.ring_size, KT_RING_SIZE);
		return -EINVAL;
	}
	if (!p->edge.has_gateway_mac) {
		fprintf(stderr, "katran: the policy names no edge.gateway_mac\n");
		return -EINVAL;
	}
	err = create_lrus(lb, lru_size);
	if (!err)
		err = load(lb, path);
	if (!err)
		err = program_vips(lb, p);
	if (!err)
		err = attach_lrus(lb);
	if (err) {
		fprintf(stderr, "katran: %s\n", strerror(-err));
		katran_lb_close(lb);
	}
	return err;
}

int katran_lb_lru_misses(struct katran_lb *lb, uint64_t *syn, uint64_t *other)
{
	struct kt_lb_stats *v;
	struct bpf_map *m = bpf_object__find_map_by_name(lb->obj, "stats");
	uint32_t key;
	int i, err = 0;

	if (!m || bpf_map__value_size(m) != sizeof(*v))
		return -EPROTO;
	key = bpf_map__max_entries(m) / 2 + KT_LRU_MISS_CNTR; /* STATS_MAP_SIZE is 2 x MAX_VIPS */
	v = calloc((size_t)lb->n_cpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*syn = *other = 0;
	if (bpf_map_lookup_elem(bpf_map__fd(m), &key, v))
		err = -errno;
	for (i = 0; i < lb->n_cpus && !err; i++) {
		*syn += v[i].v1;
		*other += v[i].v2;
	}
	free(v);
	return err;
}

void katran_lb_close(struct katran_lb *lb)
{
	int i;

	bpf_object__close(lb->obj);
	for (i = 0; lb->lru_fds && i < lb->n_cpus; i++)
		if (lb->lru_fds[i] >= 0)
			close(lb->lru_fds[i]);
	free(lb->lru_fds);
	memset(lb, 0, sizeof(*lb));
}

static bool is_real(const struct katran_lb *lb, int family, const uint8_t *addr)
{
	int i;

	for (i = 1; i <= lb->n_reals; i++)
		if (lb->reals[i].family == family &&
		    !memcmp(lb->reals[i].bytes, addr, family == AE_FAMILY_V6 ? 16 : 4))
			return true;
	return false;
}

bool katran_lb_steered(void *arg, uint32_t action, const uint8_t *out, uint32_t len)
{
	const struct katran_lb *lb = arg;
	uint16_t proto;

	if (action != XDP_TX || len < ETH_HLEN + 40 || memcmp(out, lb->mac, 6))
		return false;
	proto = (uint16_t)(out[12] << 8 | out[13]);
	if (proto == ETH_P_IP) /* IPIP: protocol at 9, destination at 16 */
		return out[ETH_HLEN + 9] == IPPROTO_IPIP &&
		       is_real(lb, AE_FAMILY_V4, out + ETH_HLEN + 16);
	if (proto == ETH_P_IPV6) /* next header at 6, destination at 24 */
		return (out[ETH_HLEN + 6] == IPPROTO_IPV6 || out[ETH_HLEN + 6] == IPPROTO_IPIP) &&
		       is_real(lb, AE_FAMILY_V6, out + ETH_HLEN + 24);
	return false;
}
