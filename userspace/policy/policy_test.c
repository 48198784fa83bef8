// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the policy loader: valid files in block and flow style, defaults, probe merging,
 * and one test per class of error, each asserting where (line:col) and what was reported.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy.h"

#define NAME "t.yaml"

struct diag_rec {
	unsigned int line, col;
	char msg[1024];
};

struct diags {
	size_t n;
	struct diag_rec d[160];
};

static void record(void *ctx, const char *file, unsigned int line, unsigned int col,
		   const char *msg)
{
	struct diags *d = ctx;

	if (d->n == sizeof(d->d) / sizeof(d->d[0]))
		return;
	d->d[d->n].line = line;
	d->d[d->n].col = col;
	snprintf(d->d[d->n].msg, sizeof(d->d[0].msg), "%s", msg);
	d->n++;
	assert_true(file && (!strcmp(file, NAME) || file[0] == '/'));
	assert_null(strchr(msg, '\n'));
}

static void dump(const struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		print_message("  got %u:%u: %s\n", d->d[i].line, d->d[i].col, d->d[i].msg);
}

static int load(const char *yaml, struct policy **p, struct diags *d)
{
	memset(d, 0, sizeof(*d));
	return policy_load_buf(NAME, yaml, strlen(yaml), p, record, d);
}

/* 1-based line:col of the n-th (0-based) occurrence of needle in text. */
static void pos_of(const char *text, const char *needle, int nth, unsigned int *line,
		   unsigned int *col)
{
	const char *at = text, *s;

	for (;;) {
		at = strstr(at, needle);
		assert_non_null(at);
		if (!nth--)
			break;
		at++;
	}
	*line = 1;
	*col = 1;
	for (s = text; s < at; s++) {
		if (*s == '\n') {
			++*line;
			*col = 1;
		} else {
			++*col;
		}
	}
}

static bool has_diag(const struct diags *d, unsigned int line, unsigned int col, const char *sub)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->d[i].line == line && d->d[i].col == col && strstr(d->d[i].msg, sub))
			return true;
	return false;
}

/* yaml must be refused with a diagnostic at line:col whose text holds sub; only == true: and
 * with nothing else reported.
 */
static void expect_err_lc(const char *yaml, unsigned int line, unsigned int col, const char *sub,
			  bool only, int src_line)
{
	struct policy *p = (struct policy *)0x1;
	struct diags d;
	int ret = load(yaml, &p, &d);

	if (ret != -EINVAL || p != (struct policy *)0x1 || !has_diag(&d, line, col, sub) ||
	    (only && d.n != 1)) {
		print_message("policy_test.c:%d: wanted %u:%u '%s'%s, ret %d\n", src_line, line,
			      col, sub, only ? " alone" : "", ret);
		dump(&d);
		fail();
	}
}

/* The same, at the nth occurrence of needle in yaml. */
static void expect_err_at(const char *yaml, const char *needle, int nth, const char *sub, bool only,
			  int src_line)
{
	unsigned int line, col;

	pos_of(yaml, needle, nth, &line, &col);
	expect_err_lc(yaml, line, col, sub, only, src_line);
}

/* The same, just after the first occurrence of prefix (where its value starts). */
static void expect_err_after(const char *yaml, const char *prefix, const char *sub, int src_line)
{
	unsigned int line, col;

	pos_of(yaml, prefix, 0, &line, &col);
	expect_err_lc(yaml, line, col + strlen(prefix), sub, true, src_line);
}

#define ERR_AFTER(yaml, prefix, sub) expect_err_after(yaml, prefix, sub, __LINE__)
#define ERR_AT(yaml, needle, sub) expect_err_at(yaml, needle, 0, sub, true, __LINE__)
#define ERR_AT_N(yaml, needle, nth, sub) expect_err_at(yaml, needle, nth, sub, true, __LINE__)
#define ERR_AMONG(yaml, needle, sub) expect_err_at(yaml, needle, 0, sub, false, __LINE__)
#define ERR_LC(yaml, line, col, sub) expect_err_lc(yaml, line, col, sub, true, __LINE__)

static struct policy *load_ok(const char *yaml)
{
	struct policy *p = NULL;
	struct diags d;
	int ret = load(yaml, &p, &d);

	if (ret || d.n) {
		print_message("unexpected: ret %d\n", ret);
		dump(&d);
		fail();
	}
	assert_non_null(p);
	return p;
}

static void assert_addr(const struct inet_addr *a, const char *want)
{
	char buf[INET_ADDR_STR];

	assert_string_equal(inet_addr_str(a, buf, sizeof(buf)), want);
}

static void assert_prefix(const struct inet_prefix *pf, const char *want)
{
	char buf[INET_PREFIX_STR];

	assert_string_equal(inet_prefix_str(pf, buf, sizeof(buf)), want);
}

/* A small valid policy, one item per line, that error tests vary one piece of. */
#define EDGE "edge: {name: e1, interface: eth0, region: r1, encap_source: {ipv4: 192.0.2.10}}\n"
#define REGION1 "  - {name: r1, backends: [{address: 198.51.100.1}]}\n"
#define REGION2 "  - {name: r2, backends: [{address: 198.51.100.2}]}\n"
#define REGIONS "regions:\n" REGION1 REGION2
#define PROBE "probe: {port: 8080}\n"
#define VIP1 "  - {name: v, address: 192.0.2.1, ports: [tcp/80], regions: [r1, r2]}\n"
#define VIPS "vips:\n" VIP1
#define VIP_R1 "vips: [{name: v, address: 192.0.2.1, ports: [tcp/80], regions: [r1]}]\n"
#define MIN EDGE REGIONS PROBE VIPS

/* ---- valid files ---- */

static const char block_policy[] = "# a comment\n"
				   "edge:\n"
				   "  name: edge-fra1\n"
				   "  interface: eth0\n"
				   "  region: eu-west\n"
				   "  encap_source:\n"
				   "    ipv4: 192.0.2.10\n"
				   "    ipv6: \"2001:db8::10\"\n"
				   "  mac: 02:00:5e:00:53:01\n"
				   "  gateway_mac: 02:00:5E:00:53:FE\n"
				   "  gateway: 192.0.2.254\n"
				   "regions:\n"
				   "  - name: us-east\n"
				   "    backends:\n"
				   "      - address: 198.51.100.11\n"
				   "      - address: 198.51.100.12\n"
				   "        weight: 0\n"
				   "  - name: eu-west\n"
				   "    min_healthy: 50%\n"
				   "    backends:\n"
				   "      - address: 198.51.100.21\n"
				   "        weight: 200\n"
				   "      - address: \"2001:db8:100::22\"\n"
				   "  - name: ap-south\n"
				   "    min_healthy: 2\n"
				   "    backends:\n"
				   "      - address: 198.51.100.31\n"
				   "      - address: 198.51.100.32\n"
				   "probe:\n"
				   "  type: http\n"
				   "  port: 8080\n"
				   "  path: /health/ready\n"
				   "  interval: 1s\n"
				   "  timeout: 500ms\n"
				   "  rise: 3\n"
				   "  fall: 4\n"
				   "  max_replica_lag: 2m\n"
				   "clients:\n"
				   "  - prefix: 203.0.113.0/25\n"
				   "    prefer: [us-east, eu-west]\n"
				   "  - prefix: 203.0.113.128/25\n"
				   "    prefer:\n"
				   "      - eu-west\n"
				   "      - us-east\n"
				   "  - prefix: 2001:db8:c0::/48\n"
				   "    prefer: [ap-south]\n"
				   "vips:\n"
				   "  - name: web\n"
				   "    address: 192.0.2.1\n"
				   "    ports: [tcp/443, udp/443, tcp/80]\n"
				   "    mode: active-active\n"
				   "    regions: [eu-west, us-east, ap-south]\n"
				   "    announce: {prefix: 192.0.2.0/24}\n"
				   "  - name: db\n"
				   "    address: 192.0.2.2\n"
				   "    ports: [tcp/5432]\n"
				   "    mode: active-passive\n"
				   "    primary: eu-west\n"
				   "    auto_promote: local\n"
				   "    regions: [us-east, eu-west]\n"
				   "    announce:\n"
				   "      prefix: 192.0.2.2/32\n"
				   "      withdraw_when: local_region_down\n"
				   "  - name: web6\n"
				   "    address: 2001:db8:ff::1\n"
				   "    ports: [tcp/443]\n"
				   "    regions: [eu-west]\n"
				   "bgp:\n"
				   "  bird_socket: /run/bird2.ctl\n"
				   "  hold_down: 30s\n"
				   "  session: upstream1\n"
				   "api:\n"
				   "  listen: 0.0.0.0:9999\n"
				   "  token_file: /etc/anyedge/token\n"
				   "safety:\n"
				   "  guard: off\n"
				   "dataplane:\n"
				   "  hash_seed: 4294967295\n"
				   "  ring_size: 251\n"
				   "  flow_table_size: 4096\n";

