#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A bad day, on the lab with BGP (scripts/lab.sh, LAB_BGP=1): what anyedged promises when
#   - SIGHUP comes while it starts: it starts, and reloads once its loop runs;
#   - SIGHUP comes in a storm: it stays up, keeps serving the API, reloads, and steering and
#     announcements do not move;
#   - its state directory is full or read-only: an operator's failover is refused with the
#     reason, nothing is half-written, the old state file is intact, nothing changed;
#   - BIRD hangs (SIGSTOP): the loop and the API go on, a drain is answered at once and reaches
#     the upstream once BIRD wakes;
#   - BIRD is killed mid-drain: once it is back, the drain is carried through.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export LAB=hf$$ LAB_BGP=1 LAB_HOLD_DOWN=3s LAB_DRAIN_WAIT=3s B
S=/run/anyedge-lab/$LAB
NS_E=$LAB-e1
URL=http://127.0.0.1:9181
. tests/lib.sh
require bird birdc ethtool nsenter curl python3 mountpoint

cleanup() {
	[ -f "$S/watch.pid" ] && kill "$(cat "$S/watch.pid")" 2>/dev/null
	[ -f "$S/bird-e1.pid" ] && kill -CONT "$(cat "$S/bird-e1.pid")" 2>/dev/null
	mountpoint -q "$S/opstate" 2>/dev/null && umount "$S/opstate"
	[ -n "${KEEP_LOGS:-}" ] && cp "$S/edged1.log" "$KEEP_LOGS" 2>/dev/null
	stop_lab
}
trap cleanup EXIT
trap 'exit 1' INT TERM

