#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `anyedge bird-config` against real BIRD 2: the fragments for config/example.yaml and a lab-like
# policy pass `bird -p`; then an edge BIRD with the fragment and an upstream BIRD joined by eBGP
# over a veth pair: anyedge_* protocols exist and are disabled at start, a state file flipped to
# `disabled no;` plus `configure` announces (community on the edge, AS path at the upstream),
# the drain twin carries GRACEFUL_SHUTDOWN and the prepends, `configure` and a BIRD restart put
# back what the state files say, and a missing state file means disabled.
# Runs inside a private network namespace (unshare -n; the upstream in a nested one held by a
# sleep), BIRD on control sockets in a temp dir: the system BIRD and /run/bird are never
# touched. Root only; exit 77 without bird, birdc, unshare or nsenter.
set -u

B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib.sh"

require bird birdc unshare nsenter ip
[ -x "$ANYEDGE" ] || skip "no $ANYEDGE"

# Everything below runs in a network namespace of its own, gone when its processes are.
if [ -z "${T_BIRD_NETNS:-}" ]; then
	unshare -n true 2>/dev/null || skip "unshare -n does not work here"
	T_BIRD_NETNS=1 exec unshare -n sh "$0" "$@"
fi

cd "$top" || exit 1
tmp=$(mktemp -d /tmp/t_bird_config.XXXXXX)
pids=""

