#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The edge's own link on a bad day, on the lab (scripts/lab.sh, no BGP: the upstream routes the
# VIPs to edge1). What anyedged promises:
#   - the gateway's MAC changes: the tunnel follows it (the kernel's neighbour entry, read over
#     netlink), so new flows are served again within seconds;
#   - the link flaps: not ready while it is down, logged; serving again once it is up;
#   - the interface is deleted and created again under its name: logged, the program is
#     attached to the new device, serving again.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export LAB=hl$$ B
S=/run/anyedge-lab/$LAB
NS_E=$LAB-e1 NS_UP=$LAB-up
URL=http://127.0.0.1:9181
. tests/lib.sh
require ethtool nsenter curl python3

cleanup() {
	[ -n "${KEEP_LOGS:-}" ] && cp "$S/edged1.log" "$KEEP_LOGS" 2>/dev/null
	stop_lab
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ready() { [ "$(ip netns exec "$NS_E" curl -s -m 2 -o /dev/null -w '%{http_code}' "$URL/health/ready")" = "$1" ]; }
wait_ready() { # CODE SECONDS
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		ready "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# served SECONDS: a new EU request is served by eu-west within SECONDS; prints the ms it took
served() {
	t0=$(now_ms)
	i=0
	while [ $i -lt $(($1 * 5)) ]; do
		case $(served_by eu) in eu-west/*) echo $(($(now_ms) - t0)); return 0 ;; esac
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

sh scripts/lab.sh up || { echo "t_link: lab did not come up"; exit 1; }
start_edged 1
check "ready" wait_ready 200 20
# the lab's policy leaves dataplane.hash_seed at 0, which a public hash makes guessable
check "hash_seed 0: warned at start" grep -q "dataplane.hash_seed is 0" "$S/edged1.log"
ms=$(served 10)
check "EU client served by eu-west (${ms:-never} ms)" [ -n "$ms" ]

# 1. the gateway's MAC changes (the router announces it: arp_notify's gratuitous ARP)
old=$(ip -n "$NS_UP" -j link show e1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
ip netns exec "$NS_UP" sysctl -qw net.ipv4.conf.e1.arp_notify=1
mark
ip -n "$NS_UP" link set e1 address 02:00:5e:10:00:99
check "gateway MAC $old -> 02:00:5e:10:00:99: the daemon follows it" \
	wait_log "data plane updated \\(link facts changed\\)" 10
ms=$(served 10)
check "gateway MAC changed: EU clients served again (${ms:-never} ms)" [ -n "$ms" ]

# 2. the link flaps
mark
ip -n "$NS_E" link set up1 down
check "link down: logged" wait_log "edge: link up1 is DOWN" 5
check "link down: /health/ready 503" wait_ready 503 5
ip -n "$NS_E" link set up1 up
ip -n "$NS_E" route replace default via 198.18.1.1
check "link up: logged" wait_log "edge: link up1 is up" 5
check "link up: ready again" wait_ready 200 10
ms=$(served 10)
check "link up: EU clients served again (${ms:-never} ms)" [ -n "$ms" ]

# 3. the interface deleted and created again under its name
mark
old_if=$(ip -n "$NS_E" -j link show up1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ifindex"])')
ip -n "$NS_E" link del up1
check "deleted: logged" wait_log "kernel: up1 \\(ifindex $old_if\\) (was deleted|is gone)" 5
check "deleted: /health/ready 503" wait_ready 503 5
ip link add e1 netns "$NS_UP" type veth peer name up1 netns "$NS_E"
ip -n "$NS_UP" addr add 198.18.1.1/24 dev e1
ip -n "$NS_E" addr add 198.18.1.2/24 dev up1
ip -n "$NS_UP" link set e1 up
ip -n "$NS_E" link set up1 up
ip -n "$NS_E" route replace default via 198.18.1.1
ip -n "$NS_UP" route replace 192.0.2.0/24 via 198.18.1.2
# the router's end passes what XDP_TX sends it (see lab.sh)
ip netns exec "$NS_UP" ip link set dev e1 xdpdrv obj "$B/floor.bpf.o" sec xdp
new_if=$(ip -n "$NS_E" -j link show up1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ifindex"])')
check "re-created (ifindex $old_if -> $new_if): logged" wait_log "kernel: up1 is back as ifindex $new_if" 5
check "re-created: the program re-attached, logged" wait_log "edge: up1 was re-created \\(ifindex $new_if\\): program re-attached" 5
check "re-created: an XDP program on the new up1" sh -c "ip -n $NS_E -d link show up1 | grep -q 'prog/xdp'"
check "re-created: ready again" wait_ready 200 15
ms=$(served 15)
check "re-created: EU clients served again (${ms:-never} ms)" [ -n "$ms" ]
check "the daemon is alive" kill -0 "$(cat "$S/edged1.pid")"

cleanup
trap - EXIT
check "no namespaces left" [ "$(ip netns list | grep -c "^$LAB-")" -eq 0 ]
finish
