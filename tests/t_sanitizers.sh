#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The unit tests again, built by clang with ASan + UBSan (tests/fuzz/build.mk, in $SAN_B): any
# out-of-bounds access, use after free, leak or undefined behaviour fails the test that hit it.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. tests/lib.sh
SAN_B=${SAN_B:-build-san}
command -v clang >/dev/null || skip "no clang (scripts/deps.sh installs it)"
make -s --no-print-directory SAN_B="$SAN_B" san-bins >"$SAN_B.make.log" 2>&1 ||
	{ tail -n 30 "$SAN_B.make.log"; bad "sanitizer build"; finish; exit 1; }
# a report ends the process with a non-zero status; leaks are checked at exit
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
n=0
for t in "$SAN_B"/tests/*_test; do
	[ -x "$t" ] || continue
	n=$((n + 1))
	name=$(basename "$t")
	"$t" >"$SAN_B/$name.log" 2>&1
	rc=$?
	if [ $rc -eq 77 ]; then
		echo "skip: $name: $(tail -n 1 "$SAN_B/$name.log")"
	elif [ $rc -eq 0 ]; then
		ok "$name under ASan+UBSan"
	else
		bad "$name under ASan+UBSan: $(grep -m 3 -E 'runtime error|ERROR: |SUMMARY|FAILED' "$SAN_B/$name.log" | tr '\n' ' ')"
	fi
done
check "the sanitizer tree has unit tests ($n)" [ "$n" -ge 10 ]
finish
