/* SPDX-License-Identifier: GPL-2.0 */
/* Addresses and prefixes as anyedge holds them: family tag plus 16 bytes, IPv4 first-four. */
#ifndef ANYEDGE_INET_H
#define ANYEDGE_INET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../xdp/anyedge_abi.h"

#define INET_ADDR_STR 46 /* INET6_ADDRSTRLEN */
#define INET_PREFIX_STR (INET_ADDR_STR + 4)

struct inet_addr {
	uint8_t family; /* 0 (unset), AE_FAMILY_V4 or AE_FAMILY_V6 */
	uint8_t bytes[16];
};

struct inet_prefix {
	struct inet_addr addr;
	uint8_t len;
};

/* Parse a literal address; 0 or -EINVAL. */
int inet_addr_parse(const char *s, struct inet_addr *out);
/* Parse "ADDR/LEN" (LEN required); host bits must be zero. 0 or -EINVAL. */
int inet_prefix_parse(const char *s, struct inet_prefix *out);
/* Text form (inet_ntop's); returns buf. */
const char *inet_addr_str(const struct inet_addr *a, char *buf, size_t len);
const char *inet_prefix_str(const struct inet_prefix *p, char *buf, size_t len);
bool inet_addr_eq(const struct inet_addr *a, const struct inet_addr *b);
/* memcmp-like order: family first, then bytes. */
int inet_addr_cmp(const struct inet_addr *a, const struct inet_addr *b);
bool inet_prefix_contains(const struct inet_prefix *p, const struct inet_addr *a);
/* Parse "aa:bb:cc:dd:ee:ff"; 0 or -EINVAL. */
int mac_parse(const char *s, uint8_t mac[6]);

#endif /* ANYEDGE_INET_H */
