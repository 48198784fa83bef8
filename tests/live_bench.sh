#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Live frames (`make bench`): the per-packet cost of the steering program as it runs on frames
# arriving on a veth, with warm caches, beside a floor that only sends each frame back (XDP_TX).
#
# Two namespaces joined by a veth pair per program, made here and removed at the end. The
# receiver's end runs the program in driver mode; the sender's end runs the sink (veth hands
# XDP_TX'd frames only to a peer with an XDP program), which counts what comes back and how much
# of it is tunnelled. The sender (tests/live_xdp.c, AF_PACKET past the qdisc) is pinned to one
# CPU; veth runs the receiver's NAPI on the sending CPU, so everything runs on that core. The
# cost is the program's own run time from the kernel's run-time stats (on only while a sender
# runs), divided by its runs: the sender, veth and the stack are outside it.
#
# Classes: established IPv4 and IPv6 (LIVE_FLOWS flows of ACKs sent in turn: each flow's first
# frame writes its entry, every later one hits), the same for IPv4 with LIVE_MANY flows (their lines
# and pages no longer all stay in cache and TLB), and non-VIP (passed to the stack). Programs: the
# floor, anyedge (tests/bench.yaml through tests/edge_attach) and, when KATRAN_OBJ names Katran's
# object and $B/tests/katran_bench exists, Katran configured from the same policy. In a round, each
# class goes to the programs in turns of 50 ms until each had LIVE_SECONDS, so every program
# shares whatever else the machine does in that time; a figure is the median over rounds of
# (program - floor) in the same round. Every measurement is checked:
# steered classes must come back tunnelled, non-VIP must not come back, or the bench fails.
#
# LIVE_ROUNDS (8), LIVE_LOADS (loads of the programs the rounds are spread over; as many as
# rounds), LIVE_SECONDS per measurement (1), LIVE_CPU (the last), LIVE_POLICY, LIVE_FLOWS (64),
# LIVE_MANY (4096).
set -u
B=${B:-build}
ROUNDS=${LIVE_ROUNDS:-8}
LOADS=${LIVE_LOADS:-$ROUNDS}
[ "$LOADS" -ge 1 ] && [ "$LOADS" -le "$ROUNDS" ] || LOADS=$ROUNDS
SECS=${LIVE_SECONDS:-1}
CPU=${LIVE_CPU:-$(($(nproc) - 1))}
POLICY=${LIVE_POLICY:-tests/bench.yaml}
FLOWS=${LIVE_FLOWS:-64}
MANY=${LIVE_MANY:-4096}
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
tmp=$(mktemp -d /tmp/anyedge-live.XXXXXX)
kpid=""
teardown() { # what one load made
	if [ -n "$kpid" ]; then
		kill "$kpid" 2>/dev/null
		wait "$kpid" 2>/dev/null
		kpid=""
	fi
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_R" 2>/dev/null
}
cleanup() {
	teardown
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

in_r() { nsenter --net=/run/netns/$NS_R "$@"; }

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

mk=$B/tests/mkpcap
"$mk" "$tmp/est4.pcap" src=203.0.113.200,count=$FLOWS,flows=$FLOWS,flags=ack &&
	"$mk" "$tmp/est6.pcap" src=2001:db8:c0::5,dst=2001:db8:ff::1,count=$FLOWS,flows=$FLOWS,flags=ack &&
	"$mk" "$tmp/many4.pcap" src=203.0.113.200,count=$MANY,flows=$MANY,flags=ack &&
	"$mk" "$tmp/nonvip.pcap" src=203.0.113.7,dst=198.51.100.99,count=16 || exit 1

# One veth pair per program, ${P}s<prog> in the sender's namespace to ${P}r<prog> in the
# receiver's, every program attached for the whole load: switching programs is switching pairs.
dev_s() { echo "${P}s$1" | cut -c1-15; }
dev_r() { echo "${P}r$1" | cut -c1-15; }
make_pairs() { # prog...
	ip netns add "$NS_S" && ip netns add "$NS_R" || return 1
	for p in "$@"; do
		ip link add "$(dev_s "$p")" netns "$NS_S" type veth peer name "$(dev_r "$p")" \
			netns "$NS_R" || return 1
		# no IPv6 on either end: its own frames (MLD, router solicitations) would reach
		# the program and the sink beside the benchmark's
		for n in "$NS_S:$(dev_s "$p")" "$NS_R:$(dev_r "$p")"; do
			ip netns exec "${n%%:*}" sysctl -qw "net.ipv6.conf.${n#*:}.disable_ipv6=1" &&
				ip -n "${n%%:*}" link set "${n#*:}" up || return 1
		done
	done
}

attach() { # prog dev
	case $1 in
	floor) in_r "$LIVE" floor --dev "$2" ;;
	anyedge) in_r "$B/tests/edge_attach" --config "$POLICY" --dev "$2" ;;
	katran)
		# nsenter itself, not the in_r function: a function sent to the background runs in a
		# subshell, and $! would be that subshell, leaving katran_bench running after cleanup
		nsenter --net=/run/netns/"$NS_R" "$KATRAN" --config "$POLICY" --attach "$2" \
			>"$tmp/katran.out" 2>&1 &
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

