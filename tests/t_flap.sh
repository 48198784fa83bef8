#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 1000 backends flapping at once. An edge namespace and a backend namespace joined by a veth;
# the backend namespace holds 1000 addresses (198.19.0.0/22) served by one probe_responder whose
# state file flips every 2 s between READY and NOT_READY, so every backend passes and fails
# together (rise 1, fall 1, probes every 1 s, the guard off: every flip moves every region and
# rebuilds every ring). Promise: the API answers every request throughout, quickly (figures
# printed, calm and flapping; bounds below); the flips really reached the data plane.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. tests/lib.sh
require nsenter python3
P=hfl$$
NS_E=$P-e NS_B=$P-b
T=$(mktemp -d /tmp/anyedge-$P.XXXXXX)
URL=http://127.0.0.1:9182

cleanup() {
	[ -f "$T/responder.pid" ] && kill "$(cat "$T/responder.pid")" 2>/dev/null
	[ -f "$T/edged.pid" ] && kill "$(cat "$T/edged.pid")" 2>/dev/null
	sleep 0.3
	[ -f "$T/edge.yaml" ] && ip netns list | grep -q "^$NS_E" &&
		nsenter --net=/run/netns/$NS_E "$B/anyedged" --config "$T/edge.yaml" --detach \
			>/dev/null 2>&1
	ip netns del "$NS_E" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	[ -n "${KEEP_LOGS:-}" ] && cp "$T/edged.log" "$KEEP_LOGS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NS_E" && ip netns add "$NS_B" || { bad "namespaces"; finish; exit 1; }
ip link add e0 netns "$NS_E" type veth peer name b0 netns "$NS_B"
ip -n "$NS_E" link set lo up
ip -n "$NS_B" link set lo up
ip -n "$NS_E" addr add 198.19.255.1/24 dev e0
ip -n "$NS_B" addr add 198.19.255.2/24 dev b0
ip -n "$NS_E" link set e0 up
ip -n "$NS_B" link set b0 up
ip -n "$NS_E" route add 198.19.0.0/22 via 198.19.255.2
# 4 regions of 250 backends: 198.19.R.1-250
{
	for r in 0 1 2 3; do
		for i in $(seq 1 250); do echo "addr add 198.19.$r.$i/32 dev lo"; done
	done
} >"$T/addrs"
ip -n "$NS_B" -batch "$T/addrs" || { bad "1000 addresses"; finish; exit 1; }
echo "READY 0 active" >"$T/state"
ip netns exec "$NS_B" "$B/tests/probe_responder" --listen 0.0.0.0:8080 --name b \
	--state-file "$T/state" >"$T/responder.log" 2>&1 &
echo $! >"$T/responder.pid"

(umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$T/token")
{
	cat <<EOF2
edge: {name: $P, interface: e0, region: r0, encap_source: {ipv4: 198.19.255.1}}
regions:
EOF2
	for r in 0 1 2 3; do
		echo "  - name: r$r"
		echo "    min_healthy: 50%"
		echo "    backends:"
		for i in $(seq 1 250); do echo "      - {address: 198.19.$r.$i}"; done
	done
	cat <<EOF2
probe: {type: http, port: 8080, path: /health/ready, interval: 1s, timeout: 500ms, rise: 1, fall: 1}
vips:
  - {name: web, address: 192.0.2.1, ports: [tcp/80], regions: [r0, r1, r2, r3]}
api: {listen: 127.0.0.1:9182, token_file: $T/token}
safety: {guard: off}
dataplane: {hash_seed: 7, ring_size: 65537, flow_table_size: 65536}
EOF2
} >"$T/edge.yaml"
ANYEDGE_STATE_DIR=$T nsenter --net=/run/netns/$NS_E "$B/anyedged" --config "$T/edge.yaml" \
	>"$T/edged.log" 2>&1 &
echo $! >"$T/edged.pid"

req() { ip netns exec "$NS_E" curl -s -m 5 -o "$T/body" -w '%{http_code}' "$@"; }
backends_up() { # how many of the 1000 /api/v1/state says are up
	[ "$(req "$URL/api/v1/state")" = 200 ] || { echo -1; return; }
	python3 -c 'import json,sys; print(sum(b["health"]=="up" for b in json.load(open(sys.argv[1]))["backends"]))' "$T/body"
}
wait_up() { # N SECONDS
	i=0
	while [ $i -lt $(($2 * 5)) ]; do
		[ "$(backends_up)" = "$1" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
if ! wait_up 1000 30; then
	bad "1000 backends up"
	tail -n 20 "$T/edged.log"
	finish
	exit 1
fi
ok "1000 backends up"
# the same polling with nothing flapping: what the answers cost by themselves
ip netns exec "$NS_E" python3 tests/api_watch.py 4 "$URL/health/shallow" "$URL/health/ready" \
	"$URL/api/v1/state" >"$T/calm.json" 2>&1
echo "calm, 1000 backends up, the API polled every 50 ms for 4 s:"
sed 's/^/  /' "$T/calm.json"

ip netns exec "$NS_E" python3 tests/api_watch.py 60 "$URL/health/shallow" "$URL/health/ready" \
	"$URL/api/v1/state" --stop "$T/watch.stop" --ready "$T/watch.ready" >"$T/watch.json" 2>&1 &
wpid=$!
i=0
while [ ! -e "$T/watch.ready" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
down_seen=0
for flip in 1 2 3 4 5 6; do
	if [ $((flip % 2)) -eq 1 ]; then
		echo "NOT_READY" >"$T/state.new"
	else
		echo "READY 0 active" >"$T/state.new"
	fi
	mv "$T/state.new" "$T/state"
	sleep 2
	[ "$(backends_up)" = 0 ] && down_seen=$((down_seen + 1))
done
touch "$T/watch.stop"
wait $wpid
echo "1000 backends flapping, 6 flips over 12 s; the API polled every 50 ms:"
sed 's/^/  /' "$T/watch.json"
applied=$(grep -c "data plane updated (health changed)" "$T/edged.log")
downs=$(grep -c "^.*region r0 down" "$T/edged.log")
echo "flips seen: all 1000 down at $down_seen of 3 checks; region r0 went down $downs times; $applied data plane updates"
check "the flips reached the daemon (all down seen $down_seen times)" [ "$down_seen" -ge 2 ]
check "... and the data plane (r0 down $downs times)" [ "$downs" -ge 2 ]
check "every API request answered" python3 -c '
import json, sys
for l in open(sys.argv[1]):
    j = json.loads(l)
    if j["failed"] or j["requests"] < 50:
        sys.exit(1)' "$T/watch.json"
# What a load balancer and a DNS probe depend on. Quiet, these answer in ~30 ms at most and
# /api/v1/state (1000 backends of JSON, ~30 ms by itself: "calm" above) in ~50 ms median; on a
# 2-core machine shared with builds the same run has seen 130 ms. The figures above are the
# measurement; the bounds here are what must hold even on such a machine.
check "/health/shallow and /health/ready: p99 within 250 ms, none over 500 ms" python3 -c '
import json, sys
for l in open(sys.argv[1]):
    j = json.loads(l)
    if "/health/" in j["url"] and (j["p99_ms"] > 250 or j["max_ms"] > 500):
        sys.exit(1)' "$T/watch.json"
check "/api/v1/state: median within 250 ms, none over 1000 ms" python3 -c '
import json, sys
for l in open(sys.argv[1]):
    j = json.loads(l)
    if j["url"].endswith("/state") and (j["median_ms"] > 250 or j["max_ms"] > 1000):
        sys.exit(1)' "$T/watch.json"
check "the daemon is alive" kill -0 "$(cat "$T/edged.pid")"

cleanup
trap - EXIT
check "no namespaces left" [ "$(ip netns list | grep -c "^$P-")" -eq 0 ]
check "no pins left" [ ! -e "/sys/fs/bpf/$P" ]
finish
