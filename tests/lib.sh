# SPDX-License-Identifier: GPL-2.0
# Sourced by the shell tests (after setting B and top): result counting in the runner's format,
# and the lab helpers. B and ANYEDGE are made absolute, as tests change directory.
case $B in /*) ;; *) B=$top/$B ;; esac
ANYEDGE=${ANYEDGE:-$B/anyedge}
case $ANYEDGE in /*) ;; *) ANYEDGE=$top/$ANYEDGE ;; esac
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # description, command
	d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
# the closing line tests/run.sh and CI read; exit status to match
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
# exit 77 (skipped), saying why
skip() {
	echo "$(basename "$0" .sh): skipped: $*"
	exit 77
}
# skip unless root and every named tool is there
require() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	for t in "$@"; do
		command -v "$t" >/dev/null || skip "no $t"
	done
}
# stop the background processes the test started, by PID: those in $pids
stop_pids() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
}
. "$top/scripts/lab-lib.sh"
