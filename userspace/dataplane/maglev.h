/* SPDX-License-Identifier: GPL-2.0 */
/* Maglev consistent hashing (Eisenbud et al., NSDI 2016) with plain relative weights.
 * A backend's permutation depends only on its address and the seed, and backends are filled in
 * address order, so every host with the same backends, weights and seed builds the same table.
 */
#ifndef ANYEDGE_MAGLEV_H
#define ANYEDGE_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inet.h"

struct maglev_backend {
	struct inet_addr addr; /* identity: must be unique within one build */
	uint32_t weight; /* relative; 0 = no entries (drained) */
	uint32_t id; /* what the table stores for this backend */
};

bool maglev_is_prime(uint32_t n);

/* Fill table[0..ring_size) with backend ids. backends may be in any order; it is not modified.
 * Returns 0; -EINVAL if ring_size is not a prime > 1, addresses repeat or n is 0; -ENOENT if
 * every weight is 0 (the caller then has no ring, never a stale one); -ENOMEM.
 */
int maglev_build(const struct maglev_backend *backends, size_t n, uint32_t seed, uint32_t ring_size,
		 uint32_t *table);

#endif /* ANYEDGE_MAGLEV_H */
