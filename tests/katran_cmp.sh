#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# anyedge beside Katran in one sitting (issue 16 §3), called by tests/bench.sh: the same captures,
# the same timing (one BPF_PROG_TEST_RUN a packet, interleaved with the XDP_PASS floor), the two
# programs alternating in ROUNDS rounds. Each program's figure is its round with the lowest net
# IQM (for a new flow, the lowest SYN + first ACK); the ratio is the median of each round's own
# ratio, its range beside it showing how far the shared machine moved the comparison.
# KATRAN_OBJ is Katran's balancer object, built outside this repository as README "Benchmarks"
# says; tests/katran_bench configures it as Katran's userspace would. Both run pinned to one
# CPU: Katran's LRUs are per CPU, and a first ACK timed on another CPU than its SYN would miss
# the entry the SYN wrote.
# Usage: katran_cmp.sh [DIR]  (DIR: the captures tests/bench.sh wrote; made here if absent)
set -eu
B=${B:-build}
REPEAT=${REPEAT:-2000}
FLOWS=${FLOWS:-50000}
ROUNDS=${ROUNDS:-3}
CPU=${BENCH_CPU:-0}

if [ -z "${KATRAN_OBJ:-}" ]; then
	echo "Katran comparison: skipped (KATRAN_OBJ is not set; README \"Benchmarks\" says how to build Katran's balancer object)"
	exit 0
fi
[ -r "$KATRAN_OBJ" ] || { echo "katran_cmp: KATRAN_OBJ=$KATRAN_OBJ is not readable" >&2; exit 1; }
out=$(mktemp /tmp/anyedge-katran.XXXXXX)
dir=${1:-}
if [ -z "$dir" ]; then
	dir=$(mktemp -d /tmp/anyedge-katran-pcap.XXXXXX)
	trap 'rm -rf "$dir" "$out" "$out.j" "$out.err"' EXIT INT TERM
	mk="$B/tests/mkpcap"
	"$mk" "$dir/nonvip.pcap" src=203.0.113.7,dst=198.51.100.99,count=16
	"$mk" "$dir/hit.pcap" src=203.0.113.200,count=16,flags=ack
	"$mk" "$dir/hit6.pcap" src=2001:db8:c0::5,dst=2001:db8:ff::1,count=16,flags=ack
	"$mk" "$dir/new.pcap" "src=203.0.113.200,count=$FLOWS,flows=$FLOWS"
	"$mk" "$dir/new-ack.pcap" "src=203.0.113.200,count=$FLOWS,flows=$FLOWS,flags=ack"
else
	trap 'rm -f "$out" "$out.j" "$out.err"' EXIT INT TERM
fi

# one run of one program, its JSON lines tagged "impl class round" into $out
tag() { # impl round file class...
	i=$1 r=$2 f=$3
	shift 3
	while [ $# -gt 0 ] && read -r line; do
		echo "$i $1 $r $line"
		shift
	done <"$f" >>"$out"
}
run() { # impl round
	impl=$1 round=$2
	case $impl in
	katran) set -- taskset -c "$CPU" "$B/tests/katran_bench" --obj "$KATRAN_OBJ" ;;
	*) set -- taskset -c "$CPU" "$B/anyedge" bench ;;
	esac
	"$@" --config tests/bench.yaml --repeat "$REPEAT" --pcap "$dir/nonvip.pcap" \
		--pcap "$dir/hit.pcap" --pcap "$dir/hit6.pcap" >"$out.j" 2>>"$out.err" || true
	tag "$impl" "$round" "$out.j" nonvip hit hit6
	# the first ACKs right after their SYNs, on the maps the SYNs left
	"$@" --config tests/bench.yaml --repeat 1 --pcap "$dir/new.pcap" \
		--pcap "$dir/new-ack.pcap" >"$out.j" 2>>"$out.err" || true
	tag "$impl" "$round" "$out.j" syn ack
}

r=1
while [ "$r" -le "$ROUNDS" ]; do
	# alternate which program goes first, so neither always meets the other's leftovers
	if [ $((r % 2)) -eq 1 ]; then
		run katran "$r" >>"$out"
		run anyedge "$r" >>"$out"
	else
		run anyedge "$r" >>"$out"
		run katran "$r" >>"$out"
	fi
	r=$((r + 1))
done

python3 - "$out" "$ROUNDS" "$out.err" <<'EOF'
import json, sys

rows = {}
for line in open(sys.argv[1]):
    impl, cls, rnd, js = line.split(" ", 3)
    rows.setdefault((impl, cls), {})[int(rnd)] = json.loads(js)
