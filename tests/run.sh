#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs every test: the cmocka binaries in $B/tests and the shell tests tests/t_*.sh.
# A test exiting 77 is skipped. Closes with "N passed, N failed, N skipped".
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export B ANYEDGE="$top/$B/anyedge"

pass=0 fail=0 skip=0 failed=""
run() {
	name=$1
	shift
	printf '=== %s\n' "$name"
	"$@"
	rc=$?
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)); echo "--- $name skipped" ;;
	*) fail=$((fail + 1)); failed="$failed $name"; echo "--- $name FAILED (exit $rc)" ;;
	esac
}

for t in "$B"/tests/*_test; do
	[ -x "$t" ] && run "$(basename "$t")" "$t"
done
for t in tests/t_*.sh; do
	[ -f "$t" ] && run "$(basename "$t" .sh)" sh "$t"
done

[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