/* The same policy, flow style throughout (what JSON writers produce). */
static const char flow_policy[] =
	"{edge: {name: edge-fra1, interface: eth0, region: eu-west,\n"
	"   encap_source: {ipv4: 192.0.2.10, ipv6: '2001:db8::10'}, mac: '02:00:5e:00:53:01',\n"
	"   gateway_mac: '02:00:5E:00:53:FE', gateway: 192.0.2.254},\n"
	" regions: [\n"
	"  {name: us-east, backends: [{address: 198.51.100.11}, {address: 198.51.100.12, "
	"weight: 0}]},\n"
	"  {name: eu-west, min_healthy: 50%, backends: [{address: 198.51.100.21, weight: 200},\n"
	"     {address: '2001:db8:100::22'}]},\n"
	"  {name: ap-south, min_healthy: 2, backends: [{address: 198.51.100.31},\n"
	"     {address: 198.51.100.32}]}],\n"
	" probe: {type: http, port: 8080, path: /health/ready, interval: 1s, timeout: 500ms,\n"
	"   rise: 3, fall: 4, max_replica_lag: 2m},\n"
	" clients: [{prefix: 203.0.113.0/25, prefer: [us-east, eu-west]},\n"
	"   {prefix: 203.0.113.128/25, prefer: [eu-west, us-east]},\n"
	"   {prefix: '2001:db8:c0::/48', prefer: [ap-south]}],\n"
	" vips: [\n"
	"  {name: web, address: 192.0.2.1, ports: [tcp/443, udp/443, tcp/80], mode: active-active,\n"
	"   regions: [eu-west, us-east, ap-south], announce: {prefix: 192.0.2.0/24}},\n"
	"  {name: db, address: 192.0.2.2, ports: [tcp/5432], mode: active-passive, primary: "
	"eu-west,\n"
	"   auto_promote: local, regions: [us-east, eu-west],\n"
	"   announce: {prefix: 192.0.2.2/32, withdraw_when: local_region_down}},\n"
	"  {name: web6, address: '2001:db8:ff::1', ports: [tcp/443], regions: [eu-west]}],\n"
	" bgp: {bird_socket: /run/bird2.ctl, hold_down: 30s, session: upstream1},\n"
	" api: {listen: '0.0.0.0:9999', token_file: /etc/anyedge/token},\n"
	" safety: {guard: off},\n"
	" dataplane: {hash_seed: 4294967295, ring_size: 251, flow_table_size: 4096}}\n";

static void check_full_policy(const struct policy *p)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 };
	static const uint8_t gw[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0xfe };
	const struct policy_vip *v;

	assert_string_equal(p->path, NAME);
	assert_string_equal(p->edge.name, "edge-fra1");
	assert_string_equal(p->edge.interface, "eth0");
	assert_int_equal(p->edge.region, 1);
	assert_addr(&p->edge.encap_v4, "192.0.2.10");
	assert_addr(&p->edge.encap_v6, "2001:db8::10");
	assert_true(p->edge.has_mac && p->edge.has_gateway_mac);
	assert_memory_equal(p->edge.mac, mac, 6);
	assert_memory_equal(p->edge.gateway_mac, gw, 6);
	assert_addr(&p->edge.gateway, "192.0.2.254");

	assert_int_equal(p->n_regions, 3);
	assert_string_equal(p->regions[0].name, "us-east");
	assert_false(p->regions[0].min_healthy_is_pct);
	assert_int_equal(p->regions[0].min_healthy, 1);
	assert_int_equal(p->regions[0].n_backends, 2);
	assert_int_equal(p->regions[0].backends[0].weight, 100);
	assert_int_equal(p->regions[0].backends[1].weight, 0);
	assert_true(p->regions[1].min_healthy_is_pct);
	assert_int_equal(p->regions[1].min_healthy, 50);
	assert_int_equal(p->regions[1].backends[0].weight, 200);
	assert_addr(&p->regions[1].backends[1].addr, "2001:db8:100::22");
	assert_int_equal(p->regions[1].backends[1].addr.family, AE_FAMILY_V6);
	assert_int_equal(p->regions[2].min_healthy, 2);
	assert_addr(&p->regions[2].backends[1].addr, "198.51.100.32");

	assert_int_equal(p->probe.type, PROBE_HTTP);
	assert_int_equal(p->probe.port, 8080);
	assert_string_equal(p->probe.path, "/health/ready");
	assert_int_equal(p->probe.interval_ms, 1000);
	assert_int_equal(p->probe.timeout_ms, 500);
	assert_int_equal(p->probe.rise, 3);
	assert_int_equal(p->probe.fall, 4);
	assert_int_equal(p->probe.max_replica_lag_ms, 120000);
	assert_int_equal(p->regions[2].backends[1].probe.port, 8080);
	assert_int_equal(p->regions[2].backends[1].probe.max_replica_lag_ms, 120000);

	assert_int_equal(p->n_clients, 3);
	assert_prefix(&p->clients[0].prefix, "203.0.113.0/25");
	assert_int_equal(p->clients[0].n_prefer, 2);
	assert_int_equal(p->clients[0].prefer[0], 0);
	assert_int_equal(p->clients[0].prefer[1], 1);
	assert_int_equal(p->clients[1].prefer[0], 1);
	assert_prefix(&p->clients[2].prefix, "2001:db8:c0::/48");
	assert_int_equal(p->clients[2].prefer[0], 2);

	assert_int_equal(p->n_vips, 3);
	v = &p->vips[0];
	assert_string_equal(v->name, "web");
	assert_addr(&v->addr, "192.0.2.1");
	assert_int_equal(v->n_ports, 3);
	assert_int_equal(v->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(v->ports[0].port, 443);
	assert_int_equal(v->ports[1].proto, IPPROTO_UDP);
	assert_int_equal(v->ports[2].port, 80);
	assert_int_equal(v->mode, VIP_ACTIVE_ACTIVE);
	assert_int_equal(v->primary, -1);
	assert_false(v->auto_promote_local);
	assert_int_equal(v->n_regions, 3);
	assert_int_equal(v->regions[0], 1);
	assert_int_equal(v->regions[1], 0);
	assert_int_equal(v->regions[2], 2);
	assert_true(v->has_announce);
	assert_prefix(&v->announce, "192.0.2.0/24");
	assert_int_equal(v->withdraw_when, WITHDRAW_NO_REGION_UP);
	v = &p->vips[1];
	assert_int_equal(v->mode, VIP_ACTIVE_PASSIVE);
	assert_int_equal(v->primary, 1);
	assert_true(v->auto_promote_local);
	assert_int_equal(v->withdraw_when, WITHDRAW_LOCAL_REGION_DOWN);
	v = &p->vips[2];
	assert_int_equal(v->addr.family, AE_FAMILY_V6);
	assert_false(v->has_announce);

	assert_string_equal(p->bgp.bird_socket, "/run/bird2.ctl");
	assert_int_equal(p->bgp.hold_down_ms, 30000);
	assert_string_equal(p->bgp.session, "upstream1");
	assert_string_equal(p->api.listen, "0.0.0.0:9999");
	assert_string_equal(p->api.token_file, "/etc/anyedge/token");
	assert_false(p->safety.guard);
	assert_int_equal(p->dataplane.hash_seed, UINT32_MAX);
	assert_int_equal(p->dataplane.ring_size, 251);
	assert_int_equal(p->dataplane.flow_table_size, 4096);

	assert_int_equal(policy_region_index(p, "ap-south"), 2);
	assert_int_equal(policy_region_index(p, "nowhere"), -1);
	assert_int_equal(policy_vip_index(p, "db"), 1);
	assert_int_equal(policy_vip_index(p, "nothing"), -1);
}

static void test_valid_block(void **state)
{
	struct policy *p = load_ok(block_policy);

	unsigned int line, col;

	check_full_policy(p);
	/* a block item stands where its first key does */
	assert_int_equal(p->regions[0].pos.line, 13);
	assert_int_equal(p->regions[0].pos.col, 5);
	pos_of(block_policy, "address: 198.51.100.21", 0, &line, &col);
	assert_int_equal(p->regions[1].backends[0].pos.line, line);
	assert_int_equal(p->regions[1].backends[0].pos.col, col);
	pos_of(block_policy, "name: db", 0, &line, &col);
	assert_int_equal(p->vips[1].pos.line, line);
	assert_int_equal(p->vips[1].pos.col, col);
	pos_of(block_policy, "prefix: 203.0.113.128/25", 0, &line, &col);
	assert_int_equal(p->clients[1].pos.line, line);
	policy_free(p);
}

static void test_valid_flow(void **state)
{
	struct policy *p = load_ok(flow_policy);

	check_full_policy(p);
	assert_int_equal(p->regions[1].pos.line, 6);
	assert_int_equal(p->regions[1].pos.col, 3);
	policy_free(p);
}

