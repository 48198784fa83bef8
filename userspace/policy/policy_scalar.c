// SPDX-License-Identifier: GPL-2.0
/* The policy file's scalar values: each reader takes one ynode, checks it is a single value of
 * the right form (name, integer, duration, percentage, address, prefix, MAC, port, keyword),
 * stores it, and otherwise reports what was expected and what was found.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_impl.h"

const char *policy_get_scalar(struct policy_build *b, const struct ynode *n, const char *path,
			      const char *what)
{
	if (ynode_expect(b, n, YN_SCALAR, path, what))
		return NULL;
	if (strlen(n->str) != n->len) {
		policy_err(b, n->pos, path, "expected %s, got a value with a NUL character", what);
		return NULL;
	}
	return n->str;
}

int policy_get_str(struct policy_build *b, const struct ynode *n, const char *path, char *buf,
		   size_t size)
{
	const char *s = policy_get_scalar(b, n, path, "a string");

	if (!s)
		return -EINVAL;
	if (strlen(s) >= size) {
		policy_err(b, n->pos, path, "longer than %zu characters", size - 1);
		return -EINVAL;
	}
	strcpy(buf, s);
	return 0;
}

static bool name_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (!len || len >= POLICY_NAME_MAX)
		return false;
	/* names become paths (pin folder, state files) and BIRD symbols: "..", ".hidden" or a
	 * leading '-' (an option to a tool) must not be one
	 */
	if (s[0] == '.' || s[0] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    s[i]))
			return false;
	return true;
}

