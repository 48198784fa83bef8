#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kernel-facts module (userspace/dataplane/kernel.c) against a real kernel, through tests/kernel_probe:
# an edge namespace and a peer namespace joined by a veth pair. Checks the link's facts against
# `ip -j link`, the gateway from the route and the policy, its MAC from the neighbour table, the
# kernel resolving an unknown gateway (ARP, ND, link-local ND) when asked, and --watch reporting
# MTU, carrier, admin state, MAC, neighbour and route changes and the link's deletion.
# Root only (exit 77 otherwise). Namespaces are aek<pid>-e/-p and are always removed.
set -u

B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib.sh"
PROBE=${KERNEL_PROBE:-$B/tests/kernel_probe}
PY=/usr/bin/python3

require
[ -x "$PROBE" ] || skip "no $PROBE"
[ -x "$PY" ] || skip "no $PY"

P=aek$$
NS_E=$P-e NS_P=$P-p
tmp=$(mktemp -d /tmp/t_kernel.XXXXXX)
pids=""
made_ns=""

cleanup() {
	stop_pids
	for n in $made_ns; do
		ip netns del "$n" 2>/dev/null
	done
	[ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

in_e() { ip netns exec "$NS_E" "$@"; }
in_p() { ip netns exec "$NS_P" "$@"; }

# match FILE SKIP EXPR: some JSON line after the first SKIP lines has d satisfying EXPR
match() {
	"$PY" - "$@" <<'EOF'
import json, sys
path, skip, expr = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i, line in enumerate(open(path)):
    if i < skip:
        continue
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if eval(expr, {}, {"d": d}):
        sys.exit(0)
sys.exit(1)
EOF
}
# every FILE EXPR: FILE holds at least one JSON record and EXPR holds for each of them (a
# negative check that an empty output cannot pass)
every() {
	"$PY" - "$@" <<'EOF'
import json, sys
n = 0
for line in open(sys.argv[1]):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    n += 1
    if not eval(sys.argv[2], {}, {"d": d}):
        sys.exit(1)
sys.exit(0 if n else 1)
EOF
}
# wait_match FILE SKIP EXPR: the same, polled for up to 5 s
wait_match() {
	i=0
	while [ $i -lt 50 ]; do
		match "$@" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "  no line matching $3 in:"
	sed -n "$(($2 + 1)),\$p" "$1" | sed 's/^/  /'
	return 1
}
lines() { wc -l <"$1"; }
# link_field NS DEV KEY: a field of `ip -j link show DEV`
link_field() {
	ip netns exec "$1" ip -j link show dev "$2" |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)[0][sys.argv[1]])' "$3"
}
neigh_state() { # NS ADDR DEV
	ip netns exec "$1" ip -j neigh show "$2" dev "$3" |
		"$PY" -c 'import json,sys; n=json.load(sys.stdin); print(",".join(n[0]["state"]) if n else "NONE")'
}

for n in $NS_E $NS_P; do
	ip netns add "$n" || { echo "cannot create namespace $n"; exit 1; }
	made_ns="$made_ns $n"
	# no duplicate address detection: addresses (link-local too) usable at once
	ip netns exec "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
	ip netns exec "$n" ip link set lo up
done
ip link add e0 netns "$NS_E" type veth peer name p0 netns "$NS_P" || { echo "no veth"; exit 1; }
in_e ip link set e0 up
in_p ip link set p0 up
in_e ip addr add 198.51.100.1/24 dev e0
in_p ip addr add 198.51.100.2/24 dev p0
in_e ip -6 addr add 2001:db8:1::1/64 dev e0 nodad
in_p ip -6 addr add 2001:db8:1::2/64 dev p0 nodad
# a gateway that exists only as a neighbour entry
in_e ip route add 192.0.2.0/24 via 198.51.100.254 dev e0
in_e ip neigh replace 198.51.100.254 lladdr 02:00:00:00:00:fe dev e0 nud reachable
PEER_MAC=$(link_field "$NS_P" p0 address)
i=0
while [ $i -lt 50 ] && [ -z "$(in_p ip -6 -o addr show dev p0 scope link)" ]; do
	sleep 0.1
	i=$((i + 1))
done
PEER_LL=$(in_p ip -6 -o addr show dev p0 scope link | awk '{ sub("/.*", "", $4); print $4 }')

