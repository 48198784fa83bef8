#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A short pass of every fuzz target (tests/fuzz/, FUZZ_SHORT seconds each, default 4) on its
# seeds and its work corpus, so that a change which breaks a target, or makes an input crash,
# leak or hit undefined behaviour, fails `make test`. `make fuzz` runs them for FUZZ_TIME.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. tests/lib.sh
SAN_B=${SAN_B:-build-san}
command -v clang >/dev/null || skip "no clang (scripts/deps.sh installs it)"
make -s --no-print-directory SAN_B="$SAN_B" san-bins >"$SAN_B.make.log" 2>&1 ||
	{ tail -n 30 "$SAN_B.make.log"; bad "fuzz build"; finish; exit 1; }
targets=$(make -s --no-print-directory -f Makefile -f - print-fuzz-targets <<'MK'
print-fuzz-targets:
	@echo $(FUZZ_TARGETS)
MK
)
check "fuzz targets listed ($targets)" [ -n "$targets" ]
for t in $targets; do
	out=$(SAN_B=$SAN_B sh tests/fuzz/run.sh "$t" "${FUZZ_SHORT:-4}")
	rc=$?
	echo "$out"
	execs=$(echo "$out" | sed -n 's/^fuzz [a-z_0-9]*: \([0-9]*\) execs.*/\1/p' | head -n 1)
	check "fuzz $t: no crash, leak or UB in ${FUZZ_SHORT:-4} s" [ $rc -eq 0 ]
	check "fuzz $t: it ran (${execs:-0} execs)" [ "${execs:-0}" -gt 100 ]
done
finish
