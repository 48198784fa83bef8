#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The documentation keeps up with the code: every verb `anyedge --help` lists and every option
# a verb's --help lists is in anyedge(1); every anyedged option in anyedged(8); every metric
# name the daemon's code emits in anyedged(8) METRICS; every policy key of the parser's tables
# in config/SCHEMA.md. The lists come from the code and the binaries, so a new verb, option,
# metric or key without its documentation fails here. No root.
set -u

B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib.sh"
cd "$top" || exit 1
[ -x "$ANYEDGE" ] && [ -x "$B/anyedged" ] || skip "build the binaries first"
tmp=$(mktemp -d /tmp/t_docs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# man source with roff's escapes undone: \- is -, \fB..\fR fonts dropped
unroff() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(em/-/g' "$1"; }
unroff man/anyedge.1 >"$tmp/anyedge.1"
unroff man/anyedged.8 >"$tmp/anyedged.8"

# 1. verbs and their options
"$ANYEDGE" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' >"$tmp/verbs"
n=$(wc -l <"$tmp/verbs")
check "anyedge --help lists verbs ($n)" [ "$n" -ge 14 ]
missing=""
for v in $(cat "$tmp/verbs"); do
	grep -qE "^\.(B|BR|BI) \"?(anyedge )?$v( |\"|$)" "$tmp/anyedge.1" || missing="$missing $v"
done
check "every verb in anyedge(1)${missing:+ (missing:$missing)}" [ -z "$missing" ]
missing=""
opts=0
for v in $(cat "$tmp/verbs"); do
	for o in $("$ANYEDGE" "$v" --help | sed -n 's/^  \(-., \)\{0,1\}\(--[a-z-]*\).*/\2/p'); do
		opts=$((opts + 1))
		grep -q -- "$o\b" "$tmp/anyedge.1" || missing="$missing $v:$o"
	done
done
check "verbs' options found ($opts)" [ "$opts" -ge 40 ]
check "every verb option in anyedge(1)${missing:+ (missing:$missing)}" [ -z "$missing" ]
missing=""
opts=0
for o in $("$B/anyedged" --help | sed -n 's/^  \(-., \)\{0,1\} *\(--[a-z-]*\).*/\2/p'); do
	opts=$((opts + 1))
	grep -q -- "$o\b" "$tmp/anyedged.8" || missing="$missing $o"
done
check "anyedged options found ($opts)" [ "$opts" -ge 7 ]
check "every anyedged option in anyedged(8)${missing:+ (missing:$missing)}" [ -z "$missing" ]

# 2. metrics: every anyedge_* name in the daemon's code has an entry in METRICS
grep -ohE '"anyedge_[a-z0-9_]+' userspace/daemon/*.c userspace/fleet/*.c 2>/dev/null |
	tr -d '"' | sort -u >"$tmp/metrics"
n=$(wc -l <"$tmp/metrics")
check "metric names found in the code ($n)" [ "$n" -ge 40 ]
sed -n '/^\.SH METRICS/,/^\.SH /p' "$tmp/anyedged.8" >"$tmp/metrics.man"
check "anyedged(8) has a METRICS section" [ -s "$tmp/metrics.man" ]
missing=""
for m in $(cat "$tmp/metrics"); do
	grep -qE "^\.B $m(\{|$)" "$tmp/metrics.man" || missing="$missing $m"
done
check "every metric in anyedged(8) METRICS${missing:+ (missing:$missing)}" [ -z "$missing" ]

# 3. policy keys: the parser's tables ({ "key", handler, required, ... }) against SCHEMA.md
grep -ohE '\{ "[a-z_0-9]+", [a-z_]+, (true|false)' userspace/policy/policy_*.c userspace/fleet/*.c \
	2>/dev/null | sed -E 's/^\{ "([a-z_0-9]+)".*/\1/' | sort -u >"$tmp/keys"
n=$(wc -l <"$tmp/keys")
check "policy keys found in the parser's tables ($n)" [ "$n" -ge 50 ]
missing=""
for k in $(cat "$tmp/keys"); do
	grep -q "\`$k\`" config/SCHEMA.md || missing="$missing $k"
done
check "every policy key in config/SCHEMA.md${missing:+ (missing:$missing)}" [ -z "$missing" ]
check "both man pages point at the policy reference" \
	sh -c "grep -q SCHEMA.md '$tmp/anyedge.1' && grep -q SCHEMA.md '$tmp/anyedged.8'"

# 4. the pages themselves render without warnings
if command -v groff >/dev/null; then
	for m in man/anyedge.1 man/anyedged.8; do
		groff -man -ww -z "$m" >"$tmp/groff" 2>&1
		check "groff -ww: $m renders cleanly" [ ! -s "$tmp/groff" ]
	done
fi
finish
