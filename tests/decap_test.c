// SPDX-License-Identifier: GPL-2.0
/* Packet tests of the backend decapsulator (xdp/decap.bpf.c) through BPF_PROG_TEST_RUN: every
 * tunnel kind opened to the inner packet byte for byte, everything else untouched, refused and
 * malformed tunnels dropped, each verdict seen in exactly one counter.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../xdp/decap_abi.h"
#include "decap.skel.h"
#include "pkt.h"

#define LOCAL4 "198.51.100.21" /* the backend's tunnel addresses */
#define LOCAL6 "2001:db8:100::21"
#define EDGE4 "192.0.2.10" /* the edge's encap sources: the allow-list */
#define EDGE6 "2001:db8::10"
#define OTHER4 "198.51.100.99" /* a tunnel address of somebody else */
#define OTHER6 "2001:db8:100::99"
#define STRANGER4 "203.0.113.66" /* a source outside the allow-list */
#define STRANGER6 "2001:db8:bad::66"

static struct decap_bpf *skel;

/* How a case bends the tunnel frame before it goes in. */
enum mangle {
	M_NONE,
	M_V4_OPTIONS, /* outer IPv4 with 2 words of options */
	M_V6_DSTOPT, /* outer IPv6 with a destination options header (encap limit) */
	M_FRAGMENT, /* outer MF set / IPv6 fragment header */
	M_CUT_L3, /* frame ends 10 bytes into the outer header */
	M_BAD_IHL, /* outer ihl 4 */
	M_OUTER_LONG, /* outer length claims 100 bytes more than the frame holds */
	M_OUTER_CUT, /* frame cut inside the outer payload, outer length left as it was */
	M_INNER_SHORT, /* outer consistently carries only 10 bytes of inner header */
	M_INNER_VERSION, /* outer protocol names the other family */
	M_INNER_LONG, /* inner length 100 bytes beyond what the outer carries */
	M_INNER_DST, /* inner destination none of our VIPs (a reflection attempt) */
};

enum expect { E_OPEN, E_SAME, E_ANY };

struct tcase {
	const char *name;
	int outer; /* 4 or 6; 0: the inner packet alone, no tunnel */
	int inner; /* 4 or 6 */
	const char *osrc, *odst; /* NULL: the allowed edge and our local address */
	int vlans;
	enum mangle mangle;
	int action;
	enum decap_stat stat;
	enum expect expect;
};

