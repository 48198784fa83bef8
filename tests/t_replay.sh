#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The CLI as users drive it: `anyedge check` on good and broken policies, `anyedge replay` on a
# capture (verdict lines, --down, --out), and the same verdicts from two separate processes.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib.sh"
A=$ANYEDGE
P=tests/bench.yaml
require
tmp=$(mktemp -d /tmp/anyedge-replay.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

# check: the example policy is valid, a broken one is refused with file:line:col
check "example policy passes check" "$A" check config/example.yaml
printf 'edge:\n  name: e\n  bogus: 1\n' >"$tmp/bad.yaml"
"$A" check "$tmp/bad.yaml" 2>"$tmp/err" >/dev/null
check "broken policy exits 1" [ $? -eq 1 ]
check "errors are FILE:LINE:COL: error:" grep -q "^$tmp/bad.yaml:3:3: error: " "$tmp/err"

# replay: one JSON object per packet, in order
"$B/tests/mkpcap" "$tmp/in.pcap" src=203.0.113.200,count=4 dst=198.51.100.99 \
	src=203.0.113.7,dst=192.0.2.2,dport=5432 src=2001:db8:c0::5,dst=2001:db8:ff::1
"$A" replay --config "$P" --pcap "$tmp/in.pcap" --out "$tmp/out.pcap" >"$tmp/v1" 2>"$tmp/e1"
check "replay exits 0" [ $? -eq 0 ]
check "one line per packet" [ "$(wc -l <"$tmp/v1")" -eq 7 ]
check "EU client to eu-west" grep -q '^{"i":0,"action":"TX","region":"eu-west","backend":"198.51.100.2[12]"}$' "$tmp/v1"
check "non-VIP passes" grep -q '^{"i":4,"action":"PASS","region":null,"backend":null,"reason":"not_vip"}$' "$tmp/v1"
check "active-passive to primary" grep -q '^{"i":5,"action":"TX","region":"us-east"' "$tmp/v1"
check "IPv6 to ap-south" grep -q '^{"i":6,"action":"TX","region":"ap-south","backend":"2001:db8:3::3[12]"}$' "$tmp/v1"
# every TX or PASS frame is written: 7 frames, pcap header 24 bytes + 16 per record at least
check "out pcap written" [ "$(stat -c %s "$tmp/out.pcap")" -gt $((24 + 7 * 16)) ]

# a second process, same capture: same verdicts (deterministic hashing, no run-time ids)
"$A" replay --config "$P" --pcap "$tmp/in.pcap" >"$tmp/v2" 2>/dev/null
check "same verdicts in another process" cmp -s "$tmp/v1" "$tmp/v2"

# --down: eu-west down moves EU clients to their next preference; the primary down drops writes
"$A" replay --config "$P" --pcap "$tmp/in.pcap" --down eu-west,us-east >"$tmp/v3" 2>/dev/null
check "EU client fails over past two down regions" grep -q '^{"i":0,"action":"TX","region":"ap-south"' "$tmp/v3"
check "active-passive with its primary down drops" grep -q '^{"i":5,"action":"DROP","region":null,"backend":null,"reason":"primary_down"}$' "$tmp/v3"
"$A" replay --config "$P" --pcap "$tmp/in.pcap" --down nowhere >/dev/null 2>"$tmp/e4"
check "unknown --down region refused" [ $? -ne 0 ]
check "unknown region named" grep -q "nowhere" "$tmp/e4"

finish
