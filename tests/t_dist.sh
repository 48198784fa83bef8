#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Shipping: `make` neither installs packages nor needs root; `make install` lays out the files
# under DESTDIR with PREFIX (the unit pointing at the installed daemon), `make uninstall` takes
# them away and leaves /etc/anyedge; `make deb` builds the Debian package and it holds the
# binaries, unit, man pages, docs and example policy, with its runtime dependencies declared.
set -u

B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib.sh"
cd "$top" || exit 1
[ -x "$B/anyedged" ] || skip "no $B/anyedged"
tmp=$(mktemp -d /tmp/t_dist.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mk() { make --no-print-directory B="$B" "$@"; }

# 1. `make` is a build: no deps.sh in what it would run; `make test` still runs it
mk -n test >"$tmp/n.test" 2>&1
check "make test still runs scripts/deps.sh" grep -q "scripts/deps.sh" "$tmp/n.test"
mk -n >"$tmp/n.all" 2>&1
check "make (all) does not" sh -c "! grep -q 'deps.sh' '$tmp/n.all'"

# 2. install, PREFIX=/usr as a package would
mk install DESTDIR="$tmp/root" PREFIX=/usr >"$tmp/install.log" 2>&1
check "make install DESTDIR PREFIX=/usr" [ $? -eq 0 ]
for f in usr/bin/anyedge usr/sbin/anyedged usr/share/man/man1/anyedge.1 \
	usr/share/man/man8/anyedged.8 usr/lib/systemd/system/anyedged.service \
	usr/share/doc/anyedge/examples/policy.yaml usr/share/doc/anyedge/SCHEMA.md \
	usr/share/doc/anyedge/design.md usr/share/doc/anyedge/production.md; do
	check "installed /$f" [ -f "$tmp/root/$f" ]
done
check "/etc/anyedge made" [ -d "$tmp/root/etc/anyedge" ]
check "the unit runs the installed daemon" \
	grep -qx "ExecStart=/usr/sbin/anyedged --config /etc/anyedge/policy.yaml" \
	"$tmp/root/usr/lib/systemd/system/anyedged.service"
check "the installed anyedged runs" "$tmp/root/usr/sbin/anyedged" --version
echo "policy: mine" >"$tmp/root/etc/anyedge/policy.yaml"
mk uninstall DESTDIR="$tmp/root" PREFIX=/usr >/dev/null 2>&1
left=$(cd "$tmp/root" && find . -type f | sort | tr '\n' ' ')
check "make uninstall leaves only the operator's policy (left: $left)" \
	[ "$left" = "./etc/anyedge/policy.yaml " ]

# the default prefix
mk install DESTDIR="$tmp/local" >/dev/null 2>&1
check "default PREFIX /usr/local" [ -x "$tmp/local/usr/local/sbin/anyedged" ]
check "  ... and its unit says so" grep -q "^ExecStart=/usr/local/sbin/anyedged " \
	"$tmp/local/usr/local/lib/systemd/system/anyedged.service"

# 3. the package
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
	bad "no dpkg-buildpackage or debhelper (scripts/deps.sh installs them)"
	finish
	exit
fi
mk deb >"$tmp/deb.log" 2>&1
rc=$?
check "make deb (exit $rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || tail -n 20 "$tmp/deb.log"
deb=$(ls "$B"/deb/anyedge_*.deb 2>/dev/null | head -n 1)
check "anyedge_*.deb built ($deb)" [ -f "$deb" ]
check "the source tree is left clean (no debian/_build, no debian/anyedge)" \
	sh -c '[ ! -e debian/_build ] && [ ! -e debian/anyedge ]' 
dpkg-deb -c "$deb" 2>/dev/null | awk '{print $6}' >"$tmp/list"
for f in ./usr/bin/anyedge ./usr/sbin/anyedged ./lib/systemd/system/anyedged.service \
	./usr/share/man/man1/anyedge.1.gz ./usr/share/man/man8/anyedged.8.gz \
	./usr/share/doc/anyedge/examples/policy.yaml ./usr/share/doc/anyedge/production.md \
	./usr/share/doc/anyedge/design.md ./etc/anyedge/; do
	check "package holds $f" grep -qx "$f" "$tmp/list"
done
dep=$(dpkg-deb -f "$deb" Depends 2>/dev/null)
for d in libbpf1 libyaml-0-2 liburcu8 libjson-c5 libmicrohttpd12 libcurl4 libsystemd0; do
	case $dep in *"$d"*) ok "package depends on $d" ;; *) bad "package Depends lacks $d: $dep" ;; esac
done
check "package recommends bird2" [ "$(dpkg-deb -f "$deb" Recommends 2>/dev/null)" = bird2 ]
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./lib/systemd/system/anyedged.service >"$tmp/unit"
check "packaged unit runs /usr/sbin/anyedged" grep -q "^ExecStart=/usr/sbin/anyedged " "$tmp/unit"
finish
