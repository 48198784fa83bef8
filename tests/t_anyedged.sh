#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# anyedged end to end on the lab (scripts/lab.sh): the daemon attaches to edge1's uplink,
# probes six backends in three regions and steers real client connections through the real
# XDP program, backend decapsulators and direct server return. Shows:
#   - EU and US clients served by their nearest region;
#   - a long-lived flow survives a policy reload, a broken policy on SIGHUP (refused with
#     file:line:col, nothing changes) and a kill -9 + restart of anyedged, on one backend;
#   - eu-west's backends failing moves EU clients to us-east within interval x fall + the
#     guard's settle window (interval + timeout) + 0.5 s;
#   - the guard holds when every health endpoint fails at once: steering stays;
#   - nothing left behind.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export LAB=ae$$d B
S=/run/anyedge-lab/$LAB
. tests/lib.sh
require ethtool nsenter curl python3

cleanup() {
	[ -n "${KEEP_LOGS:-}" ] && cp "$S/edged1.log" "$KEEP_LOGS" 2>/dev/null
	stop_lab
}
trap cleanup EXIT
trap 'exit 1' INT TERM


sh scripts/lab.sh up || { echo "t_anyedged: lab did not come up"; exit 1; }
start_edged 1
check "daemon attached" wait_log "attached to up1 in (native|generic) mode" 5
check "all three regions up from probes" wait_regions_up

# 1. nearest region
case $(served_by eu) in eu-west/*) ok "EU client served by eu-west" ;; *) bad "EU client not served by eu-west" ;; esac
case $(served_by us) in us-east/*) ok "US client served by us-east" ;; *) bad "US client not served by us-east" ;; esac

# 2. a long-lived flow through reload, broken reload, kill -9 and restart
check "the long-lived flow is connected" flow_start 90
sed -i 's/- {address: 198.51.100.12}/- {address: 198.51.100.12, weight: 50}/' "$S/edge1.yaml"
mark
kill -HUP "$(cat "$S/edged1.pid")"
check "policy reloaded" wait_log "edge: reloaded" 5
cp "$S/edge1.yaml" "$S/edge1.good"
printf 'vips:\n  - name: [broken\n' >>"$S/edge1.yaml"
mark
kill -HUP "$(cat "$S/edged1.pid")"
check "broken policy refused" wait_log "reload refused" 5
check "refusal names file:line:col" grep -q "$S/edge1.yaml:[0-9]*:[0-9]*: error:" "$S/edged1.log"
case $(served_by eu) in eu-west/*) ok "steering unchanged after the refused reload" ;; *) bad "steering changed after a refused reload" ;; esac
cp "$S/edge1.good" "$S/edge1.yaml"
sleep 0.5
kill -9 "$(cat "$S/edged1.pid")"
sleep 0.5
case $(served_by eu) in eu-west/*) ok "still forwarding with no controller" ;; *) bad "forwarding stopped with the controller" ;; esac
mark
start_edged 1
check "restart adopted the pinned maps" wait_log "adopted pinned maps" 5
sleep 2
check "long-lived flow kept its backend, no reset or loss" flow_stop

# 3. eu-west fails: EU clients move within interval x fall + settle + 0.5 s (2 s + 1.5 s + 0.5 s)
t0=$(now_ms)
set_state NOT_READY eu1 eu2
moved=""
i=0
while [ $i -lt 60 ]; do
	case $(served_by eu) in us-east/*) moved=$(now_ms); break ;; esac
	sleep 0.1
	i=$((i + 1))
done
if [ -n "$moved" ]; then
	echo "failover: first EU request served by us-east $((moved - t0)) ms after eu-west failed"
	check "failover within 4000 ms" [ $((moved - t0)) -le 4000 ]
else
	bad "EU clients never moved to us-east"
fi
check "region down logged with evidence" grep -q "region eu-west down: 0 of 2 backends passing" "$S/edged1.log"
mark
set_state "READY 0 active" eu1 eu2
check "eu-west back after rise" wait_log "region eu-west up" 10
sleep 0.2
case $(served_by eu) in eu-west/*) ok "EU client back on eu-west" ;; *) bad "EU client not back on eu-west" ;; esac

# 4. the guard: every health endpoint fails at once; steering stays as it was
mark
set_state NOT_READY us1 us2 eu1 eu2 ap1 ap2
check "guard holds" wait_log "GUARD ENTERED \\(all_regions_failed\\)" 10
sleep 2.5
case $(served_by eu) in eu-west/*) ok "EU clients still served by eu-west under the guard" ;; *) bad "EU clients moved or dropped under the guard" ;; esac
case $(served_by us) in us-east/*) ok "US clients still served by us-east under the guard" ;; *) bad "US clients moved or dropped under the guard" ;; esac
set_state "READY 0 active" us1 us2 eu1 eu2 ap1 ap2

# 5. SIGTERM leaves the program forwarding; --detach removes it
kill "$(cat "$S/edged1.pid")"
sleep 0.5
case $(served_by eu) in */*) ok "SIGTERM leaves the edge forwarding" ;; *) bad "SIGTERM stopped forwarding" ;; esac
nsenter --net=/run/netns/"$LAB-e1" "$B/anyedged" --config "$S/edge1.yaml" --detach >/dev/null 2>&1
check "--detach removed the pins" [ ! -d "/sys/fs/bpf/anyedge/$LAB-edge1" ]
check "--detach removed the program" sh -c "! ip -n $LAB-e1 link show up1 | grep -q xdp"
rm -f "$S/edged1.pid"

cleanup
trap - EXIT
check "no namespaces left" [ "$(ip netns list | grep -c "^$LAB-")" -eq 0 ]
finish
