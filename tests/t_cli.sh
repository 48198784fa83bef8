#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The command line as an operator meets it: `--version` on both binaries, `--help` on anyedged
# and on every verb `anyedge --help` lists (usage on stdout, nothing on stderr, exit 0), and
# bad options refused with exit 2 and the usage on stderr. No root, no daemon.
set -u

B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib.sh"
ANYEDGED=$B/anyedged
[ -x "$ANYEDGE" ] && [ -x "$ANYEDGED" ] || skip "build the binaries first"
tmp=$(mktemp -d /tmp/t_cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# --version: "PROG VERSION (dataplane ABI N, decap ABI N, libbpf vX.Y)", the tree's VERSION
want=$(cat "$top/VERSION")
for prog in "$ANYEDGE" "$ANYEDGED"; do
	name=$(basename "$prog")
	out=$("$prog" --version 2>"$tmp/err")
	check "$name --version exits 0" [ $? -eq 0 ]
	case $out in
	"$name $want"*" (dataplane ABI "[0-9]*", decap ABI "[0-9]*", libbpf v"[0-9]*")")
		ok "$name --version: $out" ;;
	*) bad "$name --version: '$out'" ;;
	esac
	check "$name --version: nothing on stderr" [ ! -s "$tmp/err" ]
done

# the verb list, from the help itself: a verb missing from the table is missing here too
"$ANYEDGE" --help >"$tmp/help" 2>"$tmp/err"
rc=$?
check "anyedge --help exits 0" [ $rc -eq 0 ]
check "anyedge --help: nothing on stderr" [ ! -s "$tmp/err" ]
verbs=$(sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' "$tmp/help")
n=$(echo "$verbs" | wc -w)
check "anyedge --help lists the verbs ($n)" [ "$n" -ge 14 ]
for v in check replay bench decap status regions backends vips drain undrain failover reload \
	top bird-config; do
	echo "$verbs" | grep -qx "$v" || bad "anyedge --help does not list $v"
done

for v in $verbs; do
	"$ANYEDGE" "$v" --help >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$tmp/err" ] && grep -q "^usage: anyedge $v" "$tmp/out" &&
		grep -q -- "^  --help " "$tmp/out"; then
		ok "anyedge $v --help"
	else
		bad "anyedge $v --help: exit $rc, stderr '$(cat "$tmp/err")'"
	fi
	"$ANYEDGE" "$v" --no-such-option >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 2 ] && [ ! -s "$tmp/out" ] && grep -q "^usage: anyedge $v" "$tmp/err"; then
		ok "anyedge $v --no-such-option: exit 2, usage on stderr"
	else
		bad "anyedge $v --no-such-option: exit $rc"
	fi
done

"$ANYEDGED" --help >"$tmp/out" 2>"$tmp/err"
rc=$?
check "anyedged --help exits 0" [ $rc -eq 0 ]
check "anyedged --help: nothing on stderr" [ ! -s "$tmp/err" ]
check "anyedged --help: usage on stdout" grep -q "^usage: anyedged --config" "$tmp/out"
for o in --config --pin-dir --replace --detach --verbose --version; do
	grep -q -- "$o" "$tmp/out" || bad "anyedged --help does not list $o"
done
"$ANYEDGED" >"$tmp/out" 2>"$tmp/err"
check "anyedged without --config: exit 2" [ $? -eq 2 ]
check "anyedged without --config: usage on stderr" grep -q "^usage: anyedged" "$tmp/err"
"$ANYEDGE" no-such-verb >/dev/null 2>"$tmp/err"
check "anyedge no-such-verb: exit 2" [ $? -eq 2 ]
check "anyedge no-such-verb: says so" grep -q "unknown command" "$tmp/err"
"$ANYEDGE" check "$top/config/example.yaml" >"$tmp/out" 2>&1
check "options parse as before: anyedge check POLICY" [ $? -eq 0 ]
"$ANYEDGE" failover --from a --to b --max-lag x >/dev/null 2>"$tmp/err"
check "a verb's own value check still runs: failover --max-lag x exits 2" [ $? -eq 2 ]

finish
