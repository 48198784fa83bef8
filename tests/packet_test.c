// SPDX-License-Identifier: GPL-2.0
/* Packet tests: the real steering program, maps programmed by the dataplane module from a real
 * policy, packets built byte by byte and run through BPF_PROG_TEST_RUN; verdicts and output bytes
 * checked against what the design says must happen.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunknown-pragmas" /* the BPF side's unroll hints */
#include "../xdp/hash.h"
#pragma GCC diagnostic pop
#include "dataplane.h"
#include "maglev.h"
#include "pkt.h"

#define EDGE_MAC "\x02\x00\x00\x00\x00\x01"
#define GW_MAC "\x02\x00\x00\x00\x00\x02"

static const char base_policy[] =
	"edge:\n"
	"  name: edge-test\n"
	"  interface: veth0\n"
	"  region: eu-west\n"
	"  encap_source: {ipv4: 192.0.2.10, ipv6: \"2001:db8::10\"}\n"
	"  mac: \"02:00:00:00:00:01\"\n"
	"  gateway_mac: \"02:00:00:00:00:02\"\n"
	"regions:\n"
	"  - name: us-east\n"
	"    backends:\n"
	"      - {address: 198.51.100.11, weight: 100}\n"
	"      - {address: 198.51.100.12, weight: 100}\n"
	"  - name: eu-west\n"
	"    backends:\n"
	"      - {address: 198.51.100.21}\n"
	"      - {address: 198.51.100.22}\n"
	"%s" /* extra eu-west backends */
	"  - name: ap-south\n"
	"    backends:\n"
	"      - {address: \"2001:db8:3::31\"}\n"
	"      - {address: \"2001:db8:3::32\"}\n"
	"probe: {type: http, port: 8080, path: /health/ready, interval: 1s, timeout: 500ms,\n"
	"        rise: 2, fall: 2}\n"
	"clients:\n"
	"  - {prefix: 203.0.113.0/25, prefer: [us-east, eu-west]}\n"
	"  - {prefix: 203.0.113.128/25, prefer: [eu-west, us-east]}\n"
	"  - {prefix: \"2001:db8:c0::/48\", prefer: [ap-south]}\n"
	"vips:\n"
	"  - name: web\n"
	"    address: 192.0.2.1\n"
	"    ports: [tcp/443, udp/443]\n"
	"    mode: active-active\n"
	"    regions: [us-east, eu-west, ap-south]\n"
	"  - name: web6\n"
	"    address: \"2001:db8:ff::1\"\n"
	"    ports: [tcp/443]\n"
	"    mode: active-active\n"
	"    regions: [ap-south, eu-west]\n"
	"  - name: db\n"
	"    address: 192.0.2.2\n"
	"    ports: [tcp/5432]\n"
	"    mode: active-passive\n"
	"    primary: us-east\n"
	"    regions: [us-east, eu-west]\n"
	"  - name: dbauto\n"
	"    address: 192.0.2.3\n"
	"    ports: [tcp/5432]\n"
	"    mode: active-passive\n"
	"    primary: us-east\n"
	"    auto_promote: local\n"
	"    regions: [us-east, eu-west]\n"
	"dataplane: {hash_seed: %u, ring_size: 65537, flow_table_size: 4096}\n";

enum { US, EU, AP };

struct fix {
	struct policy *p;
	struct dataplane *dp;
	struct dp_view view;
};

struct result {
	int action;
	uint8_t out[PKT_MAX + 256];
	uint32_t len;
	char backend[INET_ADDR_STR]; /* outer destination of a TX, "" otherwise */
};

static void diag_fail(void *ctx, const char *file, unsigned int line, unsigned int col,
		      const char *msg)
{
	fprintf(stderr, "%s:%u:%u: %s\n", file, line, col, msg);
}

/* The base policy; web_vip: 0 as is, 1 with VIP web listed last, 2 without VIP web. */
static struct policy *make_policy_web(const char *extra_eu, unsigned int seed, int web_vip)
{
	struct policy *p = NULL;
	char buf[8192], web[512];
	char *start, *end;
	int n;

	n = snprintf(buf, sizeof(buf), base_policy, extra_eu, seed);
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	if (web_vip) {
		start = strstr(buf, "  - name: web\n");
		end = strstr(buf, "  - name: web6\n");
		assert_non_null(start);
		assert_non_null(end);
		snprintf(web, sizeof(web), "%.*s", (int)(end - start), start);
		memmove(start, end, strlen(end) + 1);
		if (web_vip == 1) { /* insert before the dataplane line: last in the list */
			end = strstr(buf, "dataplane:");
			memmove(end + strlen(web), end, strlen(end) + 1);
			memcpy(end, web, strlen(web));
		}
		n = strlen(buf);
	}
	assert_int_equal(policy_load_buf("test.yaml", buf, n, &p, diag_fail, NULL), 0);
	return p;
}

static struct policy *make_policy(const char *extra_eu, unsigned int seed)
{
	return make_policy_web(extra_eu, seed, 0);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	f->p = make_policy("", 7);
	assert_int_equal(dp_open(f->p, NULL, &f->dp), 0);
	assert_int_equal(dp_view_default(f->p, NULL, &f->view), 0);
	assert_int_equal(dp_apply(f->dp, f->p, &f->view), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	dp_view_free(&f->view);
	dp_close(f->dp);
	policy_free(f->p);
	free(f);
	return 0;
}

static void run_frame(struct fix *f, const uint8_t *in, size_t len, struct result *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .repeat = 1);
	size_t l3;

	assert_int_equal(bpf_prog_test_run_opts(dp_prog_fd(f->dp), &o), 0);
	r->action = o.retval;
	r->len = o.data_size_out;
	r->backend[0] = 0;
	if (r->action != XDP_TX)
		return;
	l3 = pkt_l3_offset(r->out, r->len);
	if ((r->out[l3] >> 4) == 4)
		inet_ntop(AF_INET, r->out + l3 + 16, r->backend, sizeof(r->backend));
	else
		inet_ntop(AF_INET6, r->out + l3 + 24, r->backend, sizeof(r->backend));
}

static size_t build(const struct pkt_spec *s, uint8_t *buf)
{
	size_t len = pkt_build(s, buf, PKT_MAX);

	assert_true(len > 0);
	return len;
}

static void run(struct fix *f, const struct pkt_spec *s, struct result *r)
{
	uint8_t buf[PKT_MAX];

	run_frame(f, buf, build(s, buf), r);
}

static void reapply(struct fix *f)
{
	assert_int_equal(dp_apply(f->dp, f->p, &f->view), 0);
}

static uint64_t reason_count(struct fix *f, enum ae_reason reason)
{
	uint64_t c[AE_REASON_MAX];

	assert_int_equal(dp_read_reasons(f->dp, c), 0);
	return c[reason];
}

static bool in_region(struct fix *f, int region, const char *addr)
{
	struct inet_addr a;
	size_t i;

	if (inet_addr_parse(addr, &a))
		return false;
	for (i = 0; i < f->p->regions[region].n_backends; i++)
		if (inet_addr_eq(&f->p->regions[region].backends[i].addr, &a))
			return true;
	return false;
}

static struct pkt_spec tcp4(const char *src, const char *dst, uint16_t sport, uint16_t dport)
{
	struct pkt_spec s = { .src = src,
			      .dst = dst,
			      .proto = IPPROTO_TCP,
			      .sport = sport,
			      .dport = dport,
			      .tcp_flags = 0x10, /* ACK: a packet of a flow; a SYN opens one */
			      .payload_len = 20 };

	memcpy(s.dst_mac, EDGE_MAC, 6);
	memcpy(s.src_mac, "\x02\x00\x00\x00\x00\x09", 6);
	return s;
}

/* The whole tunnelled frame, byte by byte: L2 rewritten, outer header right, inner untouched. */
static void check_tunnel(const uint8_t *in, size_t in_len, const struct result *r, int outer6)
{
	size_t l3_in = pkt_l3_offset(in, in_len), l3 = pkt_l3_offset(r->out, r->len);
	size_t hl = outer6 ? 40 : 20;
	const uint8_t *o = r->out + l3;
	size_t inner_len;

	assert_int_equal(l3, l3_in); /* VLAN tags kept */
	assert_memory_equal(r->out, GW_MAC, 6);
	assert_memory_equal(r->out + 6, EDGE_MAC, 6);
	assert_memory_equal(r->out + 12, in + 12, l3 - 14); /* tags as they came */
	assert_int_equal(r->out[l3 - 2] << 8 | r->out[l3 - 1], outer6 ? 0x86dd : 0x0800);
	inner_len = (in[l3_in] >> 4) == 4 ? (size_t)(in[l3_in + 2] << 8 | in[l3_in + 3]) :
					    (size_t)(40 + (in[l3_in + 4] << 8 | in[l3_in + 5]));
	assert_int_equal(r->len, in_len + hl);
	assert_memory_equal(o + hl, in + l3_in, in_len - l3_in);
	if (outer6) {
		uint8_t src6[16];

		inet_pton(AF_INET6, "2001:db8::10", src6);
		assert_int_equal(o[0] >> 4, 6);
		assert_int_equal(o[4] << 8 | o[5], inner_len);
		assert_int_equal(o[6], (in[l3_in] >> 4) == 4 ? 4 : 41);
		assert_int_equal(o[7], 64);
		assert_memory_equal(o + 8, src6, 16);
	} else {
		uint8_t src4[4] = { 192, 0, 2, 10 };

		assert_int_equal(o[0], 0x45);
		assert_int_equal(o[2] << 8 | o[3], inner_len + 20);
		assert_int_equal(o[8], 64);
		assert_int_equal(o[9], (in[l3_in] >> 4) == 4 ? 4 : 41);
		assert_int_equal(pkt_csum(o, 20), 0);
		assert_memory_equal(o + 12, src4, 4);
	}
}