# Rounds FIRST..LAST on one load of the programs, loaded and their pairs made in the order given.
# A program's cost moves with its load: the same anyedge build loaded twice beside itself measured
# 13-26 % apart, and one build against Katran 0.57-0.61 in one load and up to 0.76 in another
# (README, "Live frames"); four loads of one sitting still ranged 0.50-0.67. So the rounds are
# spread over LIVE_LOADS loads, by default one each, every other one in the reverse order, and
# each figure is the median over all of them. A load costs a few seconds.
load() { # first last prog...
	r=$1 last=$2
	shift 2
	[ "$r" -le "$last" ] || return 0
	make_pairs "$@" || return 1
	ids=""
	for p in "$@"; do
		attach "$p" "$(dev_r "$p")" || return 1
		id=$(ip -n "$NS_R" -j link show dev "$(dev_r "$p")" | python3 -c \
			'import json, sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])') ||
			return 1
		ids="${ids:+$ids }$p:$id"
	done
	rounds "$r" "$last" || return 1
	teardown
}

rounds() { # first last
	r=$1 end=$2 # set -- below takes the arguments' place
	while [ "$r" -le "$end" ]; do
		for c in est4 est6 many4 nonvip; do
			lanes=""
			for pi in $ids; do
				lanes="$lanes $(dev_s "${pi%%:*}"):${pi#*:}"
			done
			# shellcheck disable=SC2086 # one word per lane
			taskset -c "$CPU" nsenter --net=/run/netns/$NS_S "$LIVE" send \
				--pcap "$tmp/$c.pcap" --seconds "$SECS" $lanes >"$tmp/m" || return 1
			set -- $ids
			while read -r m; do
				printf '{"round": %d, "prog": "%s", "class": "%s", "m": %s}\n' \
					"$r" "${1%%:*}" "$c" "$m" >>"$tmp/raw"
				shift
			done <"$tmp/m"
		done
		# the next round starts with the next program: none is always measured first
		ids="${ids#* } ${ids%% *}"
		r=$((r + 1))
	done
}

reverse() { # word...: the words in reverse order
	out=""
	for w in "$@"; do
		out="$w${out:+ $out}"
	done
	echo "$out"
}

echo "live frames: $ROUNDS rounds of ${SECS} s per class and program, sender and receiving NAPI on CPU $CPU"
[ -n "$katran_skip" ] && echo "Katran comparison skipped: $katran_skip"
echo "spread over $LOADS loads of the programs, every other one loaded in the reverse order"
l=1
while [ "$l" -le "$LOADS" ]; do
	order=$progs
	# shellcheck disable=SC2086 # one word per program
	[ $((l % 2)) -eq 0 ] && order=$(reverse $progs)
	# shellcheck disable=SC2086 # one word per program
	load $(((l - 1) * ROUNDS / LOADS + 1)) $((l * ROUNDS / LOADS)) $order || exit 1
	l=$((l + 1))
done
[ -n "${LIVE_RAW:-}" ] && cp "$tmp/raw" "$LIVE_RAW"

python3 - "$tmp/raw" "$MANY" <<'EOF'
import json, statistics, sys

rows = [json.loads(l) for l in open(sys.argv[1])]
bad = []
for d in rows:
    m, what = d["m"], "%s %s round %d" % (d["prog"], d["class"], d["round"])
    # a few frames may drop in the veth ring when the receive work is deferred to ksoftirqd
    if m["runs"] < 1000 or m["runs"] < 0.5 * m["sent"]:
        bad.append("%s: %d of %d frames reached the program" % (what, m["runs"], m["sent"]))
    elif d["prog"] == "floor" and m["returned"] < 0.9 * m["runs"]:
        bad.append("%s: %d of %d frames came back" % (what, m["returned"], m["runs"]))
    elif d["prog"] != "floor" and d["class"] != "nonvip" and m["tunnelled"] < 0.9 * m["runs"]:
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
         ("many4", "  IPv4, %d flows" % int(sys.argv[2])), ("nonvip", "non-VIP (pass)")]
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
        each = [(by[(r, "anyedge", c)]["ns_per_run"] - by[(r, "floor", c)]["ns_per_run"]) /
                (by[(r, "katran", c)]["ns_per_run"] - by[(r, "floor", c)]["ns_per_run"])
                for r in rounds
                if by[(r, "katran", c)]["ns_per_run"] > by[(r, "floor", c)]["ns_per_run"]]
        line += "  (rounds %.2f-%.2f)" % (min(each), max(each)) if each else ""
    print(line)
if "katran" in progs:
    for c, name in names[:2]:
        ratio = net("anyedge", c) / net("katran", c)
        print("target %s <= 0.60x Katran: %.2f, %s" % (name, ratio,
              "met" if ratio <= 0.60 else "NOT met"))
EOF
