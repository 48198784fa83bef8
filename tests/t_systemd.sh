#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# anyedged under systemd's protocols, without systemd: a listener of ours (notify_listen.py)
# is NOTIFY_SOCKET, the daemon runs on a veth pair in namespaces of its own. Checks:
#   - READY=1 comes once the program is attached (checked at that moment), with STATUS=;
#   - WATCHDOG=1 keeps coming while the loop turns (WATCHDOG_USEC=2 s);
#   - SIGHUP and POST /api/v1/reload: RELOADING=1, then READY=1, and the reload happened;
#   - SIGTERM: STOPPING=1 last, exit 0, program still attached;
#   - with JOURNAL_STREAM naming stderr, every line carries a syslog priority ("<6>"), and
#     without it (or naming another file) lines keep the timestamped format;
#   - dist/anyedged.service passes `systemd-analyze verify`.
# Root only; exit 77 without ip, nsenter or python3.
set -u

B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib.sh"
require ip nsenter python3 curl
[ -x "$B/anyedged" ] || skip "no $B/anyedged"

LAB=aesd$$
NS_E=$LAB-e NS_G=$LAB-g
tmp=$(mktemp -d /tmp/t_systemd.XXXXXX)
PIN=/sys/fs/bpf/anyedge-test-$LAB
pids=""
cleanup() {
	stop_pids
	[ -f "$tmp/policy.yaml" ] && nsenter --net=/run/netns/$NS_E "$B/anyedged" \
		--config "$tmp/policy.yaml" --pin-dir "$PIN" --detach >/dev/null 2>&1
	ip netns del $NS_E 2>/dev/null
	ip netns del $NS_G 2>/dev/null
	rm -rf "$tmp" "$PIN"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# 1. the unit file
if command -v systemd-analyze >/dev/null; then
	make -s --no-print-directory B="$B" "$B/anyedged.service" >/dev/null
	# verify resolves ExecStart: point it at this build; man pages are not installed here
	sed "s|^ExecStart=[^ ]*|ExecStart=$B/anyedged|" "$B/anyedged.service" >"$tmp/anyedged.service"
	systemd-analyze verify --man=no "$tmp/anyedged.service" >"$tmp/verify" 2>&1
	rc=$?
	check "systemd-analyze verify anyedged.service (exit $rc)" [ $rc -eq 0 ]
	check "  ... with nothing to say" [ ! -s "$tmp/verify" ]
	[ -s "$tmp/verify" ] && cat "$tmp/verify"
else
	echo "no systemd-analyze: unit not verified"
fi

# 2. the edge: up0 in NS_E, its gateway in NS_G
ip netns add $NS_E && ip netns add $NS_G || exit 1
ip -n $NS_E link add up0 type veth peer name gw0 netns $NS_G || exit 1
ip -n $NS_E addr add 198.18.77.2/24 dev up0
ip -n $NS_G addr add 198.18.77.1/24 dev gw0
ip -n $NS_E link set up0 up && ip -n $NS_G link set gw0 up && ip -n $NS_E link set lo up
ip -n $NS_E route add default via 198.18.77.1
cat >"$tmp/policy.yaml" <<EOP
edge: {name: $LAB, interface: up0, region: r1, encap_source: {ipv4: 198.18.77.2}}
regions:
  - {name: r1, backends: [{address: 198.51.100.11}]}
probe: {type: http, port: 8080, path: /health/ready, interval: 1s, timeout: 200ms}
vips:
  - {name: web, address: 192.0.2.1, ports: [tcp/80], mode: active-active, regions: [r1]}
api: {listen: $tmp/api.sock}
EOP

python3 "$top/tests/notify_listen.py" "$tmp/notify.sock" "$tmp/notify" \
	"ip -n $NS_E link show up0 | grep -q 'prog/xdp' && test -e $PIN/link" 90 &
pids="$!"
i=0
while [ ! -S "$tmp/notify.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
: >"$tmp/edged.log"
jstream=$(stat -c '%d:%i' "$tmp/edged.log")
NOTIFY_SOCKET=$tmp/notify.sock WATCHDOG_USEC=2000000 JOURNAL_STREAM=$jstream \
	ANYEDGE_STATE_DIR=$tmp/state nsenter --net=/run/netns/$NS_E "$B/anyedged" \
	--config "$tmp/policy.yaml" --pin-dir "$PIN" 2>>"$tmp/edged.log" &
edged=$!
pids="$pids $edged"

wait_msg() { # FIELD SECONDS [AFTER-LINE]: a message holding FIELD, after line AFTER-LINE
	i=0
	while [ $i -lt $(($2 * 20)) ]; do
		tail -n +$((${3:-0} + 1)) "$tmp/notify" | grep -q "	\(.*|\)\?$1\(|\|\$\)" && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
line_of() { # FIELD [AFTER-LINE]: the number of the first line holding FIELD
	awk -v f="$1" -v a="${2:-0}" -F'\t' 'NR > a { n = split($2, x, "|");
		for (i = 1; i <= n; i++) if (x[i] == f) { print NR; exit } }' "$tmp/notify"
}

check "READY=1 sent" wait_msg READY=1 15
i=0
while ! grep -q "^check	" "$tmp/notify" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
check "at READY=1 the program is attached and pinned" grep -qx "check	0" "$tmp/notify"
check "STATUS= with a summary at READY" grep -q "READY=1|STATUS=edge $LAB: [0-9]* of 1 regions up" "$tmp/notify"
r1=$(line_of READY=1)
sleep 3
n=$(tail -n +$((r1 + 1)) "$tmp/notify" | grep -c "WATCHDOG=1")
check "WATCHDOG=1 while the loop turns ($n in 3 s, WatchdogSec 2 s)" [ "$n" -ge 2 ]

mark=$(wc -l <"$tmp/notify")
kill -HUP $edged
check "SIGHUP: RELOADING=1" wait_msg RELOADING=1 10 "$mark"
rl=$(line_of RELOADING=1 "$mark")
check "  ... then READY=1" wait_msg READY=1 10 "${rl:-999999}"
check "  ... and the reload happened" grep -q "edge: reloaded" "$tmp/edged.log"
# a reload asked over the API is framed the same way
mark=$(wc -l <"$tmp/notify")
code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 --unix-socket "$tmp/api.sock" \
	-X POST http://edge/api/v1/reload)
check "POST /api/v1/reload: 200 (got $code)" [ "$code" = 200 ]
check "  ... RELOADING=1" wait_msg RELOADING=1 10 "$mark"
rl=$(line_of RELOADING=1 "$mark")
check "  ... then READY=1" wait_msg READY=1 10 "${rl:-999999}"

kill -TERM $edged
i=0
while kill -0 $edged 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
wait $edged
rc=$?
check "SIGTERM: exit 0 (got $rc)" [ $rc -eq 0 ]
pids=${pids%% *}
check "STOPPING=1 sent" wait_msg STOPPING=1 5
last=$(grep -v "^check" "$tmp/notify" | tail -n 1)
case $last in *STOPPING=1*) ok "STOPPING=1 is the last message" ;; *) bad "last message: $last" ;; esac
check "the program stays attached after SIGTERM" sh -c "ip -n $NS_E link show up0 | grep -q prog/xdp"

# 3. journald priorities
check "log written" [ -s "$tmp/edged.log" ]
check "under JOURNAL_STREAM every line has a priority" sh -c "! grep -qv '^<[3467]>' '$tmp/edged.log'"
check "  ... the attach is info (<6>)" grep -q "^<6>edge: $LAB attached to up0" "$tmp/edged.log"
check "  ... failing probes are warnings (<4>)" grep -q "^<4>" "$tmp/edged.log"
# JOURNAL_STREAM naming another file than stderr (a shell that redirected it): not journald
JOURNAL_STREAM=$jstream nsenter --net=/run/netns/$NS_E "$B/anyedged" --config "$tmp/policy.yaml" \
	--pin-dir "$PIN" --detach 2>"$tmp/detach.log"
check "detach, JOURNAL_STREAM not stderr's: timestamped lines" \
	grep -q "^20[0-9-]*T[0-9:.]*Z info: anyedged: detached" "$tmp/detach.log"
check "  ... and no priorities" sh -c "! grep -q '^<' '$tmp/detach.log'"

sed -n 's/^\([0-9]*\)\t/\1 ms: /p' "$tmp/notify" | grep -v WATCHDOG | head -n 12
finish