static void test_non_vip_untouched(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.7", "192.0.2.99", 1000, 443);
	struct pkt_spec s6 = tcp4("2001:db8:c0::7", "2001:db8:ff::99", 1000, 443);
	struct pkt_spec icmp = tcp4("203.0.113.7", "192.0.2.1", 0, 0);
	struct result r;
	uint8_t in[PKT_MAX];
	size_t len;
	uint64_t before = reason_count(f, AE_PASS_NOT_VIP);

	icmp.proto = IPPROTO_ICMP;
	for (int i = 0; i < 3; i++) {
		const struct pkt_spec *sp = i == 0 ? &s : i == 1 ? &s6 : &icmp;

		len = build(sp, in);
		run_frame(f, in, len, &r);
		assert_int_equal(r.action, XDP_PASS);
		assert_int_equal(r.len, len);
		assert_memory_equal(r.out, in, len);
	}
	assert_int_equal(reason_count(f, AE_PASS_NOT_VIP), before + 3);
}

static void test_vip_unlisted_port_passes(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.7", "192.0.2.1", 1000, 80);
	struct result r;

	run(f, &s, &r);
	assert_int_equal(r.action, XDP_PASS);
	s.dport = 443;
	s.proto = IPPROTO_UDP;
	run(f, &s, &r);
	assert_int_equal(r.action, XDP_TX); /* udp/443 is listed */
}

static void test_nearest_region_by_prefix(void **state)
{
	struct fix *f = *state;
	struct pkt_spec us = tcp4("203.0.113.7", "192.0.2.1", 1000, 443);
	struct pkt_spec eu = tcp4("203.0.113.200", "192.0.2.1", 1000, 443);
	struct pkt_spec other = tcp4("198.18.0.5", "192.0.2.1", 1000, 443);
	uint8_t in[PKT_MAX];
	struct result r;
	size_t len;

	for (int port = 1000; port < 1040; port++) {
		us.sport = eu.sport = other.sport = port;
		len = build(&us, in);
		run_frame(f, in, len, &r);
		assert_int_equal(r.action, XDP_TX);
		assert_true(in_region(f, US, r.backend));
		check_tunnel(in, len, &r, 0);
		run(f, &eu, &r);
		assert_true(in_region(f, EU, r.backend));
		run(f, &other, &r); /* no prefix: the edge's own region */
		assert_true(in_region(f, EU, r.backend));
	}
}

static void test_failover_to_next_region(void **state)
{
	struct fix *f = *state;
	struct pkt_spec eu = tcp4("203.0.113.200", "192.0.2.1", 2000, 443);
	struct result r;
	int port;

	f->view.region_up[EU] = false;
	reapply(f);
	for (port = 2000; port < 2020; port++) {
		eu.sport = port;
		run(f, &eu, &r);
		assert_int_equal(r.action, XDP_TX);
		assert_true(in_region(f, US, r.backend)); /* the client's second preference */
	}
	f->view.region_up[US] = false;
	reapply(f);
	eu.sport = 3000;
	run(f, &eu, &r); /* neither preference: the VIP's own order goes on to ap-south */
	assert_int_equal(r.action, XDP_TX);
	assert_true(in_region(f, AP, r.backend));
	f->view.region_up[AP] = false;
	reapply(f);
	eu.sport = 3001;
	run(f, &eu, &r);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(reason_count(f, AE_DROP_NO_REGION), 1);
}

static void test_tunnel_kinds(void **state)
{
	struct fix *f = *state;
	struct pkt_spec v4to6 = tcp4("203.0.113.7", "192.0.2.1", 4000, 443);
	struct pkt_spec v6to6 = tcp4("2001:db8:c0::7", "2001:db8:ff::1", 4000, 443);
	struct pkt_spec v6to4 = tcp4("2001:db8:99::7", "2001:db8:ff::1", 4000, 443);
	uint8_t in[PKT_MAX];
	struct result r;
	size_t len;

	/* IP6IP6: an IPv6 client preferring ap-south (IPv6 backends) */
	len = build(&v6to6, in);
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_TX);
	assert_true(in_region(f, AP, r.backend));
	check_tunnel(in, len, &r, 1);
	/* 6in4: an IPv6 client with no prefix goes to eu-west first (IPv4 backends) */
	len = build(&v6to4, in);
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_TX);
	assert_true(in_region(f, EU, r.backend));
	check_tunnel(in, len, &r, 0);
	/* 4in6: an IPv4 VIP whose only up region has IPv6 backends */
	f->view.region_up[US] = f->view.region_up[EU] = false;
	reapply(f);
	len = build(&v4to6, in);
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_TX);
	assert_true(in_region(f, AP, r.backend));
	check_tunnel(in, len, &r, 1);
}

static void test_vlan_and_options(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.7", "192.0.2.1", 5000, 443);
	uint8_t in[PKT_MAX];
	struct result r;
	size_t len;

	s.vlan_ids[0] = 100;
	s.vlan_ids[1] = 200;
	s.vlan_ids[2] = 300;
	for (s.n_vlans = 0; s.n_vlans <= 2; s.n_vlans++) {
		for (s.ip_opt_words = 0; s.ip_opt_words <= 10; s.ip_opt_words += 5) {
			len = build(&s, in);
			run_frame(f, in, len, &r);
			assert_int_equal(r.action, XDP_TX);
			check_tunnel(in, len, &r, 0);
		}
	}
	s.n_vlans = 3; /* deeper than the program looks: not ours */
	len = build(&s, in);
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_PASS);
	assert_memory_equal(r.out, in, len);
	assert_int_equal(reason_count(f, AE_PASS_NOT_IP), 1);
}

static void test_fragments_same_backend(void **state)
{
	struct fix *f = *state;
	const char *srcs[] = { "203.0.113.200", "2001:db8:99::5" };
	const char *dsts[] = { "192.0.2.1", "2001:db8:ff::1" };
	struct pkt_spec s;
	struct result r;
	char first[INET_ADDR_STR];
	int k, id;

	for (k = 0; k < 2; k++) {
		for (id = 1; id <= 8; id++) {
			s = tcp4(srcs[k], dsts[k], 6000 + id, 443);
			s.is_frag = 1;
			s.frag_id = id;
			s.more_frags = 1;
			s.payload_len = 64;
			run(f, &s, &r); /* first fragment: has ports */
			assert_int_equal(r.action, XDP_TX);
			strcpy(first, r.backend);
			s.frag_off = 9;
			run(f, &s, &r); /* middle */
			assert_int_equal(r.action, XDP_TX);
			assert_string_equal(r.backend, first);
			s.more_frags = 0;
			run(f, &s, &r); /* last */
			assert_string_equal(r.backend, first);
		}
	}
}

static void test_malformed(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.7", "192.0.2.1", 7000, 443);
	struct pkt_spec s6 = tcp4("2001:db8:c0::7", "2001:db8:ff::1", 7000, 443);
	uint8_t in[PKT_MAX];
	struct result r;
	size_t len, l3;

	s.payload_len = 0;
	len = build(&s, in);
	l3 = pkt_l3_offset(in, len);
	/* TCP header cut short, IP length consistent with it: a VIP's packet, dropped */
	in[l3 + 2] = 0;
	in[l3 + 3] = 20 + 10;
	run_frame(f, in, l3 + 30, &r);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(reason_count(f, AE_DROP_MALFORMED), 1);
	/* IPv4 total length beyond the frame: inconsistent, never tunnelled */
	len = build(&s, in);
	in[l3 + 2] = 0x05;
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_PASS);
	assert_memory_equal(r.out, in, len);
	/* IPv4 header length below 20 */
	len = build(&s, in);
	in[l3] = 0x44;
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_PASS);
	/* truncated IPv4 and IPv6 headers; bare Ethernet (test runs refuse shorter frames) */
	run_frame(f, in, l3 + 10, &r);
	assert_int_equal(r.action, XDP_PASS);
	len = build(&s6, in);
	run_frame(f, in, l3 + 30, &r);
	assert_int_equal(r.action, XDP_PASS);
	run_frame(f, in, 14, &r);
	assert_int_equal(r.action, XDP_PASS);
	assert_int_equal(reason_count(f, AE_PASS_MALFORMED), 5);
}

static void test_active_passive(void **state)
{
	struct fix *f = *state;
	struct pkt_spec eu = tcp4("203.0.113.200", "192.0.2.2", 8000, 5432);
	struct pkt_spec eu_auto = tcp4("203.0.113.200", "192.0.2.3", 8000, 5432);
	struct result r;
	int port;

	/* writes go to the primary, whatever the client prefers */
	for (port = 8000; port < 8010; port++) {
		eu.sport = port;
		run(f, &eu, &r);
		assert_int_equal(r.action, XDP_TX);
		assert_true(in_region(f, US, r.backend));
	}
	/* primary down: dropped and counted, never sent to eu-west on the edge's own word */
	dp_view_free(&f->view);
	bool down[AE_MAX_REGIONS] = { [US] = true };
	assert_int_equal(dp_view_default(f->p, down, &f->view), 0);
	reapply(f);
	eu.sport = 8000; /* an established flow too: its backend's region is down */
	run(f, &eu, &r);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(reason_count(f, AE_DROP_PRIMARY_DOWN), 1);
	/* auto_promote: local moves to the next region of the VIP's list */
	run(f, &eu_auto, &r);
	assert_int_equal(r.action, XDP_TX);
	assert_true(in_region(f, EU, r.backend));
}