static const struct tcase cases[] = {
	{ "ipip opened", 4, 4, NULL, NULL, 0, M_NONE, XDP_PASS, DECAP_OPENED_IPIP, E_OPEN },
	{ "6in4 opened", 4, 6, NULL, NULL, 0, M_NONE, XDP_PASS, DECAP_OPENED_6IN4, E_OPEN },
	{ "4in6 opened", 6, 4, NULL, NULL, 0, M_NONE, XDP_PASS, DECAP_OPENED_4IN6, E_OPEN },
	{ "ip6ip6 opened", 6, 6, NULL, NULL, 0, M_NONE, XDP_PASS, DECAP_OPENED_IP6IP6, E_OPEN },
	{ "ipip with outer options opened", 4, 4, NULL, NULL, 0, M_V4_OPTIONS, XDP_PASS,
	  DECAP_OPENED_IPIP, E_OPEN },
	{ "ip6ip6 with encap-limit option opened", 6, 6, NULL, NULL, 0, M_V6_DSTOPT, XDP_PASS,
	  DECAP_OPENED_IP6IP6, E_OPEN },
	{ "ipip in one vlan keeps its tag", 4, 4, NULL, NULL, 1, M_NONE, XDP_PASS,
	  DECAP_OPENED_IPIP, E_OPEN },
	{ "6in4 in two vlans keeps its tags", 4, 6, NULL, NULL, 2, M_NONE, XDP_PASS,
	  DECAP_OPENED_6IN4, E_OPEN },
	{ "4in6 in two vlans keeps its tags", 6, 4, NULL, NULL, 2, M_NONE, XDP_PASS,
	  DECAP_OPENED_4IN6, E_OPEN },
	{ "three vlans untouched", 4, 4, NULL, NULL, 3, M_NONE, XDP_PASS, DECAP_PASSED, E_SAME },
	{ "plain ipv4 tcp untouched", 0, 4, NULL, NULL, 0, M_NONE, XDP_PASS, DECAP_PASSED, E_SAME },
	{ "plain ipv6 tcp untouched", 0, 6, NULL, NULL, 0, M_NONE, XDP_PASS, DECAP_PASSED, E_SAME },
	{ "plain ipv4 in vlan untouched", 0, 4, NULL, NULL, 1, M_NONE, XDP_PASS, DECAP_PASSED,
	  E_SAME },
	{ "ipip to another address refused", 4, 4, NULL, OTHER4, 0, M_NONE, XDP_DROP,
	  DECAP_REFUSED_NOT_LOCAL, E_ANY },
	{ "ip6ip6 to another address refused", 6, 6, NULL, OTHER6, 0, M_NONE, XDP_DROP,
	  DECAP_REFUSED_NOT_LOCAL, E_ANY },
	{ "4in6 to a v4-mapped lookalike refused", 6, 4, NULL, "::ffff:198.51.100.21", 0, M_NONE,
	  XDP_DROP, DECAP_REFUSED_NOT_LOCAL, E_ANY },
	{ "ipip from a stranger refused", 4, 4, STRANGER4, NULL, 0, M_NONE, XDP_DROP,
	  DECAP_REFUSED_SOURCE, E_ANY },
	{ "ip6ip6 from a stranger refused", 6, 6, STRANGER6, NULL, 0, M_NONE, XDP_DROP,
	  DECAP_REFUSED_SOURCE, E_ANY },
	{ "ipip fragment passed untouched", 4, 4, NULL, NULL, 0, M_FRAGMENT, XDP_PASS,
	  DECAP_PASSED_FRAGMENT, E_SAME },
	{ "ip6ip6 fragment passed untouched", 6, 6, NULL, NULL, 0, M_FRAGMENT, XDP_PASS,
	  DECAP_PASSED_FRAGMENT, E_SAME },
	{ "outer ipv4 cut before protocol untouched", 4, 4, NULL, NULL, 0, M_CUT_L3, XDP_PASS,
	  DECAP_PASSED, E_SAME },
	{ "outer ihl 4 dropped", 4, 4, NULL, NULL, 0, M_BAD_IHL, XDP_DROP, DECAP_DROPPED_MALFORMED,
	  E_ANY },
	{ "outer ipv4 longer than frame dropped", 4, 4, NULL, NULL, 0, M_OUTER_LONG, XDP_DROP,
	  DECAP_DROPPED_MALFORMED, E_ANY },
	{ "outer ipv6 longer than frame dropped", 6, 4, NULL, NULL, 0, M_OUTER_LONG, XDP_DROP,
	  DECAP_DROPPED_MALFORMED, E_ANY },
	{ "truncated ipip frame dropped", 4, 4, NULL, NULL, 0, M_OUTER_CUT, XDP_DROP,
	  DECAP_DROPPED_MALFORMED, E_ANY },
	{ "truncated ip6ip6 frame dropped", 6, 6, NULL, NULL, 0, M_OUTER_CUT, XDP_DROP,
	  DECAP_DROPPED_MALFORMED, E_ANY },
	{ "ipip inner header truncated dropped", 4, 4, NULL, NULL, 0, M_INNER_SHORT, XDP_DROP,
	  DECAP_DROPPED_INNER, E_ANY },
	{ "ip6ip6 inner header truncated dropped", 6, 6, NULL, NULL, 0, M_INNER_SHORT, XDP_DROP,
	  DECAP_DROPPED_INNER, E_ANY },
	{ "proto 4 carrying ipv6 dropped", 4, 6, NULL, NULL, 0, M_INNER_VERSION, XDP_DROP,
	  DECAP_DROPPED_INNER, E_ANY },
	{ "proto 41 carrying ipv4 dropped", 6, 4, NULL, NULL, 0, M_INNER_VERSION, XDP_DROP,
	  DECAP_DROPPED_INNER, E_ANY },
	{ "ipip inner longer than outer dropped", 4, 4, NULL, NULL, 0, M_INNER_LONG, XDP_DROP,
	  DECAP_DROPPED_INNER, E_ANY },
	{ "4in6 inner longer than outer dropped", 6, 4, NULL, NULL, 0, M_INNER_LONG, XDP_DROP,
	  DECAP_DROPPED_INNER, E_ANY },
	{ "6in4 inner longer than outer dropped", 4, 6, NULL, NULL, 0, M_INNER_LONG, XDP_DROP,
	  DECAP_DROPPED_INNER, E_ANY },
	{ "ipip to a non-VIP inner destination refused", 4, 4, NULL, NULL, 0, M_INNER_DST, XDP_DROP,
	  DECAP_REFUSED_INNER_DST, E_ANY },
	{ "4in6 to a non-VIP inner destination refused", 6, 4, NULL, NULL, 0, M_INNER_DST, XDP_DROP,
	  DECAP_REFUSED_INNER_DST, E_ANY },
	{ "ip6ip6 to a non-VIP inner destination refused", 6, 6, NULL, NULL, 0, M_INNER_DST,
	  XDP_DROP, DECAP_REFUSED_INNER_DST, E_ANY },
	{ "6in4 to a non-VIP inner destination refused", 4, 6, NULL, NULL, 0, M_INNER_DST, XDP_DROP,
	  DECAP_REFUSED_INNER_DST, E_ANY },
};