cleanup() {
	stop_pids
	[ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_for TENTHS command...: poll until it succeeds, at most TENTHS x 0.1 s.
wait_for() {
	n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	"$@"
}

E_SOCK=$tmp/edge.ctl U_SOCK=$tmp/up.ctl
e_birdc() { birdc -s "$E_SOCK" "$@"; }
u_birdc() { birdc -s "$U_SOCK" "$@"; }
# proto_state SOCK NAME: "up", "down", "start", ... from `show protocols`
proto_state() { birdc -s "$1" show protocols | awk -v n="$2" '$1 == n { print $4 }'; }
proto_is() { [ "$(proto_state "$1" "$2")" = "$3" ]; }
has() { grep -q -- "$1" "$2"; }
lacks() { ! grep -q -- "$1" "$2"; }
# What anyedged writes (bgp/bird_conf.c).
state_set() { # NAME yes|no
	printf '# written by anyedged: the wanted state of this BIRD protocol\ndisabled %s;\n' \
		"$2" >"$STATE/$1.conf.tmp" && mv "$STATE/$1.conf.tmp" "$STATE/$1.conf"
}

# bird_main FRAGMENT OUT [ipv6]: a bird.conf around a fragment, one eBGP session to the upstream.
bird_main() {
	{
		echo "router id 198.18.0.1;"
		echo "include \"$1\";"
		echo "protocol device {}"
		echo "protocol kernel { ipv4 { export where !anyedge_route(); }; }"
		echo "protocol kernel { ipv6 { export where !anyedge_route(); }; }"
		echo "protocol bgp up1 {"
		echo "	local 198.18.0.1 as 65001;"
		echo "	neighbor 198.18.0.2 as 64496;"
		echo "	connect delay time 1;"
		echo "	connect retry time 2;"
		echo "	ipv4 { import none; export where anyedge_export(65001); };"
		[ "${3:-}" = ipv6 ] &&
			echo "	ipv6 { import none; export where anyedge_export(65001); };"
		echo "}"
	} >"$2"
}

# ---- parse-only checks ----

"$ANYEDGE" bird-config config/example.yaml --state-dir "$tmp/ex" --write-state \
	>"$tmp/ex.conf" 2>"$tmp/ex.err"
check "bird-config config/example.yaml --write-state exits 0" [ $? -eq 0 ]
check "--write-state created 6 disabled state files" \
	[ "$(grep -l '^disabled yes;$' "$tmp"/ex/*.conf | wc -l)" -eq 6 ]
bird_main "$tmp/ex.conf" "$tmp/ex-main.conf" ipv6
check "example fragment passes bird -p" bird -p -c "$tmp/ex-main.conf"

STATE=$tmp/state
cat >"$tmp/lab.yaml" <<EOF
edge: {name: edge-a, interface: ae0, region: r1, encap_source: {ipv4: 198.18.0.1}}
regions:
  - {name: r1, backends: [{address: 198.51.100.1}]}
  - {name: r2, backends: [{address: 198.51.100.2}]}
probe: {port: 8080}
vips:
  - {name: web, address: 192.0.2.1, ports: [tcp/443], regions: [r1, r2],
     announce: {prefix: 192.0.2.1/32}}
  - {name: api-v6.x, address: "2001:db8:ff::1", ports: [tcp/443], regions: [r1],
     announce: {prefix: "2001:db8:ff::/48", withdraw_when: local_region_down}}
  - {name: internal, address: 192.0.2.3, ports: [tcp/80], regions: [r2]}
bgp: {state_dir: $STATE, prepend: 2, community: "64512:100", session: up1}
EOF
"$ANYEDGE" bird-config "$tmp/lab.yaml" >"$tmp/lab.conf"
check "bird-config lab policy exits 0" [ $? -eq 0 ]
check "lab fragment: 4 protocols, '-' and '.' mapped" \
	[ "$(grep -c '^protocol static anyedge_\(web\|web_drain\|api_v6_x\|api_v6_x_drain\) {$' \
		"$tmp/lab.conf")" -eq 4 ]
check "lab fragment: no protocol for a VIP without announce" lacks internal "$tmp/lab.conf"
bird_main "$tmp/lab.conf" "$tmp/edge.conf"
bird -p -c "$tmp/edge.conf" 2>"$tmp/p.err"
check "state directory missing: BIRD refuses the config (documented)" \
	grep -q "Unable to match pattern" "$tmp/p.err"
mkdir -p "$STATE"
check "state directory empty (anyedged never ran): bird -p passes" bird -p -c "$tmp/edge.conf"

cat >"$tmp/clash.yaml" <<EOF
edge: {name: e, interface: ae0, region: r1, encap_source: {ipv4: 198.18.0.1}}
regions: [{name: r1, backends: [{address: 198.51.100.1}]}]
probe: {port: 8080}
vips:
  - {name: a-b, address: 192.0.2.1, ports: [tcp/80], regions: [r1], announce: {prefix: 192.0.2.1/32}}
  - {name: a.b, address: 192.0.2.2, ports: [tcp/80], regions: [r1], announce: {prefix: 192.0.2.2/32}}
EOF
"$ANYEDGE" bird-config "$tmp/clash.yaml" >/dev/null 2>"$tmp/clash.err"
check "two VIPs mapping to one BIRD name are refused" [ $? -eq 1 ]
check "  ... with file:line:col and the name" \
	grep -q "clash.yaml:6:.*both become BIRD protocol anyedge_a_b" "$tmp/clash.err"

# ---- two real BIRDs ----

ip link set lo up
unshare -n sleep 600 &
holder=$!
pids="$holder"
sleep 0.2
ip link add ae0 type veth peer name ae1 &&
	ip link set ae1 netns "$holder" &&
	ip addr add 198.18.0.1/30 dev ae0 && ip link set ae0 up &&
	nsenter -t "$holder" -n sh -c \
		'ip link set lo up && ip addr add 198.18.0.2/30 dev ae1 && ip link set ae1 up' ||
	{
		bad "veth between the edge and the upstream namespace"
		exit 1
	}
cat >"$tmp/up.conf" <<EOF
router id 198.18.0.2;
protocol device {}
protocol bgp edge {
	local 198.18.0.2 as 64496;
	neighbor 198.18.0.1 as 65001;
	connect delay time 1;
	connect retry time 2;
	ipv4 { import all; export none; };
}
EOF

start_edge() {
	bird -f -c "$tmp/edge.conf" -s "$E_SOCK" -P "$tmp/edge.pid" &
	edge_pid=$!
	pids="$pids $edge_pid"
	wait_for 50 e_birdc show status >/dev/null 2>&1
}
start_edge
nsenter -t "$holder" -n bird -f -c "$tmp/up.conf" -s "$U_SOCK" -P "$tmp/up.pid" &
pids="$pids $!"
wait_for 50 u_birdc show status >/dev/null 2>&1

for p in anyedge_web anyedge_web_drain anyedge_api_v6_x anyedge_api_v6_x_drain; do
	check "$p exists and is disabled at start" proto_is "$E_SOCK" "$p" down
done
check "eBGP session established" wait_for 150 proto_is "$E_SOCK" up1 up
u_birdc show route 192.0.2.1/32 >"$tmp/r" 2>&1
check "upstream has no route before anything is enabled" has "Network not found" "$tmp/r"

state_set anyedge_web no
state_set anyedge_web_drain yes
state_set anyedge_api_v6_x no
e_birdc configure >"$tmp/r"
# "Reconfigured", or "Reconfiguration in progress" while protocols shut down
check "configure after flipping the state files accepted" has "^Reconfigur" "$tmp/r"
check "anyedge_web enabled" wait_for 30 proto_is "$E_SOCK" anyedge_web up
check "anyedge_api_v6_x enabled" wait_for 30 proto_is "$E_SOCK" anyedge_api_v6_x up
check "anyedge_web_drain still disabled" proto_is "$E_SOCK" anyedge_web_drain down
e_birdc show route all 192.0.2.1/32 >"$tmp/r"
check "edge route 192.0.2.1/32 from anyedge_web" has "anyedge_web " "$tmp/r"
check "  ... carrying community (64512,100)" has "BGP.community: (64512,100)$" "$tmp/r"
e_birdc show route all 2001:db8:ff::/48 >"$tmp/r"
check "edge route 2001:db8:ff::/48 carrying (64512,100)" has "BGP.community: (64512,100)$" \
	"$tmp/r"
up_path() { u_birdc show route all 192.0.2.1/32 | grep -q "BGP.as_path: $1\$"; }
check "upstream learns 192.0.2.1/32 with AS path 65001" wait_for 30 up_path "65001"
u_birdc show route all 192.0.2.1/32 >"$tmp/r"
check "  ... without GRACEFUL_SHUTDOWN" lacks "(65535,0)" "$tmp/r"

# The fast path, as anyedged drains: enable the twin, then disable the plain protocol.
e_birdc enable anyedge_web_drain >"$tmp/r"
e_birdc disable anyedge_web >>"$tmp/r"
check "socket enable/disable replies" \
	sh -c "grep -q 'anyedge_web_drain: enabled' '$tmp/r' && grep -q 'anyedge_web: disabled' '$tmp/r'"
check "drain: upstream sees AS path prepended twice (bgp.prepend 2)" \
	wait_for 30 up_path "65001 65001 65001"
u_birdc show route all 192.0.2.1/32 >"$tmp/r"
check "  ... and GRACEFUL_SHUTDOWN (65535,0)" has "BGP.community: (64512,100) (65535,0)$" \
	"$tmp/r"

# configure puts back what the state files say (the durable truth), undoing the socket.
e_birdc configure >/dev/null
check "configure resets the socket changes: anyedge_web up" \
	wait_for 30 proto_is "$E_SOCK" anyedge_web up
check "  ... anyedge_web_drain down" wait_for 30 proto_is "$E_SOCK" anyedge_web_drain down
check "  ... upstream back to AS path 65001" wait_for 30 up_path "65001"

# A BIRD restart reads the same files.
kill "$edge_pid"
wait "$edge_pid" 2>/dev/null
start_edge
check "after a BIRD restart anyedge_web is enabled from its state file" \
	wait_for 30 proto_is "$E_SOCK" anyedge_web up
check "  ... and anyedge_web_drain disabled" proto_is "$E_SOCK" anyedge_web_drain down
check "  ... and the upstream learns the route again" wait_for 150 up_path "65001"

# A missing state file means disabled.
rm -f "$STATE/anyedge_web.conf"
e_birdc configure >"$tmp/r"
check "state file removed + configure accepted" has "^Reconfigur" "$tmp/r"
check "  ... anyedge_web disabled" wait_for 30 proto_is "$E_SOCK" anyedge_web down
gone() { u_birdc show route 192.0.2.1/32 | grep -q "Network not found"; }
check "  ... upstream route withdrawn" wait_for 30 gone

finish
