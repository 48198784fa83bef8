#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The etcd client (userspace/fleet/etcd_client.c) against a real 3-member etcd on loopback:
# range, put, compare-and-swap, leases, watch and endpoint failover (build/tests/etcd_client_test);
# then with two of three members stopped, writes are refused at once, never held.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. tests/lib.sh
. scripts/etcd-lab.sh
command -v etcd >/dev/null && command -v etcdctl >/dev/null || skip "no etcd (scripts/deps.sh)"
[ -x "$B/tests/etcd_client_test" ] || skip "no $B/tests/etcd_client_test: run make first"

ETCD_DIR=$(mktemp -d /tmp/anyedge-etcd.XXXXXX)
ETCD_HOSTS="127.0.0.1 127.0.0.1 127.0.0.1"
ETCD_PORT=$((21000 + ($$ % 1500) * 6))
trap etcd_down EXIT
trap 'exit 1' INT TERM

check "3-member etcd up" etcd_up
ETCD_ENDPOINTS=$(etcd_endpoints) "$B/tests/etcd_client_test" >"$ETCD_DIR/unit.out" 2>&1
rc=$?
tail -n 3 "$ETCD_DIR/unit.out"
check "etcd_client_test against the cluster" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$ETCD_DIR/unit.out"

# a majority gone: the survivor has no leader
l=$(etcd_leader)
for n in 1 2 3; do [ "$n" != "$l" ] && [ -z "${keep:-}" ] && keep=$n; done
for n in 1 2 3; do [ "$n" != "$keep" ] && etcd_kill "$n"; done
check "the survivor sees no leader" etcd_no_leader "$keep"
ETCD_NO_QUORUM=1 ETCD_ENDPOINTS=$(etcd_url "$keep") "$B/tests/etcd_client_test" \
	>"$ETCD_DIR/nq.out" 2>&1
rc=$?
grep "without quorum" "$ETCD_DIR/nq.out"
check "without quorum: refused at once, nothing applied" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$ETCD_DIR/nq.out"
finish
