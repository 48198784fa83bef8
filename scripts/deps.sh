#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages anyedge builds, tests and runs with; only the missing ones.
# Idempotent and silent when everything is present.
set -eu

PKGS="make gcc clang llvm pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev
libyaml-dev liburcu-dev libnl-3-dev libnl-route-3-dev libpcap-dev libcmocka-dev libjson-c-dev
libmicrohttpd-dev libcurl4-openssl-dev libsystemd-dev python3-prometheus-client
debhelper dpkg-dev fakeroot
bird2 iproute2 ethtool procps util-linux clang-format python3 curl systemd etcd-server etcd-client
libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# bird2 starts a system daemon on install; anyedge runs its own BIRDs, so keep it from starting.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends $missing >/dev/null
