#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo`'s claims, asserted: the demo runs on its own lab (unique prefix) with
# DEMO_ASSERT=1, which checks nearest-region serving, failover within interval x fall + interval
# + 1 s, the guard holding (serving and announcing) when every backend fails at once,
# the withdrawal at the upstream within 2 s of the edge's decision, clients served through the
# other edge, and the guarded promotion. Then: no namespace or process of it is left.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. "$top/tests/lib.sh"
require bird birdc ethtool nsenter curl etcd etcdctl
lab=ae$$m
pids=$(mktemp /tmp/t_demo.XXXXXX)
trap 'rm -f "$pids"' EXIT

DEMO_ASSERT=1 DEMO_PIDS_OUT=$pids LAB=$lab B=$B sh scripts/demo.sh
rc=$?
check "every demo claim" [ $rc -eq 0 ]
left=$(ip netns list | grep -c "^$lab-")
check "no namespace left ($left)" [ "$left" -eq 0 ]
# running, not a zombie awaiting its reaper; give the last SIGKILLs a moment
running() { [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }
i=0
while [ $i -lt 20 ]; do
	alive=""
	for p in $(cat "$pids"); do
		running "$p" && alive="$alive $p"
	done
	[ -z "$alive" ] && break
	sleep 0.1
	i=$((i + 1))
done
[ -s "$pids" ] || alive=" (no PIDs recorded)"
check "no process left:$alive" [ -z "$alive" ]
finish
