// SPDX-License-Identifier: GPL-2.0
/* mkpcap OUT SPEC...: write an Ethernet capture for replay and bench. A SPEC is
 * key=value pairs joined by commas: src, dst, proto (tcp|udp|icmp|N), sport, dport, count
 * (frames; sport counts up from sport when > 1), flows (distinct sports cycled, default count),
 * vlan (tags 0..3), opts (IPv4 option words), len (payload bytes), frag (first|middle|last),
 * flags (TCP: syn, the default, ack, or a number), srcs (IPv4: after each round of flows the
 * source address moves on by one, over N addresses: a spoofed flood).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"

static int set_kv(struct pkt_spec *s, unsigned long *count, unsigned long *flows,
		  unsigned long *srcs, char *kv)
{
	char *v = strchr(kv, '=');

	if (!v)
		return -1;
	*v++ = 0;
	if (!strcmp(kv, "src"))
		s->src = v;
	else if (!strcmp(kv, "dst"))
		s->dst = v;
	else if (!strcmp(kv, "proto"))
		s->proto = !strcmp(v, "tcp")  ? IPPROTO_TCP :
			   !strcmp(v, "udp")  ? IPPROTO_UDP :
			   !strcmp(v, "icmp") ? IPPROTO_ICMP :
						atoi(v);
	else if (!strcmp(kv, "sport"))
		s->sport = atoi(v);
	else if (!strcmp(kv, "dport"))
		s->dport = atoi(v);
	else if (!strcmp(kv, "count"))
		*count = strtoul(v, NULL, 10);
	else if (!strcmp(kv, "flows"))
		*flows = strtoul(v, NULL, 10);
	else if (!strcmp(kv, "srcs"))
		*srcs = strtoul(v, NULL, 10);
	else if (!strcmp(kv, "vlan"))
		s->n_vlans = atoi(v);
	else if (!strcmp(kv, "opts"))
		s->ip_opt_words = atoi(v);
	else if (!strcmp(kv, "flags")) /* TCP: syn (the default), ack, or a number */
		s->tcp_flags = !strcmp(v, "syn") ? 0x02 :
			       !strcmp(v, "ack") ? 0x10 :
						   (uint8_t)strtoul(v, NULL, 0);
	else if (!strcmp(kv, "len"))
		s->payload_len = strtoul(v, NULL, 10);
	else if (!strcmp(kv, "frag")) {
		s->is_frag = 1;
		s->frag_id = 77;
		s->more_frags = strcmp(v, "last") != 0;
		s->frag_off = strcmp(v, "first") ? 64 : 0;
	} else
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;
	uint8_t buf[PKT_MAX];
	int a;

	if (argc < 3) {
		fprintf(stderr, "usage: mkpcap OUT SPEC...\n");
		return 2;
	}
	d = pcap_dump_open(pc, argv[1]);
	if (!d) {
		fprintf(stderr, "mkpcap: %s\n", pcap_geterr(pc));
		return 1;
	}
	for (a = 2; a < argc; a++) {
		struct pkt_spec s = { .src = "203.0.113.7",
				      .dst = "192.0.2.1",
				      .proto = IPPROTO_TCP,
				      .sport = 40000,
				      .dport = 443,
				      .vlan_ids = { 100, 200, 300 } };
		unsigned long count = 1, flows = 0, srcs = 1, i;
		struct in_addr src0;
		char src[INET_ADDRSTRLEN];
		char *save = NULL, *kv;
		size_t len;

		for (kv = strtok_r(argv[a], ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
			if (set_kv(&s, &count, &flows, &srcs, kv)) {
				fprintf(stderr, "mkpcap: bad key '%s'\n", kv);
				return 2;
			}
		}
		if (!flows)
			flows = count;
		if (srcs > 1 && inet_pton(AF_INET, s.src, &src0) != 1) {
			fprintf(stderr, "mkpcap: srcs needs an IPv4 src\n");
			return 2;
		}
		for (i = 0; i < count; i++) {
			struct pkt_spec one = s;
			struct pcap_pkthdr h = { 0 };

			one.sport = (uint16_t)(s.sport + i % flows);
			if (srcs > 1) {
				struct in_addr ip = { htonl(ntohl(src0.s_addr) +
							    (uint32_t)(i / flows % srcs)) };

				inet_ntop(AF_INET, &ip, src, sizeof(src));
				one.src = src;
			}
			len = pkt_build(&one, buf, sizeof(buf));
			if (!len) {
				fprintf(stderr, "mkpcap: spec %d does not build\n", a - 1);
				return 1;
			}
			h.caplen = h.len = len;
			pcap_dump((u_char *)d, &h, buf);
		}
	}
	pcap_dump_close(d);
	pcap_close(pc);
	return 0;
}