static const uint8_t mac_backend[6] = { 0x02, 0xae, 0, 0, 0, 0x21 };
static const uint8_t mac_edge[6] = { 0x02, 0xae, 0, 0, 0, 0x10 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static void insert(uint8_t *buf, size_t *len, size_t off, const uint8_t *bytes, size_t n)
{
	memmove(buf + off + n, buf + off, *len - off);
	memcpy(buf + off, bytes, n);
	*len += n;
}

static void fix_csum4(uint8_t *ip)
{
	put16(ip + 10, 0);
	put16(ip + 10, pkt_csum(ip, (ip[0] & 0xf) * 4));
}

/* The client's packet as the edge would tunnel it: IP header onwards, returns its length. */
static size_t inner_packet(int family, uint8_t *ip, size_t cap)
{
	struct pkt_spec s = {
		.src = family == 6 ? "2001:db8:cafe::7" : "203.0.113.7",
		.dst = family == 6 ? "2001:db8::1" : "192.0.2.1",
		.proto = 6,
		.sport = 40000,
		.dport = 443,
		.payload_len = 37,
	};
	uint8_t frame[PKT_MAX];
	size_t n = pkt_build(&s, frame, sizeof(frame));

	assert_true(n > 14 && n - 14 <= cap);
	memcpy(ip, frame + 14, n - 14);
	return n - 14;
}

/* Build the case's input frame; *l2 gets the Ethernet+VLAN length, *olen the outer length. */
static size_t build(const struct tcase *c, uint8_t *f, const uint8_t *ip, size_t ip_len, size_t *l2,
		    size_t *olen)
{
	const char *src = c->osrc ? c->osrc : c->outer == 6 ? EDGE6 : EDGE4;
	const char *dst = c->odst ? c->odst : c->outer == 6 ? LOCAL6 : LOCAL4;
	size_t len;
	uint8_t *o;
	int i;

	if (c->outer) {
		len = pkt_tunnel(c->outer, src, dst, ip, ip_len, f, PKT_MAX);
	} else {
		len = 14 + ip_len;
		memcpy(f + 14, ip, ip_len);
		put16(f + 12, c->inner == 6 ? 0x86dd : 0x0800);
	}
	assert_true(len > 0);
	memcpy(f, mac_backend, 6);
	memcpy(f + 6, mac_edge, 6);
	for (i = 0; i < c->vlans; i++) { /* innermost first: each insert goes outside the last */
		uint8_t tag[4] = { i ? 0x88 : 0x81, i ? 0xa8 : 0x00, 0, (uint8_t)(10 + i) };

		insert(f, &len, 12, tag, 4);
	}
	*l2 = 14 + 4 * c->vlans;
	*olen = c->outer == 6 ? 40 : 20;
	o = f + *l2;

	switch (c->mangle) {
	case M_NONE:
		break;
	case M_V4_OPTIONS: {
		uint8_t opts[8] = { 1, 1, 1, 1, 1, 1, 1, 0 }; /* NOPs, EOL */

		insert(f, &len, *l2 + 20, opts, sizeof(opts));
		o[0] = 0x40 | 7;
		put16(o + 2, get16(o + 2) + 8);
		fix_csum4(o);
		*olen = 28;
		break;
	}
	case M_V6_DSTOPT: { /* RFC 2473 tunnel encapsulation limit 4, then PadN */
		uint8_t dopt[8] = { o[6], 0, 4, 1, 4, 1, 1, 0 };

		insert(f, &len, *l2 + 40, dopt, sizeof(dopt));
		o[6] = 60;
		put16(o + 4, get16(o + 4) + 8);
		*olen = 48;
		break;
	}
	case M_FRAGMENT:
		if (c->outer == 4) {
			o[6] |= 0x20;
			fix_csum4(o);
		} else {
			uint8_t fh[8] = { o[6], 0, 0, 1, 0, 0, 0, 42 };

			insert(f, &len, *l2 + 40, fh, sizeof(fh));
			o[6] = 44;
			put16(o + 4, get16(o + 4) + 8);
		}
		break;
	case M_CUT_L3:
		len = *l2 + 8;
		break;
	case M_BAD_IHL:
		o[0] = 0x44;
		break;
	case M_OUTER_LONG:
		if (c->outer == 4) {
			put16(o + 2, get16(o + 2) + 100);
			fix_csum4(o);
		} else {
			put16(o + 4, get16(o + 4) + 100);
		}
		break;
	case M_OUTER_CUT:
		len = *l2 + *olen + 30;
		break;
	case M_INNER_SHORT:
		len = *l2 + *olen + 10;
		if (c->outer == 4) {
			put16(o + 2, 20 + 10);
			fix_csum4(o);
		} else {
			put16(o + 4, 10);
		}
		break;
	case M_INNER_VERSION:
		if (c->outer == 4) {
			o[9] = o[9] == 4 ? 41 : 4;
			fix_csum4(o);
		} else {
			o[6] = o[6] == 4 ? 41 : 4;
		}
		break;
	case M_INNER_DST: {
		uint8_t *in = o + *olen;

		if (c->inner == 4) {
			in[19] = 99;
			fix_csum4(in);
		} else {
			in[39] = 99;
		}
		break;
	}
	case M_INNER_LONG: {
		uint8_t *in = o + *olen;

		if (c->inner == 4) {
			put16(in + 2, get16(in + 2) + 100);
			fix_csum4(in);
		} else {
			put16(in + 4, get16(in + 4) + 100);
		}
		break;
	}
	}
	return len;
}

static uint64_t stat_sum(enum decap_stat s)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu > 0 ? ncpu : 1], sum = 0;
	uint32_t key = s;
	int i;

	assert_true(ncpu > 0);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.decap_stats), &key, vals), 0);
	for (i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

static void stats_snapshot(uint64_t *out)
{
	int s;

	for (s = 0; s < DECAP_STAT_MAX; s++)
		out[s] = stat_sum(s);
}

/* Run one frame; returns the action, output in out/out_len. */
static int run(const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = (uint32_t)len,
		    .data_out = out, .data_size_out = PKT_MAX + 256, .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.decap), &opts), 0);
	*out_len = opts.data_size_out;
	return (int)opts.retval;
}

