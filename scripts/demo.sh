#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo`: the lab (scripts/lab.sh) with BGP, anyedged on both edges, and the failover
# timeline it proves, narrated with timestamps and measured:
#   1. EU and US clients served by their nearest region;
#   2. eu-west fails: EU clients move to us-east (failure -> first request served elsewhere);
#   3. eu-west recovers: traffic returns only after `rise` passing probes;
#   4. edge1 loses every region it may serve (its policy lets web use only eu-west and
#      us-east): its BIRD withdraws, the upstream's route moves to edge2, clients keep being
#      served through edge2;
#   5. every backend of every region fails at once: the edges suspect themselves (the guard),
#      keep serving and announcing, and say why;
#   6. the active-passive db VIP is promoted with one `anyedge failover`, fleet-wide: the two
#      edges agree through a 3-member etcd (in the upstream's namespace): refused while a
#      majority of the edges' reports show too much replica lag, then committed once and
#      applied by both edges.
# Everything runs at the shipped defaults (no safety key) but for the hold-down.
# Ends with the measured RTO figures. KEEP=1 leaves the lab up; DEMO_ASSERT=1 (the tests) also
# checks every claim and exits non-zero when one fails.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
case $B in /*) ;; *) B=$top/$B ;; esac
export B LAB=${LAB:-aedemo} LAB_BGP=1 LAB_HOLD_DOWN=${LAB_HOLD_DOWN:-3s}
export LAB_EDGE1_WEB_REGIONS="[eu-west, us-east]"
S=/run/anyedge-lab/$LAB
A=$B/anyedge
. scripts/lab-lib.sh
. scripts/etcd-lab.sh
ETCD_DIR=
ASSERT=${DEMO_ASSERT:-0}
claims=0 broken=0

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root: it builds network namespaces and loads XDP programs" >&2
	exit 1
fi

say() { printf '%s  %s\n' "$(date -u +%H:%M:%S.%3N)" "$*"; }
claim() { # description, command: checked, and counted in DEMO_ASSERT mode
	d=$1
	shift
	claims=$((claims + 1))
	if "$@"; then
		[ "$ASSERT" = 1 ] && echo "          ok: $d"
	else
		broken=$((broken + 1))
		echo "          NOT AS CLAIMED: $d"
	fi
}
edge_of_route() { # which edge the upstream sends the VIP to now
	case $(ip -n "$LAB-up" route get 192.0.2.1 2>/dev/null) in
	*198.18.1.2*) echo edge1 ;; *198.18.2.2*) echo edge2 ;; *) echo none ;;
	esac
}
# until_served CLIENT PATTERN SECONDS: ms until a new request from CLIENT is served by PATTERN
until_served() {
	t0=$(now_ms)
	i=0
	while [ $i -lt $(($3 * 20)) ]; do
		case $(served_by "$1") in $2) echo $(($(now_ms) - t0)); return 0 ;; esac
		sleep 0.05
		i=$((i + 1))
	done
	echo -1
	return 1
}
# the route monitor's mark, beside the log's (mark, in lab-lib.sh)
mark_routes() { mm=$(wc -l <"$S/monitor.txt"); }
mm=0
route_ms() { # PATTERN: ms of the upstream's first route change matching since the mark
	t=$(tail -n +$((mm + 1)) "$S/monitor.txt" | grep -v Deleted | grep -E "$1" | head -n 1 |
		cut -c2-27)
	[ -n "$t" ] && date -u -d "$t" +%s%3N || echo 0
}
api() { # EDGE CLI-ARGS...
	n=$1
	shift
	nsenter --net=/run/netns/"$LAB-e$n" "$A" "$@" --config "$S/edge$n.yaml"
}

teardown() {
	# for the tests: every PID the lab recorded, to check none outlives the teardown
	[ -n "${DEMO_PIDS_OUT:-}" ] && cat "$S"/*.pid "${ETCD_DIR:-/nonexistent}"/*.pid \
		>"$DEMO_PIDS_OUT" 2>/dev/null
	[ -f "$S/monitor.pid" ] && kill "$(cat "$S/monitor.pid")" 2>/dev/null
	stop_lab
	[ -n "$ETCD_DIR" ] && etcd_down
}

say "building the lab $LAB: two clients, an upstream router, two edges, three regions"
sh scripts/lab.sh up >/dev/null || { teardown; exit 1; }
[ "${KEEP:-0}" = 1 ] || trap teardown EXIT
trap 'exit 1' INT TERM
ip -n "$LAB-up" -ts monitor route >"$S/monitor.txt" 2>&1 &
echo $! >"$S/monitor.pid"
# the fleet's etcd: three members on the upstream, which both edges reach over their uplinks
etcd_lab demo-etcd
etcd_lab_up >/dev/null || { say "etcd did not come up"; exit 1; }
for n in 1 2; do
	cat >>"$S/edge$n.yaml" <<EOF
fleet: {etcd: [$(etcd_url 1), $(etcd_url 2), $(etcd_url 3)], name: $LAB,
        members: [$LAB-edge1, $LAB-edge2], report_ttl: 3s, request_timeout: 1s}
EOF
done
say "etcd up: 3 members on the upstream ($ETCD_HOSTS)"
start_edged 1
start_edged 2
say "anyedged started on edge1 (eu-west) and edge2 (us-east); waiting for probes and BGP"
i=0
until [ "$(birdc -s "$S/bird-up.ctl" show route 192.0.2.1/32 2>/dev/null | grep -c 'unicast')" -ge 2 ]; do
	[ $i -lt 200 ] || break
	sleep 0.1
	i=$((i + 1))
done
birdc -s "$S/bird-up.ctl" show route 192.0.2.1/32 | sed -n '2,$p' | sed 's/^/          upstream: /'

echo
say "1. clients reach the VIP 192.0.2.1 and are served by their nearest region"
# announced once any region is up: give the nearest ones their rise too (bounded)
until_served eu "eu-west/*" 5 >/dev/null
until_served us "us-east/*" 5 >/dev/null
eu=$(served_by eu)
us=$(served_by us)
say "   EU client 203.0.113.140 -> $eu   (through $(edge_of_route))"
say "   US client 203.0.113.10  -> $us"
claim "EU client served by eu-west" sh -c "case '$eu' in eu-west/*) ;; *) exit 1 ;; esac"
claim "US client served by us-east" sh -c "case '$us' in us-east/*) ;; *) exit 1 ;; esac"

echo
say "2. eu-west's health endpoints fail (probes every 1 s, fall 2)"
set_state NOT_READY eu1 eu2
rto_fail=$(until_served eu "us-east/*" 10)
say "   EU clients now -> $(served_by eu): first request served by us-east $rto_fail ms after the failure"
# detection (interval x fall), then the first probe elsewhere that passes proves the edge sees
claim "failover within interval x fall + interval + 1 s (4000 ms)" [ "$rto_fail" -ge 0 ] && [ "$rto_fail" -le 4000 ]

echo
say "3. eu-west recovers: traffic returns only after rise (2) passing probes"
set_state "READY 0 active" eu1 eu2
rto_back=$(until_served eu "eu-west/*" 10)
say "   EU clients back on eu-west $rto_back ms after the recovery"
claim "EU clients back on eu-west" [ "$rto_back" -ge 0 ]

echo
say "4. edge1 loses every region it may serve web from (its policy: eu-west, us-east)"
mark
mark_routes
t_fail=$(now_ms)
set_state NOT_READY eu1 eu2 us1 us2
wait_log "bgp: web withdraw" 10
t_dec=$(log_ms "bgp: web withdraw")
i=0
while [ "$(edge_of_route)" != edge2 ] && [ $i -lt 100 ]; do
	sleep 0.02
	i=$((i + 1))
done
t_route=$(route_ms "^\[.*\] 192.0.2.1 via 198.18.2.2")
rto_edge=$(until_served eu "ap-south/*" 10)
t_served=$(now_ms)
say "   edge1 decided to withdraw $((t_dec - t_fail)) ms after the failure; the upstream's route"
say "   moved to edge2 $((t_route - t_dec)) ms after that decision:"
birdc -s "$S/bird-up.ctl" show route 192.0.2.1/32 | sed -n '2,$p' | sed 's/^/          upstream: /'
say "   EU client now -> $(served_by eu), US client -> $(served_by us) (through $(edge_of_route))"
claim "withdrawal seen at the upstream within 2 s of the decision" \
	[ "$t_route" -gt 0 ] && [ $((t_route - t_dec)) -le 2000 ]
claim "clients keep being served through the other edge" [ "$rto_edge" -ge 0 ]
set_state "READY 0 active" eu1 eu2 us1 us2
say "   regions recover; edge1 re-announces after its hold-down ($LAB_HOLD_DOWN)"
i=0
while [ "$(edge_of_route)" != edge1 ] && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
say "   the upstream routes the VIP through $(edge_of_route) again"

echo
say "5. every backend of every region fails at once (a bad health-check deploy, or a blind edge)"
mark
set_state "DEGRADED - active health check broken" eu1 eu2 us1 us2 ap1 ap2
wait_log "GUARD ENTERED" 10
g1=$(tail -n +$((mark_at + 1)) "$S/edged1.log" | grep "GUARD ENTERED" | head -n 1 | cut -c32-)
say "   edge1: ${g1:-no guard}"
sleep 2
route=$(edge_of_route)
eu=$(served_by eu)
say "   2 s later the upstream still routes the VIP through $route; EU client -> $eu"
claim "edge1's guard holds: all regions failed together" sh -c "echo '$g1' | grep -q all_regions_failed"
claim "web still announced" [ "$route" != none ]
claim "EU clients still served as before" sh -c "case '$eu' in eu-west/*) ;; *) exit 1 ;; esac"
set_state "READY 0 active" eu1 eu2 us1 us2 ap1 ap2
wait_log "GUARD LEFT" 10
say "   health endpoints back: $(tail -n +$((mark_at + 1)) "$S/edged1.log" | grep "GUARD LEFT" | head -n 1 | cut -c32-)"

echo
say "6. the active-passive db VIP (192.0.2.2, primary us-east) is promoted to eu-west, fleet-wide"
set_state "READY 8 active" eu1 eu2
sleep 3.5
say "   eu-west's replicas report 8 s of replica lag; one command on edge1, --max-lag 5:"
out=$(api 1 failover --from us-east --to eu-west --max-lag 5 2>&1)
rc=$?
echo "$out" | fold -s -w 90 | sed 's/^/          edge1: /'
claim "promotion refused: no majority of the edges' reports sees eu-west fit" [ $rc -ne 0 ]
set_state "READY 1 active" eu1 eu2
sleep 3.5
say "   lag down to 1 s; the same one command on edge1 promotes for the whole fleet:"
mark 1
m2=$(wc -l <"$S/edged2.log")
out=$(api 1 failover --from us-east --to eu-west --max-lag 5 2>&1)
rc=$?
echo "$out" | fold -s -w 90 | sed 's/^/          edge1: /'
claim "promotion committed in etcd" [ $rc -eq 0 ]
at=$(ectl get "/anyedge/$LAB/serving/db" --print-value-only 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["at"])' 2>/dev/null || echo 0)
wait_log "vip db now served from eu-west" 3 1
t1=$(log_ms "vip db now served from eu-west" 1)
mark_at=$m2
wait_log "vip db now served from eu-west" 3 2
t2=$(log_ms "vip db now served from eu-west" 2)
say "   applied by edge1 $((t1 - at)) ms and by edge2 $((t2 - at)) ms after the commit"
claim "both edges applied it within 1 s of the commit" \
	sh -c "[ $t1 -gt 0 ] && [ $t2 -gt 0 ] && [ $((t1 - at)) -lt 1000 ] && [ $((t2 - at)) -lt 1000 ]"
api 2 fleet 2>&1 | sed 's/^/          edge2: /'
db=$(ip netns exec "$LAB-cus" curl -s -m 1 http://192.0.2.2:5432/ 2>/dev/null)
say "   US client -> db 192.0.2.2:5432 served by $db"
claim "db served by eu-west after the promotion" sh -c "case '$db' in eu-west/*) ;; *) exit 1 ;; esac"

echo
say "Recovery times measured in this run"
printf '          %-58s %8s\n' "event" "ms"
printf '          %-58s %8s\n' "eu-west fails -> EU client served by us-east" "$rto_fail"
printf '          %-58s %8s\n' "eu-west recovers -> EU client back on eu-west" "$rto_back"
printf '          %-58s %8s\n' "edge1's regions fail -> edge1 decides to withdraw" "$((t_dec - t_fail))"
printf '          %-58s %8s\n' "edge1 decides -> upstream route moves to edge2" "$((t_route - t_dec))"
printf '          %-58s %8s\n' "edge1's regions fail -> EU client served through edge2" "$((t_served - t_fail))"
printf '          %-58s %8s\n' "db promoted in etcd -> applied by edge1" "$((t1 - at))"
printf '          %-58s %8s\n' "db promoted in etcd -> applied by edge2" "$((t2 - at))"

if [ "${KEEP:-0}" = 1 ]; then
	cat <<EOF

The lab stays up (KEEP=1). To look around:
  ip netns exec $LAB-ceu curl http://192.0.2.1/        # an EU client
  ip netns exec $LAB-e1 $A status --config $S/edge1.yaml
  ip netns exec $LAB-e1 curl -s http://127.0.0.1:9181/api/v1/state
  birdc -s $S/bird-up.ctl show route                   # the upstream's table
  birdc -s $S/bird-e1.ctl show protocols               # edge1's BIRD
  echo NOT_READY > $S/eu1.state                        # fail a backend's health endpoint
  logs: $S/edged1.log $S/edged2.log
  ip netns exec $LAB-e2 $A fleet --config $S/edge2.yaml  # the fleet as edge2 sees it
Tear it down with: LAB=$LAB sh scripts/lab.sh down   (and kill the anyedged PIDs in $S/edged*.pid
and the etcd PIDs in $ETCD_DIR/m*.pid, then remove $ETCD_DIR)
EOF
fi
[ "$ASSERT" = 1 ] && echo "$((claims - broken)) passed, $broken failed"
[ "$broken" -eq 0 ]
