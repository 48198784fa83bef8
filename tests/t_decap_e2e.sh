#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# End to end, in namespaces this test makes and removes: a client, an edge and a backend on one
# L2 segment (a bridge in a fourth namespace). The backend is set up by scripts/backend-setup.sh
# (VIPs on lo, arp/rp_filter sysctls, `anyedge decap attach`) and runs a TCP responder on the
# VIPs. Phase 1: the client sends hand-made tunnelled SYNs of all four kinds to the backend; the
# decapsulator opens them and the SYN-ACK comes from the VIP straight to the client, while a
# tunnel from a stranger is refused. Phase 2 (needs $B/tests/edge_attach): the client connects to
# the VIPs through the edge's real XDP program, for IPv4 and IPv6, and the SYN-ACK captured at
# the client comes from the backend's MAC, not the edge's. Exit 77 when it cannot run here.
set -u

B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib.sh"
PY=/usr/bin/python3
HELPER=$top/tests/decap_e2e.py
EDGE_ATTACH=$B/tests/edge_attach

require
[ -x "$ANYEDGE" ] || skip "no $ANYEDGE"
[ -x "$PY" ] || skip "no $PY"
command -v nsenter >/dev/null || skip "no nsenter"

# Per-run names: namespaces ae<pid>-*, backend device unique too, since decap pins are keyed by
# device name in the host's bpffs.
P=ae$$
NS_SW=$P-sw NS_C=$P-c NS_E=$P-e NS_B=$P-b
BDEV=${P}b
PINS=/sys/fs/bpf/anyedge/decap/$BDEV
tmp=$(mktemp -d /tmp/t_decap_e2e.XXXXXX)
pids=""
made_ns=""