static void test_promotion_moves_established_flows(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.7", "192.0.2.2", 8100, 5432);
	struct result r;

	run(f, &s, &r);
	assert_true(in_region(f, US, r.backend));
	/* an operator promotes eu-west while us-east is still up: no flow may keep writing there */
	f->view.serving[2] = EU;
	reapply(f);
	run(f, &s, &r);
	assert_int_equal(r.action, XDP_TX);
	assert_true(in_region(f, EU, r.backend));
}

/* The policy grows a third eu-west backend (198.51.100.23): eu-west's ring changes. */
static void add_eu_backend(struct fix *f)
{
	struct policy *bigger = make_policy("      - {address: 198.51.100.23}\n", 7);

	dp_view_free(&f->view);
	assert_int_equal(dp_view_default(bigger, NULL, &f->view), 0);
	assert_int_equal(dp_apply(f->dp, bigger, &f->view), 0);
	policy_free(f->p);
	f->p = bigger;
}

static void test_affinity_across_ring_change(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.200", "192.0.2.1", 0, 443);
	char before[64][INET_ADDR_STR];
	struct result r;
	int i, moved_new = 0;

	for (i = 0; i < 64; i++) {
		s.sport = 9000 + i;
		run(f, &s, &r);
		assert_true(in_region(f, EU, r.backend));
		strcpy(before[i], r.backend);
	}
	/* a third eu-west backend: the ring changes, established flows stay */
	add_eu_backend(f);
	for (i = 0; i < 64; i++) {
		s.sport = 9000 + i;
		run(f, &s, &r);
		assert_string_equal(r.backend, before[i]);
	}
	for (i = 0; i < 64; i++) { /* while new flows do reach the new backend */
		s.sport = 9500 + i;
		run(f, &s, &r);
		moved_new += !strcmp(r.backend, "198.51.100.23");
	}
	assert_true(moved_new > 5);
	/* a backend going down takes its flows with it: they are steered afresh */
	f->view.backend_up[dp_backend_id(f->p, EU, 0)] = false;
	reapply(f);
	for (i = 0; i < 64; i++) {
		s.sport = 9000 + i;
		run(f, &s, &r);
		assert_int_equal(r.action, XDP_TX);
		assert_string_not_equal(r.backend, "198.51.100.21");
		if (strcmp(before[i], "198.51.100.21"))
			assert_string_equal(r.backend, before[i]);
	}
}

static void test_drained_backend(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.200", "192.0.2.1", 0, 443);
	size_t drained = dp_backend_id(f->p, EU, 1);
	int i, kept = 0;

	struct result r;
	for (i = 0; i < 64; i++) { /* establish flows, some on .22 */
		s.sport = 10000 + i;
		run(f, &s, &r);
		kept += !strcmp(r.backend, "198.51.100.22");
	}
	assert_true(kept > 0);
	f->view.backend_new_flows[drained] = false; /* drain: no new flows, existing ones stay */
	reapply(f);
	for (i = 0; i < 64; i++) {
		s.sport = 10000 + i;
		run(f, &s, &r);
		kept -= !strcmp(r.backend, "198.51.100.22");
		s.sport = 11000 + i;
		run(f, &s, &r);
		assert_string_equal(r.backend, "198.51.100.21");
	}
	assert_int_equal(kept, 0);
}

/* A new flow's backend is the entry Maglev put at its flow hash modulo ring_size: the table is
 * rebuilt here from eu-west's backends, weights and seed, and compared with where SYNs go, each
 * read through the ring's packing (anyedge_abi.h), at all four places in a value.
 */
static void test_ring_entry_is_maglevs(void **state)
{
	struct fix *f = *state;
	const struct policy_region *eu = &f->p->regions[EU];
	struct pkt_spec s = tcp4("203.0.113.200", "192.0.2.1", 0, 443);
	struct ae_flow_key k = { .proto = IPPROTO_TCP, .family = AE_FAMILY_V4 };
	uint32_t *table, size = f->p->dataplane.ring_size, idx, at[AE_RING_WORD_IDS] = { 0 };
	struct maglev_backend in[4];
	char want[INET_ADDR_STR];
	struct result r;
	size_t i;

	assert_true(eu->n_backends >= 2 && eu->n_backends <= 4);
	for (i = 0; i < eu->n_backends; i++)
		in[i] = (struct maglev_backend){ .addr = eu->backends[i].addr,
						 .weight = eu->backends[i].weight,
						 .id = i };
	table = calloc(size, sizeof(*table));
	assert_non_null(table);
	assert_int_equal(maglev_build(in, eu->n_backends, f->p->dataplane.hash_seed, size, table),
			 0);
	assert_int_equal(inet_pton(AF_INET, s.src, k.src), 1);
	assert_int_equal(inet_pton(AF_INET, s.dst, k.dst), 1);
	k.dport = htons(s.dport);
	s.tcp_flags = 0x02;
	for (i = 0; i < 512; i++) {
		s.sport = 20000 + i;
		k.sport = htons(s.sport);
		idx = ae_flow_hash(&k, f->p->dataplane.hash_seed) % size;
		at[idx % AE_RING_WORD_IDS]++;
		run(f, &s, &r);
		assert_int_equal(r.action, XDP_TX);
		inet_addr_str(&eu->backends[table[idx]].addr, want, sizeof(want));
		assert_string_equal(r.backend, want);
	}
	for (i = 0; i < AE_RING_WORD_IDS; i++)
		assert_true(at[i] > 64);
	free(table);
}

/* A flow the table names, and whether as a handshake (anyedge_abi.h). */
struct way {
	struct ae_flow f;
	int handshake;
};

/* The program's bucket hash: the table's seed and its bucket mask. */
static void flow_table_hash(struct fix *f, uint32_t *seed, uint32_t *mask)
{
	struct bpf_map_info info = { 0 };
	uint32_t zero = 0, len = sizeof(info);
	struct ae_meta m;

	assert_int_equal(bpf_map_lookup_elem(dp_map_fd(f->dp, "meta"), &zero, &m), 0);
	assert_int_equal(bpf_obj_get_info_by_fd(dp_map_fd(f->dp, "flow_index"), &info, &len), 0);
	*seed = m.flow_seed;
	*mask = info.max_entries - 1;
}

/* Every flow the flow table names: each bucket's newest, and the entries its slots name (a
 * slot whose entry has since been overwritten by another flow's is skipped, as the program
 * skips it).
 */
static size_t flow_ways(struct fix *f, struct way *out, size_t max)
{
	int ifd = dp_map_fd(f->dp, "flow_index"), efd = dp_map_fd(f->dp, "flows");
	uint32_t i, k, e, v, h, seed, mask;
	struct ae_flow_bucket b;
	struct ae_flow x;
	size_t n = 0;

	flow_table_hash(f, &seed, &mask);
	for (i = 0; !bpf_map_lookup_elem(ifd, &i, &b); i++) {
		if (b.newest.key.family && n < max)
			out[n++] = (struct way){ .f = b.newest };
		for (k = 0; k < AE_FLOW_SLOTS; k++) {
			v = b.slot[k];
			e = (v & AE_FLOW_SLOT_ENTRY) - 1;
			if (!v || bpf_map_lookup_elem(efd, &e, &x))
				continue;
			h = ae_flow_fold(&x.key, seed);
			if (((h ^ v) & AE_FLOW_SLOT_TAG) || (h & mask) != i)
				continue;
			if (n < max)
				out[n++] = (struct way){ .f = x,
							 .handshake = k >= AE_FLOW_OPEN_SLOTS };
		}
	}
	return n;
}

/* How many of ways[0..n) are established flows from ports lo..hi-1. */
static size_t count_established(const struct way *ways, size_t n, uint16_t lo, uint16_t hi)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += !ways[i].handshake && ntohs(ways[i].f.key.sport) >= lo &&
		     ntohs(ways[i].f.key.sport) < hi;
	return c;
}

/* A table of one bucket (and short runs): n connections from 203.0.113.200 established in it
 * (SYN, then ACK) from port sport on.
 */
#define ONE_BUCKET_REFS (AE_FLOW_OPEN_SLOTS + 1) /* the newest and the open slots */

static void one_bucket(struct fix *f)
{
	struct dp_opts one = { .flow_table_size = 1 };

	dp_close(f->dp);
	assert_int_equal(dp_open(f->p, &one, &f->dp), 0);
	reapply(f);
}

static void one_bucket_established(struct fix *f, uint16_t sport, int n)
{
	struct pkt_spec s = tcp4("203.0.113.200", "192.0.2.1", 0, 443);
	struct result r;
	int i;

	one_bucket(f);
	for (i = 0; i < n; i++) {
		s.sport = sport + i;
		s.tcp_flags = 0x02;
		run(f, &s, &r);
		s.tcp_flags = 0x10;
		run(f, &s, &r);
	}
}

/* A table of one bucket names its newest flow and twelve more; a flow past them takes the
 * place of the one whose entry is oldest, and that flow, when it comes back, is steered afresh:
 * to the same backend while the ring is unchanged.
 */
static void test_full_bucket_evicts(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.200", "192.0.2.1", 0, 443);
	char first[20][INET_ADDR_STR];
	struct way ways[64];
	struct ae_vip_stats st;
	struct result r;
	int i, round;

	one_bucket(f);
	s.proto = IPPROTO_UDP; /* every first packet of a UDP flow counts as a new flow */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 20; i++) {
			s.sport = 14000 + i;
			run(f, &s, &r);
			assert_int_equal(r.action, XDP_TX);
			if (!round)
				strcpy(first[i], r.backend);
			assert_string_equal(r.backend, first[i]);
		}
	}
	assert_int_equal(flow_ways(f, ways, 64), ONE_BUCKET_REFS);
	assert_int_equal(dp_read_vip_stats(f->dp, 0, &st), 0);
	assert_int_equal(st.packets, 40);
	assert_true(st.new_flows > 20); /* some came back after eviction */
}

