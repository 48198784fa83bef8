/* SPDX-License-Identifier: GPL-2.0 */
/* The one owner of the steering program's maps: loads xdp/anyedge.bpf.c through its skeleton and
 * programs it from a policy plus the controller's view of the world. The daemon, `anyedge replay`,
 * `anyedge bench` and the tests all go through here.
 */
#ifndef ANYEDGE_DATAPLANE_H
#define ANYEDGE_DATAPLANE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

struct dataplane;

struct dp_opts {
	uint32_t flow_table_size; /* 0: the policy's dataplane.flow_table_size */
	const char *pin_dir; /* NULL: nothing pinned (replay, bench, tests) */
	bool replace; /* discard pinned maps of another ABI or shape instead of refusing */
	bool upgrade; /* discard pinned maps of another ABI (not of another shape): an upgrade */
};

#define DP_PIN_BASE "/sys/fs/bpf/anyedge"

/* What the controller decided, beyond the policy itself. */
struct dp_view {
	uint8_t edge_mac[6]; /* the policy's edge.mac overrides these kernel facts */
	uint8_t gateway_mac[6];
	uint16_t mtu; /* 0: unchecked */
	bool region_up[AE_MAX_REGIONS];
	uint8_t serving[AE_MAX_VIPS]; /* active-passive VIPs: their serving region id */
	/* per policy backend, indexed by dp_backend_id(): passing probes / taking new flows */
	bool *backend_up;
	bool *backend_new_flows;
};

/* Open and load the program, sized for policy p. With opts->pin_dir, maps pinned there by an
 * earlier controller are adopted (flows keep their backends); pinned state of another ABI or
 * shape is refused (-EPROTO) unless opts->replace (or, for another ABI, opts->upgrade).
 * 0 or -errno.
 */
int dp_open(const struct policy *p, const struct dp_opts *opts, struct dataplane **out);
/* Close our handles. Pinned maps and a pinned link stay: the program keeps forwarding. */
void dp_close(struct dataplane *dp);
/* True when dp_open adopted pinned maps. */
bool dp_adopted(const struct dataplane *dp);
/* The ABI of the pinned maps dp_open discarded for being of another ABI, or 0. */
uint32_t dp_replaced_abi(const struct dataplane *dp);

/* Attach to ifname: swap the program into our pinned link when there is one (no packet sees
 * no program), else create a link, native mode first, and pin it. *mode: "native"/"generic".
 */
int dp_attach(struct dataplane *dp, const char *ifname, const char **mode);
/* Remove the link and every map pin under pin_dir: the program detaches once no process holds
 * it. 0 or -errno (-ENOENT: nothing pinned there).
 */
int dp_unpin(const char *pin_dir);

/* Program every map from p and view (NULL view: every region and backend up, serving = primary
 * or, with auto_promote, as dp_view_default decides). Rings are built and switched in whole.
 * 0 or -errno.
 */
int dp_apply(struct dataplane *dp, const struct policy *p, const struct dp_view *view);

/* A view with every region and backend up except the regions in down[] (NULL: none), and the
 * serving region of each active-passive VIP as the daemon would choose it (rpo_auto_target) if
 * the regions in down[] had failed and every other region reported its replicas in sync: the
 * primary, or for auto_promote: local with the primary down, the next region after it in the
 * VIP's order that is up. backend arrays are allocated; dp_view_free releases them.
 */
int dp_view_default(const struct policy *p, const bool *down, struct dp_view *view);
/* A zeroed view with backend arrays for n backends (all false). 0 or -ENOMEM. */
int dp_view_alloc(struct dp_view *view, size_t n);
void dp_view_free(struct dp_view *view);

/* Index of region r's i-th backend among all the policy's backends (into dp_view.backend_*).
 * The program's own backend ids are the module's business: stable per address across applies.
 */
uint32_t dp_backend_id(const struct policy *p, size_t region, size_t i);
size_t dp_backend_count(const struct policy *p);

/* What the maps steer by now, in policy p's terms (backends it does not find count as down,
 * serving regions from the VIPs' entries). For adopting a running edge. v is allocated.
 */
int dp_read_view(const struct dataplane *dp, const struct policy *p, struct dp_view *v);

int dp_prog_fd(const struct dataplane *dp);
/* Fds of maps, for readers (stats) and tests; -1 when unknown. */
int dp_map_fd(const struct dataplane *dp, const char *name);

/* Counters summed over CPUs. */
int dp_read_reasons(const struct dataplane *dp, uint64_t counts[AE_REASON_MAX]);
/* vip: the policy's VIP index (of the last dp_apply). The owner's thread only: a reload
 * renumbers the VIPs.
 */
int dp_read_vip_stats(const struct dataplane *dp, uint32_t vip, struct ae_vip_stats *out);
/* The map slot of the policy's VIP vip (AE_MAX_VIPS when none): the owner's thread. */
uint32_t dp_vip_slot(const struct dataplane *dp, size_t vip);
/* By map slot, reading only the map: any thread. */
int dp_read_vip_stats_slot(const struct dataplane *dp, uint32_t slot, struct ae_vip_stats *out);
const char *dp_reason_name(enum ae_reason r);

#endif /* ANYEDGE_DATAPLANE_H */
