// SPDX-License-Identifier: GPL-2.0
/* Addresses and prefixes: text <-> struct inet_addr / inet_prefix, through libc's inet_pton. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "inet.h"

static unsigned int inet_addr_bits(const struct inet_addr *a)
{
	return a->family == AE_FAMILY_V4 ? 32 : 128;
}

int inet_addr_parse(const char *s, struct inet_addr *out)
{
	struct inet_addr a = { 0 };

	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, a.bytes) == 1)
		a.family = AE_FAMILY_V4;
	else if (inet_pton(AF_INET6, s, a.bytes) == 1)
		a.family = AE_FAMILY_V6;
	else
		return -EINVAL;
	*out = a;
	return 0;
}

/* Is bit i (0 = most significant of the first byte) set? */
static bool bit_set(const uint8_t *bytes, unsigned int i)
{
	return bytes[i / 8] & (0x80 >> (i % 8));
}

static int parse_prefix_len(const char *s, unsigned int max, unsigned int *out)
{
	unsigned int v = 0;
	size_t i;

	if (!*s || strlen(s) > 3)
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int inet_prefix_parse(const char *s, struct inet_prefix *out)
{
	char addr[INET_ADDR_STR];
	struct inet_prefix p = { 0 };
	const char *slash;
	unsigned int len, i;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	if (inet_addr_parse(addr, &p.addr))
		return -EINVAL;
	if (parse_prefix_len(slash + 1, inet_addr_bits(&p.addr), &len))
		return -EINVAL;
	for (i = len; i < inet_addr_bits(&p.addr); i++)
		if (bit_set(p.addr.bytes, i))
			return -EINVAL;
	p.len = len;
	*out = p;
	return 0;
}

const char *inet_addr_str(const struct inet_addr *a, char *buf, size_t len)
{
	int af = a->family == AE_FAMILY_V4 ? AF_INET : AF_INET6;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (a->family != AE_FAMILY_V4 && a->family != AE_FAMILY_V6)
		snprintf(buf, len, "(none)");
	else if (!inet_ntop(af, a->bytes, buf, len))
		buf[0] = '\0';
	return buf;
}

const char *inet_prefix_str(const struct inet_prefix *p, char *buf, size_t len)
{
	char addr[INET_ADDR_STR];

	inet_addr_str(&p->addr, addr, sizeof(addr));
	snprintf(buf, len, "%s/%u", addr, p->len);
	return buf;
}

bool inet_addr_eq(const struct inet_addr *a, const struct inet_addr *b)
{
	return inet_addr_cmp(a, b) == 0;
}

int inet_addr_cmp(const struct inet_addr *a, const struct inet_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

bool inet_prefix_contains(const struct inet_prefix *p, const struct inet_addr *a)
{
	unsigned int i;

	if (p->addr.family != a->family || p->len > inet_addr_bits(a))
		return false;
	for (i = 0; i < p->len; i++)
		if (bit_set(p->addr.bytes, i) != bit_set(a->bytes, i))
			return false;
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t m[6];
	int i, hi, lo;

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		hi = hex_digit(s[i * 3]);
		lo = hex_digit(s[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -EINVAL;
		m[i] = hi << 4 | lo;
	}
	memcpy(mac, m, sizeof(m));
	return 0;
}