/* Run c and check verdict, output and that exactly its counter moved by one. */
static void check_case(const struct tcase *c)
{
	uint8_t ip[PKT_MAX], in[PKT_MAX], out[PKT_MAX + 256], want[PKT_MAX];
	uint64_t before[DECAP_STAT_MAX], after[DECAP_STAT_MAX];
	size_t ip_len, len, out_len, l2, olen, want_len;
	int act, s;

	ip_len = inner_packet(c->inner, ip, sizeof(ip));
	len = build(c, in, ip, ip_len, &l2, &olen);
	stats_snapshot(before);
	act = run(in, len, out, &out_len);
	stats_snapshot(after);

	if (act != c->action)
		fail_msg("%s: action %d, want %d", c->name, act, c->action);
	for (s = 0; s < DECAP_STAT_MAX; s++) {
		uint64_t d = after[s] - before[s], w = s == (int)c->stat;

		if (d != w)
			fail_msg("%s: counter %s moved by %llu, want %llu", c->name,
				 decap_stat_names[s], (unsigned long long)d, (unsigned long long)w);
	}
	if (c->expect == E_SAME) {
		assert_int_equal(out_len, len);
		assert_memory_equal(out, in, len);
	} else if (c->expect == E_OPEN) {
		/* L2 as it came (MACs, tags), last ethertype the inner family, then the inner
		 * packet exactly as the edge put it in the tunnel
		 */
		memcpy(want, in, l2);
		put16(want + l2 - 2, c->inner == 6 ? 0x86dd : 0x0800);
		memcpy(want + l2, ip, ip_len);
		want_len = l2 + ip_len;
		assert_int_equal(out_len, want_len);
		assert_memory_equal(out, want, want_len);
	}
}

static void test_case(void **state)
{
	check_case(*state);
}

static int set_enforce(int on)
{
	struct decap_config cfg = { .flags = on ? 0 : DECAP_F_ALLOW_ANY,
				    .abi_version = DECAP_ABI_VERSION };
	uint32_t zero = 0;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.decap_config), &zero, &cfg, BPF_ANY);
}