# --- one-shot facts
out=$tmp/once
in_e "$PROBE" e0 --toward 192.0.2.10 >"$out" 2>"$tmp/once.err"
check "probe runs" [ $? -eq 0 ]
IFX=$(link_field "$NS_E" e0 ifindex)
MAC=$(link_field "$NS_E" e0 address)
MTU=$(link_field "$NS_E" e0 mtu)
check "ifindex $IFX, mac $MAC, mtu $MTU, up as ip -j link says" \
	match "$out" 0 "d['ifindex'] == $IFX and d['mac'] == '$MAC' and d['mtu'] == $MTU and d['up']"
check "gateway from the route, its MAC from the neighbour table" \
	match "$out" 0 "d['gateway'] == '198.51.100.254' and d['gateway_mac'] == '02:00:00:00:00:fe'"

in_e "$PROBE" e0 --toward 198.51.100.2 >"$out" 2>/dev/null
check "on-link backend: no gateway" match "$out" 0 "d['gateway'] is None and d['gateway_mac'] is None"
in_e "$PROBE" e0 --toward 2001:db8:ffff::1 >"$out" 2>/dev/null
check "no route: no gateway" match "$out" 0 "d['gateway'] is None"
in_e "$PROBE" e0 --toward 192.0.2.10 --gateway 198.51.100.2 >"$out" 2>/dev/null
check "the policy's gateway wins over the route" match "$out" 0 "d['gateway'] == '198.51.100.2'"
in_e "$PROBE" ${P}nosuch >"$out" 2>"$tmp/err"
rc=$?
check "unknown interface: exit 1, ENODEV" \
	sh -c "[ $rc -eq 1 ] && grep -q 'No such device' '$tmp/err'"

# --- resolution of gateways the kernel has no entry for
in_e ip neigh flush dev e0 to 198.51.100.2 2>/dev/null
in_e "$PROBE" e0 --gateway 198.51.100.2 >"$out" 2>/dev/null
check "unresolved gateway: no MAC" match "$out" 0 "d['gateway_mac'] is None"
in_e "$PROBE" e0 --gateway 198.51.100.2 --watch 2 >"$out" 2>/dev/null
check "control: without --resolve the MAC stays unknown (every record, at least one)" \
	every "$out" "d['gateway'] == '198.51.100.2' and d['gateway_mac'] is None"
in_e "$PROBE" e0 --gateway 198.51.100.2 --resolve --watch 3 >"$out" 2>"$tmp/err"
check "ARP: resolve makes the kernel learn the gateway's MAC ($PEER_MAC)" \
	match "$out" 0 "d['gateway_mac'] == '$PEER_MAC'"
st=$(neigh_state "$NS_E" 198.51.100.2 e0)
check "the resolved entry is an ordinary one ($st), not permanent" [ "$st" = REACHABLE ]

in_e ip -6 route add 2001:db8:2::/64 via 2001:db8:1::2 dev e0
in_e "$PROBE" e0 --toward 2001:db8:2::10 --resolve --watch 3 >"$out" 2>"$tmp/err"
check "ND: IPv6 gateway from the route, resolved" \
	match "$out" 0 "d['gateway'] == '2001:db8:1::2' and d['gateway_mac'] == '$PEER_MAC'"

if [ -n "$PEER_LL" ]; then
	in_e ip -6 route add 2001:db8:3::/64 via "$PEER_LL" dev e0
	in_e "$PROBE" e0 --toward 2001:db8:3::10 --resolve --watch 3 >"$out" 2>"$tmp/err"
	check "ND: link-local gateway $PEER_LL resolved" \
		match "$out" 0 "d['gateway'] == '$PEER_LL' and d['gateway_mac'] == '$PEER_MAC'"
else
	bad "peer has no link-local address"
fi

in_e "$PROBE" e0 --gateway 198.51.100.77 --resolve --watch 4 >"$out" 2>"$tmp/err"
st=$(neigh_state "$NS_E" 198.51.100.77 e0)
case $st in
FAILED | INCOMPLETE) ok "a gateway nobody answers for: the kernel tried ($st)" ;;
*) bad "a gateway nobody answers for: entry $st, expected FAILED or INCOMPLETE" ;;
esac
check "a FAILED/INCOMPLETE entry is not reported as a MAC (every record, at least one)" \
	every "$out" "d['gateway'] == '198.51.100.77' and d['gateway_mac'] is None"