static void test_defaults(void **state)
{
	struct policy *p = load_ok(MIN);

	assert_int_equal(p->probe.type, PROBE_HTTP);
	assert_int_equal(p->probe.port, 8080);
	assert_string_equal(p->probe.path, "/health/ready");
	assert_int_equal(p->probe.interval_ms, 1000);
	assert_int_equal(p->probe.timeout_ms, 500);
	assert_int_equal(p->probe.rise, 2);
	assert_int_equal(p->probe.fall, 2);
	assert_int_equal(p->probe.max_replica_lag_ms, 10000);
	assert_int_equal(p->regions[0].min_healthy, 1);
	assert_false(p->regions[0].min_healthy_is_pct);
	assert_false(p->regions[0].has_probe);
	assert_int_equal(p->regions[0].backends[0].weight, 100);
	assert_false(p->regions[0].backends[0].has_probe);
	assert_int_equal(p->regions[0].backends[0].probe.interval_ms, 1000);
	assert_int_equal(p->n_clients, 0);
	assert_null(p->clients);
	assert_int_equal(p->vips[0].mode, VIP_ACTIVE_ACTIVE);
	assert_int_equal(p->vips[0].primary, -1);
	assert_false(p->vips[0].has_announce);
	assert_int_equal(p->vips[0].withdraw_when, WITHDRAW_NO_REGION_UP);
	assert_false(p->edge.has_mac);
	assert_false(p->edge.has_gateway_mac);
	assert_int_equal(p->edge.gateway.family, 0);
	assert_int_equal(p->edge.encap_v6.family, 0);
	assert_string_equal(p->bgp.bird_socket, "/run/bird/bird.ctl");
	assert_int_equal(p->bgp.hold_down_ms, 10000);
	assert_string_equal(p->bgp.session, "");
	assert_string_equal(p->api.listen, "127.0.0.1:9180");
	assert_string_equal(p->api.token_file, "");
	assert_true(p->safety.guard);
	assert_false(p->probe.fail_on_lag);
	assert_int_equal(p->dataplane.hash_seed, 0);
	assert_int_equal(p->dataplane.ring_size, 65537);
	assert_int_equal(p->dataplane.flow_table_size, 1048576);
	policy_free(p);
}

static void test_probe_merge(void **state)
{
	static const char yaml[] = EDGE
		"regions:\n"
		"  - name: r1\n"
		"    probe: {type: tcp, interval: 5s}\n"
		"    backends:\n"
		"      - {address: 198.51.100.1, probe: {port: 9000, timeout: 4s}}\n"
		"      - {address: 198.51.100.3}\n"
		"  - {name: r2, backends: [{address: 198.51.100.2, probe: {path: /ready}}]}\n"
		"probe: {port: 8080, interval: 2s, timeout: 1s, rise: 5}\n" VIPS;
	struct policy *p = load_ok(yaml);
	const struct policy_probe *e;

	assert_int_equal(p->probe.interval_ms, 2000);
	assert_int_equal(p->probe.type, PROBE_HTTP);
	/* region r1: global, then its own block */
	assert_true(p->regions[0].has_probe);
	e = &p->regions[0].probe;
	assert_int_equal(e->type, PROBE_TCP);
	assert_int_equal(e->interval_ms, 5000);
	assert_int_equal(e->timeout_ms, 1000);
	assert_int_equal(e->port, 8080);
	assert_int_equal(e->rise, 5);
	/* its first backend: region, then its own block */
	assert_true(p->regions[0].backends[0].has_probe);
	e = &p->regions[0].backends[0].probe;
	assert_int_equal(e->type, PROBE_TCP);
	assert_int_equal(e->port, 9000);
	assert_int_equal(e->interval_ms, 5000);
	assert_int_equal(e->timeout_ms, 4000);
	assert_int_equal(e->rise, 5);
	assert_int_equal(e->fall, 2);
	/* the second inherits the region's */
	assert_false(p->regions[0].backends[1].has_probe);
	assert_int_equal(p->regions[0].backends[1].probe.port, 8080);
	assert_int_equal(p->regions[0].backends[1].probe.type, PROBE_TCP);
	/* region r2 has no block: global, then the backend's */
	assert_false(p->regions[1].has_probe);
	e = &p->regions[1].backends[0].probe;
	assert_string_equal(e->path, "/ready");
	assert_int_equal(e->type, PROBE_HTTP);
	assert_int_equal(e->interval_ms, 2000);
	policy_free(p);
}

static void test_probe_port_per_region(void **state)
{
	static const char yaml[] = EDGE
		"regions:\n"
		"  - {name: r1, probe: {port: 81}, backends: [{address: 198.51.100.1}]}\n"
		"  - {name: r2, backends: [{address: 198.51.100.2, probe: {port: 82}}]}\n" VIPS;
	struct policy *p = load_ok(yaml);

	assert_int_equal(p->regions[0].backends[0].probe.port, 81);
	assert_int_equal(p->regions[1].backends[0].probe.port, 82);
	policy_free(p);
}

static void test_ipv6_only(void **state)
{
	static const char yaml[] =
		"edge: {name: e6, interface: eth1, region: r1, encap_source: {ipv6: '2001:db8::10'}}\n"
		"regions: [{name: r1, min_healthy: 100%, backends: [{address: '2001:db8:1::1'},\n"
		"  {address: '2001:db8:1::2'}]}]\n" PROBE
		"clients: [{prefix: '2001:db8:c0::/48', prefer: [r1]}, {prefix: '::1/128', prefer: "
		"[r1]}]\n"
		"vips: [{name: v6, address: '2001:db8:ff::1', ports: [udp/53, tcp/53], regions: [r1],\n"
		"  announce: {prefix: '2001:db8:ff::/48'}}]\n";
	struct policy *p = load_ok(yaml);

	assert_int_equal(p->regions[0].min_healthy, 100);
	assert_true(p->regions[0].min_healthy_is_pct);
	assert_prefix(&p->clients[1].prefix, "::1/128");
	assert_prefix(&p->vips[0].announce, "2001:db8:ff::/48");
	policy_free(p);
}

/* An IPv6 VIP may be served by IPv4 backends (the outer header follows the backend). */
static void test_ipv6_vip_ipv4_backends(void **state)
{
	static const char yaml[] = EDGE REGIONS PROBE
		"vips: [{name: v6, address: '2001:db8:ff::1', ports: [tcp/443], regions: [r1]}]\n";
	struct policy *p = load_ok(yaml);

	assert_string_equal(p->bgp.state_dir, "/var/lib/anyedge/bird-e1");
	assert_int_equal(p->bgp.drain_wait_ms, 30000);
	assert_int_equal(p->bgp.community_asn, 64512);
	assert_int_equal(p->bgp.community_value, 100);
	assert_int_equal(p->bgp.prepend, 3);
	assert_int_equal(p->bgp.damping.penalty, 1000);
	assert_int_equal(p->bgp.damping.half_life_ms, 60000);
	assert_int_equal(p->bgp.damping.suppress, 2000);
	assert_int_equal(p->bgp.damping.reuse, 750);
	assert_int_equal(p->bgp.damping.max_suppress_ms, 600000);
	assert_string_equal(p->vips[0].bird_proto, "anyedge_v6");
	policy_free(p);
}

static void test_example_file(void **state)
{
	struct policy *p = NULL;
	struct diags d = { 0 };
	int ret;

	if (access("config/example.yaml", R_OK)) {
		skip(); /* run from elsewhere than the repository's top */
		return;
	}
	ret = policy_load("config/example.yaml", &p, record, &d);
	if (ret)
		dump(&d);
	assert_int_equal(ret, 0);
	assert_string_equal(p->path, "config/example.yaml");
	assert_string_equal(p->edge.name, "edge-fra1");
	assert_int_equal(p->n_regions, 3);
	assert_int_equal(p->regions[p->edge.region].name[0], 'e');
	assert_string_equal(p->bgp.state_dir, "/var/lib/anyedge/bird-edge-fra1");
	assert_int_equal(p->bgp.community_asn, 64512);
	assert_int_equal(p->bgp.prepend, 3);
	assert_int_equal(p->bgp.damping.max_suppress_ms, 600000);
	policy_free(p);
}

/* ---- errors: the file as a whole ---- */

static void test_empty(void **state)
{
	ERR_LC("", 0, 0, "empty");
	ERR_LC("# nothing but a comment\n\n", 0, 0, "empty");
	ERR_LC("---\n", 0, 0, "empty");
	ERR_LC("~\n", 0, 0, "empty");
}

static void test_not_yaml(void **state)
{
	ERR_LC("edge: {name: a\nregions: [\n", 2, 8, "invalid YAML: did not find expected ','");
	ERR_LC("a: b: c\n", 1, 5, "invalid YAML: mapping values are not allowed");
	ERR_LC("edge:\n  name: x\n\tbad: 1\n", 3, 1, "invalid YAML: found a tab character");
	ERR_LC("ok: 1\nbin: \"\x01\"\n", 2, 7, "invalid YAML: control characters");
	ERR_LC("just a sentence.\n", 1, 1, "expected a mapping of policy keys");
	ERR_LC("- a\n- b\n", 1, 1,
	       "expected a mapping of policy keys (edge, regions, ...), got a list");
}

static void test_multiple_documents(void **state)
{
	ERR_LC(MIN "---\n" MIN, 8, 1, "a second YAML document");
}

