#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The version string: `git describe` on a clone with a vN tag, else VERSION with the commit
# (0.1.0+g1a2b3c4, -dirty when the tree has changes), else VERSION alone (a tarball).
cd "$(dirname "$0")/.."
base=$(cat VERSION)
if d=$(git describe --tags --dirty --match 'v[0-9]*' 2>/dev/null); then
	echo "${d#v}"
elif c=$(git rev-parse --short HEAD 2>/dev/null); then
	git diff-index --quiet HEAD -- 2>/dev/null || c="$c-dirty"
	echo "$base+g$c"
else
	echo "$base"
fi
