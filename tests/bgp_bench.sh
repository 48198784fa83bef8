#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# BGP timing on the lab (LAB_BGP=1), RUNS times (default 20): us-east's backends fail, so the
# db VIP (active-passive on us-east) must be withdrawn. Per run:
#   failure -> decision        the backends' health endpoints start failing -> anyedged decides
#   decision -> BIRD reply     anyedged's own measure, logged with the reply
#   decision -> upstream       the upstream's table (its BIRD's kernel export, `ip -ts monitor`)
#   failure -> upstream        the whole chain
# A benchmark, not a test: it prints a distribution and asserts nothing.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
RUNS=${RUNS:-20}
export LAB=ae$$b LAB_BGP=1 LAB_HOLD_DOWN=1s B
export LAB_BGP_EXTRA=", damping: {penalty: 0}"
S=/run/anyedge-lab/$LAB
. "$top/scripts/lab-lib.sh" # set_state

[ "$(id -u)" -eq 0 ] || { echo "bgp_bench: needs root" >&2; exit 1; }
cleanup() {
	for f in "$S/edged1.pid" "$S/monitor.pid"; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	sleep 0.2
	[ -f "$S/edge1.yaml" ] && nsenter --net=/run/netns/$LAB-e1 "$B/anyedged" \
		--config "$S/edge1.yaml" --detach >/dev/null 2>&1
	sh scripts/lab.sh down >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ms_of() { date -u -d "$1" +%s%3N; } # "2026-11-28T23:36:30.338282" -> ms
wait_for() { # FILE PATTERN COUNT SECONDS
	i=0
	while [ $i -lt $(($4 * 20)) ]; do
		[ "$(grep -c -E "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

sh scripts/lab.sh up >/dev/null || exit 1
ip -n "$LAB-up" -ts monitor route >"$S/monitor.txt" 2>&1 &
echo $! >"$S/monitor.pid"
ANYEDGE_STATE_DIR=$S/opstate nsenter --net=/run/netns/$LAB-e1 "$B/anyedged" \
	--config "$S/edge1.yaml" >"$S/edged1.log" 2>&1 &
echo $! >"$S/edged1.pid"
wait_for "$S/monitor.txt" "^\[.*\] 192.0.2.2 " 1 20 || { echo "db never announced" >&2; exit 1; }

: >"$S/runs.txt"
n=1
while [ $n -le "$RUNS" ]; do
	t_fail=$(date -u +%s%3N)
	set_state NOT_READY us1 us2
	wait_for "$S/monitor.txt" "Deleted 192.0.2.2 " "$n" 10 || break
	dec=$(grep "bgp: db withdraw" "$S/edged1.log" | tail -n 1 | cut -c1-23)
	reply=$(grep 'BIRD did `disable anyedge_db`' "$S/edged1.log" | tail -n 1 |
		sed 's/.* \([0-9.]*\) ms after the decision/\1/')
	up=$(grep "Deleted 192.0.2.2 " "$S/monitor.txt" | tail -n 1 | cut -c2-27)
	t_dec=$(ms_of "$dec")
	t_up=$(ms_of "$up")
	echo "$((t_dec - t_fail)) $reply $((t_up - t_dec)) $((t_up - t_fail))" >>"$S/runs.txt"
	set_state "READY 0 active" us1 us2
	wait_for "$S/monitor.txt" "^\[.*\] 192.0.2.2 " $((n + 1)) 15 || break
	n=$((n + 1))
done

python3 - "$S/runs.txt" <<'EOF'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
names = ["failure -> decision (ms)", "decision -> BIRD reply (ms)",
         "decision -> upstream table (ms)", "failure -> upstream table (ms)"]
print("%d runs (probe interval 1 s, fall 2; upstream time from its kernel table)" % len(rows))
print("%-34s %8s %8s %8s %8s" % ("", "min", "median", "p90", "max"))
for i, name in enumerate(names):
    v = sorted(r[i] for r in rows)
    if not v:
        continue
    p90 = v[min(len(v) - 1, int(round(0.9 * (len(v) - 1))))]
    print("%-34s %8.1f %8.1f %8.1f %8.1f" % (name, v[0], statistics.median(v), p90, v[-1]))
EOF