static void test_anchors_aliases(void **state)
{
	static const char yaml[] = EDGE "regions:\n"
					"  - name: r1\n"
					"    backends: &bk [{address: 198.51.100.1}]\n"
					"  - name: r2\n"
					"    backends: *bk\n" PROBE VIPS;

	ERR_AMONG(yaml, "&bk", "anchors (&bk) are not supported");
	ERR_AMONG(yaml, "*bk", "aliases (*bk) are not supported");
}

static void test_too_deep(void **state)
{
	char yaml[256] = "edge: ";
	int i;

	for (i = 0; i < 40; i++)
		strcat(yaml, "[");
	ERR_LC(yaml, 1, 38, "nested deeper than 32 levels");
}

static void test_too_big_buf(void **state)
{
	size_t len = POLICY_MAX_BYTES + 1;
	char *big = malloc(len);
	struct policy *p = NULL;
	struct diags d = { 0 };

	assert_non_null(big);
	memset(big, '#', len);
	assert_int_equal(policy_load_buf(NAME, big, len, &p, record, &d), -EFBIG);
	assert_null(p);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.d[0].line, 0);
	assert_non_null(strstr(d.d[0].msg, "larger than 1048576 bytes"));
	free(big);
}

static void test_too_big_file(void **state)
{
	char path[] = "/tmp/policy_test.XXXXXX";
	struct policy *p = NULL;
	struct diags d = { 0 };
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, POLICY_MAX_BYTES + 1), 0);
	close(fd);
	assert_int_equal(policy_load(path, &p, record, &d), -EFBIG);
	unlink(path);
	assert_null(p);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.d[0].line, 0);
	assert_non_null(strstr(d.d[0].msg, "larger than"));
}

static void test_file_ok_and_missing(void **state)
{
	char path[] = "/tmp/policy_test.XXXXXX";
	struct policy *p = NULL;
	struct diags d = { 0 };
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, MIN, strlen(MIN)), (ssize_t)strlen(MIN));
	close(fd);
	assert_int_equal(policy_load(path, &p, record, &d), 0);
	assert_string_equal(p->path, path);
	policy_free(p);
	unlink(path);
	p = NULL;
	assert_int_equal(policy_load(path, &p, record, &d), -ENOENT);
	assert_null(p);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.d[0].line, 0);
	assert_non_null(strstr(d.d[0].msg, "cannot open"));
}

static void test_diag_stderr_format(void **state)
{
	char buf[256] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	policy_diag_stderr(f, "p.yaml", 3, 7, "vips[0]: bad");
	policy_diag_stderr(f, "p.yaml", 0, 0, "cannot open");
	fclose(f);
	assert_string_equal(buf, "p.yaml:3:7: error: vips[0]: bad\np.yaml: error: cannot open\n");
}

/* ---- errors: shape ---- */

static void test_unknown_keys(void **state)
{
	ERR_AT(MIN "vip: []\n", "vip:", "unknown key 'vip' (expected one of: edge, regions,");
	ERR_AT(EDGE REGIONS PROBE
	       "vips: [{name: v, address: 192.0.2.1, ports: [tcp/80], regions: [r1], primay: r1}]\n",
	       "primay", "vips[0]: unknown key 'primay'");
	ERR_AT(EDGE REGIONS "probe: {port: 8080, intervall: 1s}\n" VIPS, "intervall",
	       "probe: unknown key 'intervall'");
}

static void test_wrong_types(void **state)
{
	ERR_AMONG("edge: eth0\n" REGIONS PROBE VIPS, "eth0",
		  "edge: expected a mapping, got 'eth0'");
	ERR_AT(EDGE "regions: {name: r1}\n" PROBE VIPS, "{name: r1}",
	       "regions: expected a list, got a mapping");
	ERR_AT(EDGE REGIONS PROBE
	       "vips: [{name: [v], address: 192.0.2.1, ports: [tcp/80], regions: [r1]}]\n",
	       "[v]", "vips[0].name: expected a name, got a list");
	ERR_AFTER(EDGE REGIONS "probe:\n" VIPS, "probe:", "probe: expected a mapping, got nothing");
	ERR_AT(EDGE REGIONS "probe: {port: 8080}\nsafety: {guard: {a: 1}}\n" VIPS, "{a: 1}",
	       "safety.guard: expected a keyword, got a mapping");
	ERR_AT(EDGE REGIONS PROBE "vips:\n  - name: v\n    address: 192.0.2.1\n    ports: tcp/80\n"
				  "    regions: [r1]\n",
	       "tcp/80", "vips[0].ports: expected a list, got 'tcp/80'");
}

static void test_missing_required(void **state)
{
	ERR_LC(REGIONS PROBE VIPS, 1, 1, "missing required key 'edge'");
	ERR_LC("{regions: [{name: r1, backends: [{address: 198.51.100.1}]}], probe: {port: 1},\n"
	       " edge: {name: e1, interface: eth0, region: r1, encap_source: {ipv4: 192.0.2.10}}}\n",
	       1, 1, "missing required key 'vips'");
	ERR_AT("edge: {name: e1, region: r1, encap_source: {ipv4: 192.0.2.10}}\n" REGIONS PROBE VIPS,
	       "{name: e1", "edge: missing required key 'interface'");
	ERR_AT(EDGE REGIONS PROBE "vips:\n  - name: v\n    ports: [tcp/80]\n    regions: [r1]\n",
	       "name: v", "vips[0]: missing required key 'address'");
	ERR_AT(EDGE "regions:\n  - {name: r1}\n" PROBE VIP_R1, "{name: r1}",
	       "regions[0]: missing required key 'backends'");
}

static void test_duplicate_keys(void **state)
{
	ERR_AT_N(EDGE REGIONS PROBE PROBE VIPS, "probe:", 1,
		 "duplicate key 'probe' (first at line 5)");
	ERR_AT(EDGE REGIONS PROBE
	       "vips: [{name: v, address: 192.0.2.1, ports: [tcp/80], regions: [r1], name: w}]\n",
	       "name: w", "vips[0]: duplicate key 'name'");
}

static void test_empty_lists(void **state)
{
	ERR_AT(EDGE "regions: []\n" PROBE VIPS, "[]", "regions: expected at least one region");
	ERR_AT(EDGE REGIONS PROBE "vips: []\n", "[]", "vips: expected at least one VIP");
	ERR_AT(EDGE "regions: [{name: r1, backends: []}]\n" PROBE VIP_R1, "[]}",
	       "regions[0].backends: expected at least one backend");
}

/* ---- errors: values ---- */

static void test_bad_addresses(void **state)
{
	ERR_AT(EDGE REGIONS PROBE
	       "vips: [{name: v, address: 192.0.2.300, ports: [tcp/80], regions: [r1]}]\n",
	       "192.0.2.300", "vips[0].address: expected an IP address, got '192.0.2.300'");
	ERR_AT(EDGE "regions: [{name: r1, backends: [{address: 'fe80::1%eth0'}]}]\n" PROBE VIP_R1,
	       "'fe80", "regions[0].backends[0].address: expected an IP address");
	ERR_AT("edge: {name: e1, interface: eth0, region: r1, encap_source: {ipv4: '2001:db8::1'}}\n" REGIONS
		       PROBE VIPS,
	       "'2001:db8::1'", "edge.encap_source.ipv4: expected an IPv4 address");
	ERR_AT(EDGE REGIONS PROBE VIPS "clients: [{prefix: 203.0.113.0, prefer: [r1]}]\n",
	       "203.0.113.0", "clients[0].prefix: expected a prefix like 192.0.2.0/24");
	ERR_AT(EDGE REGIONS PROBE VIPS "clients: [{prefix: 203.0.113.0/33, prefer: [r1]}]\n",
	       "203.0.113.0/33", "expected a prefix");
}

static void test_host_bits(void **state)
{
	ERR_AT(EDGE REGIONS PROBE VIPS "clients: [{prefix: 203.0.113.7/24, prefer: [r1]}]\n",
	       "203.0.113.7/24",
	       "clients[0].prefix: '203.0.113.7/24' has host bits set after /24: did you mean "
	       "203.0.113.0/24?");
	ERR_AT(EDGE REGIONS PROBE VIPS "clients: [{prefix: '2001:db8::1/32', prefer: [r1]}]\n",
	       "'2001:db8::1/32'", "did you mean 2001:db8::/32?");
	ERR_AT(EDGE REGIONS PROBE
	       "vips: [{name: v, address: 192.0.2.1, ports: [tcp/80], regions: [r1],\n"
	       "  announce: {prefix: 192.0.2.1/24}}]\n",
	       "192.0.2.1/24", "vips[0].announce.prefix: '192.0.2.1/24' has host bits set");
}

static void test_bad_mac(void **state)
{
	ERR_AT("edge: {name: e1, interface: eth0, region: r1, encap_source: {ipv4: 192.0.2.10},\n"
	       "  gateway_mac: '02:00:5e:00:53'}\n" REGIONS PROBE VIPS,
	       "'02:00", "edge.gateway_mac: expected a MAC address");
}

