#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guard suspects the edge, not the world (issue 12), on its lab topology at default settings
# (scripts/lab.sh, LAB_TOPO=guard): eu-west holds 3 of 5 backends; web (eu-west only) and app
# (both regions, clients prefer eu-west) announced over eBGP to a real upstream BIRD, whose own
# table is the judge; probes 200 ms x fall 2, timeout 100 ms; no safety key.
#   - every eu-west backend killed: web withdrawn at the upstream within interval x fall + 0.5 s
#     (900 ms), app's new flows go to us-east;
#   - every backend of both regions answering 503 at once: the guard holds (all_regions_failed,
#     in the log, the state API and the metrics), web stays announced, app served as before;
#   - eu-west answering 503 with system_mode: draining drains (no backend down, new app flows to
#     us-east, web announced); a plain 503 fails (eu-west down, web withdrawn);
#   - the daemon's wall clock stepped back an hour during the hold-down (tests/wallshift.c, an
#     LD_PRELOAD shim; the machine's clock is untouched): web is re-announced on time;
#   - the edge loses its route toward the backends: every probe fails on this host, the guard
#     holds (local_probe_errors), web stays announced, app is served as before.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export LAB=ae$$k LAB_BGP=1 LAB_TOPO=guard LAB_HOLD_DOWN=3s B
S=/run/anyedge-lab/$LAB
URL=http://127.0.0.1:9181
. tests/lib.sh
require bird birdc ethtool nsenter curl python3

