// SPDX-License-Identifier: GPL-2.0
/* Test packet builder; see pkt.h. Plain byte writes, no kernel structs, so a test's expectation
 * never shares a bug with the program's own header definitions.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "pkt.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

uint16_t pkt_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* L4 checksum with the pseudo header of the given family. */
static uint16_t l4_csum(int v6, const uint8_t *src, const uint8_t *dst, uint8_t proto,
			const uint8_t *l4, size_t len)
{
	uint8_t buf[PKT_MAX + 40];
	size_t alen = v6 ? 16 : 4, off = 0;

	if (len > PKT_MAX)
		return 0;
	memcpy(buf + off, src, alen);
	off += alen;
	memcpy(buf + off, dst, alen);
	off += alen;
	if (v6) { /* 32-bit length, 24 zero bits, next header */
		put32(buf + off, (uint32_t)len);
		off += 4;
		put32(buf + off, proto);
	} else { /* zero, proto, 16-bit length */
		buf[off] = 0;
		buf[off + 1] = proto;
		put16(buf + off + 2, (uint16_t)len);
	}
	off += 4;
	memcpy(buf + off, l4, len);
	return pkt_csum(buf, off + len);
}

static size_t put_eth(const struct pkt_spec *s, uint8_t *buf, uint16_t ethertype)
{
	size_t off = 12;
	int i;

	memcpy(buf, s->dst_mac, 6);
	memcpy(buf + 6, s->src_mac, 6);
	for (i = 0; i < s->n_vlans; i++) {
		put16(buf + off, i + 1 < s->n_vlans ? 0x88a8 : 0x8100);
		put16(buf + off + 2, s->vlan_ids[i]);
		off += 4;
	}
	put16(buf + off, ethertype);
	return off + 2;
}

static size_t put_l4(const struct pkt_spec *s, uint8_t *l4)
{
	size_t i, hl;

	if (s->proto == IPPROTO_TCP) {
		hl = 20;
		memset(l4, 0, hl);
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put32(l4 + 4, 0x01020304);
		l4[12] = 5 << 4;
		l4[13] = s->tcp_flags ? s->tcp_flags : 0x02;
		put16(l4 + 14, 65535);
	} else if (s->proto == IPPROTO_UDP) {
		hl = 8;
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, (uint16_t)(hl + s->payload_len));
		put16(l4 + 6, 0);
	} else {
		hl = 0;
	}
	for (i = 0; i < s->payload_len; i++)
		l4[hl + i] = (uint8_t)(i * 7 + 1);
	return hl + s->payload_len;
}

static void fix_l4_csum(const struct pkt_spec *s, int v6, const uint8_t *src, const uint8_t *dst,
			uint8_t *l4, size_t len)
{
	uint16_t c;

	if (s->proto == IPPROTO_TCP) {
		c = l4_csum(v6, src, dst, s->proto, l4, len);
		put16(l4 + 16, c);
	} else if (s->proto == IPPROTO_UDP) {
		c = l4_csum(v6, src, dst, s->proto, l4, len);
		put16(l4 + 6, c ? c : 0xffff);
	}
}

static size_t build_v4(const struct pkt_spec *s, uint8_t *buf, size_t cap)
{
	size_t l2, ihl = 20 + 4 * s->ip_opt_words, l4len, total;
	uint8_t *ip;
	int first = !s->frag_off;

	if (cap < 64 + ihl + 20 + s->payload_len)
		return 0;
	l2 = put_eth(s, buf, 0x0800);
	ip = buf + l2;
	memset(ip, 0, ihl);
	ip[0] = 0x40 | (ihl / 4);
	put16(ip + 4, (uint16_t)s->frag_id);
	put16(ip + 6, (s->df ? 0x4000 : 0) | (s->more_frags ? 0x2000 : 0) | (s->frag_off & 0x1fff));
	ip[8] = 64;
	ip[9] = s->proto;
	inet_pton(AF_INET, s->src, ip + 12);
	inet_pton(AF_INET, s->dst, ip + 16);
	if (s->ip_opt_words) { /* NOPs, ended by EOL: legal and easy to recognise */
		memset(ip + 20, 1, ihl - 20);
		ip[ihl - 1] = 0;
	}
	if (first) {
		l4len = put_l4(s, ip + ihl);
		fix_l4_csum(s, 0, ip + 12, ip + 16, ip + ihl, l4len);
	} else {
		struct pkt_spec raw = *s;

		raw.proto = 0;
		l4len = put_l4(&raw, ip + ihl);
	}
	total = ihl + l4len;
	put16(ip + 2, (uint16_t)total);
	put16(ip + 10, pkt_csum(ip, ihl));
	return l2 + total;
}

