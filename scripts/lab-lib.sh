# SPDX-License-Identifier: GPL-2.0
# Helpers for driving the lab (scripts/lab.sh), sourced by the demo and the end-to-end tests.
# Needs LAB, B (absolute or relative to the top folder) and S=/run/anyedge-lab/$LAB.

now_ms() { date +%s%3N; }

# set_state STATE backend...: what the backends' health endpoints answer ("READY 0 active",
# "NOT_READY", "READY 8 active" for 8 s of replica lag); written atomically
set_state() {
	st=$1
	shift
	for b in "$@"; do
		echo "$st" >"$S/$b.state.new" && mv "$S/$b.state.new" "$S/$b.state"
	done
}

# flow_start SECONDS: a long-lived TCP flow from the EU client (tests/lab_flow.py, a line every
# 100 ms for at most SECONDS), its PID in $S/flow.pid; returns once its first line is answered
# (python's start-up on a loaded machine can outlast a fixed sleep), 1 if not within 5 s.
# flow_stop: end it, print what it saw and return its status (0: one backend throughout, no
# reset, no loss).
flow_start() {
	rm -f "$S/flow.stop" "$S/flow.stop.up"
	ip netns exec "$LAB-ceu" python3 tests/lab_flow.py 192.0.2.1 7 "$S/flow.stop" 0.1 "$1" \
		>"$S/flow.out" 2>&1 &
	echo $! >"$S/flow.pid"
	# established (first line answered) before the caller changes anything: at most 5 s
	i=0
	while [ ! -e "$S/flow.stop.up" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -e "$S/flow.stop.up" ] && return 0
	echo "flow_start: no answer within 5 s" >&2
	return 1
}
flow_stop() {
	touch "$S/flow.stop"
	wait "$(cat "$S/flow.pid")"
	flow_rc=$?
	rm -f "$S/flow.pid"
	echo "long-lived flow: $(cat "$S/flow.out")"
	return $flow_rc
}

# upstream_has PREFIX: present or absent in the upstream BIRD's own table (LAB_BGP=1)
upstream_has() {
	if birdc -s "$S/bird-up.ctl" show route "$1" 2>/dev/null | grep -q "^$1"; then
		echo present
	else
		echo absent
	fi
}
# wait_upstream PREFIX present|absent SECONDS: until the upstream's table says so (bounded);
# prints the ms it took. wait_upq: the same, quietly.
wait_upstream() {
	t0=$(now_ms)
	i=0
	while [ $i -lt $(($3 * 100)) ]; do
		[ "$(upstream_has "$1")" = "$2" ] && { echo $(($(now_ms) - t0)); return 0; }
		sleep 0.01
		i=$((i + 1))
	done
	return 1
}
wait_upq() { wait_upstream "$@" >/dev/null; }

# served_by us|eu [ADDR]: which region/backend answers a new request from that client
served_by() {
	ip netns exec "$LAB-c$1" curl -s -m 1 "http://${2:-192.0.2.1}/" 2>/dev/null
}

# start_edged N: anyedged on edge N, log to $S/edgedN.log, PID in $S/edgedN.pid (nsenter
# execs it, so $! is the daemon itself; the host's bpffs stays visible for its pins). Its
# operator state (promotions, drains) lives in the lab, so `lab.sh down` removes it and no
# later lab of the same name starts with this one's promotions.
start_edged() {
	ANYEDGE_STATE_DIR=$S/opstate nsenter --net=/run/netns/"$LAB-e$1" "$B/anyedged" \
		--config "$S/edge$1.yaml" >>"$S/edged$1.log" 2>&1 &
	echo $! >"$S/edged$1.pid"
}

# wait_regions_up: edge 1 has logged the lab's three regions up, from probes (bounded, 10 s)
wait_regions_up() {
	i=0
	while [ $i -lt 200 ]; do
		[ "$(grep -c -E "region (us-east|eu-west|ap-south) up" "$S/edged1.log")" -ge 3 ] &&
			return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# stop_lab: the long-lived flow, every anyedged by PID, their pins and announcements
# (--detach), then the lab
stop_lab() {
	[ -f "$S/flow.pid" ] && kill "$(cat "$S/flow.pid")" 2>/dev/null
	for n in 1 2; do
		[ -f "$S/edged$n.pid" ] && kill "$(cat "$S/edged$n.pid")" 2>/dev/null
	done
	sleep 0.3
	for n in 1 2; do
		[ -f "$S/edge$n.yaml" ] && nsenter --net=/run/netns/"$LAB-e$n" "$B/anyedged" \
			--config "$S/edge$n.yaml" --detach >/dev/null 2>&1
	done
	sh scripts/lab.sh down >/dev/null 2>&1
}

# mark N: later wait_log/log_ms calls read only what edge N logs after this point
mark() { mark_at=$(wc -l <"$S/edged${1:-1}.log" 2>/dev/null || echo 0); }
mark_at=0

# wait_log PATTERN SECONDS [N]: edge N's log (default 1) has a line matching PATTERN since the
# mark; bounded
wait_log() {
	i=0
	while [ $i -lt $(($2 * 20)) ]; do
		tail -n +$((mark_at + 1)) "$S/edged${3:-1}.log" 2>/dev/null | grep -q -E "$1" &&
			return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# log_ms PATTERN [N]: UTC ms of the first line of edge N's log matching since the mark
log_ms() {
	t=$(tail -n +$((mark_at + 1)) "$S/edged${2:-1}.log" | grep -E "$1" | head -n 1 | cut -c1-23)
	[ -n "$t" ] && date -u -d "$t" +%s%3N || echo 0
}