static void test_bad_names(void **state)
{
	ERR_AMONG(
		EDGE
		"regions: [{name: 'eu west', backends: [{address: 198.51.100.1}]}]\n" PROBE VIP_R1,
		"'eu west'", "regions[0].name: expected a name of 1..63 characters");
	ERR_AMONG("edge: {name: "
		  "a234567890123456789012345678901234567890123456789012345678901234, "
		  "interface: eth0, region: r1}\n" REGIONS PROBE VIPS,
		  "a2345", "edge.name: expected a name of 1..63");
	/* names become paths: ".." would make the pin folder /sys/fs/bpf itself */
	ERR_AMONG("edge: {name: '..', interface: eth0, region: r1}\n" REGIONS PROBE VIPS, "'..'",
		  "edge.name: expected a name of 1..63 characters from A-Z a-z 0-9 _ . -, not "
		  "starting with '.' or '-', got '..'");
	ERR_AMONG("edge: {name: ., interface: eth0, region: r1}\n" REGIONS PROBE VIPS, ".,",
		  "edge.name: expected a name");
	ERR_AMONG(EDGE
		  "regions: [{name: .hidden, backends: [{address: 198.51.100.1}]}]\n" PROBE VIP_R1,
		  ".hidden", "regions[0].name: expected a name");
	ERR_AMONG(EDGE REGIONS PROBE
		  "vips: [{name: -web, address: 192.0.2.1, ports: [tcp/80], regions: [r1]}]\n",
		  "-web", "vips[0].name: expected a name");
	ERR_AT("edge: {name: e1, interface: eth0-far-too-long, region: r1, encap_source: {ipv4: "
	       "192.0.2.10}}\n" REGIONS PROBE VIPS,
	       "eth0-far", "edge.interface: longer than 15 characters");
}

static void test_durations(void **state)
{
	ERR_AT(EDGE REGIONS "probe: {port: 8080, interval: 5}\n" VIPS, "5}",
	       "probe.interval: expected a duration like 1s or 500ms, got '5' (a unit is needed");
	ERR_AT(EDGE REGIONS "probe: {port: 8080, timeout: 1d}\n" VIPS, "1d",
	       "probe.timeout: expected a duration like 1s or 500ms, got '1d'");
	ERR_AT(EDGE REGIONS "probe: {port: 8080, interval: 0s}\n" VIPS, "0s",
	       "probe.interval: must be at least 1ms");
	ERR_AT(EDGE REGIONS PROBE VIPS "bgp: {hold_down: -1s}\n", "-1s",
	       "bgp.hold_down: expected a duration");
	ERR_AT(EDGE REGIONS PROBE VIPS "bgp: {hold_down: 99999999999s}\n", "9999",
	       "bgp.hold_down: expected a duration");
}

static void test_timeout_interval(void **state)
{
	ERR_AT(EDGE REGIONS "probe: {port: 8080, interval: 1s, timeout: 1s}\n" VIPS, "1s}",
	       "probe: timeout 1s must be less than interval 1s");
	/* inherited from the global block: reported once, in the region that made it wrong */
	ERR_AT(EDGE "regions:\n"
		    "  - {name: r1, probe: {interval: 300ms}, backends: [{address: 198.51.100.1}, "
		    "{address: 198.51.100.3}]}\n" REGION2 PROBE VIPS,
	       "300ms", "regions[0].probe: timeout 500ms must be less than interval 300ms");
	ERR_AT(EDGE
	       "regions:\n"
	       "  - {name: r1, backends: [{address: 198.51.100.1, probe: {timeout: 2s}}]}\n" REGION2
		       PROBE VIPS,
	       "2s", "regions[0].backends[0].probe: timeout 2s must be less than interval 1s");
}

static void test_probe_values(void **state)
{
	ERR_AT(EDGE REGIONS "probe: {port: 8080, type: udp}\n" VIPS, "udp",
	       "probe.type: expected http or tcp, got 'udp'");
	ERR_AFTER(EDGE REGIONS "probe: {port: 0}\n" VIPS,
		  "probe: {port: ", "probe.port: expected an integer 1..65535");
	ERR_AT(EDGE REGIONS "probe: {port: 8080, path: health}\n" VIPS, "health",
	       "probe.path: expected a URL path starting with '/'");
	ERR_AFTER(EDGE REGIONS "probe: {port: 8080, rise: 0}\n" VIPS,
		  "rise: ", "probe.rise: expected an integer 1..1000");
	ERR_AT(EDGE REGIONS "probe: {interval: 2s}\n" VIPS, "{address: 198.51.100.1}",
	       "regions[0].backends[0]: no probe port");
}

static void test_weight_and_min_healthy(void **state)
{
	ERR_AT(EDGE
	       "regions: [{name: r1, backends: [{address: 198.51.100.1, weight: 65536}]}]\n" PROBE
		       VIP_R1,
	       "65536", "regions[0].backends[0].weight: expected an integer 0..65535, got '65536'");
	ERR_AT(EDGE "regions: [{name: r1, backends: [{address: 198.51.100.1, weight: -1}]}]\n" PROBE
		       VIP_R1,
	       "-1", "weight: expected an integer 0..65535");
	ERR_AT(EDGE
	       "regions: [{name: r1, min_healthy: 150%, backends: [{address: 198.51.100.1}]}]\n" PROBE
		       VIP_R1,
	       "150%",
	       "regions[0].min_healthy: expected a count of backends like 2 or a percentage");
	ERR_AT(EDGE
	       "regions: [{name: r1, min_healthy: 2, backends: [{address: 198.51.100.1}]}]\n" PROBE
		       VIP_R1,
	       "2,", "regions[0].min_healthy: 2 healthy backends needed but the region has only 1");
	ERR_AT(EDGE REGIONS PROBE VIPS "safety: {guard: yes}\n", "yes}",
	       "safety.guard: expected off or on, got 'yes'");
	/* the old knob is refused with what replaced it, not silently ignored */
	ERR_AT(EDGE REGIONS PROBE VIPS "safety: {panic_threshold: 50%}\n", "50%}",
	       "safety.panic_threshold: removed: a share of all backends cannot tell a dead "
	       "region from a blind edge");
}

static void test_ports(void **state)
{
	ERR_AT(EDGE REGIONS PROBE
	       "vips: [{name: v, address: 192.0.2.1, ports: [tcp/80, sctp/9], regions: [r1]}]\n",
	       "sctp/9", "vips[0].ports[1]: expected tcp/PORT or udp/PORT");
	ERR_AT(EDGE REGIONS PROBE
	       "vips: [{name: v, address: 192.0.2.1, ports: [tcp/0], regions: [r1]}]\n",
	       "tcp/0", "vips[0].ports[0]: expected tcp/PORT or udp/PORT (PORT 1..65535)");
	ERR_AT(EDGE REGIONS PROBE
	       "vips: [{name: v, address: 192.0.2.1, ports: [tcp/80, udp/80, tcp/80], regions: "
	       "[r1]}]\n",
	       "tcp/80]", "vips[0].ports[2]: tcp/80 is listed twice");
}

static void test_too_many_ports(void **state)
{
	char yaml[4096] = EDGE REGIONS PROBE "vips: [{name: v, address: 192.0.2.1, regions: [r1], "
					     "ports: [";
	char item[32];
	int i;

	for (i = 1; i <= POLICY_MAX_PORTS + 2; i++) {
		snprintf(item, sizeof(item), "%stcp/%d", i > 1 ? ", " : "", 1000 + i);
		strcat(yaml, item);
	}
	strcat(yaml, "]}]\n");
	ERR_AT(yaml, "tcp/1065", "vips[0].ports: at most 64 ports per VIP allowed, got 66");
}

static void test_too_many_prefer_and_vip_regions(void **state)
{
	static const char regions9[] = "regions:\n"
				       "  - {name: r1, backends: [{address: 198.51.100.1}]}\n"
				       "  - {name: r2, backends: [{address: 198.51.100.2}]}\n"
				       "  - {name: r3, backends: [{address: 198.51.100.3}]}\n"
				       "  - {name: r4, backends: [{address: 198.51.100.4}]}\n"
				       "  - {name: r5, backends: [{address: 198.51.100.5}]}\n"
				       "  - {name: r6, backends: [{address: 198.51.100.6}]}\n"
				       "  - {name: r7, backends: [{address: 198.51.100.7}]}\n"
				       "  - {name: r8, backends: [{address: 198.51.100.8}]}\n"
				       "  - {name: r9, backends: [{address: 198.51.100.9}]}\n";
	char yaml[2048];

	snprintf(yaml, sizeof(yaml),
		 "%s%s%s" VIPS "clients: [{prefix: 10.0.0.0/8, prefer: [r1, r2, r3, r4, r5, r6, "
		 "r7, r8, r9]}]\n",
		 EDGE, regions9, PROBE);
	ERR_AT(yaml, "r9]", "clients[0].prefer: at most 8 preferred regions allowed, got 9");
	snprintf(yaml, sizeof(yaml),
		 "%s%s%s"
		 "vips: [{name: v, address: 192.0.2.1, ports: [tcp/80],\n"
		 "  regions: [r1, r2, r3, r4, r5, r6, r7, r8, r9]}]\n",
		 EDGE, regions9, PROBE);
	ERR_AT(yaml, "r9]", "vips[0].regions: at most 8 regions per VIP allowed, got 9");
}