/* Issue 16.2: a SYN never evicts an established flow. A table of one bucket names thirteen
 * established connections; a thousand SYNs from spoofed sources later (each written into a
 * handshake slot, unread), and a ring change after them, all thirteen keep their backends.
 */
static void test_syn_flood_keeps_flows(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.200", "192.0.2.1", 0, 443);
	char before[ONE_BUCKET_REFS][INET_ADDR_STR], src[INET_ADDR_STR];
	struct way ways[64];
	struct result r;
	size_t n;
	int i;

	one_bucket(f);
	for (i = 0; i < ONE_BUCKET_REFS; i++) {
		s.sport = 15000 + i;
		s.tcp_flags = 0x02;
		run(f, &s, &r);
		strcpy(before[i], r.backend);
		s.tcp_flags = 0x10;
		run(f, &s, &r);
		assert_string_equal(r.backend, before[i]);
	}
	s.tcp_flags = 0x02;
	for (i = 0; i < 1000; i++) {
		snprintf(src, sizeof(src), "198.18.%d.%d", i / 250, i % 250 + 1);
		s.src = src;
		s.sport = 20000 + i;
		run(f, &s, &r);
		assert_int_equal(r.action, XDP_TX);
	}
	n = flow_ways(f, ways, 64);
	assert_int_equal(count_established(ways, n, 15000, 16000), ONE_BUCKET_REFS);
	assert_int_equal(count_established(ways, n, 0, 65535), ONE_BUCKET_REFS);
	add_eu_backend(f);
	s.src = "203.0.113.200";
	s.tcp_flags = 0x10;
	for (i = 0; i < ONE_BUCKET_REFS; i++) {
		s.sport = 15000 + i;
		run(f, &s, &r);
		assert_string_equal(r.backend, before[i]);
	}
}

/* Rewrite the entry (the bucket's newest, else a named one) holding sport with fn. */
static int patch_way(struct fix *f, uint16_t sport, void (*fn)(struct ae_flow *))
{
	int ifd = dp_map_fd(f->dp, "flow_index"), efd = dp_map_fd(f->dp, "flows");
	struct ae_flow_bucket b;
	struct ae_flow x;
	uint32_t i, k, e;

	for (i = 0; !bpf_map_lookup_elem(ifd, &i, &b); i++) {
		if (b.newest.key.sport == htons(sport)) {
			fn(&b.newest);
			return !bpf_map_update_elem(ifd, &i, &b, BPF_ANY);
		}
		for (k = 0; k < AE_FLOW_SLOTS; k++) {
			e = (b.slot[k] & AE_FLOW_SLOT_ENTRY) - 1;
			if (!b.slot[k] || bpf_map_lookup_elem(efd, &e, &x) ||
			    x.key.sport != htons(sport))
				continue;
			fn(&x);
			return !bpf_map_update_elem(efd, &e, &x, BPF_ANY);
		}
	}
	return 0;
}

static void way_to_elsewhere(struct ae_flow *w)
{
	inet_pton(AF_INET, "198.51.100.250", w->addr);
}

/* An entry is trusted only when its check holds: one whose backend address was changed under it
 * (as a torn write would leave it) is checked again, and the flow keeps its real backend; so is
 * one that moved out of its bucket's newest into a run.
 */
static void test_way_check(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.200", "192.0.2.1", 15000, 443);
	char backend[INET_ADDR_STR];
	struct result r;
	int moved;

	for (moved = 0; moved < 2; moved++) {
		one_bucket(f);
		s.sport = 15000;
		run(f, &s, &r);
		assert_int_equal(r.action, XDP_TX);
		strcpy(backend, r.backend);
		if (moved) { /* a later flow takes the newest: 15000 moves to a run's entry */
			s.sport = 15001;
			run(f, &s, &r);
			s.sport = 15000;
		}
		assert_true(patch_way(f, 15000, way_to_elsewhere));
		run(f, &s, &r);
		assert_int_equal(r.action, XDP_TX);
		assert_string_equal(r.backend, backend);
		assert_int_equal(reason_count(f, AE_DROP_NO_BACKEND), 0);
	}
}

/* A SYN opens a connection: it is steered afresh even when its 5-tuple is remembered, and its
 * ACK replaces the older connection's entry (never duplicates it); the flow's later packets
 * follow the SYN's backend, while packets of established flows keep theirs across a ring change.
 */
static void test_syn_steers_afresh(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.200", "192.0.2.1", 0, 443);
	char before[64][INET_ADDR_STR], syn[INET_ADDR_STR];
	static struct way ways[8192];
	struct result r;
	size_t n;
	int i, moved = 0;

	for (i = 0; i < 64; i++) { /* SYN, then the ACK that makes it established */
		s.sport = 16000 + i;
		s.tcp_flags = 0x02;
		run(f, &s, &r);
		strcpy(before[i], r.backend);
		s.tcp_flags = 0x10;
		run(f, &s, &r);
		assert_string_equal(r.backend, before[i]);
	}
	add_eu_backend(f);
	for (i = 0; i < 64; i++) {
		s.sport = 16000 + i;
		s.tcp_flags = 0x10;
		run(f, &s, &r);
		assert_string_equal(r.backend, before[i]);
		s.tcp_flags = 0x02;
		run(f, &s, &r);
		assert_int_equal(r.action, XDP_TX);
		strcpy(syn, r.backend);
		moved += strcmp(syn, before[i]) != 0;
		s.tcp_flags = 0x10;
		run(f, &s, &r);
		assert_string_equal(r.backend, syn);
	}
	assert_true(moved > 5); /* the new ring sends some of them to the new backend */
	n = flow_ways(f, ways, sizeof(ways) / sizeof(ways[0]));
	assert_int_equal(count_established(ways, n, 16000, 16064), 64);
}

/* The flow the table names for (src, sport), a handshake before an established one (as the
 * program looks them up): 1 and *out, else 0.
 */
static int find_way(struct fix *f, const char *src, uint16_t sport, struct way *out)
{
	static struct way ways[8192];
	uint8_t a[16] = { 0 };
	size_t n, w;
	int found = 0;

	assert_int_equal(inet_pton(strchr(src, ':') ? AF_INET6 : AF_INET, src, a), 1);
	n = flow_ways(f, ways, sizeof(ways) / sizeof(ways[0]));
	for (w = 0; w < n; w++) {
		if (ntohs(ways[w].f.key.sport) == sport && !memcmp(ways[w].f.key.src, a, 16) &&
		    (!found || ways[w].handshake)) {
			*out = ways[w];
			found = 1;
		}
	}
	return found;
}

/* A SYN writes a handshake; the connection's first ACK makes it established and keeps the SYN's
 * backend, even when the ring changed between the two (the entry holds the flow, not the ring).
 * A SYN takes its handshake slot unread, so a later SYN whose hash picks the same slot takes it
 * over: that handshake's ACK is steered by the ring, as any packet of a flow the table lost.
 */
static void test_syn_way_embryonic_until_ack(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.200", "192.0.2.1", 0, 443);
	char syn[64][INET_ADDR_STR];
	int i, moved = 0, kept = 0, named[64];
	struct way way;
	struct result r;

	for (i = 0; i < 64; i++) {
		s.sport = 17000 + i;
		s.tcp_flags = 0x02;
		run(f, &s, &r);
		assert_int_equal(r.action, XDP_TX);
		strcpy(syn[i], r.backend);
		assert_true(find_way(f, s.src, s.sport, &way));
		assert_true(way.handshake);
	}
	for (i = 0; i < 64; i++) {
		named[i] = find_way(f, s.src, 17000 + i, &way);
		kept += named[i];
	}
	assert_true(kept >= 56); /* 64 handshakes over 2048 slots: a few share one */
	assert_true(named[63]);
	s.sport = 17063; /* without a ring change */
	s.tcp_flags = 0x10;
	run(f, &s, &r);
	assert_string_equal(r.backend, syn[63]);
	assert_true(find_way(f, s.src, s.sport, &way));
	assert_false(way.handshake);
	add_eu_backend(f);
	for (i = 0; i < 63; i++) {
		s.sport = 17000 + i;
		s.tcp_flags = 0x10;
		run(f, &s, &r);
		assert_int_equal(r.action, XDP_TX);
		if (named[i])
			assert_string_equal(r.backend, syn[i]);
		assert_true(find_way(f, s.src, s.sport, &way));
		assert_false(way.handshake);
		strcpy(syn[i], r.backend);
	}
	for (i = 0; i < 63; i++) { /* a new connection on the same 5-tuple: the new ring's */
		s.sport = 17000 + i;
		s.tcp_flags = 0x02;
		run(f, &s, &r);
		moved += strcmp(r.backend, syn[i]) != 0;
		assert_true(find_way(f, s.src, s.sport, &way));
		assert_true(way.handshake);
	}
	assert_true(moved > 5); /* the ring changed for some: their ACKs followed the entry */
}

/* A table of one bucket, full of established connections: SYNs from spoofed sources each take a
 * handshake slot and leave every established flow named; the one whose ACK comes is established
 * and steered to its SYN's backend.
 */
