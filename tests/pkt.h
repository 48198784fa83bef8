/* SPDX-License-Identifier: GPL-2.0 */
/* Builds test packets byte by byte (Ethernet, VLAN, IPv4 with options, IPv6, fragments, TCP,
 * UDP) and wraps IP packets in tunnels, so packet tests state what goes in and what must come out.
 */
#ifndef ANYEDGE_TEST_PKT_H
#define ANYEDGE_TEST_PKT_H

#include <stddef.h>
#include <stdint.h>

#define PKT_MAX 2048

struct pkt_spec {
	const char *src; /* IPv4 or IPv6 literal; both of one family */
	const char *dst;
	uint8_t proto; /* IPPROTO_TCP / IPPROTO_UDP / other (no L4 header written) */
	uint16_t sport, dport;
	uint8_t tcp_flags; /* default (0): SYN */
	int n_vlans; /* 0..3 */
	uint16_t vlan_ids[3];
	uint8_t ip_opt_words; /* IPv4 options, 32-bit words (0..10) */
	/* fragments: frag_off in 8-byte units; more_frags sets MF; is_frag forces a fragment header
	 * (IPv6) even for offset 0 without MF
	 */
	int is_frag;
	uint16_t frag_off;
	int more_frags;
	uint32_t frag_id;
	int df; /* IPv4 don't-fragment */
	size_t payload_len; /* bytes after the L4 header (or after IP for non-first fragments) */
	uint8_t dst_mac[6], src_mac[6];
};

/* Writes a frame into buf (cap bytes); returns its length, or 0 if it does not fit. */
size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap);

/* Wrap an IP packet in an outer IPv4 (outer_family 4) or IPv6 (6) header from src to dst, with
 * the right protocol (4 or 41) and an Ethernet header in front. Returns length or 0.
 */
size_t pkt_tunnel(int outer_family, const char *src, const char *dst, const uint8_t *ip,
		  size_t ip_len, uint8_t *buf, size_t cap);

/* Offset of the first byte after Ethernet and VLAN tags in a frame. */
size_t pkt_l3_offset(const uint8_t *frame, size_t len);

/* RFC 1071 checksum over len bytes (for checking headers the program wrote). */
uint16_t pkt_csum(const void *data, size_t len);

#endif /* ANYEDGE_TEST_PKT_H */