static void test_too_many_regions(void **state)
{
	char yaml[8192] = EDGE "regions:\n";
	char item[96];
	int i;

	for (i = 0; i <= AE_MAX_REGIONS; i++) {
		snprintf(item, sizeof(item),
			 "  - {name: r%d, backends: [{address: 198.51.100.%d}]}\n", i + 1, i + 1);
		strcat(yaml, item);
	}
	strcat(yaml, PROBE VIPS);
	ERR_AT(yaml, "{name: r33", "regions: at most 32 regions allowed, got 33");
}

/* ---- errors: cross references and duplicates ---- */

static void test_undefined_regions(void **state)
{
	ERR_AT("edge: {name: e1, interface: eth0, region: mars, encap_source: {ipv4: 192.0.2.10}}\n" REGIONS
		       PROBE VIPS,
	       "mars", "edge.region: region 'mars' is not defined (regions: r1, r2)");
	ERR_AT(EDGE REGIONS PROBE VIPS "clients: [{prefix: 10.0.0.0/8, prefer: [r1, venus]}]\n",
	       "venus", "clients[0].prefer[1]: region 'venus' is not defined");
	ERR_AT(EDGE REGIONS PROBE
	       "vips: [{name: v, address: 192.0.2.1, ports: [tcp/80], regions: [r1, pluto]}]\n",
	       "pluto", "vips[0].regions[1]: region 'pluto' is not defined");
}

static void test_duplicates(void **state)
{
	ERR_AT_N(EDGE "regions:\n" REGION1
		      "  - {name: r1, backends: [{address: 198.51.100.9}]}\n" PROBE VIP_R1,
		 "r1", 2, "regions[1].name: duplicate region name 'r1' (first at line 3)");
	ERR_AT_N(
		EDGE
		"regions:\n" REGION1
		"  - {name: r2, backends: [{address: 198.51.100.3}, {address: 198.51.100.1}]}\n" PROBE
			VIPS,
		"198.51.100.1", 1,
		"regions[1].backends[1].address: backend 198.51.100.1 is already listed as "
		"regions[0].backends[0] (line 3)");
	ERR_AT_N(EDGE REGIONS PROBE VIPS
		 "  - {name: v, address: 192.0.2.2, ports: [tcp/80], regions: [r1]}\n",
		 "v,", 1, "vips[1].name: duplicate VIP name 'v' (first at line 7)");
	ERR_AT_N(EDGE REGIONS PROBE VIPS
		 "  - {name: w, address: 192.0.2.1, ports: [udp/80, tcp/80], regions: [r1]}\n",
		 "192.0.2.1", 2,
		 "vips[1].address: 192.0.2.1 is already the address of vips[0] 'v' (line 7); one "
		 "VIP per address: list all its ports there");
	ERR_AT_N(EDGE REGIONS PROBE VIPS
		 "clients: [{prefix: 10.0.0.0/8, prefer: [r1]}, {prefix: 10.0.0.0/8, prefer: "
		 "[r2]}]\n",
		 "10.0.0.0/8", 1, "clients[1].prefix: prefix 10.0.0.0/8 is already listed");
	ERR_AT(EDGE REGIONS PROBE VIPS "clients: [{prefix: 10.0.0.0/8, prefer: [r1, r2, r1]}]\n",
	       "r1]", "clients[0].prefer[2]: region 'r1' is listed twice");
	ERR_AT(EDGE REGIONS PROBE
	       "vips: [{name: v, address: 192.0.2.1, ports: [tcp/80], regions: [r2, r2]}]\n",
	       "r2]", "vips[0].regions[1]: region 'r2' is listed twice");
}

static void test_modes(void **state)
{
	ERR_AT(EDGE REGIONS PROBE
	       "vips:\n  - {name: v, address: 192.0.2.1, ports: [tcp/80], mode: active-passive, "
	       "regions: [r1, r2]}\n",
	       "{name: v", "vips[0]: an active-passive VIP needs primary: REGION");
	ERR_AT(EDGE REGIONS PROBE
	       "vips:\n  - {name: v, address: 192.0.2.1, ports: [tcp/80], primary: r1, "
	       "regions: [r1, r2]}\n",
	       "r1, regions", "vips[0].primary: only an active-passive VIP has a primary");
	ERR_AT(EDGE REGIONS PROBE
	       "vips:\n  - {name: v, address: 192.0.2.1, ports: [tcp/80], mode: active-active, "
	       "auto_promote: local, regions: [r1]}\n",
	       "local", "vips[0].auto_promote: only an active-passive VIP can be promoted");
	ERR_AT(EDGE REGIONS PROBE
	       "vips:\n  - {name: v, address: 192.0.2.1, ports: [tcp/80], mode: active-passive, "
	       "primary: r1, auto_promote: global, regions: [r1]}\n",
	       "global", "vips[0].auto_promote: expected local or fleet, got 'global'");
	ERR_AT(EDGE REGIONS PROBE
	       "vips:\n  - {name: v, address: 192.0.2.1, ports: [tcp/80], mode: hot-standby, "
	       "regions: [r1]}\n",
	       "hot", "vips[0].mode: expected active-active or active-passive, got 'hot-standby'");
}

static void test_primary_not_in_regions(void **state)
{
	static const char yaml[] =
		"edge: {name: e1, interface: eth0, region: us-east, encap_source: {ipv4: 192.0.2.10}}\n"
		"regions:\n"
		"  - {name: us-east, backends: [{address: 198.51.100.1}]}\n"
		"  - {name: eu-west, backends: [{address: 198.51.100.2}]}\n"
		"  - {name: ap-east, backends: [{address: 198.51.100.3}]}\n" PROBE "vips:\n"
		"  - {name: v, address: 192.0.2.1, ports: [tcp/80], regions: [eu-west]}\n"
		"  - name: db\n"
		"    address: 192.0.2.2\n"
		"    ports: [tcp/5432]\n"
		"    mode: active-passive\n"
		"    primary: ap-east\n"
		"    regions: [us-east, eu-west]\n";

	ERR_AT_N(yaml, "ap-east", 1,
		 "vips[1].primary: region 'ap-east' is not among the VIP's regions [us-east, "
		 "eu-west]");
}

static void test_announce(void **state)
{
	ERR_AT(EDGE REGIONS PROBE
	       "vips: [{name: v, address: 192.0.2.1, ports: [tcp/80], regions: [r1],\n"
	       "  announce: {prefix: 192.0.2.128/25}}]\n",
	       "192.0.2.128/25",
	       "vips[0].announce.prefix: 192.0.2.128/25 does not contain the VIP's address "
	       "192.0.2.1");
	ERR_AT(EDGE REGIONS PROBE
	       "vips: [{name: v, address: 192.0.2.1, ports: [tcp/80], regions: [r1],\n"
	       "  announce: {prefix: '2001:db8::/32'}}]\n",
	       "'2001", "does not contain the VIP's address");
	ERR_AT(EDGE REGIONS PROBE
	       "vips: [{name: v, address: 192.0.2.1, ports: [tcp/80], regions: [r1],\n"
	       "  announce: {withdraw_when: no_region_up}}]\n",
	       "{withdraw_when", "vips[0].announce: missing required key 'prefix'");
}

static void test_bgp_keys(void **state)
{
	static const char yaml[] = EDGE REGIONS PROBE
		"vips:\n"
		"  - {name: web-1.a, address: 192.0.2.1, ports: [tcp/80], regions: [r1],\n"
		"     announce: {prefix: 192.0.2.1/32, withdraw_when: local_region_down}}\n"
		"  - {name: web_1_b, address: 192.0.2.2, ports: [tcp/80], regions: [r2]}\n"
		"bgp:\n"
		"  state_dir: /srv/anyedge/state\n"
		"  drain_wait: 2m\n"
		"  community: 65001:7\n"
		"  prepend: 0\n"
		"  damping: {penalty: 500, half_life: 30s, suppress: 1500, reuse: 400,\n"
		"            max_suppress: 1h}\n";
	struct policy *p = load_ok(yaml);

	assert_string_equal(p->bgp.state_dir, "/srv/anyedge/state");
	assert_int_equal(p->bgp.drain_wait_ms, 120000);
	assert_int_equal(p->bgp.community_asn, 65001);
	assert_int_equal(p->bgp.community_value, 7);
	assert_int_equal(p->bgp.prepend, 0);
	assert_int_equal(p->bgp.damping.penalty, 500);
	assert_int_equal(p->bgp.damping.half_life_ms, 30000);
	assert_int_equal(p->bgp.damping.suppress, 1500);
	assert_int_equal(p->bgp.damping.reuse, 400);
	assert_int_equal(p->bgp.damping.max_suppress_ms, 3600000);
	assert_string_equal(p->vips[0].bird_proto, "anyedge_web_1_a");
	/* the same BIRD name as a VIP that is not announced: no protocol, no clash */
	assert_string_equal(p->vips[1].bird_proto, "anyedge_web_1_b");
	policy_free(p);
	/* flow style and quoted */
	p = load_ok(MIN "bgp: {community: '64512:0', damping: {penalty: 0}}\n");
	assert_int_equal(p->bgp.community_value, 0);
	assert_int_equal(p->bgp.damping.penalty, 0);
	policy_free(p);
}