bad = []
for (impl, cls), by_round in rows.items():
    for rnd, d in by_round.items():
        want = "PASS" if cls == "nonvip" else "TX"
        if d["actions"][want] != d["runs"]:
            bad.append("%s %s round %d: %d of %d runs %s" % (impl, cls, rnd, d["actions"][want], d["runs"], want))
        if impl == "katran" and cls != "nonvip" and d.get("checked") != d["runs"]:
            bad.append("katran %s round %d: %s of %d runs steered to a real" % (cls, rnd, d.get("checked"), d["runs"]))
# Katran's own counters: its first ACKs must hit the LRU entries their SYNs wrote (a miss would
# mean a CPU change between the passes, or Katran's MAX_CONN_RATE skipping the writes)
for l in open(sys.argv[3]):
    if "new-ack.pcap: LRU misses:" in l and not l.rstrip().endswith(" 0 other TCP"):
        bad.append("katran first ACKs missed its LRU: " + l.split("LRU misses: ")[1].strip())
rounds = int(sys.argv[2])
for impl in ("katran", "anyedge"):
    for cls in ("nonvip", "hit", "hit6", "syn", "ack"):
        if len(rows.get((impl, cls), {})) != rounds:
            bad.append("%s %s: %d of %d rounds ran" % (impl, cls, len(rows.get((impl, cls), {})), rounds))
if bad:
    print("Katran comparison FAILED, a program did not do the work being timed:")
    for b in bad:
        print("  " + b)
    errs = [l for l in open(sys.argv[3]) if "eh_frame" not in l and not l.startswith("katran: /")]
    sys.stdout.writelines("  | " + l for l in errs[-10:])
    sys.exit(1)

net = lambda d: d["iqm_ns"] - d["floor_iqm_ns"]
def best(impl, cls):
    return min(net(d) for d in rows[(impl, cls)].values())
def best_new(impl):
    syn, ack = rows[(impl, "syn")], rows[(impl, "ack")]
    r = min(syn, key=lambda r: net(syn[r]) + net(ack[r]))
    return net(syn[r]), net(ack[r])

conf = [l.strip() for l in open(sys.argv[3]) if l.startswith("katran: /")]
if conf:
    print("Katran as configured: " + conf[0][len("katran: "):])
def per_round(cls):
    k, a = rows[("katran", cls)], rows[("anyedge", cls)]
    return [net(a[r]) / net(k[r]) for r in sorted(k) if net(k[r]) > 0]
def per_round_new():
    k = {r: net(rows[("katran", "syn")][r]) + net(rows[("katran", "ack")][r]) for r in rows[("katran", "syn")]}
    a = {r: net(rows[("anyedge", "syn")][r]) + net(rows[("anyedge", "ack")][r]) for r in rows[("anyedge", "syn")]}
    return [a[r] / k[r] for r in sorted(k) if k[r] > 0]

ks, ka = best_new("katran")
as_, aa = best_new("anyedge")
table = [
    ("non-VIP pass", best("katran", "nonvip"), best("anyedge", "nonvip"), 0.5, per_round("nonvip")),
    ("established IPv4 (ACK, hit)", best("katran", "hit"), best("anyedge", "hit"), 0.5, per_round("hit")),
    ("established IPv6 (ACK, hit)", best("katran", "hit6"), best("anyedge", "hit6"), 0.5, per_round("hit6")),
    ("new flow: SYN, never seen", ks, as_, None, per_round("syn")),
    ("  its first ACK, after the SYN", ka, aa, None, per_round("ack")),
    ("new flow: SYN + first ACK", ks + ka, as_ + aa, 0.75, per_round_new()),
]
# ns: each program's least disturbed round; ratio: the median of the rounds' own ratios, each
# round timing the two programs seconds apart (two best rounds may be minutes apart), with range
print("%-32s %8s %8s %6s %-11s %s" % ("class (net IQM, ns)", "Katran", "anyedge", "ratio", "rounds",
                                      "target"))
missed = []
for name, k, a, target, rr in table:
    rr.sort()
    ratio = rr[len(rr) // 2] if rr else float("inf")
    spread = "%.2f-%.2f" % (rr[0], rr[-1]) if rr else "-"
    mark = ""
    if target is not None:
        mark = "<= %.2f" % target
        if ratio > target:
            mark += " MISSED"
            missed.append(name.strip())
    print("%-32s %8.1f %8.1f %6.2f %-11s %s" % (name, k, a, ratio, spread, mark))
print("targets: %d of 4 met%s" % (4 - len(missed), "" if not missed else " (missed: " + "; ".join(missed) + ")"))
EOF
