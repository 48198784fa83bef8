# SPDX-License-Identifier: GPL-2.0
# Sourced by the shell tests: result counting in the runner's format, and the lab helpers.
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
# skip unless root and every named tool is there (exit 77: skipped)
require() {
	[ "$(id -u)" -eq 0 ] || { echo "$0: skipped: needs root"; exit 77; }
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "$0: skipped: no $t"; exit 77; }
	done
}
. "$top/scripts/lab-lib.sh"