static void test_bgp_errors(void **state)
{
	ERR_AT(MIN "bgp: {community: 64512}\n", "64512}",
	       "bgp.community: expected a BGP community ASN:VALUE like 64512:100");
	ERR_AT(MIN "bgp: {community: '65535:0'}\n", "'65535", "bgp.community: expected a BGP");
	ERR_AT(MIN "bgp: {community: '0:1'}\n", "'0:1'", "(ASN 1..65534, VALUE 0..65535)");
	ERR_AT(MIN "bgp: {community: '1:65536'}\n", "'1:65536'", "bgp.community: expected");
	ERR_AT(MIN "bgp: {community: ' 1:2'}\n", "' 1:2'", "bgp.community: expected");
	ERR_AT(MIN "bgp: {state_dir: var/lib/anyedge}\n", "var/lib",
	       "bgp.state_dir: expected an absolute directory path");
	ERR_AT(MIN "bgp: {state_dir: '/var/lib/any*'}\n", "'/var", "glob characters");
	ERR_AT(MIN "bgp: {prepend: 17}\n", "17", "bgp.prepend:");
	ERR_AT(MIN "bgp: {drain_wait: 30}\n", "30}", "bgp.drain_wait: expected a duration");
	ERR_AT(MIN "bgp: {damping: {half_life: 10ms}}\n", "10ms",
	       "bgp.damping.half_life: must be at least 1000ms");
	ERR_AT(MIN "bgp: {damping: {reuse: 2000}}\n", "2000",
	       "bgp.damping.reuse: 2000 must be less than suppress 2000");
	ERR_AT(MIN "bgp: {damping: {suppress: 500}}\n", "{suppress",
	       "bgp.damping.reuse: 750 must be less than suppress 500");
	ERR_AT(MIN "bgp: {damping: {decay: 1s}}\n", "decay", "unknown key 'decay'");
}

static void test_bird_names(void **state)
{
#define ANN(n, a)                                                            \
	"  - {name: " n ", address: " a ", ports: [tcp/80], regions: [r1], " \
	"announce: {prefix: " a "/32}}\n"
	ERR_AT_N(EDGE REGIONS PROBE "vips:\n" ANN("a-b", "192.0.2.1") ANN("a.b", "192.0.2.2"),
		 "a.b", 0,
		 "vips[1].name: 'a.b' and vips[0] 'a-b' (line 7) both become BIRD protocol "
		 "anyedge_a_b");
	ERR_AT(EDGE REGIONS PROBE "vips:\n" ANN("web", "192.0.2.1") ANN("web_drain", "192.0.2.2"),
	       "web_drain",
	       "'web_drain' becomes BIRD protocol anyedge_web_drain, the drain twin "
	       "of vips[0] 'web'");
	ERR_AT(EDGE REGIONS PROBE "vips:\n" ANN("web-drain", "192.0.2.1") ANN("web", "192.0.2.2"),
	       "web,", "the drain twin of 'web' would be BIRD protocol anyedge_web_drain");
	/* 50 characters fit (anyedge_ + 50 + _drain = 64), 51 do not */
	policy_free(load_ok(EDGE REGIONS PROBE "vips:\n" ANN(
		"v2345678901234567890123456789012345678901234567890", "192.0.2.1")));
	ERR_AT(EDGE REGIONS PROBE
	       "vips:\n" ANN("v23456789012345678901234567890123456789012345678901", "192.0.2.1"),
	       "v234", "too long for an announced VIP");
	ERR_AT(EDGE REGIONS PROBE
	       "vips: [{name: v, address: 192.0.2.1, ports: [tcp/80], regions: [r2],\n"
	       "  announce: {prefix: 192.0.2.1/32, withdraw_when: local_region_down}}]\n",
	       "local_region_down",
	       "vips[0].announce.withdraw_when: local_region_down needs the VIP to list "
	       "edge.region 'r1'");
#undef ANN
}

static void test_encap_source(void **state)
{
	ERR_AT("edge: {name: e1, interface: eth0, region: r1}\n" REGIONS PROBE VIPS, "198.51.100.1",
	       "regions[0].backends[0].address: an IPv4 backend needs edge.encap_source.ipv4");
	ERR_AT(EDGE "regions: [{name: r1, backends: [{address: 198.51.100.1}, {address: "
		    "'2001:db8:1::1'}]}]\n" PROBE
		    "vips: [{name: v, address: 192.0.2.1, ports: [tcp/80], regions: [r1]}]\n",
	       "'2001:db8:1::1'", "an IPv6 backend needs edge.encap_source.ipv6");
}

static void test_clients_zero_prefix(void **state)
{
	ERR_AT(EDGE REGIONS PROBE VIPS "clients: [{prefix: 0.0.0.0/0, prefer: [r1]}]\n",
	       "0.0.0.0/0", "clients[0].prefix: a /0 prefix is reserved");
}

static void test_ring_size(void **state)
{
	ERR_AT(EDGE REGIONS PROBE VIPS "dataplane: {ring_size: 65536}\n", "65536",
	       "dataplane.ring_size: 65536 is not a prime (try 65537)");
	ERR_AT(EDGE "regions: [{name: r1, backends: [{address: 198.51.100.1}, {address: "
		    "198.51.100.2}]}]\n" PROBE
		    "vips: [{name: v, address: 192.0.2.1, ports: [tcp/80], regions: [r1]}]\n"
		    "dataplane: {ring_size: 197}\n",
	       "197", "dataplane.ring_size: 197 is too small for region 'r1' with 2 backends");
	ERR_AFTER(EDGE REGIONS PROBE VIPS "dataplane: {flow_table_size: 0}\n",
		  "flow_table_size: ", "dataplane.flow_table_size: expected an integer 1..");
	ERR_AFTER(
		EDGE REGIONS PROBE VIPS "dataplane: {flow_table_size: 268435456}\n",
		"flow_table_size: ", "dataplane.flow_table_size: expected an integer 1..16777216");
}

/* ---- many errors at once ---- */

static void test_keeps_going(void **state)
{
	static const char yaml[] =
		"edge: {name: e1, interface: eth0, region: r9}\n"
		"regions: [{name: r1, weight: 3, backends: [{address: 1.2.3}]}]\n"
		"probe: {port: 80, interval: 5}\n"
		"vips: [{name: v, address: 192.0.2.1, ports: [tcp/80], regions: [r2]}]\n"
		"extra: 1\n";
	struct policy *p = NULL;
	struct diags d;

	assert_int_equal(load(yaml, &p, &d), -EINVAL);
	assert_null(p);
	if (d.n != 6)
		dump(&d);
	assert_int_equal(d.n, 6);
	assert_true(has_diag(&d, 1, 43, "edge.region: region 'r9' is not defined"));
	assert_true(has_diag(&d, 2, 22, "regions[0]: unknown key 'weight'"));
	assert_true(has_diag(&d, 2, 54, "regions[0].backends[0].address: expected an IP"));
	assert_true(has_diag(&d, 3, 29, "probe.interval"));
	assert_true(has_diag(&d, 4, 65, "vips[0].regions[0]: region 'r2' is not defined"));
	assert_true(has_diag(&d, 5, 1, "unknown key 'extra'"));
	/* in file order */
	assert_int_equal(d.d[0].line, 1);
	assert_int_equal(d.d[5].line, 5);
}

static void test_error_cap(void **state)
{
	size_t len = 64 * 1024, used;
	char *yaml = malloc(len);
	struct policy *p = NULL;
	struct diags d;
	int i;

	assert_non_null(yaml);
	used = snprintf(yaml, len, "%s", MIN);
	for (i = 0; i < 300; i++)
		used += snprintf(yaml + used, len - used, "bogus%d: 1\n", i);
	assert_int_equal(load(yaml, &p, &d), -EINVAL);
	assert_int_equal(d.n, 101);
	assert_int_equal(d.d[100].line, 0);
	assert_string_equal(d.d[100].msg, "200 more errors not shown");
	free(yaml);
}

/* Garbage never crashes the loader (run under ASan/valgrind to prove it reads nothing wrong). */
static void test_fuzzish(void **state)
{
	static const char *const inputs[] = {
		"{",
		"[",
		"}",
		"]",
		":",
		"- - - -",
		"? a\n: b\n",
		"? [a]\n: b\n",
		"{[a]: 1}",
		"edge: {? {a: 1} : 2}",
		"!!binary aGVsbG8=",
		"edge: !!str 1",
		"regions: [1, 2, [3]]",
		"vips: [null, ~, '']",
		"clients: [{}]",
		"\xef\xbb\xbf",
		"edge: \"\\x00\"",
		"%YAML 1.1\n---\na: 1",
		"%TAG ! tag:x,2000:\n---\n!a b: 1",
		"regions: [{backends: {}}]",
		"vips: [{ports: [[]], regions: {}}]",
	};
	struct policy *p = NULL;
	struct diags d;
	size_t i;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		assert_int_equal(load(inputs[i], &p, &d), -EINVAL);
		assert_null(p);
		assert_true(d.n > 0);
	}
	/* a NUL inside the buffer: the length rules, not the terminator */
	assert_int_equal(policy_load_buf(NAME, MIN "\0x", sizeof(MIN "\0x") - 1, &p, record, &d),
			 -EINVAL);
	/* every prefix of a valid file: errors or success, never a crash */
	for (i = 0; i < sizeof(block_policy) - 1; i += 7) {
		memset(&d, 0, sizeof(d));
		if (!policy_load_buf(NAME, block_policy, i, &p, record, &d)) {
			policy_free(p);
			p = NULL;
		}
	}
}

