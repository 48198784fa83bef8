#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# anyedged driving a real BIRD 2 over its control socket, seen from a real upstream BIRD across
# an eBGP session (the lab with LAB_BGP=1). The upstream's own table (`birdc -s`) is the judge:
#   - nothing announced before anyedged runs; announced once regions are up;
#   - the db VIP (active-passive, primary us-east) withdrawn when us-east fails, seen at the
#     upstream within 1 s of the edge's decision; re-announced only after the hold-down;
#   - a prefix that flaps is suppressed by damping (withdrawals are never delayed);
#   - BIRD killed and restarted: the state files bring back exactly what anyedged wants;
#     a protocol disabled behind anyedged's back is corrected at the next reconcile;
#   - drain: the graceful-shutdown twin (65535,0, prepended path) at the upstream, then the
#     withdrawal after drain_wait; undrain announces again; --detach withdraws everything.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export LAB=ae$$g LAB_BGP=1 LAB_HOLD_DOWN=3s LAB_DRAIN_WAIT=3s B
# the second flap suppresses: 1500, decayed a little, plus 1500 > 2000
export LAB_BGP_EXTRA=", damping: {penalty: 1500, half_life: 60s, suppress: 2000, reuse: 750}"
S=/run/anyedge-lab/$LAB
. tests/lib.sh
require bird birdc ethtool nsenter curl

cleanup() {
	[ -n "${KEEP_LOGS:-}" ] && cp "$S/edged1.log" "$KEEP_LOGS" 2>/dev/null
	stop_lab
}
trap cleanup EXIT
trap 'exit 1' INT TERM

sh scripts/lab.sh up || { echo "t_bgp: lab did not come up"; exit 1; }
i=0
until birdc -s "$S/bird-up.ctl" show protocols 2>/dev/null | grep -q "edge1 .*Established"; do
	[ $i -lt 100 ] || break
	sleep 0.1
	i=$((i + 1))
done
check "eBGP session established" sh -c "birdc -s $S/bird-up.ctl show protocols | grep -q 'edge1 .*Established'"
check "nothing announced before anyedged runs" [ "$(upstream_has 192.0.2.1/32)" = absent ]

: >"$S/edged1.log"
start_edged 1
check "web announced once regions are up" wait_upq 192.0.2.1/32 present 10
check "db announced" wait_upq 192.0.2.2/32 present 5
check "the route carries the anyedge community" sh -c \
	"birdc -s $S/bird-up.ctl show route 192.0.2.1/32 all | grep -q '(64512,100)'"

# withdraw: us-east (db's serving region) fails
mark
set_state NOT_READY us1 us2
check "db withdraw decided" wait_log "bgp: db withdraw" 10
t_dec=$(log_ms "bgp: db withdraw")
took=$(wait_upstream 192.0.2.2/32 absent 3)
t_seen=$(now_ms)
if [ -n "$took" ] && [ -n "$t_dec" ]; then
	echo "withdraw: seen at the upstream $((t_seen - t_dec)) ms after the decision (poll 10 ms)"
	check "withdrawal at the upstream within 1 s of the decision" [ $((t_seen - t_dec)) -le 1000 ]
else
	bad "db never withdrawn at the upstream"
fi
check "web stays announced (its other regions are up)" [ "$(upstream_has 192.0.2.1/32)" = present ]

# re-announce only after the hold-down (3 s)
mark
set_state "READY 0 active" us1 us2
check "us-east up again" wait_log "region us-east up" 10
t_up=$(now_ms)
wait_upstream 192.0.2.2/32 present 10 >/dev/null
t_back=$(now_ms)
echo "re-announce: $((t_back - t_up)) ms after us-east came back (hold-down 3000 ms)"
check "re-announced only after the hold-down" [ $((t_back - t_up)) -ge 2800 ]

# damping: a second flap within the half-life suppresses
mark
set_state NOT_READY us1 us2
check "second withdrawal" wait_log "bgp: db (withdraw|suppress)" 10
check "damping suppressed the flapping prefix" wait_log "bgp: db suppress" 1
set_state "READY 0 active" us1 us2
check "us-east up again" wait_log "region us-east up" 10
sleep 4
check "suppressed: not re-announced after the hold-down" [ "$(upstream_has 192.0.2.2/32)" = absent ]

# BIRD killed and restarted: it comes back to what the state files say
kill -9 "$(cat "$S/bird-e1.pid")"
mark
nsenter --net=/run/netns/$LAB-e1 bird -f -c "$S/bird-e1.conf" -s "$S/bird-e1.ctl" \
	-P "$S/bird-e1.birdpid" >>"$S/bird-e1.out" 2>&1 &
echo $! >"$S/bird-e1.pid"
check "anyedged reconnected to the restarted BIRD" wait_log "BIRD control socket .* connected" 10
check "web back at the upstream after the BIRD restart" wait_upq 192.0.2.1/32 present 15
check "db still withdrawn (suppressed) after the restart" [ "$(upstream_has 192.0.2.2/32)" = absent ]

# drift: a protocol disabled behind anyedged's back is corrected at the next reconcile
birdc -s "$S/bird-e1.ctl" disable anyedge_web >/dev/null
wait_upstream 192.0.2.1/32 absent 5 >/dev/null
mark
kill -HUP "$(cat "$S/edged1.pid")"
check "reconcile corrected the drift" wait_log "reconcile: anyedge_web is down in BIRD, wanted up" 5
check "web back at the upstream" wait_upq 192.0.2.1/32 present 5

# drain: graceful shutdown first, then withdraw; undrain announces again
nsenter --net=/run/netns/$LAB-e1 "$B/anyedge" drain --edge --config "$S/edge1.yaml" >/dev/null
check "GRACEFUL_SHUTDOWN community at the upstream during the drain" sh -c \
	"sleep 0.5; birdc -s $S/bird-up.ctl show route 192.0.2.1/32 all | grep -q '(65535,0)'"
check "path prepended during the drain" sh -c \
	"birdc -s $S/bird-up.ctl show route 192.0.2.1/32 all | grep -q 'as_path: 65001 65001'"
check "withdrawn after drain_wait" wait_upq 192.0.2.1/32 absent 6
nsenter --net=/run/netns/$LAB-e1 "$B/anyedge" undrain --edge --config "$S/edge1.yaml" >/dev/null
check "undrain announces again" wait_upq 192.0.2.1/32 present 6
check "undrained route has no GRACEFUL_SHUTDOWN" sh -c \
	"! birdc -s $S/bird-up.ctl show route 192.0.2.1/32 all | grep -q '(65535,0)'"

# SIGTERM keeps announcements; --detach withdraws them all
kill "$(cat "$S/edged1.pid")"
sleep 0.5
check "SIGTERM keeps the announcement" [ "$(upstream_has 192.0.2.1/32)" = present ]
nsenter --net=/run/netns/$LAB-e1 "$B/anyedged" --config "$S/edge1.yaml" --detach >/dev/null 2>&1
check "--detach withdraws everything" wait_upq 192.0.2.1/32 absent 3
rm -f "$S/edged1.pid"

cleanup
trap - EXIT
check "no namespaces left" [ "$(ip netns list | grep -c "^$LAB-")" -eq 0 ]
finish
