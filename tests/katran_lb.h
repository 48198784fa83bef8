/* SPDX-License-Identifier: GPL-2.0 */
/* Katran's XDP balancer (an object built outside this repository, see README "Benchmarks"),
 * loaded and configured the way Katran's userspace library (KatranLb) does with its default
 * config, for the comparison in `make bench` and the live-frame benchmark. Only map layouts and
 * the configuration sequence carry over; none of Katran's code is here.
 */
#ifndef ANYEDGE_KATRAN_LB_H
#define ANYEDGE_KATRAN_LB_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

#define KT_MAX_REALS 64 /* of this harness; Katran's own limit is MAX_REALS (4096) */

struct katran_lb {
	struct bpf_object *obj;
	int prog_fd;
	int *lru_fds; /* one LRU per forwarding core (every possible CPU) */
	int n_cpus;
	uint32_t lru_per_cpu;
	int n_vips;
	int n_reals;
	struct inet_addr reals[KT_MAX_REALS + 1]; /* by Katran's real index; index 0 unused */
	uint8_t mac[6]; /* ctl_array[0]: the default router's MAC */
};

/* Open the object at path, give every possible CPU an LRU of lru_size / CPUs flows, load it and
 * program its maps from p: one Katran VIP per VIP address and port, the backends of the VIP's
 * regions as its reals (weights as given), a Maglev ring of Katran's size (65537) each, and
 * edge.gateway_mac as the default router. 0 or -errno, with a message on stderr.
 */
int katran_lb_open(const char *path, const struct policy *p, uint64_t lru_size,
		   struct katran_lb *lb);
void katran_lb_close(struct katran_lb *lb);

/* Katran's own count of TCP LRU misses so far, summed over CPUs: of SYNs (new connections) and
 * of other packets (a flow the LRU lost, or never got: over MAX_CONN_RATE new flows a second a
 * CPU, Katran stops writing its LRU). 0 or -errno.
 */
int katran_lb_lru_misses(struct katran_lb *lb, uint64_t *syn, uint64_t *other);

/* True when a run's verdict and frame are Katran steering a packet: XDP_TX, IPIP or IP6IP6 (or
 * IPv4 in IPv6) to one of the reals, towards the default router's MAC. arg is the katran_lb.
 */
bool katran_lb_steered(void *arg, uint32_t action, const uint8_t *out, uint32_t len);

#endif /* ANYEDGE_KATRAN_LB_H */
