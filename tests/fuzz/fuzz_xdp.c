// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: mutated frames through the real steering program (BPF_PROG_TEST_RUN), maps
 * programmed from tests/bench.yaml with a 1500-byte link MTU. Whatever comes in, what the program
 * lets out must be sound: a PASS is the frame untouched; a TX is either a tunnel (gateway MAC,
 * outer header consistent with the inner packet, to one of the policy's backends, the inner
 * bytes exactly the client's) or an ICMP error back to the sender (checksums right, the quote
 * the client's own bytes); never ABORTED. A violation aborts with the input kept. Needs root.
 * libFuzzer sees only this driver's coverage, not the program's: the checks' branches (verdict,
 * families, kinds of output) are its guide, with the seeds in tests/fuzz/corpus/xdp.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "dataplane.h"
#include "inet.h"
#include "policy.h"

#define FRAME_MAX 2048
#define ROOM 256 /* test runs give the program this much headroom and more */

static struct dataplane *dp;
static struct policy *pol;
static const uint8_t edge_mac[6] = { 2, 0, 0, 0, 0, 1 }, gw_mac[6] = { 2, 0, 0, 0, 0, 2 };

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_xdp: invariant broken: %s\n", why);
	abort();
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	if (len & 1)
		s += p[len - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* L2 length: Ethernet and up to two tags, as the program walks them. */
static size_t l2_len(const uint8_t *f, size_t len)
{
	size_t off = 12;
	int i;

	for (i = 0; i < 2 && off + 2 <= len; i++) {
		uint16_t t = get16(f + off);

		if (t != 0x8100 && t != 0x88a8)
			break;
		off += 4;
	}
	return off + 2;
}

static int is_backend(int family, const uint8_t *addr)
{
	struct inet_addr a = { .family = family };
	size_t r, i;

	memcpy(a.bytes, addr, family == AE_FAMILY_V4 ? 4 : 16);
	for (r = 0; r < pol->n_regions; r++)
		for (i = 0; i < pol->regions[r].n_backends; i++)
			if (inet_addr_eq(&pol->regions[r].backends[i].addr, &a))
				return 1;
	return 0;
}

/* The length the inner IP header claims; 0 when it is no IP header of its version. */
static size_t ip_claims(const uint8_t *ip, size_t avail, int version)
{
	if (avail < 20 || (ip[0] >> 4) != version)
		return 0;
	return version == 4 ? get16(ip + 2) : (avail >= 40 ? 40 + get16(ip + 4) : 0);
}

static void check_tunnel(const uint8_t *in, size_t in_len, const uint8_t *out, size_t out_len)
{
	size_t l2 = l2_len(in, in_len), ol2 = l2_len(out, out_len), hl, inner_len;
	const uint8_t *o = out + l2;
	int v6, inner_v;

	if (ol2 != l2 || memcmp(out, gw_mac, 6) || memcmp(out + 6, edge_mac, 6))
		fail("tunnel: L2 not rewritten for the gateway, or tags moved");
	if (memcmp(out + 12, in + 12, l2 - 14))
		fail("tunnel: VLAN tags changed");
	v6 = get16(out + l2 - 2) == 0x86dd;
	if (!v6 && get16(out + l2 - 2) != 0x0800)
		fail("tunnel: outer ethertype neither IPv4 nor IPv6");
	hl = v6 ? 40 : 20;
	if (out_len != in_len + hl)
		fail("tunnel: length is not the input's plus one outer header");
	if (memcmp(o + hl, in + l2, in_len - l2))
		fail("tunnel: inner bytes are not the client's");
	inner_v = o[hl] >> 4;
	if (inner_v != 4 && inner_v != 6)
		fail("tunnel: inner packet of no IP version");
	inner_len = ip_claims(o + hl, in_len - l2, inner_v);
	if (!inner_len || inner_len > in_len - l2)
		fail("tunnel: inner length inconsistent with the frame");
	if (v6) {
		if ((o[0] >> 4) != 6 || get16(o + 4) != inner_len ||
		    o[6] != (inner_v == 4 ? 4 : 41) || !is_backend(AE_FAMILY_V6, o + 24))
			fail("tunnel: outer IPv6 header inconsistent");
	} else {
		if (o[0] != 0x45 || get16(o + 2) != inner_len + 20 ||
		    o[9] != (inner_v == 4 ? 4 : 41) || fold(sum16(o, 20, 0)) ||
		    !is_backend(AE_FAMILY_V4, o + 16))
			fail("tunnel: outer IPv4 header inconsistent");
	}
}

static void check_icmp_reply(const uint8_t *in, size_t in_len, const uint8_t *out, size_t out_len)
{
	size_t l2 = l2_len(in, in_len);
	const uint8_t *o = out + l2, *i = in + l2;
	size_t quote;

	if (l2_len(out, out_len) != l2 || memcmp(out, in + 6, 6) || memcmp(out + 6, in, 6))
		fail("icmp: not sent back to the hop it came from");
	if ((o[0] >> 4) == 4) {
		if (out_len < l2 + 28 || get16(o + 2) != out_len - l2 || fold(sum16(o, 20, 0)) ||
		    o[9] != 1 || o[20] != 3 || o[21] != 4 ||
		    fold(sum16(o + 20, out_len - l2 - 20, 0)))
			fail("icmp: IPv4 error malformed");
		if (memcmp(o + 12, i + 16, 4) || memcmp(o + 16, i + 12, 4))
			fail("icmp: IPv4 error not from the VIP to the client");
		quote = out_len - l2 - 28;
		if (memcmp(o + 28, i, quote))
			fail("icmp: IPv4 quote is not the client's bytes");
	} else {
		uint32_t s;

		if (out_len < l2 + 48 || get16(o + 4) != out_len - l2 - 40 || o[6] != 58 ||
		    o[40] != 2 || get16(o + 46) < 1280 || o[44] || o[45])
			fail("icmp: IPv6 error malformed (or below 1280)");
		s = sum16(o + 8, 32, 0) + (uint32_t)(out_len - l2 - 40) + 58;
		if (fold(sum16(o + 40, out_len - l2 - 40, s)))
			fail("icmp: IPv6 checksum wrong");
		if (memcmp(o + 8, i + 24, 16) || memcmp(o + 24, i + 8, 16))
			fail("icmp: IPv6 error not from the VIP to the client");
		quote = out_len - l2 - 48;
		if (memcmp(o + 48, i, quote))
			fail("icmp: IPv6 quote is not the client's bytes");
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct dp_opts o = { .flow_table_size = 4096 };
	struct dp_view view = { 0 };

	if (policy_load("tests/bench.yaml", &pol, NULL, NULL) || dp_open(pol, &o, &dp) ||
	    dp_view_default(pol, NULL, &view)) {
		fprintf(stderr, "fuzz_xdp: cannot load the program (root? run from the tree)\n");
		exit(1);
	}
	view.mtu = 1500;
	if (dp_apply(dp, pol, &view))
		exit(1);
	dp_view_free(&view);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[FRAME_MAX + ROOM];
	uint8_t in[FRAME_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	size_t len = size;

	/* test runs refuse frames shorter than Ethernet; longer than a page is not a frame */
	if (len < 14 || len > FRAME_MAX)
		return 0;
	memcpy(in, data, len);
	o.data_size_in = len;
	if (bpf_prog_test_run_opts(dp_prog_fd(dp), &o))
		return 0;
	switch (o.retval) {
	case XDP_PASS:
		if (o.data_size_out != len || memcmp(out, in, len))
			fail("a passed frame was changed");
		break;
	case XDP_DROP:
		break;
	case XDP_TX:
		if (o.data_size_out > len)
			check_tunnel(in, len, out, o.data_size_out);
		else
			check_icmp_reply(in, len, out, o.data_size_out);
		break;
	default:
		fail("a verdict other than PASS, DROP or TX");
	}
	return 0;
}
