#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Prints (default) or applies (--apply) the direct-server-return plumbing of an anyedge backend:
# the VIPs on loopback, ARP behaviour, reverse-path filtering and the decapsulator. Every step
# is shown with why it is there; nothing is done that is not printed.
#
#   scripts/backend-setup.sh --dev DEV --vip ADDR[,ADDR...] --allow PREFIX[,...]|any
#                            [--tunnel-address ADDR[,...]] [--anyedge PATH] [--apply]
set -eu

usage() {
	cat >&2 <<'EOF'
usage: backend-setup.sh --dev DEV --vip ADDR[,ADDR...] --allow PREFIX[,...]|any
                        [--tunnel-address ADDR[,...]] [--anyedge PATH] [--apply]
  --dev             interface the edge's tunnels arrive on
  --vip             service addresses (VIPs) this backend answers for
  --tunnel-address  outer destinations to open tunnels for (default: every address of DEV)
  --allow           outer sources allowed to tunnel here: the edges' encap_source
                    addresses ('any': every source, said in so many words)
  --anyedge         the anyedge binary (default: $ANYEDGE, else anyedge in PATH)
  --apply           run the commands; without it they are only printed
EOF
	exit 2
}

dev="" vips="" taddrs="" allow="" apply=0
anyedge=${ANYEDGE:-anyedge}
while [ $# -gt 0 ]; do
	case $1 in
	--dev) [ $# -ge 2 ] || usage; dev=$2; shift 2 ;;
	--vip) [ $# -ge 2 ] || usage; vips=$2; shift 2 ;;
	--tunnel-address) [ $# -ge 2 ] || usage; taddrs=$2; shift 2 ;;
	--allow) [ $# -ge 2 ] || usage; allow=$2; shift 2 ;;
	--anyedge) [ $# -ge 2 ] || usage; anyedge=$2; shift 2 ;;
	--apply) apply=1; shift ;;
	-h | --help) usage ;;
	*) echo "backend-setup.sh: unknown argument '$1'" >&2; usage ;;
	esac
done
[ -n "$dev" ] && [ -n "$vips" ] && [ -n "$allow" ] || usage
case $dev in
*/* | .* | "") echo "backend-setup.sh: '$dev' is not a device name" >&2; exit 2 ;;
esac

# why: the explanation, printed as a comment; then the command, printed and (with --apply) run.
why() {
	printf '\n'
	printf '%s\n' "$@" | sed 's/^/# /'
}
step() {
	printf '%s\n' "$*"
	if [ "$apply" -eq 1 ]; then
		"$@" >/dev/null || { echo "backend-setup.sh: failed: $*" >&2; exit 1; }
	fi
}

[ "$apply" -eq 1 ] && echo "# applying on $(hostname) (network namespace of this process)" ||
	echo "# backend DSR plumbing for $dev (printed only; --apply runs it)"

why "1. The VIPs on loopback. The stack accepts the client's packet (addressed to the VIP)" \
	"   only if the VIP is local, and the reply then leaves with the VIP as its source, straight" \
	"   to the client. On lo, not on $dev: the address is local but never offered on the wire." \
	"   (ip addr replace: running this again changes nothing.)"
has_v4=0
for v in $(echo "$vips" | tr ',' ' '); do
	case $v in
	*/*) echo "backend-setup.sh: --vip takes addresses, not prefixes: '$v'" >&2; exit 2 ;;
	*:*) step ip -6 addr replace "$v/128" dev lo ;;
	*) step ip addr replace "$v/32" dev lo; has_v4=1 ;;
	esac
done

if [ "$has_v4" -eq 1 ]; then
	why "2. arp_ignore=1: answer ARP only for addresses of the interface the request came in on." \
		"   The edge owns the VIP on the segment; a backend that answered ARP for it (Linux" \
		"   does by default, for any local address) would pull clients' traffic past the edge."
	step sysctl -w net.ipv4.conf.all.arp_ignore=1

	why "3. arp_announce=2: source our ARP requests from $dev's own address, never from the VIP" \
		"   that a reply may carry; otherwise neighbours learn 'VIP is at this backend's MAC'."
	step sysctl -w net.ipv4.conf.all.arp_announce=2
fi

why "4. rp_filter off where the inner packet arrives. After decapsulation the client's packet" \
	"   appears on $dev with the client's source address; strict reverse-path filtering drops" \
	"   it whenever the route back to the client is not via $dev. The kernel uses the larger" \
	"   of 'all' and the interface's value, so both are set. (IPv6 has no rp_filter sysctl.)"
step sysctl -w net.ipv4.conf.all.rp_filter=0
step sysctl -w "net.ipv4.conf.$dev.rp_filter=0"

why "5. The decapsulator: an XDP program on $dev that opens IPIP, 6in4, 4in6 and IP6IP6 tunnels" \
	"   addressed to this host, from the edges (--allow), carrying packets for the VIPs (--vip)," \
	"   and passes the inner packet to the stack; no ipip device needed. Anything else would" \
	"   let whoever reaches $dev make this host answer a spoofed victim." \
	"   It stays attached after the command exits (pinned under /sys/fs/bpf/anyedge/decap/$dev);" \
	"   '$anyedge decap status $dev' shows its counters, 'decap detach $dev' removes it."
if [ "$allow" = any ]; then
	why "   WARNING: --allow any: any host that can reach $dev may tunnel packets to it." \
		"   Give the edges' encap_source addresses, e.g. --allow 192.0.2.10/32,2001:db8::10/128."
fi
set -- "$anyedge" decap attach "$dev" --allow "$allow" --vip "$vips"
[ -n "$taddrs" ] && set -- "$@" --address "$taddrs"
if [ "$apply" -eq 1 ]; then
	printf '%s\n' "$*"
	"$@" || { echo "backend-setup.sh: failed: $*" >&2; exit 1; }
else
	printf '%s\n' "$*"
fi

why "Then: check the service listens on the VIP (or on any address), and that the path from" \
	"the edge to $dev carries the client's MTU plus 20 (IPv4) or 40 (IPv6) bytes of tunnel."