static void test_syn_takes_only_embryonic_ways(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.200", "192.0.2.1", 0, 443);
	char src[INET_ADDR_STR], syn[INET_ADDR_STR];
	struct way way;
	struct result r;
	int i;

	one_bucket_established(f, 18000, ONE_BUCKET_REFS);
	s.tcp_flags = 0x02;
	for (i = 0; i < 200; i++) {
		snprintf(src, sizeof(src), "198.18.1.%d", i + 1);
		s.src = src;
		s.sport = 18100 + i;
		run(f, &s, &r);
		assert_int_equal(r.action, XDP_TX);
		strcpy(syn, r.backend);
		assert_true(find_way(f, src, s.sport, &way));
		assert_true(way.handshake);
	}
	s.src = "203.0.113.200";
	for (i = 0; i < ONE_BUCKET_REFS; i++) {
		assert_true(find_way(f, s.src, 18000 + i, &way));
		assert_false(way.handshake);
	}
	s.src = src; /* the last SYN's ACK */
	s.tcp_flags = 0x10;
	run(f, &s, &r);
	assert_string_equal(r.backend, syn);
	assert_true(find_way(f, src, s.sport, &way));
	assert_false(way.handshake);
}

/* The bucket of a UDP flow from 203.0.113.200:sport to 192.0.2.1:443, as the program picks it. */
static uint32_t udp_bucket(struct fix *f, uint16_t sport)
{
	struct ae_flow_key k = { .proto = IPPROTO_UDP, .family = AE_FAMILY_V4 };
	uint32_t seed, mask;

	flow_table_hash(f, &seed, &mask);
	assert_int_equal(inet_pton(AF_INET, "203.0.113.200", k.src), 1);
	assert_int_equal(inet_pton(AF_INET, "192.0.2.1", k.dst), 1);
	k.sport = htons(sport);
	k.dport = htons(443);
	return ae_flow_fold(&k, seed) & mask;
}

/* Entries age: a CPU's run is a ring, so an idle flow's entry is overwritten once its run has
 * gone round, while a flow that keeps sending is copied to the run's head and keeps its backend.
 * A small table; busy flows in buckets 0-3, a thousand new flows in buckets 4-7 (they share the
 * runs, not the slots). After a ring change (about a third of the flows' ring choices move), the
 * busy flows must keep their backends: an entry lost would send them to the new ring's choice.
 */
/* The flow table's runs are per CPU (anyedge_abi.h): an entry ages as its own CPU takes newer
 * ones. A test that ages entries out takes them all on one CPU; moved to another CPU halfway, it
 * would see an idle entry outlive the churn, as it does in a quiet CPU's run.
 */
static void stay_on_cpu(cpu_set_t *was)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	assert_true(cpu >= 0);
	assert_int_equal(sched_getaffinity(0, sizeof(*was), was), 0);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
}

static void test_entries_age(void **state)
{
	struct fix *f = *state;
	struct dp_opts small = { .flow_table_size = 64 };
	struct pkt_spec s = tcp4("203.0.113.200", "192.0.2.1", 0, 443);
	uint16_t busy[8], idle = 0, port;
	char to[8][INET_ADDR_STR];
	int i, k, n = 0, churned = 0;
	struct way way;
	struct result r;
	cpu_set_t cpus;

	stay_on_cpu(&cpus);
	dp_close(f->dp);
	assert_int_equal(dp_open(f->p, &small, &f->dp), 0);
	reapply(f);
	s.proto = IPPROTO_UDP;
	/* the first busy flow shares the idle one's bucket: a bucket's newest flow leaves it (for
	 * a run, where it ages) only when a newer one comes
	 */
	for (port = 21000; n < 8 || !idle; port++) {
		if (udp_bucket(f, port) >= 4 ||
		    (idle && !n && udp_bucket(f, port) != udp_bucket(f, idle)))
			continue;
		s.sport = port;
		run(f, &s, &r);
		if (!idle) {
			idle = port;
			continue;
		}
		busy[n] = port;
		strcpy(to[n++], r.backend);
	}
	add_eu_backend(f);
	for (port = 30000; churned < 1000; port++) {
		if (udp_bucket(f, port) < 4)
			continue;
		s.sport = port;
		run(f, &s, &r);
		assert_int_equal(r.action, XDP_TX);
		churned++;
		for (k = 0; k < 8; k++) {
			s.sport = busy[k];
			run(f, &s, &r);
			assert_string_equal(r.backend, to[k]);
		}
	}
	assert_false(find_way(f, s.src, idle, &way));
	for (i = 0; i < 8; i++)
		assert_true(find_way(f, s.src, busy[i], &way));
	assert_int_equal(sched_setaffinity(0, sizeof(cpus), &cpus), 0);
}

static void test_counters(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.7", "192.0.2.1", 12000, 443);
	struct ae_vip_stats st;
	uint8_t in[PKT_MAX];
	struct result r;
	size_t len;

	/* a connection counts once, at its SYN; a UDP flow at its first packet */
	s.tcp_flags = 0x02;
	len = build(&s, in);
	run_frame(f, in, len, &r);
	s.tcp_flags = 0x10;
	run(f, &s, &r);
	run(f, &s, &r);
	s.proto = IPPROTO_UDP;
	s.sport++;
	run(f, &s, &r);
	run(f, &s, &r);
	assert_int_equal(dp_read_vip_stats(f->dp, 0, &st), 0);
	assert_int_equal(st.packets, 5);
	assert_int_equal(st.new_flows, 2);
	assert_int_equal(st.bytes, 3 * len + 2 * (len - 12)); /* UDP: 12 bytes less of header */
}

static void test_too_big(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.7", "192.0.2.1", 13000, 443);
	struct result r;

	f->view.mtu = 1500;
	reapply(f);
	s.payload_len = 1500 - 40; /* a full-size packet: no room for the tunnel header */
	run(f, &s, &r);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(reason_count(f, AE_DROP_TOO_BIG), 1);
	s.payload_len = 1500 - 40 - 20;
	run(f, &s, &r);
	assert_int_equal(r.action, XDP_TX);
}

static void swap_policy(struct fix *f, struct policy *np)
{
	dp_view_free(&f->view);
	assert_int_equal(dp_view_default(np, NULL, &f->view), 0);
	assert_int_equal(dp_apply(f->dp, np, &f->view), 0);
	policy_free(f->p);
	f->p = np;
}

/* VIP ids are stable by name: a reload that reorders VIPs keeps established flows on their
 * backends (their fast path stays valid); a VIP that goes away takes its flows with it.
 */
static void test_vip_reorder_and_removal(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.200", "192.0.2.1", 0, 443);
	char before[32][INET_ADDR_STR];
	struct ae_vip_stats st;
	struct result r;
	int i;

	for (i = 0; i < 32; i++) {
		s.sport = 14000 + i;
		s.tcp_flags = 0x02;
		run(f, &s, &r);
		strcpy(before[i], r.backend);
		s.tcp_flags = 0x10;
		run(f, &s, &r);
	}
	/* web moves to the end of the list, and eu-west gains a backend: a new ring */
	swap_policy(f, make_policy_web("      - {address: 198.51.100.23}\n", 7, 1));
	for (i = 0; i < 32; i++) {
		s.sport = 14000 + i;
		run(f, &s, &r);
		assert_int_equal(r.action, XDP_TX);
		assert_string_equal(r.backend, before[i]);
	}
	assert_int_equal(dp_read_vip_stats(f->dp, 3, &st), 0); /* web is index 3 now */
	assert_int_equal(st.packets, 96);
	assert_int_equal(st.new_flows, 32);
	/* web removed: its established flows are no longer steered */
	swap_policy(f, make_policy_web("", 7, 2));
	s.sport = 14000;
	run(f, &s, &r);
	assert_int_equal(r.action, XDP_PASS);
}

/* The base policy's regions and clients with n VIPs 198.18.0.(1..n), each listing tcp/(1000 +
 * shift + i) (the last VIP: without the shift), tcp/(2000 + i) and udp/(3000 + i): with
 * their port-0 entries, 5 VIP keys each.
 */
static struct policy *make_policy_many_vips(int n, int shift)
{
	struct policy *p = NULL;
	size_t cap = 65536, len;
	char *buf = malloc(cap), *vips;
	int i;

	assert_non_null(buf);
	len = snprintf(buf, cap, base_policy, "", 7);
	vips = strstr(buf, "vips:\n");
	assert_non_null(vips);
	len = vips - buf + strlen("vips:\n");
	for (i = 0; i < n; i++)
		len += snprintf(
			buf + len, cap - len,
			"  - {name: v%d, address: 198.18.0.%d, mode: active-active,\n"
			"     ports: [tcp/%d, tcp/%d, udp/%d], regions: [us-east, eu-west]}\n",
			i, i + 1, 1000 + (i < n - 1 ? shift : 0) + i, 2000 + i, 3000 + i);
	len += snprintf(buf + len, cap - len,
			"dataplane: {hash_seed: 7, ring_size: 65537, flow_table_size: 4096}\n");
	assert_true(len < cap);
	assert_int_equal(policy_load_buf("test.yaml", buf, len, &p, diag_fail, NULL), 0);
	free(buf);
	return p;
}

/* 1000 VIP keys, near the 1024 a policy may have, all found; a reload that moves one port of
 * 199 VIPs builds the other copy of the table, and only the new ports are steered.
 */
