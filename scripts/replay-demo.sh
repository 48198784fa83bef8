#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The data path alone, no namespaces: the real XDP program in the running kernel steering captured
# client packets from config/example.yaml, then the same packets with regions failed.
# (`make demo` runs the whole lab: scripts/demo.sh.)
set -eu
B=${B:-build}
A="$B/anyedge"
P=config/example.yaml
tmp=$(mktemp -d /tmp/anyedge-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root: it loads the XDP program into the kernel (BPF_PROG_TEST_RUN)" >&2
	exit 1
fi
say() { printf '\n%s  %s\n' "$(date -u +%H:%M:%S)" "$*"; }
show() { # replay the capture with the given --down list, label each packet
	"$A" replay --config "$P" --pcap "$tmp/clients.pcap" ${1:+--down "$1"} |
		paste -d' ' "$tmp/labels" - | sed 's/^/    /'
}

"$A" check "$P"
# one packet each: two EU clients, two US clients, an IPv6 client, a write to the database VIP,
# and a packet for an address that is no VIP
"$B/tests/mkpcap" "$tmp/clients.pcap" \
	src=203.0.113.130,sport=40001 src=203.0.113.131,sport=40002 \
	src=203.0.113.5,sport=40003 src=203.0.113.6,sport=40004 \
	src=2001:db8:c0::5,dst=2001:db8:ff::1,sport=40005 \
	src=203.0.113.130,dst=192.0.2.2,dport=5432 \
	src=203.0.113.130,dst=198.51.100.99
cat >"$tmp/labels" <<'LABELS'
EU client 203.0.113.130  -> web 192.0.2.1:443     
EU client 203.0.113.131  -> web 192.0.2.1:443     
US client 203.0.113.5    -> web 192.0.2.1:443     
US client 203.0.113.6    -> web 192.0.2.1:443     
EU client 2001:db8:c0::5 -> web6 [2001:db8:ff::1] 
EU client 203.0.113.130  -> db 192.0.2.2:5432     
EU client 203.0.113.130  -> 198.51.100.99 (no VIP)
LABELS

say "1. every region up: each client goes to its nearest region (clients: in $P)"
show ""
say "2. eu-west fails: EU clients move to their next preference; writes stay on the primary"
show eu-west
say "3. us-east fails too: the database VIP (active-passive, primary us-east) drops new flows
          rather than send writes to another region on this edge's own word"
show eu-west,us-east
say "Per-packet cost of the program (anyedge bench, net of an XDP_PASS floor):"
"$A" bench --config "$P" --pcap "$tmp/clients.pcap" --repeat 2000