/* ---- inet ---- */

static void test_inet(void **state)
{
	struct inet_prefix pf;
	struct inet_addr a, b;
	uint8_t mac[6];

	assert_int_equal(inet_addr_parse("192.0.2.1", &a), 0);
	assert_int_equal(a.family, AE_FAMILY_V4);
	assert_int_equal(a.bytes[3], 1);
	assert_int_equal(a.bytes[4], 0);
	assert_int_equal(inet_addr_parse("2001:db8::1", &b), 0);
	assert_int_equal(b.family, AE_FAMILY_V6);
	assert_true(inet_addr_cmp(&a, &b) < 0);
	assert_false(inet_addr_eq(&a, &b));
	assert_int_equal(inet_addr_parse("192.0.2", &a), -EINVAL);
	assert_int_equal(inet_addr_parse(" 192.0.2.1", &a), -EINVAL);
	assert_int_equal(inet_prefix_parse("192.0.2.0/24", &pf), 0);
	assert_int_equal(pf.len, 24);
	assert_int_equal(inet_addr_parse("192.0.2.77", &a), 0);
	assert_true(inet_prefix_contains(&pf, &a));
	assert_int_equal(inet_addr_parse("192.0.3.1", &a), 0);
	assert_false(inet_prefix_contains(&pf, &a));
	assert_false(inet_prefix_contains(&pf, &b));
	assert_int_equal(inet_prefix_parse("192.0.2.1/24", &pf), -EINVAL);
	assert_int_equal(inet_prefix_parse("192.0.2.0", &pf), -EINVAL);
	assert_int_equal(inet_prefix_parse("192.0.2.0/", &pf), -EINVAL);
	assert_int_equal(inet_prefix_parse("192.0.2.0/+8", &pf), -EINVAL);
	assert_int_equal(inet_prefix_parse("0.0.0.0/0", &pf), 0);
	assert_true(inet_prefix_contains(&pf, &a));
	assert_int_equal(inet_prefix_parse("2001:db8::/129", &pf), -EINVAL);
	assert_int_equal(inet_prefix_parse("2001:db8:8000::/33", &pf), 0);
	assert_int_equal(inet_prefix_parse("2001:db8:8000::/32", &pf), -EINVAL);
	assert_int_equal(inet_prefix_parse("::/0", &pf), 0);
	assert_int_equal(mac_parse("02:00:5e:00:53:Ff", mac), 0);
	assert_int_equal(mac[5], 0xff);
	assert_int_equal(mac_parse("02:00:5e:00:53", mac), -EINVAL);
	assert_int_equal(mac_parse("02-00-5e-00-53-01", mac), -EINVAL);
	assert_int_equal(mac_parse("02:00:5e:00:53:0g", mac), -EINVAL);
}

/* ---- fleet ---- */

#define FLEET "fleet: {etcd: [http://198.18.0.11:2379], name: prod, members: [e1, e2]}\n"
#define VIP_AP(auto)                                                                            \
	"vips: [{name: v, address: 192.0.2.1, ports: [tcp/80], mode: active-passive, primary: " \
	"r1, regions: [r1, r2]" auto "}]\n"

static void test_fleet(void **state)
{
	struct policy *p;

	p = load_ok(MIN);
	assert_false(p->fleet.enabled);
	policy_free(p);
	p = load_ok(EDGE REGIONS PROBE VIP_AP(
		", auto_promote: fleet") "fleet: {etcd: [http://198.18.0.11:2379, \"http://[2001:db8::1]:2379\"],\n"
					 "        name: prod, members: [e1, e2, e3], min_announcing: 2}\n");
	assert_true(p->fleet.enabled);
	assert_int_equal(p->fleet.n_etcd, 2);
	assert_string_equal(p->fleet.etcd[1], "http://[2001:db8::1]:2379");
	assert_string_equal(p->fleet.name, "prod");
	assert_int_equal(p->fleet.n_members, 3);
	assert_string_equal(p->fleet.members[2], "e3");
	assert_int_equal(p->fleet.report_ttl_ms, 5000);
	assert_int_equal(p->fleet.request_timeout_ms, 1500);
	assert_int_equal(p->fleet.promote_after_ms, 10000);
	assert_int_equal(p->fleet.min_announcing, 2);
	assert_true(p->vips[0].auto_promote_fleet);
	assert_false(p->vips[0].auto_promote_local);
	policy_free(p);
}

static void test_fleet_errors(void **state)
{
	ERR_AT(MIN "fleet: {etcd: [https://a:1], name: f, members: [e1]}\n", "https",
	       "fleet.etcd[0]: expected an etcd client URL http://HOST:PORT");
	ERR_AT(MIN "fleet: {etcd: [http://a:2379/v3], name: f, members: [e1]}\n", "http",
	       "fleet.etcd[0]: expected an etcd client URL");
	ERR_AT(MIN "fleet: {etcd: [http://a:99999], name: f, members: [e1]}\n", "http",
	       "fleet.etcd[0]: expected an etcd client URL");
	ERR_AT_N(MIN "fleet: {etcd: [http://a:1, http://a:1], name: f, members: [e1]}\n",
		 "http://a:1", 1, "fleet.etcd[1]: endpoint 'http://a:1' is listed twice");
	ERR_AT(MIN "fleet: {etcd: [http://a:1], name: f, members: [e2, e3]}\n", "[e2",
	       "fleet.members: this edge ('e1', edge.name) is not among the members");
	ERR_AT_N(MIN "fleet: {etcd: [http://a:1], name: f, members: [e1, e1]}\n", "e1", 2,
		 "fleet.members[1]: member 'e1' is listed twice");
	ERR_AT(MIN "fleet: {etcd: [http://a:1], members: [e1]}\n", "{etcd",
	       "fleet: missing required key 'name'");
	ERR_AT(MIN "fleet: {etcd: [http://a:1], name: f, members: [e1], request_timeout: 3s}\n",
	       "3s", "fleet.request_timeout: 3000 ms is more than half of report_ttl");
	ERR_AT(MIN "fleet: {etcd: [http://a:1], name: f, members: [e1, e2], min_announcing: 2}\n",
	       "2}\n", "fleet.min_announcing: 2 other members can never announce in a fleet of 2");
	ERR_AT(MIN "fleet: {etcd: [http://a:1], name: f, members: [e1], report_ttl: 1s}\n", "1s",
	       "fleet.report_ttl");
	ERR_AT(EDGE REGIONS PROBE VIP_AP(", auto_promote: fleet"), "fleet",
	       "auto_promote: fleet needs a fleet: section");
	ERR_AT(EDGE REGIONS PROBE VIP_AP(", auto_promote: local") FLEET, "local",
	       "auto_promote: local would let this edge promote alone");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_block),
		cmocka_unit_test(test_valid_flow),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_probe_merge),
		cmocka_unit_test(test_probe_port_per_region),
		cmocka_unit_test(test_ipv6_only),
		cmocka_unit_test(test_ipv6_vip_ipv4_backends),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_not_yaml),
		cmocka_unit_test(test_multiple_documents),
		cmocka_unit_test(test_anchors_aliases),
		cmocka_unit_test(test_too_deep),
		cmocka_unit_test(test_too_big_buf),
		cmocka_unit_test(test_too_big_file),
		cmocka_unit_test(test_file_ok_and_missing),
		cmocka_unit_test(test_diag_stderr_format),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_empty_lists),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_host_bits),
		cmocka_unit_test(test_bad_mac),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_timeout_interval),
		cmocka_unit_test(test_probe_values),
		cmocka_unit_test(test_weight_and_min_healthy),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_too_many_ports),
		cmocka_unit_test(test_too_many_prefer_and_vip_regions),
		cmocka_unit_test(test_too_many_regions),
		cmocka_unit_test(test_undefined_regions),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_primary_not_in_regions),
		cmocka_unit_test(test_announce),
		cmocka_unit_test(test_bgp_keys),
		cmocka_unit_test(test_bgp_errors),
		cmocka_unit_test(test_bird_names),
		cmocka_unit_test(test_encap_source),
		cmocka_unit_test(test_clients_zero_prefix),
		cmocka_unit_test(test_ring_size),
		cmocka_unit_test(test_keeps_going),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_fuzzish),
		cmocka_unit_test(test_inet),
		cmocka_unit_test(test_fleet),
		cmocka_unit_test(test_fleet_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