static void test_many_vip_keys(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.200", "", 40000, 0);
	struct result r;
	char dst[INET_ADDR_STR];
	int shift, i;

	s.dst = dst;
	for (shift = 0; shift < 2; shift++) {
		swap_policy(f, make_policy_many_vips(200, shift));
		for (i = 0; i < 200; i++) {
			snprintf(dst, sizeof(dst), "198.18.0.%d", i + 1);
			s.proto = IPPROTO_TCP;
			s.dport = 1000 + (i < 199 ? shift : 0) + i;
			run(f, &s, &r);
			assert_int_equal(r.action, XDP_TX);
			s.dport = 1000 + (i < 199 ? !shift : 1) +
				  i; /* listed here in neither reload */
			run(f, &s, &r);
			assert_int_equal(r.action, XDP_PASS);
			s.dport = 2000 + i;
			run(f, &s, &r);
			assert_int_equal(r.action, XDP_TX);
			s.dport = 3000 + i; /* listed for UDP only */
			run(f, &s, &r);
			assert_int_equal(r.action, XDP_PASS);
			s.proto = IPPROTO_UDP;
			run(f, &s, &r);
			assert_int_equal(r.action, XDP_TX);
		}
	}
	snprintf(dst, sizeof(dst), "198.18.0.%d", 201); /* no VIP */
	s.proto = IPPROTO_TCP;
	s.dport = 2200;
	run(f, &s, &r);
	assert_int_equal(r.action, XDP_PASS);
}

struct switch_run {
	int prog_fd;
	volatile int done;
	long runs, missed; /* packets of the last VIP not sent to a backend */
};

static void *switch_traffic(void *arg)
{
	struct switch_run *sr = arg;
	struct pkt_spec s = tcp4("203.0.113.200", "198.18.0.200", 40000, 2199);
	uint8_t in[PKT_MAX], out[PKT_MAX + 256];
	size_t len = build(&s, in);

	while (!sr->done && sr->runs < 5000000) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		if (bpf_prog_test_run_opts(sr->prog_fd, &o) || o.retval != XDP_TX)
			sr->missed++;
		sr->runs++;
	}
	return NULL;
}

/* Which copy of the VIP table is live (config.vip_table), and that copy's entries into t. */
static int live_vip_copy(struct fix *f)
{
	struct ae_config c;
	__u32 zero = 0;

	assert_int_equal(bpf_map_lookup_elem(dp_map_fd(f->dp, "config"), &zero, &c), 0);
	return c.vip_table & 1;
}

static void read_vip_copy(struct fix *f, int copy, struct ae_vip_slot *t)
{
	int fd = dp_map_fd(f->dp, "vip_keys");
	__u32 i, idx;

	for (i = 0; i < AE_VIP_SLOTS; i++) {
		idx = copy * AE_VIP_SLOTS + i;
		assert_int_equal(bpf_map_lookup_elem(fd, &idx, &t[i]), 0);
	}
}

/* While every reload moves a port of 199 VIPs (so each builds and switches in the other copy of
 * the VIP table), packets of the VIP no reload touches are steered every time: a reader never
 * meets a half-built table. And the copy that was live is as it was: it was never written.
 */
static void test_vip_table_switch_under_traffic(void **state)
{
	struct fix *f = *state;
	struct switch_run sr = { .prog_fd = dp_prog_fd(f->dp) };
	struct ae_vip_slot *was = calloc(2 * AE_VIP_SLOTS, sizeof(*was)), *now = was + AE_VIP_SLOTS;
	pthread_t t;
	int i, copy;

	assert_non_null(was);
	swap_policy(f, make_policy_many_vips(200, 0));
	assert_int_equal(pthread_create(&t, NULL, switch_traffic, &sr), 0);
	for (i = 1; i <= 40; i++) {
		copy = live_vip_copy(f);
		read_vip_copy(f, copy, was);
		swap_policy(f, make_policy_many_vips(200, i % 2));
		assert_int_equal(live_vip_copy(f), !copy);
		read_vip_copy(f, copy, now);
		assert_memory_equal(was, now, AE_VIP_SLOTS * sizeof(*was));
	}
	sr.done = 1;
	assert_int_equal(pthread_join(t, NULL), 0);
	printf("# %ld packets during 40 switches, %ld not steered\n", sr.runs, sr.missed);
	assert_true(sr.runs > 0);
	assert_int_equal(sr.missed, 0);
	free(was);
}

/* Too big once tunnelled: an ICMP error back to the client, from the VIP, quoting the packet's
 * start, with the MTU the client must use (link MTU less the tunnel header).
 */
static void test_icmp_too_big(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s4 = tcp4("203.0.113.7", "192.0.2.1", 13100, 443);
	struct pkt_spec s6 = tcp4("2001:db8:c0::7", "2001:db8:ff::1", 13100, 443);
	uint8_t in[PKT_MAX], ph[40 + PKT_MAX];
	struct result r;
	size_t len, l3, q;
	const uint8_t *o;

	f->view.mtu = 1500;
	reapply(f);
	s4.df = 1;
	s4.n_vlans = 1;
	s4.vlan_ids[0] = 7;
	s4.payload_len = 1500 - 40;
	len = build(&s4, in);
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_TX);
	l3 = pkt_l3_offset(in, len);
	o = r.out + l3;
	assert_int_equal(r.len, l3 + 20 + 8 + 28);
	assert_memory_equal(r.out, in + 6, 6); /* back to where it came from */
	assert_memory_equal(r.out + 6, in, 6);
	assert_memory_equal(r.out + 12, in + 12, l3 - 12); /* tag and type as they came */
	assert_int_equal(o[0], 0x45);
	assert_int_equal(o[2] << 8 | o[3], 20 + 8 + 28);
	assert_int_equal(o[9], 1);
	assert_memory_equal(o + 12, in + l3 + 16, 4); /* from the VIP */
	assert_memory_equal(o + 16, in + l3 + 12, 4); /* to the client */
	assert_int_equal(pkt_csum(o, 20), 0);
	assert_int_equal(o[20], 3); /* destination unreachable */
	assert_int_equal(o[21], 4); /* fragmentation needed */
	assert_int_equal(o[26] << 8 | o[27], 1500 - 20);
	assert_int_equal(pkt_csum(o + 20, 8 + 28), 0);
	assert_memory_equal(o + 28, in + l3, 28); /* the header and 8 bytes */
	assert_int_equal(reason_count(f, AE_TX_ICMP_TOO_BIG), 1);

	/* IPv6 to an IPv6 backend: 40 bytes of tunnel */
	s6.payload_len = 1500 - 60 - 10;
	len = build(&s6, in);
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_TX);
	l3 = pkt_l3_offset(in, len);
	o = r.out + l3;
	q = 96;
	assert_int_equal(r.len, l3 + 40 + 8 + q);
	assert_int_equal(o[0] >> 4, 6);
	assert_int_equal(o[4] << 8 | o[5], 8 + q);
	assert_int_equal(o[6], 58);
	assert_memory_equal(o + 8, in + l3 + 24, 16);
	assert_memory_equal(o + 24, in + l3 + 8, 16);
	assert_int_equal(o[40], 2); /* packet too big */
	assert_int_equal((uint32_t)o[44] << 24 | o[45] << 16 | o[46] << 8 | o[47], 1500 - 40);
	memcpy(ph, o + 8, 32); /* pseudo header: addresses, length, next header */
	memset(ph + 32, 0, 8);
	ph[34] = (8 + q) >> 8;
	ph[35] = (8 + q) & 0xff;
	ph[39] = 58;
	memcpy(ph + 40, o + 40, 8 + q);
	assert_int_equal(pkt_csum(ph, 40 + 8 + q), 0);
	assert_memory_equal(o + 48, in + l3, q);
	assert_int_equal(reason_count(f, AE_TX_ICMP_TOO_BIG), 2);
}

/* Issue 15.1: an L4 header must lie within the IP packet, not merely within the frame. */
static void test_l4_within_ip_length(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.7", "192.0.2.1", 7100, 443);
	struct pkt_spec s6 = tcp4("2001:db8:c0::7", "2001:db8:ff::1", 7100, 443);
	uint8_t in[PKT_MAX];
	struct result r;
	size_t len, l3;

	/* IPv4 tot_len 20, a whole TCP header after it in the frame */
	len = build(&s, in);
	l3 = pkt_l3_offset(in, len);
	in[l3 + 2] = 0;
	in[l3 + 3] = 20;
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_DROP);
	/* UDP with no UDP header, the frame zero-padded to 60 bytes */
	s.proto = IPPROTO_UDP;
	s.payload_len = 0;
	len = build(&s, in);
	in[l3 + 2] = 0;
	in[l3 + 3] = 20;
	memset(in + l3 + 20, 0, 60 - (l3 + 20));
	run_frame(f, in, 60, &r);
	assert_int_equal(r.action, XDP_DROP);
	/* TCP options reaching past the IP packet */
	s.proto = IPPROTO_TCP;
	s.payload_len = 20;
	len = build(&s, in);
	in[l3 + 20 + 12] = 10 << 4; /* 40 bytes of TCP header in a 40-byte payload: too long */
	in[l3 + 3] = 20 + 30;
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_DROP);
	/* IPv6 payload length 10: the TCP header after it is padding */
	len = build(&s6, in);
	in[l3 + 4] = 0;
	in[l3 + 5] = 10;
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(reason_count(f, AE_DROP_MALFORMED), 4);
	/* the same packets whole still go through */
	run(f, &s6, &r);
	assert_int_equal(r.action, XDP_TX);
	run(f, &s, &r);
	assert_int_equal(r.action, XDP_TX);
}

