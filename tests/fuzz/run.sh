#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tests/fuzz/run.sh TARGET SECONDS: run one fuzz target of $SAN_B for SECONDS on its seeds and
# its work corpus; print "fuzz TARGET: N execs, cov C, ft F, corpus K" and exit non-zero on a
# crash, a leak or a sanitizer report (the input is kept as $SAN_B/fuzz/crash-TARGET-*).
set -u
t=$1 secs=$2
SAN_B=${SAN_B:-build-san}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
bin=$SAN_B/fuzz/$t
[ -x "$bin" ] || { echo "fuzz $t: $bin missing (make san-bins)"; exit 1; }
work=$SAN_B/corpus/$t
mkdir -p "$work"
log=$SAN_B/fuzz/$t.log
# -rss_limit_mb: the loader's own limits must keep it small; -timeout: no input may hang it
"$bin" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=1024 -timeout=10 \
	-artifact_prefix="$SAN_B/fuzz/crash-$t-" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
echo "fuzz $t: ${execs:-?} execs in ${secs} s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
if [ $rc -ne 0 ]; then
	echo "fuzz $t: FAILED (exit $rc); the report:"
	grep -E 'ERROR|SUMMARY|runtime error|leak' "$log" | head -n 20
	exit 1
fi
