#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bgp/bird_ctl against a real BIRD 2 on a private socket (never the system BIRD): greeting,
# show status, disable/enable and their "already" replies, a parse error, show route; BIRD
# killed and restarted while the non-blocking client follows it: it reconnects within its
# backoff and works again. Measures the socket `disable` round trip (median of 100) and, for
# comparison, a `birdc` subprocess. Everything it starts is stopped by PID; the temp dir goes.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. "$top/tests/lib.sh"
CLI=${BIRD_CTL_CLI:-$B/tests/bird_ctl_cli}
now_ms() { date +%s%3N; }

require bird
[ -x "$CLI" ] || { echo "t_bird_ctl: $CLI not built"; exit 1; }

T=$(mktemp -d /tmp/anyedge-bird.XXXXXX) || exit 1
SOCK=$T/bird.ctl
bird_pid='' follow_pid=''
cleanup() {
	[ -n "$follow_pid" ] && kill "$follow_pid" 2>/dev/null
	if [ -n "$bird_pid" ]; then
		kill "$bird_pid" 2>/dev/null
		i=0
		while kill -0 "$bird_pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$bird_pid" 2>/dev/null
	fi
	[ -n "${KEEP_LOGS:-}" ] && cp "$T/bird.log" "$KEEP_LOGS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cat >"$T/bird.conf" <<EOF
router id 192.0.2.250;
log "$T/bird.log" all;
protocol device { }
protocol static anyedge_t1 { ipv4; route 192.0.2.1/32 blackhole; }
protocol static anyedge_t2 { ipv4; route 192.0.2.2/32 blackhole; }
EOF

# start_bird: in the foreground under this shell, so $! is BIRD itself; wait for its socket
start_bird() {
	bird -f -c "$T/bird.conf" -s "$SOCK" -P "$T/bird.pid" >>"$T/bird.out" 2>&1 &
	bird_pid=$!
	i=0
	while [ $i -lt 100 ]; do
		"$CLI" greet "$SOCK" >/dev/null 2>&1 && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# once CMD: run one command; the output goes to $T/out
once() { "$CLI" once "$SOCK" 2000 "$1" >"$T/out" 2>&1; }
has() { grep -q -- "$1" "$T/out"; }

if start_bird; then ok "BIRD $(bird --version 2>&1 | awk '{print $3}') up on $SOCK"; else
	bad "BIRD did not start"; cat "$T/bird.out"; exit 1
fi

"$CLI" greet "$SOCK" >"$T/out" 2>&1
if has '^greeting 0001 BIRD 2\.[0-9.]* ready\.$'; then ok "greeting: $(cat "$T/out")"; else
	bad "greeting: $(cat "$T/out")"; fi

once "show status"
if has '^reply 13 0 ' && has '^line 1011 c Hostname'; then ok "show status ends 0013"; else
	bad "show status: $(cat "$T/out")"; fi

once "disable anyedge_t1"
if has '^line 0009 - anyedge_t1: disabled' && has '^reply 0 0 '; then ok "disable: 0009, 0000"
else bad "disable: $(cat "$T/out")"; fi

once "disable anyedge_t1"
if has '^line 0008 - anyedge_t1: already disabled' && has '^reply 0 0 '; then
	ok "disable again: 0008"; else bad "disable again: $(cat "$T/out")"; fi

once "show route 192.0.2.1/32"
if has '^reply 8001 1 Network not found'; then ok "disabled protocol's route gone: 8001 kept as error"
else bad "show route while disabled: $(cat "$T/out")"; fi

once "enable anyedge_t1"
if has '^line 0011 - anyedge_t1: enabled' && has '^reply 0 0 '; then ok "enable: 0011"; else
	bad "enable: $(cat "$T/out")"; fi

once "disable nosuch_proto"
if has '^reply 9001 1 syntax error'; then ok "unknown protocol: 9001 error, text kept"; else
	bad "unknown protocol: $(cat "$T/out")"; fi

once 'disable "zz*"'
if has '^reply 8003 1 No protocols match'; then ok "no match: 8003"; else
	bad "no match: $(cat "$T/out")"; fi

once "show route 192.0.2.1/32"
if has '^line 1007 - Table master4:' && has '^line 1007 c 192\.0\.2\.1/32 .*anyedge_t1' &&
	has '^reply 0 0 '; then ok "show route 192.0.2.1/32: 1007 rows"; else
	bad "show route: $(cat "$T/out")"; fi

# The non-blocking client follows BIRD through a crash and a restart.
"$CLI" follow "$SOCK" 20 2 >"$T/follow" 2>&1 &
follow_pid=$!
i=0
while ! grep -q '^done show status 13' "$T/follow" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if grep -q '^done show status 13' "$T/follow"; then ok "client connected, show status 0013"; else
	bad "client did not connect: $(cat "$T/follow")"; fi
kill -9 "$bird_pid"
wait "$bird_pid" 2>/dev/null
bird_pid=
i=0
while ! grep -q '^down' "$T/follow" && [ $i -lt 20 ]; do sleep 0.05; i=$((i + 1)); done
if grep -q '^down' "$T/follow"; then ok "client saw BIRD go"; else bad "no disconnect seen"; fi
sleep 0.5 # BIRD absent through a few backoff steps (100, 200, 400 ms)
start_bird || bad "BIRD did not restart"
back_at=$(now_ms)
wait "$follow_pid"
rc=$?
follow_pid=
down_at=$(awk '/^down/ {print $2; exit}' "$T/follow")
up_at=$(awk '/^up/ {n++; if (n == 2) print $2}' "$T/follow")
if [ $rc -eq 0 ] && [ -n "$up_at" ]; then
	gap=$((up_at - back_at))
	[ $gap -lt 0 ] && gap=0
	# down at 0: attempts at 100, 300, 700, 1500 ms; BIRD came back at ~0.55 s
	if [ $gap -le 1600 ]; then
		ok "reconnected ${gap} ms after BIRD was back ($((up_at - down_at)) ms after the loss), show status 0013 again"
	else bad "reconnect took $gap ms after BIRD was back"; fi
else
	bad "client did not come back: $(cat "$T/follow")"
fi

once "disable anyedge_t1"
if has '^line 0009 - anyedge_t1: disabled'; then ok "restarted BIRD answers: disable 0009"; else
	bad "after restart: $(cat "$T/out")"; fi
once "enable anyedge_t1" || true

# Round trips: the socket client, and a birdc subprocess for comparison.
if "$CLI" rtt "$SOCK" 100 anyedge_t2 >"$T/out" 2>&1; then ok "$(cat "$T/out")"; else
	bad "rtt: $(cat "$T/out")"; fi
if command -v birdc >/dev/null; then
	: >"$T/birdc"
	i=0
	while [ $i -lt 20 ]; do
		t0=$(date +%s%N)
		birdc -s "$SOCK" disable anyedge_t2 >/dev/null
		t1=$(date +%s%N)
		birdc -s "$SOCK" enable anyedge_t2 >/dev/null
		echo $(((t1 - t0) / 1000)) >>"$T/birdc"
		i=$((i + 1))
	done
	echo "info: birdc subprocess disable, median of 20: $(sort -n "$T/birdc" | sed -n 10p) us"
fi

finish