/* Issue 15.2: the version nibble must match the ethertype. */
static void test_ip_version(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.7", "192.0.2.1", 7200, 443);
	struct pkt_spec s6 = tcp4("2001:db8:c0::7", "2001:db8:ff::1", 7200, 443);
	uint8_t in[PKT_MAX];
	struct result r;
	size_t len, l3;

	len = build(&s, in);
	l3 = pkt_l3_offset(in, len);
	in[l3] = 0x65; /* ethertype IPv4, version 6 */
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_PASS);
	assert_memory_equal(r.out, in, len);
	len = build(&s6, in);
	in[l3] = 0x40; /* ethertype IPv6, version 4 */
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_PASS);
	assert_memory_equal(r.out, in, len);
	assert_int_equal(reason_count(f, AE_PASS_MALFORMED), 2);
}

/* Issue 15.3: no "too big" toward a source that names no single host that would take it, or
 * the VIP itself, or a group MAC.
 */
static void test_icmp_refused_sources(void **state)
{
	struct fix *f = *state;
	const char *v4[] = { "0.0.0.0",		"127.0.0.1", "224.0.0.1", "239.1.2.3",
			     "255.255.255.255", "240.0.0.1", "192.0.2.1" };
	const char *v6[] = { "ff02::1",	      "ff05::2", "::", "::1", "::ffff:203.0.113.7",
			     "2001:db8:ff::1" };
	struct pkt_spec s;
	struct result r;
	size_t i, n = 0;

	f->view.mtu = 1500;
	reapply(f);
	for (i = 0; i < sizeof(v4) / sizeof(v4[0]); i++, n++) {
		s = tcp4(v4[i], "192.0.2.1", 7300, 443);
		s.df = 1;
		s.payload_len = 1500 - 40;
		run(f, &s, &r);
		assert_int_equal(r.action, XDP_DROP);
	}
	for (i = 0; i < sizeof(v6) / sizeof(v6[0]); i++, n++) {
		s = tcp4(v6[i], "2001:db8:ff::1", 7300, 443);
		s.payload_len = 1500 - 60;
		run(f, &s, &r);
		assert_int_equal(r.action, XDP_DROP);
	}
	/* a good address behind a broadcast MAC */
	s = tcp4("203.0.113.7", "192.0.2.1", 7300, 443);
	s.df = 1;
	s.payload_len = 1500 - 40;
	memset(s.src_mac, 0xff, 6);
	run(f, &s, &r);
	assert_int_equal(r.action, XDP_DROP);
	n++;
	assert_int_equal(reason_count(f, AE_DROP_ICMP_REFUSED), n);
	assert_int_equal(reason_count(f, AE_TX_ICMP_TOO_BIG), 0);
	/* and the same from a unicast client is answered */
	s = tcp4("203.0.113.7", "192.0.2.1", 7300, 443);
	s.df = 1;
	s.payload_len = 1500 - 40;
	run(f, &s, &r);
	assert_int_equal(r.action, XDP_TX);
	assert_int_equal(reason_count(f, AE_TX_ICMP_TOO_BIG), 1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Issue 15.3: errors are rate-limited, per CPU, after a burst. */
static void test_icmp_rate_limited(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s = tcp4("203.0.113.7", "192.0.2.1", 7400, 443);
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	uint64_t start, ms, tx, limited;
	uint8_t in[PKT_MAX];
	struct result r;
	size_t len;
	int i;

	f->view.mtu = 1500;
	reapply(f);
	s.df = 1;
	s.payload_len = 1500 - 40;
	len = build(&s, in);
	start = now_ns();
	for (i = 0; i < 1000; i++)
		run_frame(f, in, len, &r);
	ms = (now_ns() - start) / 1000000 + 1;
	tx = reason_count(f, AE_TX_ICMP_TOO_BIG);
	limited = reason_count(f, AE_DROP_ICMP_RATE);
	assert_int_equal(tx + limited, 1000);
	/* at least the burst, at most the burst and the rate on every CPU for the time taken */
	assert_true(tx >= AE_ICMP_BURST);
	assert_true(tx <= (uint64_t)ncpu * (AE_ICMP_BURST + 1 + ms * AE_ICMP_PER_SEC / 1000));
	assert_true(limited > 0);
}

/* Issue 15.11: an IPv6 "too big" never advertises less than 1280 (RFC 8200 5); a packet already
 * at 1280 that the tunnel cannot carry gets no error it could act on.
 */
static void test_icmp_mtu_floor_v6(void **state)
{
	struct fix *f = *state;
	struct pkt_spec s6 = tcp4("2001:db8:c0::7", "2001:db8:ff::1", 7500, 443);
	struct result r;
	size_t l3;

	f->view.mtu = 1300; /* less the 40 bytes of an IPv6 tunnel: 1260 */
	reapply(f);
	s6.payload_len = 1300 - 60;
	run(f, &s6, &r);
	assert_int_equal(r.action, XDP_TX);
	l3 = pkt_l3_offset(r.out, r.len);
	assert_int_equal(r.out[l3 + 40], 2);
	assert_int_equal((uint32_t)r.out[l3 + 46] << 8 | r.out[l3 + 47], 1280);
	s6.payload_len = 1280 - 60;
	run(f, &s6, &r);
	assert_int_equal(r.action, XDP_DROP);
	assert_int_equal(reason_count(f, AE_DROP_TOO_BIG), 1);
	assert_int_equal(reason_count(f, AE_TX_ICMP_TOO_BIG), 1);
}

/* An ICMP error from a router to a VIP about a reply the backend sent: IP header, ICMP header
 * (type, code, mtu), then the reply's start (its IP header and quote_l4 bytes of TCP).
 */
static size_t icmp_error(const char *router, const char *vip, const char *client, uint16_t vport,
			 uint16_t cport, uint8_t type, uint32_t mtu, size_t quote_l4, uint8_t *out)
{
	int v6 = strchr(vip, ':') != NULL;
	struct pkt_spec reply = tcp4(vip, client, vport, cport);
	struct pkt_spec err = tcp4(router, vip, 0, 0);
	uint8_t q[PKT_MAX];
	size_t qlen = build(&reply, q), ql3 = pkt_l3_offset(q, qlen);
	size_t quote = (v6 ? 40 : 20) + quote_l4, len, l3;
	uint8_t *ic;

	err.proto = v6 ? 58 : 1;
	err.payload_len = 8 + quote;
	len = build(&err, out);
	l3 = pkt_l3_offset(out, len);
	ic = out + l3 + (v6 ? 40 : 20);
	memset(ic, 0, 8);
	ic[0] = type;
	ic[1] = v6 ? 0 : 4;
	ic[4] = mtu >> 24;
	ic[5] = mtu >> 16;
	ic[6] = mtu >> 8;
	ic[7] = mtu;
	memcpy(ic + 8, q + ql3, quote);
	return len;
}

/* Issue 16.1: ICMP errors about a VIP flow's reply go to the backend that owns the flow (by
 * the flow table when it has the flow, else by the ring, as its SYN would), tunnelled whole,
 * and write no way; echo requests and errors quoting no VIP flow's reply are the edge's.
 */
static void test_icmp_error_to_backend(void **state)
{
	struct fix *f = *state;
	const char *clients[] = { "203.0.113.200", "2001:db8:c0::7" };
	const char *vips[] = { "192.0.2.1", "2001:db8:ff::1" };
	uint8_t in[PKT_MAX];
	char est[INET_ADDR_STR], icmp_to[16][INET_ADDR_STR];
	static struct way ways[8192];
	struct way way;
	struct pkt_spec s;
	struct result r;
	size_t len, n, k, i;
	int moved[2] = { 0, 0 };

	for (k = 0; k < 2; k++) {
		uint8_t type = k ? 2 : 3;

		/* flow present: established before a ring change, so the ring now names
		 * another backend for some of them, and the error must follow the table
		 */
		for (i = 0; i < 16; i++) {
			s = tcp4(clients[k], vips[k], 5000 + i, 443);
			s.tcp_flags = 0x02;
			run(f, &s, &r);
			s.tcp_flags = 0x10;
			run(f, &s, &r);
			assert_int_equal(r.action, XDP_TX);
		}
		if (!k) {
			add_eu_backend(f);
		} else { /* ap-south's first backend drained: its flows stay, the ring moves */
			f->view.backend_new_flows[dp_backend_id(f->p, AP, 0)] = false;
			reapply(f);
		}
		for (i = 0; i < 16; i++) {
			s = tcp4(clients[k], vips[k], 5000 + i, 443);
			run(f, &s, &r);
			strcpy(est, r.backend);
			len = icmp_error(k ? "2001:db8:99::1" : "198.18.0.1", vips[k], clients[k],
					 443, 5000 + i, type, 1400, 8, in);
			run_frame(f, in, len, &r);
			assert_int_equal(r.action, XDP_TX);
			assert_string_equal(r.backend, est);
			check_tunnel(in, len, &r, strchr(est, ':') != NULL);
			s.tcp_flags = 0x02; /* what the ring says now */
			run(f, &s, &r);
			moved[k] += strcmp(r.backend, est) != 0;
		}
		/* flow absent: the ring's choice, as its SYN gets (asked after: a SYN writes its
		 * way); no way written
		 */
		n = flow_ways(f, ways, sizeof(ways) / sizeof(ways[0]));
		for (i = 0; i < 16; i++) {
			len = icmp_error(k ? "2001:db8:99::1" : "198.18.0.1", vips[k], clients[k],
					 443, 6000 + i, type, 1400, 8, in);
			run_frame(f, in, len, &r);
			assert_int_equal(r.action, XDP_TX);
			strcpy(icmp_to[i], r.backend);
		}
		assert_int_equal(flow_ways(f, ways, sizeof(ways) / sizeof(ways[0])), n);
		for (i = 0; i < 16; i++) {
			s = tcp4(clients[k], vips[k], 6000 + i, 443);
			s.tcp_flags = 0x02;
			run(f, &s, &r);
			assert_string_equal(r.backend, icmp_to[i]);
			/* now embryonic: an error about it is none of its traffic, no promotion */
			len = icmp_error(k ? "2001:db8:99::1" : "198.18.0.1", vips[k], clients[k],
					 443, 6000 + i, type, 1400, 8, in);
			run_frame(f, in, len, &r);
			assert_string_equal(r.backend, icmp_to[i]);
			assert_true(find_way(f, clients[k], 6000 + i, &way));
			assert_true(way.handshake);
		}
	}
	/* the table, not the ring, decided for some of each family */
	assert_true(moved[0] > 0 && moved[1] > 0);
	assert_int_equal(reason_count(f, AE_TX_ICMP_STEERED), 96);
}

/* Issue 16.1: a quote cut short, a quote of no VIP's reply, an echo request: the edge's stack
 * has them, counted, never tunnelled half-parsed.
 */
static void test_icmp_error_malformed(void **state)
{
	struct fix *f = *state;
	uint8_t in[PKT_MAX];
	struct result r;
	size_t len, l3;

	/* quote cut after the reply's IP header: no ports */
	len = icmp_error("198.18.0.1", "192.0.2.1", "203.0.113.200", 443, 5000, 3, 1400, 8, in);
	l3 = pkt_l3_offset(in, len);
	in[l3 + 2] = 0;
	in[l3 + 3] = 20 + 8 + 20 + 2;
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_PASS);
	assert_memory_equal(r.out, in, len);
	len = icmp_error("2001:db8:99::1", "2001:db8:ff::1", "2001:db8:c0::7", 443, 5000, 2, 1400,
			 8, in);
	in[l3 + 5] = 8 + 40 + 2;
	run_frame(f, in, l3 + 40 + 8 + 40 + 2, &r);
	assert_int_equal(r.action, XDP_PASS);
	/* a quote whose source is not the VIP the error came to */
	len = icmp_error("198.18.0.1", "192.0.2.1", "203.0.113.200", 443, 5000, 3, 1400, 8, in);
	in[l3 + 28 + 15] ^= 1;
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_PASS);
	/* the quote's inner header claims ICMP: no flow's reply */
	len = icmp_error("198.18.0.1", "192.0.2.1", "203.0.113.200", 443, 5000, 3, 1400, 8, in);
	in[l3 + 28 + 9] = 1;
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_PASS);
	assert_int_equal(reason_count(f, AE_PASS_ICMP_UNMATCHED), 4);
	/* an echo request to a VIP: the edge's own stack answers or drops it */
	len = icmp_error("203.0.113.200", "192.0.2.1", "203.0.113.200", 443, 5000, 8, 0, 8, in);
	run_frame(f, in, len, &r);
	assert_int_equal(r.action, XDP_PASS);
	assert_memory_equal(r.out, in, len);
	assert_int_equal(reason_count(f, AE_PASS_NOT_VIP), 1);
	assert_int_equal(reason_count(f, AE_TX_ICMP_STEERED), 0);
}