static size_t build_v6(const struct pkt_spec *s, uint8_t *buf, size_t cap)
{
	size_t l2, off = 40, l4len;
	uint8_t *ip;
	int frag = s->is_frag || s->frag_off || s->more_frags;

	if (cap < 64 + 48 + 20 + s->payload_len)
		return 0;
	l2 = put_eth(s, buf, 0x86dd);
	ip = buf + l2;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[6] = frag ? 44 : s->proto;
	ip[7] = 64;
	inet_pton(AF_INET6, s->src, ip + 8);
	inet_pton(AF_INET6, s->dst, ip + 24);
	if (frag) {
		uint8_t *fh = ip + 40;

		fh[0] = s->proto;
		fh[1] = 0;
		put16(fh + 2, (uint16_t)(s->frag_off << 3 | (s->more_frags ? 1 : 0)));
		put32(fh + 4, s->frag_id);
		off += 8;
	}
	if (!s->frag_off) {
		l4len = put_l4(s, ip + off);
		fix_l4_csum(s, 1, ip + 8, ip + 24, ip + off, l4len);
	} else {
		struct pkt_spec raw = *s;

		raw.proto = 0;
		l4len = put_l4(&raw, ip + off);
	}
	put16(ip + 4, (uint16_t)(off - 40 + l4len));
	return l2 + off + l4len;
}

size_t pkt_build(const struct pkt_spec *s, uint8_t *buf, size_t cap)
{
	if (s->n_vlans < 0 || s->n_vlans > 3)
		return 0;
	return strchr(s->src, ':') ? build_v6(s, buf, cap) : build_v4(s, buf, cap);
}

size_t pkt_tunnel(int outer_family, const char *src, const char *dst, const uint8_t *ip,
		  size_t ip_len, uint8_t *buf, size_t cap)
{
	struct pkt_spec eth = { 0 };
	uint8_t inner_proto = (ip[0] >> 4) == 6 ? 41 : 4;
	size_t l2, hl = outer_family == 6 ? 40 : 20;
	uint8_t *o;

	if (cap < 14 + hl + ip_len)
		return 0;
	l2 = put_eth(&eth, buf, outer_family == 6 ? 0x86dd : 0x0800);
	o = buf + l2;
	memset(o, 0, hl);
	if (outer_family == 6) {
		o[0] = 0x60;
		put16(o + 4, (uint16_t)ip_len);
		o[6] = inner_proto;
		o[7] = 64;
		inet_pton(AF_INET6, src, o + 8);
		inet_pton(AF_INET6, dst, o + 24);
	} else {
		o[0] = 0x45;
		put16(o + 2, (uint16_t)(hl + ip_len));
		o[8] = 64;
		o[9] = inner_proto;
		inet_pton(AF_INET, src, o + 12);
		inet_pton(AF_INET, dst, o + 16);
		put16(o + 10, pkt_csum(o, hl));
	}
	memcpy(o + hl, ip, ip_len);
	return l2 + hl + ip_len;
}

size_t pkt_l3_offset(const uint8_t *f, size_t len)
{
	size_t off = 12;

	while (off + 2 <= len &&
	       ((f[off] << 8 | f[off + 1]) == 0x8100 || (f[off] << 8 | f[off + 1]) == 0x88a8))
		off += 4;
	return off + 2;
}