req() { ip netns exec "$NS_E" curl -s -m 10 -o "$S/body" -w '%{http_code}' "$@"; }
post() { # PATH BODY: with the lab's token
	req -X POST -H "Authorization: Bearer $(cat "$S/edge1.token")" \
		-H 'Content-Type: application/json' --data-binary "$2" "$URL$1"
}
wait_state() { # PYTHON-EXPR SECONDS, j = /api/v1/state
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		[ "$(req "$URL/api/v1/state")" = 200 ] && python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$S/body" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
db_on() { echo "[v for v in j['vips'] if v['name']=='db'][0]['current_primary']=='$1'"; }
# watch SECONDS URL...: api_watch.py in the background; watched prints its JSON lines
watch() {
	rm -f "$S/watch.stop" "$S/watch.ready"
	ip netns exec "$NS_E" python3 tests/api_watch.py "$@" --stop "$S/watch.stop" \
		--ready "$S/watch.ready" >"$S/watch.json" 2>&1 &
	echo $! >"$S/watch.pid"
	i=0
	while [ ! -e "$S/watch.ready" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
watched() {
	touch "$S/watch.stop"
	wait "$(cat "$S/watch.pid")"
	rm -f "$S/watch.pid"
	sed 's/^/  /' "$S/watch.json"
}
# all_answered MAX_MS: every watched request was answered, none slower than MAX_MS
all_answered() {
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    j = json.loads(l)
    if j["failed"] or j["requests"] < 10 or j["max_ms"] > float(sys.argv[2]):
        sys.exit(1)' "$S/watch.json" "$1"
}

sh scripts/lab.sh up || { echo "t_faults: lab did not come up"; exit 1; }
# the operator state on a tmpfs of its own: small enough to fill, remountable read-only
mkdir -p "$S/opstate"
mount -t tmpfs -o size=64k,mode=0750 "anyedge-$LAB" "$S/opstate" || { bad "tmpfs"; finish; exit 1; }
start_edged 1
# 0. SIGHUP while it starts (policy, BPF load, attach take a few hundred ms): it must not take
# the default action and kill a half-started edge; the reload waits for the loop
pid=$(cat "$S/edged1.pid")
# before main() runs (exec, the dynamic loader) a SIGHUP takes the default action in any
# program; the promise starts where main blocks it: wait for that (SigBlk bit 0), bounded
sighup_blocked() {
	m=$(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/"$pid"/status 2>/dev/null)
	[ -n "$m" ] && [ $((0x$m & 1)) -eq 1 ]
}
i=0
until sighup_blocked || [ $i -ge 200 ]; do
	sleep 0.01
	i=$((i + 1))
done
check "anyedged blocks SIGHUP from the start of main" sighup_blocked
grep -q "attached to" "$S/edged1.log" || echo "SIGHUPs sent before the attach (start-up)"
i=0
while [ $i -lt 10 ]; do
	sleep 0.03
	kill -HUP "$pid" 2>/dev/null
	i=$((i + 1))
done
sleep 1
check "SIGHUP during start-up: the daemon lives on" kill -0 "$pid"
check "web announced" wait_upq 192.0.2.1/32 present 20
check "all regions up" wait_state "all(r['state']=='up' for r in j['regions'])" 10

# 1. a SIGHUP storm: 200 signals in about 2 s while the API is polled
pid=$(cat "$S/edged1.pid")
mark
watch 30 "$URL/health/shallow" "$URL/api/v1/state"
i=0
while [ $i -lt 200 ]; do
	kill -HUP "$pid"
	sleep 0.01
	i=$((i + 1))
done
sleep 1
watched
check "SIGHUP storm: the daemon is alive" kill -0 "$pid"
check "SIGHUP storm: every API request answered, none over 1000 ms" all_answered 1000
reloads=$(tail -n +$((mark_at + 1)) "$S/edged1.log" | grep -c "edge: reloaded ")
echo "SIGHUP storm: 200 signals, $reloads reloads (standard signals pending coalesce)"
check "SIGHUP storm: it reloaded ($reloads), never refused" sh -c \
	"[ $reloads -ge 1 ] && ! tail -n +$((mark_at + 1)) '$S/edged1.log' | grep -q 'reload refused\|reload failed'"
check "SIGHUP storm: web still announced" [ "$(upstream_has 192.0.2.1/32)" = present ]
case $(served_by eu) in eu-west/*) ok "SIGHUP storm: EU clients still on eu-west" ;; *) bad "EU client moved: $(served_by eu)" ;; esac

# 2. the state directory full, then read-only
F='"action":"PROMOTE_PASSIVE_REGION","sourceRegion":"us-east","targetRegion":"eu-west","forcePromotion":true'
B_='"action":"PROMOTE_PASSIVE_REGION","sourceRegion":"eu-west","targetRegion":"us-east","forcePromotion":true'
st=$S/opstate/$LAB-edge1.state
post /api/v1/drain '{"backend":"198.51.100.71"}' >/dev/null
post /api/v1/undrain '{"backend":"198.51.100.71"}' >/dev/null
check "a state file to keep intact" [ -s "$st" ]
cp "$st" "$S/state.before"
dd if=/dev/zero of="$S/opstate/fill" bs=4k 2>/dev/null
check "the state directory is full" sh -c "! dd if=/dev/zero of='$S/opstate/more' bs=4k count=1 2>/dev/null"
rm -f "$S/opstate/more"
got=$(post /api/v1/failover "{$F}")
check "full: failover refused (HTTP $got)" [ "$got" = 503 ]
check "full: the refusal says why" grep -q "No space left on device" "$S/body"
check "full: the old state file is intact" cmp -s "$st" "$S/state.before"
check "full: nothing half-written left beside it" [ "$(ls -A "$S/opstate" | grep -vc "^fill$\|^$LAB-edge1.state$")" -eq 0 ]
check "full: db still served from us-east" wait_state "$(db_on us-east)" 1
rm -f "$S/opstate/fill"
got=$(post /api/v1/failover "{$F}")
check "space again: failover made (HTTP $got)" [ "$got" = 200 ]
check "space again: saved" grep -q "^promote us-east eu-west" "$st"
check "space again: db on eu-west" wait_state "$(db_on eu-west)" 2
cp "$st" "$S/state.before"
mount -o remount,ro "$S/opstate"
got=$(post /api/v1/failover "{$B_}")
check "read-only: failover back refused (HTTP $got)" [ "$got" = 503 ]
check "read-only: the refusal says why" grep -q "Read-only file system" "$S/body"
check "read-only: db stays on eu-west" wait_state "$(db_on eu-west)" 1
check "read-only: the state file is intact" cmp -s "$st" "$S/state.before"
mount -o remount,rw "$S/opstate"
got=$(post /api/v1/failover "{$B_}")
check "writable again: failover back made (HTTP $got)" [ "$got" = 200 ]
check "writable again: db on us-east" wait_state "$(db_on us-east)" 2

# 3. BIRD hung: SIGSTOP; the drain is answered at once and reaches the upstream after SIGCONT
bpid=$(cat "$S/bird-e1.pid")
kill -STOP "$bpid"
watch 30 "$URL/health/shallow"
t0=$(now_ms)
got=$(post /api/v1/drain '{"edge":true}')
t1=$(now_ms)
echo "BIRD stopped: drain answered in $((t1 - t0)) ms"
check "BIRD stopped: the drain is answered ($got) within 2000 ms" [ "$got" = 200 ] && [ $((t1 - t0)) -le 2000 ]
sleep 3
check "BIRD stopped: the loop turns (shallow 200)" [ "$(req "$URL/health/shallow")" = 200 ]
check "BIRD stopped: ready says draining" sh -c "[ \"\$(ip netns exec $NS_E curl -s -o /dev/null -w '%{http_code}' $URL/health/ready)\" = 503 ]"
watched
check "BIRD stopped: the API answered throughout, none over 1000 ms" all_answered 1000
kill -CONT "$bpid"
check "BIRD woken: the drain reaches the upstream (withdrawn after drain_wait)" \
	wait_upq 192.0.2.1/32 absent 15
post /api/v1/undrain '{"edge":true}' >/dev/null
check "undrained: announced again" wait_upq 192.0.2.1/32 present 15

# 4. BIRD killed mid-drain, then restarted: the drain is carried through
mark
post /api/v1/drain '{"edge":true}' >/dev/null
sleep 0.3
kill -9 "$bpid"
check "BIRD killed: the daemon saw it" wait_log "BIRD control socket .* lost" 10
nsenter --net=/run/netns/$LAB-e1 bird -f -c "$S/bird-e1.conf" -s "$S/bird-e1.ctl" \
	-P "$S/bird-e1.birdpid" >>"$S/bird-e1.out" 2>&1 &
echo $! >"$S/bird-e1.pid"
check "BIRD restarted: the daemon reconnected" wait_log "BIRD control socket .* connected" 15
check "BIRD restarted: the drain carried through (withdrawn at the upstream)" \
	wait_upq 192.0.2.1/32 absent 20
sleep 2
check "... and it stays withdrawn while drained" [ "$(upstream_has 192.0.2.1/32)" = absent ]
post /api/v1/undrain '{"edge":true}' >/dev/null
check "undrained: announced again" wait_upq 192.0.2.1/32 present 15

cleanup
trap - EXIT
check "the tmpfs is gone" sh -c "! mountpoint -q '$S/opstate'"
check "no namespaces left" [ "$(ip netns list | grep -c "^$LAB-")" -eq 0 ]
finish
