/* SPDX-License-Identifier: GPL-2.0 */
/* Private to dataplane*.c: the state the module keeps beside the maps. */
#ifndef ANYEDGE_DATAPLANE_IMPL_H
#define ANYEDGE_DATAPLANE_IMPL_H

#include "anyedge.skel.h"
#include "dataplane.h"
#include "maglev.h"

struct region_ring {
	int fd; /* inner map currently installed, or -1 for none */
	struct maglev_backend *in; /* what it was built from, to skip identical rebuilds */
	size_t n_in;
};

/* Backend ids are the program's handle on a backend (flows remember them), so a backend keeps its
 * id across applies, found by address, and a freed id is handed out again only after every other
 * free id: a flow that outlives its backend must not land on a stranger.
 */
struct backend_ids {
	struct inet_addr addr[AE_MAX_BACKENDS]; /* family 0: free */
	uint32_t next; /* where the search for a free id starts */
	uint32_t *of; /* per policy backend index: its id */
	size_t n;
};

#define SLOT_UNKNOWN -2 /* not written by us yet (fresh or adopted maps): write it */

/* VIP ids, likewise stable by VIP name: flows remember (id, gen), and gen changes when an id
 * comes to mean another VIP or the VIP's addresses/ports change.
 */
struct vip_ids {
	uint32_t name_hash[AE_MAX_VIPS]; /* 0: free */
	uint32_t next; /* where the search for a free id starts */
	uint32_t of[AE_MAX_VIPS]; /* per policy VIP index: its id */
	size_t n;
};

struct dataplane {
	struct anyedge_bpf *skel;
	struct backend_ids ids;
	struct vip_ids vids;
	uint32_t ring_size;
	struct ae_config config; /* as last written; its epoch is bumped by every apply */
	uint32_t flow_buckets; /* the flow table's index, a power of two of buckets */
	uint32_t flow_run, flow_syn_run; /* entries in each CPU's runs (anyedge_abi.h) */
	uint32_t flow_cpus;
	uint32_t flow_seed; /* its bucket hash's seed (ae_meta) */
	uint32_t ring_seed; /* hash_seed the installed rings were built with */
	uint32_t *ring_keys; /* 0..AE_RING_WORDS(ring_size)-1 for batch updates */
	uint32_t *ring_vals; /* a Maglev table, one id an entry */
	uint64_t *ring_words; /* the same, packed as the ring map holds it */
	struct region_ring ring[AE_MAX_REGIONS];
	uint64_t filter[AE_VIP_FILTER_WORDS]; /* vip_filter as last written */
	struct ae_vip_slot vip_live[AE_VIP_SLOTS]; /* the live copy of vip_keys as written */
	struct ae_vip_slot vip_next[AE_VIP_SLOTS]; /* the next copy, while it is built */
	int slot_fd[AE_RING_SLOTS]; /* ring fd installed per slot, -1 empty, SLOT_UNKNOWN */
	char pin_dir[256]; /* "" when nothing is pinned */
	bool adopted; /* maps came from a previous controller's pins */
	uint32_t replaced_abi; /* pins of this other ABI were discarded, or 0 */
	int link_fd; /* our XDP link, or -1 */
};

/* dataplane.c: the config map, and dp->config with it */
int write_config(struct dataplane *dp, const struct ae_config *c);

/* dataplane_rings.c: backend ids, the backends map, rings (in this order around apply) */
int assign_ids(struct backend_ids *ids, const struct policy *p);
int apply_backends(struct dataplane *dp, const struct policy *p, const struct dp_view *v);
int apply_rings(struct dataplane *dp, const struct policy *p, const struct dp_view *v);
int release_ids(struct dataplane *dp);

/* dataplane_vips.c: client preferences, VIP ids, VIP keys and the address filter */
int apply_prefs(struct dataplane *dp, const struct policy *p);
int assign_vip_ids(struct vip_ids *ids, const struct policy *p);
int apply_vips(struct dataplane *dp, const struct policy *p, const struct dp_view *v);
int find_vip_key(const struct dataplane *dp, const struct ae_vip_key *k, struct ae_vip_slot *out);

/* dataplane_load.c: before load, map sizes, the rings' template (*tmpl_fd, to close once
 * loaded) and a fresh flow seed; then the flow table's constants (after dp_pin_prepare, which
 * may bring the pinned table's seed); after load, init_flows for a table not adopted, and
 * write_meta.
 */
int shape_maps(struct dataplane *dp, uint32_t flows, int *tmpl_fd);
int set_flow_constants(struct dataplane *dp);
int init_flows(struct dataplane *dp);
int write_meta(struct dataplane *dp);

/* dataplane_pin.c */
int dp_pin_prepare(struct dataplane *dp, const struct dp_opts *opts);
int dp_pin_adopt(struct dataplane *dp);

#endif /* ANYEDGE_DATAPLANE_IMPL_H */