# --- watching changes
w=$tmp/watch
# not through in_e: $! must be the probe itself (ip netns exec execs it), not a subshell
ip netns exec "$NS_E" "$PROBE" e0 --toward 192.0.2.10 --watch 60 >"$w" 2>"$tmp/watch.err" &
wpid=$!
pids="$pids $wpid"
check "watch: first line" wait_match "$w" 0 "d['gateway'] == '198.51.100.254'"

n=$(lines "$w")
in_e ip link set e0 mtu 1400
check "watch: MTU 1400" wait_match "$w" "$n" "d['mtu'] == 1400"

n=$(lines "$w")
in_p ip link set p0 down
check "watch: peer down -> no carrier -> up false" wait_match "$w" "$n" "not d['up']"
n=$(lines "$w")
in_p ip link set p0 up
check "watch: carrier back -> up true" wait_match "$w" "$n" "d['up']"

in_e ip neigh replace 198.51.100.254 lladdr 02:00:00:00:00:fd dev e0 nud reachable
check "watch: gateway MAC change" wait_match "$w" "$n" "d['gateway_mac'] == '02:00:00:00:00:fd'"

n=$(lines "$w")
in_e ip neigh replace 198.51.100.253 lladdr 02:00:00:00:00:fc dev e0 nud permanent
in_e ip route replace 192.0.2.0/24 via 198.51.100.253 dev e0
check "watch: route moves to another gateway, its MAC follows" \
	wait_match "$w" "$n" "d['gateway'] == '198.51.100.253' and d['gateway_mac'] == '02:00:00:00:00:fc'"

n=$(lines "$w")
in_e ip neigh del 198.51.100.253 dev e0
check "watch: neighbour entry deleted -> MAC unknown" \
	wait_match "$w" "$n" "d['gateway'] == '198.51.100.253' and d['gateway_mac'] is None"

n=$(lines "$w")
in_e ip link set e0 down
# IPv4 flushes the routes of a downed link without a notification
check "watch: admin down -> up false, the route (and so the gateway) gone" \
	wait_match "$w" "$n" "not d['up'] and d['gateway'] is None"
n=$(lines "$w")
in_e ip link set e0 up
check "watch: admin up" wait_match "$w" "$n" "d['up']"
n=$(lines "$w")
in_e ip route add 192.0.2.0/24 via 198.51.100.254 dev e0
in_e ip neigh replace 198.51.100.254 lladdr 02:00:00:00:00:fe dev e0 nud reachable
check "watch: route re-added" \
	wait_match "$w" "$n" "d['gateway'] == '198.51.100.254' and d['gateway_mac'] == '02:00:00:00:00:fe'"

n=$(lines "$w")
in_e ip link set e0 address 02:00:00:00:00:e0
check "watch: link MAC change" wait_match "$w" "$n" "d['mac'] == '02:00:00:00:00:e0'"

# Overflow: a stopped reader misses thousands of notifications (ENOBUFS), then must re-read
# the kernel and still report the last change.
n=$(lines "$w")
kill -STOP "$wpid"
# one entry flipped between two MACs: a notification each, no table growth
"$PY" -c '
for i in range(20000):
    print("neigh replace 2001:db8:1::1000 lladdr 02:00:00:00:01:%02x dev e0 nud permanent" % (i % 2))
' >"$tmp/batch"
echo "neigh replace 198.51.100.254 lladdr 02:00:00:00:00:fb dev e0 nud reachable" >>"$tmp/batch"
in_e ip -batch "$tmp/batch"
kill -CONT "$wpid"
check "watch: after a notification overflow, the last change is reported" \
	wait_match "$w" "$n" "d['gateway_mac'] == '02:00:00:00:00:fb'"
check "watch: the overflow was noticed and logged" grep -q "overflowed" "$tmp/watch.err"

n=$(lines "$w")
in_e ip link del e0
check "watch: link deleted -> up false" wait_match "$w" "$n" "not d['up']"
check "watch: no dispatch errors" sh -c "! grep -q 'dispatch:' '$tmp/watch.err'"
check "watch: deletion logged" grep -Eq "was deleted|is gone" "$tmp/watch.err"

finish