/* Without an enforced allow-list, any source may tunnel to our addresses (still not to others). */
static void test_allow_not_enforced(void **state)
{
	static const struct tcase open4 = { "stranger opened when not enforced",
					    4,
					    4,
					    STRANGER4,
					    NULL,
					    0,
					    M_NONE,
					    XDP_PASS,
					    DECAP_OPENED_IPIP,
					    E_OPEN };
	static const struct tcase open6 = { "stranger6 opened when not enforced",
					    6,
					    6,
					    STRANGER6,
					    NULL,
					    0,
					    M_NONE,
					    XDP_PASS,
					    DECAP_OPENED_IP6IP6,
					    E_OPEN };
	static const struct tcase other = { "other address refused when not enforced",
					    4,
					    4,
					    STRANGER4,
					    OTHER4,
					    0,
					    M_NONE,
					    XDP_DROP,
					    DECAP_REFUSED_NOT_LOCAL,
					    E_ANY };

	assert_int_equal(set_enforce(0), 0);
	check_case(&open4);
	check_case(&open6);
	check_case(&other);
	assert_int_equal(set_enforce(1), 0);
}

/* No config written (all zero) enforces the allow-list: nothing opens by accident. */
static void test_no_config_enforces(void **state)
{
	static const struct tcase stranger = { "stranger refused with no config",
					       4,
					       4,
					       STRANGER4,
					       NULL,
					       0,
					       M_NONE,
					       XDP_DROP,
					       DECAP_REFUSED_SOURCE,
					       E_ANY };
	static const struct tcase edge = { "edge opened with no config",
					   4,
					   4,
					   NULL,
					   NULL,
					   0,
					   M_NONE,
					   XDP_PASS,
					   DECAP_OPENED_IPIP,
					   E_OPEN };
	struct decap_config zero_cfg = { 0 };
	uint32_t zero = 0;

	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.decap_config), &zero, &zero_cfg,
					     BPF_ANY),
			 0);
	check_case(&stranger);
	check_case(&edge);
	assert_int_equal(set_enforce(1), 0);
}

static void test_wide_prefix_allows(void **state)
{
	struct decap_lpm4_key k = { .prefixlen = 24 };
	static const struct tcase in_prefix = { "source inside an allowed /24 opened",
						4,
						4,
						"203.0.113.200",
						NULL,
						0,
						M_NONE,
						XDP_PASS,
						DECAP_OPENED_IPIP,
						E_OPEN };
	uint8_t one = 1;

	inet_pton(AF_INET, "203.0.113.128", k.addr);
	k.addr[3] = 0;
	assert_int_equal(
		bpf_map_update_elem(bpf_map__fd(skel->maps.decap_allow4), &k, &one, BPF_ANY), 0);
	check_case(&in_prefix);
	assert_int_equal(bpf_map_delete_elem(bpf_map__fd(skel->maps.decap_allow4), &k), 0);
}

static int add_key(struct bpf_map *m, int family, const char *s)
{
	struct decap_addr_key k = { .family = family };
	uint8_t one = 1;

	if (inet_pton(family == 6 ? AF_INET6 : AF_INET, s, k.addr) != 1)
		return -EINVAL;
	return bpf_map_update_elem(bpf_map__fd(m), &k, &one, BPF_ANY);
}

static int add_addr(int family, const char *s)
{
	return add_key(skel->maps.decap_addrs, family, s);
}

static int setup(void **state)
{
	struct decap_lpm4_key k4 = { .prefixlen = 32 };
	struct decap_lpm6_key k6 = { .prefixlen = 128 };
	uint8_t one = 1;

	skel = decap_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "decap_test: cannot load decap.bpf.o: %s\n", strerror(errno));
		return -1;
	}
	inet_pton(AF_INET, EDGE4, k4.addr);
	inet_pton(AF_INET6, EDGE6, k6.addr);
	if (add_addr(4, LOCAL4) || add_addr(6, LOCAL6) ||
	    add_key(skel->maps.decap_vips, 4, "192.0.2.1") ||
	    add_key(skel->maps.decap_vips, 6, "2001:db8::1") ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.decap_allow4), &k4, &one, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.decap_allow6), &k6, &one, BPF_ANY) ||
	    set_enforce(1))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	decap_bpf__destroy(skel);
	return 0;
}

int main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]), i;
	struct CMUnitTest *tests = calloc(n + 3, sizeof(*tests));
	int rc;

	if (!tests)
		return 1;
	for (i = 0; i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = test_case;
		tests[i].initial_state = (void *)&cases[i];
	}
	tests[n].name = "allow-list not enforced";
	tests[n].test_func = test_allow_not_enforced;
	tests[n + 1].name = "allowed prefix wider than /32";
	tests[n + 1].test_func = test_wide_prefix_allows;
	tests[n + 2].name = "no config: allow-list enforced";
	tests[n + 2].test_func = test_no_config_enforces;
	rc = _cmocka_run_group_tests("decap", tests, n + 3, setup, teardown);
	free(tests);
	return rc;
}