/* A name: 1..63 of [A-Za-z0-9_.-], the first not '.' or '-'. */
int policy_get_name(struct policy_build *b, const struct ynode *n, const char *path,
		    char buf[POLICY_NAME_MAX])
{
	const char *s = policy_get_scalar(b, n, path, "a name");
	char q[64];

	if (!s)
		return -EINVAL;
	if (!name_ok(s)) {
		policy_err(
			b, n->pos, path,
			"expected a name of 1..%d characters from A-Z a-z 0-9 _ . -, not starting "
			"with '.' or '-', got '%s'",
			POLICY_NAME_MAX - 1, policy_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	strcpy(buf, s);
	return 0;
}

int policy_get_ref(struct policy_build *b, const struct ynode *n, const char *path,
		   struct policy_ref *ref)
{
	ref->pos = n->pos;
	return policy_get_name(b, n, path, ref->name);
}

/* Decimal digits only, into *out; false on anything else or overflow past 2^32. */
bool policy_parse_decimal(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!len || len > 10)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int policy_get_u32(struct policy_build *b, const struct ynode *n, const char *path, uint32_t min,
		   uint32_t max, uint32_t *out)
{
	const char *s = policy_get_scalar(b, n, path, "an integer");
	uint64_t v;
	char q[64];

	if (!s)
		return -EINVAL;
	if (!policy_parse_decimal(s, strlen(s), &v) || v < min || v > max) {
		policy_err(b, n->pos, path, "expected an integer %u..%u, got '%s'", min, max,
			   policy_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static bool parse_duration(const char *s, uint32_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	size_t digits = strspn(s, "0123456789"), i;
	uint64_t v;

	if (!policy_parse_decimal(s, digits, &v))
		return false;
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(s + digits, units[i].unit))
			continue;
		if (v * units[i].ms > UINT32_MAX)
			return false;
		*ms = v * units[i].ms;
		return true;
	}
	return false;
}

/* "500ms", "1s", "2m", "1h": into milliseconds, at least min_ms. */
int policy_get_duration(struct policy_build *b, const struct ynode *n, const char *path,
			uint32_t min_ms, uint32_t *out)
{
	const char *s = policy_get_scalar(b, n, path, "a duration like 1s or 500ms");
	uint32_t ms;
	char q[64];

	if (!s)
		return -EINVAL;
	if (!parse_duration(s, &ms)) {
		policy_err(b, n->pos, path, "expected a duration like 1s or 500ms, got '%s'%s",
			   policy_quote(s, q, sizeof(q)),
			   s[strspn(s, "0123456789")] ? "" : " (a unit is needed: ms, s, m or h)");
		return -EINVAL;
	}
	if (ms < min_ms) {
		policy_err(b, n->pos, path, "must be at least %ums, got '%s'", min_ms,
			   policy_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	*out = ms;
	return 0;
}

/* "N%" with N 0..100. */
bool policy_parse_pct(const char *s, uint32_t *out)
{
	size_t len = strlen(s);
	uint64_t v;

	if (len < 2 || s[len - 1] != '%' || !policy_parse_decimal(s, len - 1, &v) || v > 100)
		return false;
	*out = v;
	return true;
}

int policy_get_pct(struct policy_build *b, const struct ynode *n, const char *path, uint32_t *out)
{
	const char *s = policy_get_scalar(b, n, path, "a percentage like 50%");
	char q[64];

	if (!s)
		return -EINVAL;
	if (!policy_parse_pct(s, out)) {
		policy_err(b, n->pos, path, "expected a percentage 0%%..100%% like 50%%, got '%s'",
			   policy_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	return 0;
}

static const char *family_word(int family)
{
	return family == AE_FAMILY_V4 ? "an IPv4" : family == AE_FAMILY_V6 ? "an IPv6" : "an IP";
}

/* An address; of the given family unless family is 0. */
int policy_get_addr(struct policy_build *b, const struct ynode *n, const char *path, int family,
		    struct inet_addr *out)
{
	const char *s = policy_get_scalar(b, n, path, "an IP address");
	struct inet_addr a;
	char q[64];

	if (!s)
		return -EINVAL;
	if (inet_addr_parse(s, &a) || (family && a.family != family)) {
		policy_err(b, n->pos, path, "expected %s address, got '%s'", family_word(family),
			   policy_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	*out = a;
	return 0;
}

/* Why s is no prefix: name the host bits when that is all that is wrong. */
static void prefix_error(struct policy_build *b, const struct ynode *n, const char *path,
			 const char *s)
{
	char addr[INET_ADDR_STR], q[64], fix[INET_PREFIX_STR];
	const char *slash = strchr(s, '/');
	struct inet_prefix p = { 0 };
	unsigned int i, bits;
	char *end;
	long len;

	if (slash && (size_t)(slash - s) < sizeof(addr)) {
		memcpy(addr, s, slash - s);
		addr[slash - s] = '\0';
		len = strtol(slash + 1, &end, 10);
		if (!inet_addr_parse(addr, &p.addr) && slash[1] >= '0' && slash[1] <= '9' &&
		    !*end && len >= 0 && len <= (p.addr.family == AE_FAMILY_V4 ? 32 : 128)) {
			bits = p.addr.family == AE_FAMILY_V4 ? 32 : 128;
			for (i = len; i < bits; i++)
				p.addr.bytes[i / 8] &= ~(0x80 >> (i % 8));
			p.len = len;
			policy_err(b, n->pos, path,
				   "'%s' has host bits set after /%ld: did you mean %s?",
				   policy_quote(s, q, sizeof(q)), len,
				   inet_prefix_str(&p, fix, sizeof(fix)));
			return;
		}
	}
	policy_err(b, n->pos, path,
		   "expected a prefix like 192.0.2.0/24 or 2001:db8::/32, got '%s'",
		   policy_quote(s, q, sizeof(q)));
}

int policy_get_prefix(struct policy_build *b, const struct ynode *n, const char *path,
		      struct inet_prefix *out)
{
	const char *s = policy_get_scalar(b, n, path, "an IP prefix");

	if (!s)
		return -EINVAL;
	if (inet_prefix_parse(s, out)) {
		prefix_error(b, n, path, s);
		return -EINVAL;
	}
	return 0;
}

int policy_get_mac(struct policy_build *b, const struct ynode *n, const char *path, uint8_t mac[6])
{
	const char *s = policy_get_scalar(b, n, path, "a MAC address");
	char q[64];

	if (!s)
		return -EINVAL;
	if (mac_parse(s, mac)) {
		policy_err(b, n->pos, path,
			   "expected a MAC address like 02:00:5e:00:53:01, got '%s'",
			   policy_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	return 0;
}

/* One of words[]; its index in *out. */
int policy_get_word(struct policy_build *b, const struct ynode *n, const char *path,
		    const char *const *words, size_t nw, int *out)
{
	const char *s = policy_get_scalar(b, n, path, "a keyword");
	char list[256] = "", q[64];
	size_t i, len = 0;

	if (!s)
		return -EINVAL;
	for (i = 0; i < nw; i++) {
		if (!strcmp(s, words[i])) {
			*out = i;
			return 0;
		}
		len += snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0, "%s%s",
				i ? (i + 1 == nw ? " or " : ", ") : "", words[i]);
	}
	policy_err(b, n->pos, path, "expected %s, got '%s'", list, policy_quote(s, q, sizeof(q)));
	return -EINVAL;
}

/* "tcp/443" or "udp/53". */
int policy_get_port(struct policy_build *b, const struct ynode *n, const char *path,
		    struct policy_port *out)
{
	const char *s = policy_get_scalar(b, n, path, "a port like tcp/443");
	uint64_t port;
	char q[64];

	if (!s)
		return -EINVAL;
	if ((strncmp(s, "tcp/", 4) && strncmp(s, "udp/", 4)) ||
	    !policy_parse_decimal(s + 4, strlen(s + 4), &port) || port < 1 || port > 65535) {
		policy_err(b, n->pos, path,
			   "expected tcp/PORT or udp/PORT (PORT 1..65535), got '%s'",
			   policy_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	out->proto = s[0] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
	out->port = port;
	return 0;
}
