#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Live frames (`make bench`): the per-packet cost of the steering program as it runs on frames
# arriving on a veth, with warm caches, beside a floor that only sends each frame back (XDP_TX).
#
# Two namespaces joined by a veth pair, both made here and removed at the end. The receiver's
# end runs the program under test in driver mode; the sender's end runs the sink (veth hands
# XDP_TX'd frames only to a peer with an XDP program), which counts what comes back and how much
# of it is tunnelled. The sender (tests/live_xdp.c, AF_PACKET past the qdisc) is pinned to one
# CPU; veth runs the receiver's NAPI on the sending CPU, so everything runs on that core. The
# cost is the program's own run time from the kernel's run-time stats (on only while a sender
# runs), divided by its runs: the sender, veth and the stack are outside it.
#
# Classes: established IPv4 and IPv6 (64 flows of ACKs sent in turn: each flow's first frame
# writes its way, every later one hits) and non-VIP (passed to the stack). Programs, interleaved
# in every round: the floor, anyedge (tests/bench.yaml through tests/edge_attach) and, when
# KATRAN_OBJ names Katran's object and $B/tests/katran_bench exists, Katran configured the same
# way. Each figure is the median over rounds of (program - floor) in the same round. Every
# measurement is checked: steered classes must come back tunnelled, non-VIP must not come back.
#
# LIVE_ROUNDS (5), LIVE_SECONDS per measurement (2), LIVE_CPU (the last), LIVE_POLICY.
set -u
B=${B:-build}
ROUNDS=${LIVE_ROUNDS:-5}
SECS=${LIVE_SECONDS:-2}
CPU=${LIVE_CPU:-$(($(nproc) - 1))}
POLICY=${LIVE_POLICY:-tests/bench.yaml}
LIVE=$B/tests/live_xdp
KATRAN=$B/tests/katran_bench

if [ "$(id -u)" -ne 0 ]; then
	echo "live bench: needs root (namespaces, XDP)" >&2
	exit 1
fi
for t in "$LIVE" "$B/tests/edge_attach" "$B/tests/mkpcap"; do
	[ -x "$t" ] || { echo "live bench: no $t (make bins)" >&2; exit 1; }
done

P=lv$$
NS_S=$P-s NS_R=$P-r
DEV_S=${P}s DEV_R=${P}r
tmp=$(mktemp -d /tmp/anyedge-live.XXXXXX)
kpid=""
cleanup() {
	if [ -n "$kpid" ]; then
		kill "$kpid" 2>/dev/null
		wait "$kpid" 2>/dev/null
	fi
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_R" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

in_r() { nsenter --net=/run/netns/$NS_R "$@"; }

ip netns add "$NS_S" && ip netns add "$NS_R" &&
	ip link add "$DEV_S" netns "$NS_S" type veth peer name "$DEV_R" netns "$NS_R" || exit 1
# no IPv6 on either end: its own frames (MLD, router solicitations) would reach the program and
# the sink beside the benchmark's
for n in "$NS_S:$DEV_S" "$NS_R:$DEV_R"; do
	ip netns exec "${n%%:*}" sysctl -qw "net.ipv6.conf.${n#*:}.disable_ipv6=1" &&
		ip -n "${n%%:*}" link set "${n#*:}" up || exit 1
done

mk=$B/tests/mkpcap
"$mk" "$tmp/est4.pcap" src=203.0.113.200,count=64,flows=64,flags=ack &&
	"$mk" "$tmp/est6.pcap" src=2001:db8:c0::5,dst=2001:db8:ff::1,count=64,flows=64,flags=ack &&
	"$mk" "$tmp/nonvip.pcap" src=203.0.113.7,dst=198.51.100.99,count=16 || exit 1

progs="floor anyedge"
if [ -z "${KATRAN_OBJ:-}" ]; then
	katran_skip="KATRAN_OBJ is not set"
elif [ ! -x "$KATRAN" ]; then
	katran_skip="no $KATRAN"
elif [ ! -f "$KATRAN_OBJ" ]; then
	katran_skip="no $KATRAN_OBJ"
else
	katran_skip=""
	progs="$progs katran"
fi

# the id of the XDP program attached to the receiver's end
prog_id() {
	ip -n "$NS_R" -j link show dev "$DEV_R" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])'
}

