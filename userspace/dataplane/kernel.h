/* SPDX-License-Identifier: GPL-2.0 */
/* Facts about the edge's link from the kernel over netlink (libnl-route-3): interface index,
 * MAC, MTU, carrier, and the gateway toward the backends with its MAC from the neighbour table
 * (asking the kernel to resolve it when unknown). Watches link and neighbour changes.
 */
#ifndef ANYEDGE_KERNEL_H
#define ANYEDGE_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "inet.h"

struct link_facts {
	int ifindex; /* changes when the interface is deleted and created again under its name */
	uint8_t mac[6];
	uint16_t mtu;
	bool up; /* administratively up and carrier on */
	struct inet_addr gateway; /* family 0: none found (backends on-link, or no route) */
	bool has_gateway_mac;
	uint8_t gateway_mac[6];
};

struct kernel;

/* Open netlink for ifname. gateway: the policy's gateway, or family 0 to take the next hop of
 * the kernel's route toward toward (a backend address). 0 or -errno (-ENODEV: no such link).
 */
int kernel_open(const char *ifname, const struct inet_addr *gateway, const struct inet_addr *toward,
		struct kernel **out);
void kernel_close(struct kernel *k);
/* Current facts. */
void kernel_facts(const struct kernel *k, struct link_facts *out);
/* Poll this fd; on readable call kernel_dispatch. */
int kernel_fd(const struct kernel *k);
/* Process pending notifications; *changed set when facts changed. 0 or -errno. */
int kernel_dispatch(struct kernel *k, bool *changed);
/* Ask the kernel to resolve the gateway's MAC (a neighbour probe) when it is not known. */
int kernel_resolve_gateway(struct kernel *k);

#endif /* ANYEDGE_KERNEL_H */
