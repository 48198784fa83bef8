#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The live-frame benchmark's harness (tests/live_bench.sh) in one short round, no timing
# asserted: frames cross the veth pair, the floor sends them back, anyedge tunnels established
# IPv4 and IPv6 and passes non-VIP, as the harness's own checks demand. Then the same harness
# with the IPv4 VIP moved elsewhere in the policy must refuse its figure (nothing steered), so
# those checks are shown able to fail. Exit 77 when it cannot run here.
set -u

B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib.sh"

require nsenter taskset python3
for t in live_xdp edge_attach mkpcap; do
	[ -x "$B/tests/$t" ] || skip "no $B/tests/$t"
done
tmp=$(mktemp -d /tmp/t_live.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
cd "$top" || exit 1

live() { # policy out
	env -u KATRAN_OBJ B="$B" LIVE_ROUNDS=1 LIVE_SECONDS=0.3 LIVE_POLICY="$1" \
		LIVE_RAW="$tmp/raw" sh tests/live_bench.sh >"$2" 2>&1
}

if live tests/bench.yaml "$tmp/out"; then
	ok "live harness runs with anyedge and the floor"
else
	bad "live harness runs with anyedge and the floor"
	cat "$tmp/out"
fi
check "it reports established IPv4, IPv6, IPv4 with many flows and non-VIP" \
	sh -c "grep -q '^established IPv4' $tmp/out && grep -q '^established IPv6' $tmp/out &&
		grep -q '^  IPv4, 4096 flows' $tmp/out &&
		grep -q '^non-VIP' $tmp/out"
check "it says why Katran was skipped" grep -q '^Katran comparison skipped: KATRAN_OBJ' "$tmp/out"
# the raw figures behind it: frames sent, tunnelled back by anyedge, none of the non-VIP back
check "anyedge tunnelled the established frames back to the sender" python3 - "$tmp/raw" <<'PY'
import json, sys
rows = {(d["prog"], d["class"]): d["m"] for d in map(json.loads, open(sys.argv[1]))}
ok = all(rows[("anyedge", c)]["tunnelled"] > 1000 for c in ("est4", "est6", "many4"))
ok = ok and rows[("anyedge", "nonvip")]["runs"] > 1000 and rows[("anyedge", "nonvip")]["returned"] == 0
ok = ok and rows[("floor", "est4")]["returned"] > 1000 and rows[("floor", "est4")]["tunnelled"] == 0
sys.exit(0 if ok else 1)
PY

# 192.0.2.1 is no VIP in this policy: the IPv4 frames go up the stack, and the harness must say so
sed 's/address: 192.0.2.1$/address: 192.0.2.9/' tests/bench.yaml >"$tmp/moved.yaml"
check "precondition: the moved policy differs" sh -c "! cmp -s tests/bench.yaml $tmp/moved.yaml"
if live "$tmp/moved.yaml" "$tmp/out2"; then
	bad "a figure of frames that were not steered is refused"
	cat "$tmp/out2"
else
	check "a figure of frames that were not steered is refused" \
		grep -q '^FAIL: anyedge est4 round 1: only 0 of' "$tmp/out2"
fi
finish