attach() { # prog
	case $1 in
	floor) in_r "$LIVE" floor --dev "$DEV_R" ;;
	anyedge) in_r "$B/tests/edge_attach" --config "$POLICY" --dev "$DEV_R" ;;
	katran)
		in_r "$KATRAN" --attach "$DEV_R" >"$tmp/katran.out" 2>&1 &
		kpid=$!
		i=0
		while ! grep -q '^ready' "$tmp/katran.out"; do
			i=$((i + 1))
			if [ "$i" -gt 600 ] || ! kill -0 "$kpid" 2>/dev/null; then
				echo "live bench: katran_bench --attach did not get ready:" >&2
				cat "$tmp/katran.out" >&2
				return 1
			fi
			sleep 0.1
		done
		;;
	esac
}

detach() { # prog
	if [ "$1" = katran ] && [ -n "$kpid" ]; then
		kill "$kpid" 2>/dev/null
		wait "$kpid" 2>/dev/null
		kpid=""
	fi
	ip -n "$NS_R" link set dev "$DEV_R" xdp off
}

echo "live frames: $ROUNDS rounds of ${SECS} s per class and program, sender and receive on CPU $CPU"
[ -n "$katran_skip" ] && echo "Katran comparison skipped: $katran_skip"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for p in $progs; do
		attach "$p" || exit 1
		id=$(prog_id) || exit 1
		for c in est4 est6 nonvip; do
			m=$(taskset -c "$CPU" nsenter --net=/run/netns/$NS_S "$LIVE" send \
				--dev "$DEV_S" --pcap "$tmp/$c.pcap" --prog "$id" --seconds "$SECS") ||
				exit 1
			printf '{"round": %d, "prog": "%s", "class": "%s", "m": %s}\n' \
				"$r" "$p" "$c" "$m" >>"$tmp/raw"
		done
		detach "$p"
	done
	r=$((r + 1))
done
[ -n "${LIVE_RAW:-}" ] && cp "$tmp/raw" "$LIVE_RAW"

python3 - "$tmp/raw" <<'EOF'
import json, statistics, sys

rows = [json.loads(l) for l in open(sys.argv[1])]
bad = []
for d in rows:
    m, what = d["m"], "%s %s round %d" % (d["prog"], d["class"], d["round"])
    if m["runs"] < 1000 or m["runs"] < 0.9 * m["sent"]:
        bad.append("%s: %d of %d frames reached the program" % (what, m["runs"], m["sent"]))
    elif d["prog"] == "floor" and m["returned"] < 0.99 * m["runs"]:
        bad.append("%s: %d of %d frames came back" % (what, m["returned"], m["runs"]))
    elif d["prog"] != "floor" and d["class"] != "nonvip" and m["tunnelled"] < 0.99 * m["runs"]:
        bad.append("%s: only %d of %d runs steered (tunnelled)" % (what, m["tunnelled"], m["runs"]))
    elif d["prog"] != "floor" and d["class"] == "nonvip" and m["returned"] > 0.01 * m["runs"]:
        bad.append("%s: %d of %d non-VIP frames sent back" % (what, m["returned"], m["runs"]))
for b in bad:
    print("FAIL: " + b)
if bad:
    sys.exit(1)

by = {(d["round"], d["prog"], d["class"]): d["m"] for d in rows}
rounds = sorted({d["round"] for d in rows})
progs = [p for p in ("anyedge", "katran") if any(d["prog"] == p for d in rows)]

def net(p, c):
    return statistics.median(by[(r, p, c)]["ns_per_run"] - by[(r, "floor", c)]["ns_per_run"]
                             for r in rounds)

names = [("est4", "established IPv4 (ACK, hit)"), ("est6", "established IPv6 (ACK, hit)"),
         ("nonvip", "non-VIP (pass)")]
print("program run time per packet, ns over the floor, median of %d rounds" % len(rounds))
head = "%-30s %10s" % ("class", "floor ns")
for p in progs:
    head += " %10s" % p
if "katran" in progs:
    head += " %8s" % "ratio"
print(head)
for c, name in names:
    line = "%-30s %10.1f" % (name, statistics.median(by[(r, "floor", c)]["ns_per_run"]
                                                     for r in rounds))
    for p in progs:
        line += " %10.1f" % net(p, c)
    if "katran" in progs:
        k = net("katran", c)
        line += " %8.2f" % (net("anyedge", c) / k) if k > 0 else " %8s" % "-"
    print(line)
if "katran" in progs:
    for c, name in names[:2]:
        ratio = net("anyedge", c) / net("katran", c)
        print("target %s <= 0.60x Katran: %.2f, %s" % (name, ratio,
              "met" if ratio <= 0.60 else "NOT met"))
EOF