/* Two edges with the same policy, even with backends listed in another order, send each flow to
 * the same backend: each child process loads its own program and maps.
 */
static void steer_in_child(const char *extra, int fd_out)
{
	struct fix f = { 0 };
	struct pkt_spec s = tcp4("203.0.113.200", "192.0.2.1", 0, 443);
	struct result r;
	int i;

	f.p = make_policy(extra, 99);
	if (dp_open(f.p, NULL, &f.dp) || dp_view_default(f.p, NULL, &f.view) ||
	    dp_apply(f.dp, f.p, &f.view))
		_exit(1);
	for (i = 0; i < 200; i++) {
		s.sport = 20000 + i;
		run(&f, &s, &r);
		if (write(fd_out, r.backend, sizeof(r.backend)) != sizeof(r.backend))
			_exit(1);
	}
	_exit(0);
}

static void test_deterministic_across_processes(void **state)
{
	const char *orders[2] = { "      - {address: 198.51.100.23}\n"
				  "      - {address: 198.51.100.24}\n",
				  "      - {address: 198.51.100.24}\n"
				  "      - {address: 198.51.100.23}\n" };
	char got[2][200][INET_ADDR_STR];
	int k, status, pipes[2][2];
	pid_t pid[2];

	for (k = 0; k < 2; k++) {
		assert_int_equal(pipe(pipes[k]), 0);
		pid[k] = fork();
		assert_true(pid[k] >= 0);
		if (!pid[k]) {
			close(pipes[k][0]);
			steer_in_child(orders[k], pipes[k][1]);
		}
		close(pipes[k][1]);
	}
	for (k = 0; k < 2; k++) {
		size_t want = sizeof(got[k]), have = 0;
		ssize_t n;

		while (have < want &&
		       (n = read(pipes[k][0], (char *)got[k] + have, want - have)) > 0)
			have += n;
		close(pipes[k][0]);
		assert_int_equal(waitpid(pid[k], &status, 0), pid[k]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		assert_int_equal(have, want);
	}
	assert_memory_equal(got[0], got[1], sizeof(got[0]));
}

/* A controller restart: a second dataplane adopts the first one's pins; flows keep their
 * backends even though its rings are rebuilt, and pins of another ABI are refused.
 */
static void pin_dir_name(char *dir, size_t len)
{
	snprintf(dir, len, DP_PIN_BASE "/test-%d", (int)getpid());
}

/* The pins go even when an assertion stopped the test half-way. */
static int teardown_pins(void **state)
{
	char dir[128];

	(void)state;
	pin_dir_name(dir, sizeof(dir));
	dp_unpin(dir);
	rmdir(DP_PIN_BASE); /* only if no other run has pins there */
	return 0;
}

static void test_pinned_adoption(void **state)
{
	struct pkt_spec s = tcp4("203.0.113.200", "192.0.2.1", 0, 443);
	char dir[128], before[32][INET_ADDR_STR];
	struct dp_opts o = { .pin_dir = dir };
	struct ae_meta bad = { .abi_version = 999 };
	struct fix f = { 0 }, g = { 0 };
	struct dataplane *h = NULL;
	struct result r;
	__u32 zero = 0;
	int i;

	pin_dir_name(dir, sizeof(dir));
	f.p = make_policy("", 7);
	assert_int_equal(dp_open(f.p, &o, &f.dp), 0);
	assert_false(dp_adopted(f.dp));
	assert_int_equal(dp_view_default(f.p, NULL, &f.view), 0);
	f.view.serving[2] = EU; /* db promoted */
	assert_int_equal(dp_apply(f.dp, f.p, &f.view), 0);
	for (i = 0; i < 32; i++) {
		s.sport = 30000 + i;
		run(&f, &s, &r);
		strcpy(before[i], r.backend);
	}
	dp_close(f.dp);

	/* the next controller, with a third eu-west backend listed first: new ring, same flows */
	g.p = make_policy("      - {address: 198.51.100.23}\n", 7);
	assert_int_equal(dp_open(g.p, &o, &g.dp), 0);
	assert_true(dp_adopted(g.dp));
	/* what the maps were doing, read back: db's promotion included */
	assert_int_equal(dp_read_view(g.dp, g.p, &g.view), 0);
	assert_int_equal(g.view.serving[2], EU);
	dp_view_free(&g.view);
	assert_int_equal(dp_view_default(g.p, NULL, &g.view), 0);
	assert_int_equal(dp_apply(g.dp, g.p, &g.view), 0);
	for (i = 0; i < 32; i++) {
		s.sport = 30000 + i;
		run(&g, &s, &r);
		assert_string_equal(r.backend, before[i]);
	}
	/* rings of another size cannot go into the pinned rings map: refused */
	g.p->dataplane.ring_size = 251;
	assert_int_equal(dp_open(g.p, &o, &h), -EPROTO);
	g.p->dataplane.ring_size = 65537;
	/* pins that speak another ABI: refused, unless replaced */
	assert_int_equal(bpf_map_update_elem(dp_map_fd(g.dp, "meta"), &zero, &bad, BPF_ANY), 0);
	dp_close(g.dp);
	g.dp = NULL;
	assert_int_equal(dp_open(g.p, &o, &g.dp), -EPROTO);
	o.replace = true;
	assert_int_equal(dp_open(g.p, &o, &g.dp), 0);
	assert_false(dp_adopted(g.dp));
	dp_close(g.dp);
	assert_int_equal(dp_unpin(dir), 0);
	assert_int_equal(access(dir, F_OK), -1);
	dp_view_free(&f.view);
	dp_view_free(&g.view);
	policy_free(f.p);
	policy_free(g.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_non_vip_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vip_unlisted_port_passes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nearest_region_by_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failover_to_next_region, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tunnel_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vlan_and_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragments_same_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_passive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_promotion_moves_established_flows, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_affinity_across_ring_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drained_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_entry_is_maglevs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_bucket_evicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_flood_keeps_flows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_way_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_steers_afresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_way_embryonic_until_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_takes_only_embryonic_ways, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_entries_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l4_within_ip_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ip_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_refused_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_rate_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_mtu_floor_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_error_to_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_error_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vip_reorder_and_removal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_vip_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vip_table_switch_under_traffic, setup,
						teardown),
		cmocka_unit_test(test_deterministic_across_processes),
		cmocka_unit_test_teardown(test_pinned_adoption, teardown_pins),
	};

	if (geteuid()) {
		fprintf(stderr, "packet_test: needs root (BPF_PROG_TEST_RUN)\n");
		return 77;
	}
	return cmocka_run_group_tests_name("packet", tests, NULL, NULL);
}
