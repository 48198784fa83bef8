#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A SYN flood cannot churn the flow table (issue 16 §2), through `anyedge replay` as a user would
# run it: 10 000 connections open (SYN, then the ACK that makes it established), then 1M SYNs from
# spoofed sources at the same VIP, then a reload that changes eu-west's ring (a third backend);
# the 10 000 connections' next packets must keep their backends (>= 99.9 %). The flow table is
# the policy's, DESIGN's default size (2^20 flows).
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib.sh"
require python3
tmp=$(mktemp -d /tmp/anyedge-synflood.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
CONNS=${CONNS:-10000}
FLOOD=${FLOOD:-1000000}

cp tests/bench.yaml "$tmp/before.yaml"
# the same policy, eu-west with a third backend: its ring changes, ~1/3 of its slots move
sed 's|^      - {address: 198.51.100.22}$|&\n      - {address: 198.51.100.23}|' \
	tests/bench.yaml >"$tmp/after.yaml"
check "the reload changes eu-west's backends" grep -q 198.51.100.23 "$tmp/after.yaml"

# clients 203.0.113.200 (prefer eu-west); flood from 198.18.0.0/15 (no prefix: the edge's own
# region, eu-west too), 50 000 ports x 20 addresses, every one a distinct 5-tuple
"$B/tests/mkpcap" "$tmp/in.pcap" \
	src=203.0.113.200,sport=20000,count=$CONNS,flags=syn \
	src=203.0.113.200,sport=20000,count=$CONNS,flags=ack \
	src=198.18.0.1,sport=1024,count=$FLOOD,flows=50000,srcs=$((FLOOD / 50000 + 1)),flags=syn \
	src=203.0.113.200,sport=20000,count=$CONNS,flags=ack
at=$((2 * CONNS + FLOOD))
"$ANYEDGE" replay --config "$tmp/before.yaml" --pcap "$tmp/in.pcap" \
	--reload-at "$at:$tmp/after.yaml" 2>"$tmp/err" | python3 -c '
import json, sys
conns, flood = int(sys.argv[1]), int(sys.argv[2])
first, last, flood_tx, n = {}, {}, 0, 0
for line in sys.stdin:
    d = json.loads(line)
    i, n = d["i"], n + 1
    if conns <= i < 2 * conns:
        first[i - conns] = d["backend"]
    elif 2 * conns <= i < 2 * conns + flood:
        flood_tx += d["action"] == "TX"
    elif i >= 2 * conns + flood:
        last[i - 2 * conns - flood] = d["backend"]
kept = sum(1 for k in first if first[k] is not None and last.get(k) == first[k])
print("packets %d, flood SYNs steered %d, connections kept %d of %d" % (n, flood_tx, kept, conns))
' "$CONNS" "$FLOOD" >"$tmp/res"
rc=$?
cat "$tmp/res"
check "replay ran" [ "$rc" -eq 0 ]
check "no replay errors" [ ! -s "$tmp/err" ]
check "every packet has a verdict" grep -q "^packets $((3 * CONNS + FLOOD)), " "$tmp/res"
check "the flood was steered (TX), not dropped" grep -q "flood SYNs steered $FLOOD," "$tmp/res"
kept=$(sed -n 's/.*connections kept \([0-9]*\) of.*/\1/p' "$tmp/res")
check ">= 99.9% of $CONNS connections keep their backend ($kept)" \
	[ "${kept:-0}" -ge $((CONNS - CONNS / 1000)) ]
finish
