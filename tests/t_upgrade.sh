#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# An upgrade across a dataplane ABI change, under a long-lived flow, on the lab
# (scripts/lab.sh). The running edge's pinned maps are made to say an older ABI (their meta
# entry rewritten with bpftool: to the next daemon that is exactly what an older build leaves).
#   - without a drain, a new daemon refuses those pins and touches nothing (the old one runs on);
#   - `anyedge upgrade -- restart.sh` drains the edge, waits for its announcements to be
#     withdrawn, runs the restart (old daemon stopped, new one started), waits for the new
#     daemon to come up drained on fresh maps of its own ABI, undrains, waits for ready;
#   - the long-lived flow keeps its backend throughout, with no reset and no lost line;
#   - the new maps say the current ABI, and the edge is active and ready again.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export LAB=aeu$$ B
S=/run/anyedge-lab/$LAB
. tests/lib.sh
require ethtool nsenter curl python3 bpftool
export S ANYEDGE B top

cleanup() {
	[ -n "${KEEP_LOGS:-}" ] && cp "$S/edged1.log" "$KEEP_LOGS" 2>/dev/null
	stop_lab
}
trap cleanup EXIT
trap 'exit 1' INT TERM

PIN=/sys/fs/bpf/anyedge/$LAB-edge1
meta_abi() { # the ABI the pinned maps say they speak
	bpftool -j map lookup pinned "$PIN/meta" key 0 0 0 0 |
		python3 -c 'import json,sys; v=json.load(sys.stdin)["value"]; print(int(v[0],16) | int(v[1],16) << 8)'
}
in_e1() { nsenter --net=/run/netns/"$LAB-e1" "$@"; }

sh scripts/lab.sh up || { echo "t_upgrade: lab did not come up"; exit 1; }
mkdir -p "$S/opstate" # what the unit's StateDirectory= provides: the drain must persist
start_edged 1
check "daemon attached" wait_log "attached to up1 in (native|generic) mode" 5
check "all three regions up" wait_regions_up
cur=$("$B/anyedged" --version | sed -n 's/.*dataplane ABI \([0-9]*\).*/\1/p')
check "pinned maps speak this build's ABI ($cur)" [ "$(meta_abi)" = "$cur" ]

check "the long-lived flow is connected" flow_start 120
case $(served_by eu) in eu-west/*) ok "EU client on eu-west" ;; *) bad "EU client not on eu-west" ;; esac

# the maps of "the old build": same layout here, another ABI number
old=$((cur - 1))
bpftool -j map lookup pinned "$PIN/meta" key 0 0 0 0 | python3 -c '
import json, sys
v = json.load(sys.stdin)["value"]
v[0], v[1], v[2], v[3] = "%d" % int(sys.argv[1]), "0", "0", "0"
print(" ".join(str(int(x, 0)) for x in v))' "$old" >"$S/meta.new"
bpftool map update pinned "$PIN/meta" key 0 0 0 0 value $(cat "$S/meta.new")
check "pinned maps now say ABI $old" [ "$(meta_abi)" = "$old" ]

# 1. not drained: refused, nothing touched
in_e1 "$B/anyedged" --config "$S/edge1.yaml" >"$S/refused.log" 2>&1
rc=$?
check "a new daemon on an undrained edge refuses ABI $old pins (exit $rc)" [ $rc -ne 0 ]
check "  ... saying why" grep -q "speaks ABI $old, this program $cur" "$S/refused.log"
check "  ... and touches nothing" [ "$(meta_abi)" = "$old" ]
check "  ... the running daemon still answers" \
	in_e1 "$ANYEDGE" status --config "$S/edge1.yaml"

prog_id() { ip -n "$LAB-e1" link show up1 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'; }
prog0=$(prog_id)

# 2. anyedge upgrade: drain, restart, wait, undrain
cat >"$S/restart.sh" <<'EOS'
# what a package's postinst or `systemctl restart anyedged` does here
. "$top/tests/lib.sh"
pid=$(cat "$S/edged1.pid")
kill "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
start_edged 1
EOS
mark
t0=$(now_ms)
in_e1 "$ANYEDGE" upgrade --config "$S/edge1.yaml" --timeout 20 -- sh "$S/restart.sh" \
	>"$S/upgrade.out" 2>&1
rc=$?
cat "$S/upgrade.out"
echo "upgrade took $(($(now_ms) - t0)) ms"
check "anyedge upgrade exits 0" [ $rc -eq 0 ]
check "  ... it drained and waited for the withdrawal" grep -q "withdrawn; running sh" "$S/upgrade.out"
check "the new daemon replaced the ABI $old pins as an upgrade of a drained edge" \
	wait_log "discarding pinned state of ABI $old .*an upgrade of a drained edge" 1
check "the new maps speak ABI $cur" [ "$(meta_abi)" = "$cur" ]
prog1=$(prog_id)
check "the link runs the new program (id $prog0 -> $prog1)" \
	sh -c '[ -n "$1" ] && [ "$1" != "$2" ]' _ "$prog1" "$prog0"
check "the new daemon came up drained (saved state), then was undrained" \
	sh -c "grep -q 'stays drained as saved' '$S/edged1.log'"
# the new program's counters start with it: any packet it could not steer is one the flow lost
in_e1 curl -s -m 2 "http://127.0.0.1:9181/metrics" >"$S/metrics"
nr=$(sed -n 's/^anyedge_xdp_unsteered_packets_total{.*reason="no_region"} \([0-9]*\)$/\1/p' "$S/metrics")
check "the new program dropped nothing for want of a region (no_region: ${nr:-none})" [ "${nr:-x}" = 0 ]
in_e1 curl -s -m 2 "http://127.0.0.1:9181/health/ready" >"$S/ready.json"
check "ready and active again" grep -q '"system_mode":"active"' "$S/ready.json"
case $(served_by eu) in eu-west/*) ok "new EU flows on eu-west" ;; *) bad "new EU flows not on eu-west" ;; esac
sleep 1
check "the long-lived flow kept its backend through the upgrade: no reset, no lost line" flow_stop

finish