cleanup() {
	[ -n "${KEEP_LOGS:-}" ] && cp "$S/edged1.log" "$KEEP_LOGS" 2>/dev/null
	stop_lab
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# stays_announced PREFIX SECONDS: never absent while polled for that long
stays_announced() {
	end=$(($(now_ms) + $2 * 1000))
	while [ "$(now_ms)" -lt "$end" ]; do
		[ "$(upstream_has "$1")" = present ] || return 1
		sleep 0.02
	done
}
state() { # python expression over the state JSON (j) is true
	ip netns exec "$LAB-e1" curl -s -m 2 "$URL/api/v1/state" | python3 -c "import json,sys; j=json.load(sys.stdin); sys.exit(0 if ($1) else 1)" 2>/dev/null
}
wait_state() { # EXPR SECONDS
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		state "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
app_by() { served_by eu 192.0.2.2:5432; }
EU="eu1 eu2 eu3"

sh scripts/lab.sh up || { echo "t_guard: lab did not come up"; exit 1; }
check "policy has no safety key" sh -c "! grep -q safety $S/edge1.yaml && grep -q 'interval: 200ms' $S/edge1.yaml"
# start_edged, with the wall-clock shim for step 4
echo 0 >"$S/wallshift"
WALLSHIFT_FILE=$S/wallshift LD_PRELOAD=$B/tests/libwallshift.so ANYEDGE_STATE_DIR=$S/opstate \
	nsenter --net=/run/netns/"$LAB-e1" "$B/anyedged" --config "$S/edge1.yaml" \
	>>"$S/edged1.log" 2>&1 &
echo $! >"$S/edged1.pid"
check "daemon attached" wait_log "attached to up1 in (native|generic) mode" 5
check "web announced at the upstream" wait_upq 192.0.2.1/32 present 10
check "app announced at the upstream" wait_upq 192.0.2.2/32 present 5
case $(app_by) in eu-west/*) ok "app served by eu-west" ;; *) bad "app not served by eu-west" ;; esac

# 1. the region holding most backends dies: acted on, at defaults
mark
t0=$(now_ms)
sh scripts/lab.sh backend-stop $EU
if wait_upq 192.0.2.1/32 absent 5; then
	dt=$(($(now_ms) - t0))
	echo "web withdrawn at the upstream $dt ms after eu-west's backends were killed" \
		"(edge: first failure +$(($(log_ms "backend .* down") - t0)) ms," \
		"region down +$(($(log_ms "region eu-west down: 0") - t0)) ms," \
		"withdraw +$(($(log_ms "bgp: web withdraw") - t0)) ms)"
	check "withdrawn within 200 ms x 2 + 500 ms" [ "$dt" -le 900 ]
else
	bad "web never withdrawn"
fi
case $(app_by) in us-east/*) ok "app's new flows go to us-east" ;; *) bad "app's new flows not on us-east" ;; esac
check "app stays announced" [ "$(upstream_has 192.0.2.2/32)" = present ]
check "state: eu-west down, guard not holding" wait_state \
	"[r for r in j['regions'] if r['name']=='eu-west'][0]['state']=='down' and not j['guard']['holding']" 2
check "no guard in the log" sh -c "grep -q 'region eu-west down' $S/edged1.log && ! grep -q 'GUARD ENTERED' $S/edged1.log"
sh scripts/lab.sh backend-start $EU
check "eu-west back" wait_log "region eu-west up" 10
check "web re-announced after the hold-down" wait_upq 192.0.2.1/32 present 5
i=0
until case $(app_by) in eu-west/*) true ;; *) false ;; esac; do
	[ $i -lt 30 ] || break
	sleep 0.1
	i=$((i + 1))
done
case $(app_by) in eu-west/*) ok "app back on eu-west" ;; *) bad "app not back on eu-west" ;; esac

# 2. every backend of both regions answers 503 at once: the edge is suspected, not the world
mark
set_state "DEGRADED - active every check failing" $EU us1 us2
check "guard holds: all_regions_failed" wait_log "GUARD ENTERED \\(all_regions_failed\\)" 5
check "web stays announced for 3 s" stays_announced 192.0.2.1/32 3
case $(app_by) in eu-west/*) ok "app still served by eu-west" ;; *) bad "app not served as before" ;; esac
check "state shows the loop alive" state "j['loop']['heartbeat_age_seconds'] < 2 and not j['loop']['stalled']"
check "state names the reason" state "j['guard']['holding'] and j['guard']['reason']=='all_regions_failed' and not j['ready']"
check "metric names the reason" sh -c \
	"ip netns exec $LAB-e1 curl -s $URL/metrics | grep -q '^anyedge_guard{reason=\"all_regions_failed\"} 1'"
nsenter --net=/run/netns/$LAB-e1 "$ANYEDGE" status --config "$S/edge1.yaml" >"$S/status.out" 2>&1
check "anyedge status names the guard's reason" grep -q "^mode .*(GUARD all_regions_failed: " "$S/status.out"
set_state "READY 0 active" $EU us1 us2
check "guard left" wait_log "GUARD LEFT \\(all_regions_failed\\)" 5
check "ready again" wait_state "j['ready'] and not j['guard']['holding']" 5

# 3. a 503 with system_mode: draining drains; a plain 503 fails
mark
set_state "DEGRADED - draining maintenance window" $EU
check "eu-west's backends draining" wait_state \
	"all(b['draining'] and b['health']!='down' for b in j['backends'] if b['region']=='eu-west')" 3
check "the backend's error text in the state" state \
	"[b for b in j['backends'] if b['address']=='198.51.100.71'][0]['last_probe']['error']=='maintenance window'"
case $(app_by) in us-east/*) ok "draining: app's new flows go to us-east" ;; *) bad "draining: app's new flows not on us-east" ;; esac
check "draining: web stays announced" stays_announced 192.0.2.1/32 1
check "draining: no backend down" sh -c "! tail -n +$((mark_at + 1)) $S/edged1.log | grep -q 'backend .* down'"
set_state "DEGRADED - active replica broken" $EU
check "plain 503: eu-west down" wait_log "region eu-west down: 0 of 3 backends passing" 5
check "plain 503: the error text in the evidence" grep -q "HTTP 503: replica broken" "$S/edged1.log"
check "plain 503: web withdrawn" wait_upq 192.0.2.1/32 absent 3

# 4. timers on CLOCK_MONOTONIC: an NTP step back of an hour during the hold-down moves nothing
mark
set_state "READY 0 active" $EU
check "hold-down started" wait_log "bgp: web hold" 5
echo -3600 >"$S/wallshift"
t0=$(now_ms)
if wait_upq 192.0.2.1/32 present 10; then
	dt=$(($(now_ms) - t0))
	echo "web re-announced $dt ms after the wall clock stepped back 1 h (hold-down 3 s)"
	check "re-announced within the 3 s hold-down + 1 s" [ "$dt" -le 4000 ]
else
	bad "web not re-announced: the hold-down followed the wall clock"
fi
# the precondition: the daemon's wall clock did step (its log lines are an hour behind)
skew=$(($(log_ms "bgp: web announce") - $(now_ms)))
check "the daemon's wall clock was stepped back ($skew ms)" \
	[ "$skew" -lt -3500000 -a "$skew" -gt -3700000 ]

# 5. the edge goes blind: no route toward any backend (connect fails with ENETUNREACH here)
mark
ip -n "$LAB-e1" route del default
check "guard holds: local_probe_errors" wait_log "GUARD ENTERED \\(local_probe_errors\\)" 5
check "blind: web stays announced for 2 s" stays_announced 192.0.2.1/32 2
check "blind: state names the reason" state "j['guard']['reason']=='local_probe_errors'"
# the data plane needs no route: it keeps the last gateway MAC and forwards as before
case $(app_by) in eu-west/*) ok "blind: app still served by eu-west" ;; *) bad "blind: app not served as before" ;; esac
ip -n "$LAB-e1" route add default via 198.18.1.1
check "sight back: guard left" wait_log "GUARD LEFT" 5

cleanup
trap - EXIT
check "no namespaces left" [ "$(ip netns list | grep -c "^$LAB-")" -eq 0 ]
finish
