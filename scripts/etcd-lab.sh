# SPDX-License-Identifier: GPL-2.0
# A 3-member etcd cluster for the fleet tests and the demo (Debian's etcd 3.4), sourced.
# Needs ETCD_DIR (a per-run temp folder, removed by etcd_down), ETCD_HOSTS (three addresses,
# one per member), ETCD_PORT (the first of six ports) and optionally ETCD_NS (a namespace the
# members run in). Members are started and killed by PID only.

etcd_url() { # N: member N's client URL
	h=$(echo "$ETCD_HOSTS" | cut -d' ' -f"$1")
	echo "http://$h:$((ETCD_PORT + 2 * ($1 - 1)))"
}
etcd_peer() {
	h=$(echo "$ETCD_HOSTS" | cut -d' ' -f"$1")
	echo "http://$h:$((ETCD_PORT + 2 * ($1 - 1) + 1))"
}
etcd_endpoints() { echo "$(etcd_url 1),$(etcd_url 2),$(etcd_url 3)"; }

etcd_in_ns() {
	if [ -n "${ETCD_NS:-}" ]; then nsenter --net=/run/netns/"$ETCD_NS" "$@"; else "$@"; fi
}

# etcdctl against the cluster (or the endpoints in $EPS), short timeouts
ectl() {
	ETCDCTL_API=3 etcd_in_ns etcdctl --endpoints="${EPS:-$(etcd_endpoints)}" \
		--command-timeout=3s --dial-timeout=1s "$@"
}

# ports_free: none of the six ports is listened on (host namespace only)
etcd_ports_free() {
	[ -n "${ETCD_NS:-}" ] && return 0
	for p in $(seq "$ETCD_PORT" $((ETCD_PORT + 5))); do
		ss -Hltn "sport = :$p" 2>/dev/null | grep -q . && return 1
	done
	return 0
}

# etcd_member N new|existing: start member N. A simple command run in the background (nsenter
# execs too), so $! is etcd's own PID: never a function or a subshell, whose PID kills nothing.
etcd_member() {
	n=$1 st=$2
	cluster="m1=$(etcd_peer 1),m2=$(etcd_peer 2),m3=$(etcd_peer 3)"
	set -- etcd --name "m$n" --data-dir "$ETCD_DIR/m$n" \
		--listen-client-urls "$(etcd_url "$n")" --advertise-client-urls "$(etcd_url "$n")" \
		--listen-peer-urls "$(etcd_peer "$n")" \
		--initial-advertise-peer-urls "$(etcd_peer "$n")" \
		--initial-cluster "$cluster" --initial-cluster-state "$st" \
		--initial-cluster-token "anyedge-$$" --pre-vote=true
	[ -n "${ETCD_NS:-}" ] && set -- nsenter --net=/run/netns/"$ETCD_NS" "$@"
	"$@" >>"$ETCD_DIR/m$n.log" 2>&1 &
	echo $! >"$ETCD_DIR/m$n.pid"
}

# etcd_up: three members, then a bounded wait for a leader (a put that succeeds)
etcd_up() {
	mkdir -p "$ETCD_DIR" || return 1
	etcd_ports_free || { echo "etcd ports from $ETCD_PORT are in use"; return 1; }
	for n in 1 2 3; do etcd_member "$n" new; done
	i=0
	while [ $i -lt 100 ]; do
		ectl put /anyedge-probe ok >/dev/null 2>&1 && return 0
		sleep 0.2
		i=$((i + 1))
	done
	echo "etcd: no leader after 20 s"
	tail -n 5 "$ETCD_DIR"/m*.log
	return 1
}

etcd_pid() { cat "$ETCD_DIR/m$1.pid" 2>/dev/null; }

# etcd_kill N [SIGNAL]: one member, by its PID, and wait for it
etcd_kill() {
	p=$(etcd_pid "$1")
	[ -n "$p" ] || return 1
	kill -"${2:-KILL}" "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	rm -f "$ETCD_DIR/m$1.pid"
}

# etcd_leader: the number (1..3) of the member that is leader now, or nothing
etcd_leader() {
	for n in 1 2 3; do
		[ -f "$ETCD_DIR/m$n.pid" ] || continue
		EPS=$(etcd_url "$n") ectl endpoint status -w json 2>/dev/null |
			python3 -c 'import json,sys
s=json.load(sys.stdin)[0]["Status"]
sys.exit(0 if s["header"]["member_id"]==s["leader"] else 1)' 2>/dev/null && {
			echo "$n"
			return 0
		}
	done
	return 1
}

# etcd_no_leader N: member N has seen its leader go (bounded 10 s); until then it may still
# hold a request for its 7 s
etcd_no_leader() {
	i=0
	while [ $i -lt 50 ]; do
		EPS=$(etcd_url "$1") ectl endpoint status -w json 2>/dev/null |
			python3 -c 'import json,sys
sys.exit(0 if json.load(sys.stdin)[0]["Status"].get("leader",0)==0 else 1)' 2>/dev/null &&
			return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# etcd_down: every member by PID, then the data folder
etcd_down() {
	for n in 1 2 3; do etcd_kill "$n" KILL; done
	[ -n "${ETCD_DIR:-}" ] && rm -rf "$ETCD_DIR"
}

# The lab's cluster (scripts/lab.sh): three members on the loopback of the run's upstream
# namespace ($LAB-up), which every edge reaches over its uplink. etcd_lab NAME sets the
# variables (data in a fresh /tmp/anyedge-NAME.*); etcd_lab_up starts it once the lab is up.
etcd_lab() {
	ETCD_NS=$LAB-up
	ETCD_HOSTS="198.18.0.11 198.18.0.12 198.18.0.13"
	ETCD_PORT=2379
	ETCD_DIR=$(mktemp -d "/tmp/anyedge-$1.XXXXXX")
}
etcd_lab_up() {
	for h in $ETCD_HOSTS; do ip -n "$ETCD_NS" addr add "$h/32" dev lo || return 1; done
	etcd_up
}
# etcd_lab_fleet: the fleet: section of a lab edge's policy (the lab's cluster, both edges its
# members), without timing keys: the caller appends its own after it
etcd_lab_fleet() {
	printf 'fleet:\n  etcd: [%s, %s, %s]\n  name: %s\n  members: [%s-edge1, %s-edge2]\n' \
		"$(etcd_url 1)" "$(etcd_url 2)" "$(etcd_url 3)" "$LAB" "$LAB" "$LAB"
}
# etcd_lab_down: the lab and its cluster gone (an EXIT trap); KEEP_LOGS=DIR keeps the edges' and
# members' logs there first
etcd_lab_down() {
	[ -n "${KEEP_LOGS:-}" ] && cp "$S"/edged*.log "$ETCD_DIR"/m*.log "$KEEP_LOGS" 2>/dev/null
	stop_lab
	etcd_down
}