cleanup() {
	stop_pids
	[ -d "$PINS" ] && nsenter --net=/run/netns/$NS_B "$ANYEDGE" decap detach "$BDEV" \
		>/dev/null 2>&1
	for n in $made_ns; do
		ip netns del "$n" 2>/dev/null
	done
	# the device went with its namespace; pins of a gone device are removed by name
	[ -d "$PINS" ] && rm -f "$PINS"/* && rmdir "$PINS"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

in_ns() {
	ns=$1
	shift
	nsenter --net=/run/netns/$ns "$@"
}

# Addresses: the segment 198.51.100.0/24 and 2001:db8:100::/64; VIPs 192.0.2.1, 2001:db8::1.
C4=198.51.100.10 E4=198.51.100.1 B4=198.51.100.21 S4=198.51.100.66
C6=2001:db8:100::10 E6=2001:db8:100::1 B6=2001:db8:100::21 S6=2001:db8:100::66
VIP4=192.0.2.1 VIP6=2001:db8::1
PORT=8080

for n in $NS_SW $NS_C $NS_E $NS_B; do
	ip netns add "$n" || { echo "cannot create namespace $n"; exit 1; }
	made_ns="$made_ns $n"
	in_ns "$n" ip link set lo up
	in_ns "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
in_ns $NS_SW ip link add br0 type bridge
in_ns $NS_SW ip link set br0 up
# port in the switch namespace, device name inside the host namespace
plug() {
	in_ns $NS_SW ip link add "$2" type veth peer name "$3" netns "$1" &&
		in_ns $NS_SW ip link set "$2" master br0 up &&
		in_ns "$1" ip link set "$3" up
}
plug $NS_C swc c0 && plug $NS_E swe e0 && plug $NS_B swb "$BDEV" || {
	echo "cannot build the segment"
	exit 1
}
in_ns $NS_C ip addr add $C4/24 dev c0
in_ns $NS_C ip addr add $C6/64 dev c0 nodad
in_ns $NS_E ip addr add $E4/24 dev e0
in_ns $NS_E ip addr add $E6/64 dev e0 nodad
in_ns $NS_B ip addr add $B4/24 dev "$BDEV"
in_ns $NS_B ip addr add $B6/64 dev "$BDEV" nodad
# the client reaches the VIPs through the edge
in_ns $NS_C ip route add $VIP4/32 via $E4
in_ns $NS_C ip -6 route add $VIP6/128 via $E6
MAC_E=$(in_ns $NS_E ip -br link show e0 | awk '{print $3}')
MAC_B=$(in_ns $NS_B ip -br link show "$BDEV" | awk '{print $3}')

# The backend, set up the way an operator would: the script, applied.
if ! in_ns $NS_B sh "$top/scripts/backend-setup.sh" --apply --dev "$BDEV" --vip $VIP4,$VIP6 \
	--allow $E4/32,$E6/128 --anyedge "$ANYEDGE" >"$tmp/setup.log" 2>&1; then
	cat "$tmp/setup.log"
	echo "FAIL: backend-setup.sh --apply"
	exit 1
fi
grep '^decap:' "$tmp/setup.log"
# nsenter execs the server: $! is its own PID (a shell function here would leave it orphaned)
nsenter --net=/run/netns/$NS_B "$PY" "$HELPER" serve $PORT $VIP4 $VIP6 >"$tmp/serve.log" 2>&1 &
pids="$pids $!"
i=0 # bounded wait for the responder
until in_ns $NS_B "$PY" -c "import socket; socket.create_connection(('$VIP4', $PORT), 1)" \
	2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 50 ] || { cat "$tmp/serve.log"; echo "FAIL: responder did not start"; exit 1; }
	sleep 0.1
done

counter() { # counter NAME: the decapsulator's counter, summed over CPUs
	in_ns $NS_B "$ANYEDGE" decap status "$BDEV" | awk -v k="$1:" '$1 == k {print $2}'
}

# Phase 1: tunnels made by hand, one of each kind, from the allowed edge addresses.
tunnel() { # KIND OUTER_SRC OUTER_DST INNER_SRC INNER_DST
	timeout 10 nsenter --net=/run/netns/$NS_C "$PY" "$HELPER" tunnel c0 "$MAC_B" "$@" $PORT
}
for k in "ipip $E4 $B4 $C4 $VIP4" "6in4 $E4 $B4 $C6 $VIP6" "4in6 $E6 $B6 $C4 $VIP4" \
	"ip6ip6 $E6 $B6 $C6 $VIP6"; do
	set -- $k
	name=opened_$1
	before=$(counter "$name")
	out=$(tunnel "$@")
	after=$(counter "$name")
	case $out in
	"synack_mac=$MAC_B src=$5") ok "$1: SYN-ACK from $5 straight from the backend ($out)" ;;
	*) bad "$1: expected a SYN-ACK from $5 at $MAC_B, got: $out" ;;
	esac
	[ "$after" -gt "$before" ] 2>/dev/null && ok "$1: $name $before -> $after" ||
		bad "$1: $name did not move ($before -> $after)"
done

# A stranger on the segment may not use the backend as a relay.
before=$(counter refused_source)
out=$(tunnel ipip $S4 $B4 $C4 $VIP4)
after=$(counter refused_source)
case $out in
"no SYN-ACK"*) ok "stranger's tunnel not answered" ;;
*) bad "stranger's tunnel answered: $out" ;;
esac
[ "$after" -gt "$before" ] 2>/dev/null && ok "refused_source $before -> $after" ||
	bad "refused_source did not move ($before -> $after)"

# Nor may an edge's tunnel carry a packet for anything but a VIP: the backend would answer
# whoever the inner source names, from its own address.
before=$(counter refused_inner_dst)
out=$(tunnel ipip $E4 $B4 $C4 $B4)
after=$(counter refused_inner_dst)
case $out in
"no SYN-ACK"*) ok "tunnel to a non-VIP inner destination not answered" ;;
*) bad "tunnel to a non-VIP inner destination answered: $out" ;;
esac
[ "$after" -gt "$before" ] 2>/dev/null && ok "refused_inner_dst $before -> $after" ||
	bad "refused_inner_dst did not move ($before -> $after)"

# No allow-list, no decapsulator: leaving --allow out is refused, not "any source".
if in_ns $NS_B "$ANYEDGE" decap attach "$BDEV" >"$tmp/noallow.log" 2>&1; then
	bad "decap attach without --allow succeeded"
elif grep -q -- "--allow" "$tmp/noallow.log"; then
	ok "decap attach without --allow refused: $(head -1 "$tmp/noallow.log")"
else
	bad "decap attach without --allow: unexpected output: $(cat "$tmp/noallow.log")"
fi
in_ns $NS_B "$ANYEDGE" decap status "$BDEV" | grep -q "allow_enforced: yes" &&
	ok "allow-list still enforced after the refused attach" ||
	bad "allow-list not enforced after the refused attach"

# Phase 2: through the edge's real XDP program.
if [ ! -x "$EDGE_ATTACH" ]; then
	in_ns $NS_B "$ANYEDGE" decap status "$BDEV"
	[ "$fail" -eq 0 ] || { finish; exit 1; }
	skip "phase 1 passed; phase 2 needs $EDGE_ATTACH"
fi
cat >"$tmp/policy.yaml" <<EOF
edge:
  name: edge-e2e
  interface: e0
  region: lab
  encap_source: {ipv4: $E4, ipv6: "$E6"}
  mac: "$MAC_E"
  gateway_mac: "$MAC_B"
regions:
  - name: lab
    min_healthy: 1
    backends:
      - {address: $B4, weight: 100}
      - {address: "$B6", weight: 100}
probe: {type: http, port: $PORT, path: /health/ready, interval: 1s, timeout: 500ms,
        rise: 2, fall: 2}
vips:
  - name: web4
    address: $VIP4
    ports: [tcp/$PORT, udp/$PORT]
    mode: active-active
    regions: [lab]
    announce: {prefix: $VIP4/32}
  - name: web6
    address: "$VIP6"
    ports: [tcp/$PORT, udp/$PORT]
    mode: active-active
    regions: [lab]
    announce: {prefix: $VIP6/128}
EOF
if ! timeout 20 nsenter --net=/run/netns/$NS_E "$EDGE_ATTACH" --config "$tmp/policy.yaml" \
	--dev e0 >"$tmp/edge.log" 2>&1; then
	cat "$tmp/edge.log"
	echo "FAIL: edge_attach"
	exit 1
fi
# veth delivers XDP_TX'd frames to its peer through the peer's NAPI, which exists only while
# the peer has an XDP program (or GRO): give the switch port one that passes everything.
if [ -f "$B/floor.bpf.o" ]; then
	# under ip netns exec, iproute2's bpffs folders land in that private /sys, not the host's
	ip netns exec $NS_SW ip link set dev swe xdpdrv obj "$B/floor.bpf.o" sec xdp 2>/dev/null ||
		echo "note: could not attach a pass program to swe"
else
	echo "note: no $B/floor.bpf.o: frames the edge transmits may never reach the bridge"
fi

# A veth sender leaves TCP checksums for "hardware" to finish; a frame the edge XDP_TXes has
# lost that mark (a real NIC sends whole checksums): make the client's veth finish them.
in_ns $NS_C "$PY" "$HELPER" csum-off c0 || echo "note: could not turn off c0's tx checksum offload"

sum_opened() {
	t=0
	for n in opened_ipip opened_6in4 opened_4in6 opened_ip6ip6; do
		t=$((t + $(counter $n)))
	done
	echo $t
}
for vip in $VIP4 $VIP6; do
	before=$(sum_opened)
	out=$(timeout 15 nsenter --net=/run/netns/$NS_C "$PY" "$HELPER" connect c0 "$vip" $PORT)
	after=$(sum_opened)
	case $out in
	"banner='hello from backend' synack_mac=$MAC_B")
		ok "$vip: connected through the edge; the SYN-ACK came from the backend ($MAC_B)" ;;
	*) bad "$vip: expected the banner and a SYN-ACK from $MAC_B (edge is $MAC_E), got: $out" ;;
	esac
	[ "$after" -gt "$before" ] 2>/dev/null && ok "$vip: tunnels opened $before -> $after" ||
		bad "$vip: the backend opened no tunnel ($before -> $after)"
done

icmp_in() { # the backend kernel's ICMP counter NAME (absolute; nstat's history untouched)
	in_ns $NS_B nstat -saz "$1" | awk -v k="$1" '$1 == k {print $2}'
}
# Phase 3: path MTU discovery for the backends' replies (issue 16 §1). A router on the way back
# to the client (played by the client's namespace) cannot forward a reply of the backend's UDP
# flow VIP:PORT -> client:40001 and sends its ICMP error to the VIP: the edge must steer it to
# the backend, whose kernel then lowers its route's MTU toward the client.
for k in "$VIP4 $C4" "$VIP6 $C6"; do
	set -- $k
	nsenter --net=/run/netns/$NS_B "$PY" "$HELPER" udp-hold "$1" $PORT "$2" 40001 20 \
		>"$tmp/hold.log" 2>&1 &
	hold=$!
	pids="$pids $hold"
	i=0
	until grep -q holding "$tmp/hold.log" || [ $i -ge 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	case $1 in *:*) stat=Icmp6InPktTooBigs ;; *) stat=IcmpInDestUnreachs ;; esac
	before=$(icmp_in $stat)
	in_ns $NS_C "$PY" "$HELPER" ptb "$1" $PORT "$2" 40001 1400
	i=0 # bounded wait for the backend's kernel to learn it
	until in_ns $NS_B ip route get "$2" from "$1" | grep -q "mtu 1400" || [ $i -ge 30 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	route=$(in_ns $NS_B ip route get "$2" from "$1" | tr '\n' ' ')
	case $route in
	*"mtu 1400"*) ok "$1: a too-big error through the edge reached the backend: $route" ;;
	*) bad "$1: the backend's route to $2 learnt no mtu 1400: $route"
		in_ns $NS_B nstat -az | grep -iE "icmp|udp" | grep -v " 0 " ;;
	esac
	after=$(icmp_in $stat)
	[ "$after" -gt "$before" ] 2>/dev/null && ok "$1: the backend's $stat $before -> $after" ||
		bad "$1: the backend's $stat did not move ($before -> $after)"
	kill "$hold" 2>/dev/null
	wait "$hold" 2>/dev/null
done
in_ns $NS_B "$ANYEDGE" decap status "$BDEV"
finish
