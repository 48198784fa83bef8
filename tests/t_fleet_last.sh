#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Never the last to withdraw (fleet.min_announcing, default 1): a real 3-member etcd in the lab's
# upstream namespace, both lab edges with BIRD (eBGP to the upstream, whose own table judges) and
# a fleet: section. The web VIP uses eu-west alone on edge1, eu-west and us-east on edge2.
#   - eu-west fails: edge1 has no region up, edge2 still announces: edge1 withdraws;
#   - edge2 drained, eu-west fails again: edge1, now the last, keeps announcing (the fleet's word
#     of the first failure was for that one; kept, it let edge1 withdraw unasked);
#   - every region fails at once on both edges, each edge's swap held 2.5 s after its read
#     (ANYEDGE_TEST_CAS_DELAY_MS) so both read the same list and race: one swap commits, the
#     other loses; exactly one keeps announcing, the upstream keeps the route, and the holder's
#     state API and /metrics say why;
#   - an operator drain of the holder withdraws regardless.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export LAB=fa$$ B LAB_BGP=1 LAB_HOLD_DOWN=1s LAB_DRAIN_WAIT=1s
export LAB_EDGE1_WEB_REGIONS='[eu-west]' LAB_EDGE2_WEB_REGIONS='[eu-west, us-east]'
# the edges lose their regions up to a probe interval (1 s) apart: a wider window makes them race
export ANYEDGE_TEST_CAS_DELAY_MS=2500
S=/run/anyedge-lab/$LAB
. tests/lib.sh
. scripts/etcd-lab.sh
require bird birdc ethtool nsenter curl python3 etcd etcdctl

etcd_lab fleet

trap etcd_lab_down EXIT
trap 'exit 1' INT TERM

web_up() { [ "$(upstream_has 192.0.2.1/32)" = present ]; } # upstream_has: lab-lib.sh
# web N: edge N's web announcement state ("announced", "withdrawn", "draining"), its
# fleet_held in $S/held$N
web() {
	ip netns exec "$LAB-e$1" curl -s -m 5 -o "$S/st$1" "http://127.0.0.1:918$1/api/v1/state" &&
		python3 -c 'import json,sys
a=[x for x in json.load(open(sys.argv[1]))["announcements"] if x["vip"]=="web"][0]
open(sys.argv[2],"w").write(a.get("fleet_held") or "")
print(a["state"])' "$S/st$1" "$S/held$1" 2>/dev/null
}
# until_ SECONDS CMD...: CMD holds within SECONDS (bounded)
until_() {
	t=$1
	shift
	i=0
	while [ $i -lt $((t * 5)) ]; do
		"$@" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
# both announce, for their own regions (not held by the fleet: a hold is still a question)
both_announce() { [ "$(web 1)" = announced ] && [ ! -s "$S/held1" ] && [ "$(web 2)" = announced ] && [ ! -s "$S/held2" ]; }
announcers() { ectl get "/anyedge/$LAB/announcers/web" --print-value-only 2>/dev/null; }
both_listed() { a=$(announcers) && case $a in *edge1*edge2* | *edge2*edge1*) true ;; *) false ;; esac; }
# one_holds: one edge announces web, held by the fleet; the other has withdrawn it
one_holds() {
	w1=$(web 1) w2=$(web 2)
	if [ "$w1" = announced ] && [ "$w2" = withdrawn ] && [ -s "$S/held1" ]; then
		holder=1 other=2
	elif [ "$w2" = announced ] && [ "$w1" = withdrawn ] && [ -s "$S/held2" ]; then
		holder=2 other=1
	else
		return 1
	fi
}

sh scripts/lab.sh up || { echo "t_fleet_last: lab did not come up"; exit 1; }
check "3-member etcd up in the upstream namespace" etcd_lab_up
mkdir -p "$S/opstate"
for n in 1 2; do
	{
		etcd_lab_fleet
		printf '  report_ttl: 6s\n  request_timeout: 1s\n'
	} >>"$S/edge$n.yaml"
	start_edged "$n"
done

check "both edges announce web" until_ 20 both_announce
check "the upstream has 192.0.2.1/32" until_ 10 web_up
check "etcd lists both edges as web's announcers ($(announcers))" until_ 10 both_listed
# fleet_json N: edge N's GET /api/v1/fleet through `anyedge fleet --json`
fleet_json() { ip netns exec "$LAB-e$1" "$B/anyedge" fleet --api "http://127.0.0.1:918$1" --json 2>/dev/null; }
# api_announcers N EDGE...: edge N's fleet view lists exactly these edges as web's announcers
api_announcers() {
	e=$1
	shift
	fleet_json "$e" | python3 -c 'import json,sys
a=[x for x in json.load(sys.stdin)["announcers"] if x["vip"]=="web"][0]
sys.exit(0 if sorted(a["edges"])==sorted(sys.argv[1:]) and a["revision"]>0 else 1)' "$@"
}
check "edge2's GET /api/v1/fleet shows web's announcers as etcd has them" \
	until_ 5 api_announcers 2 "$LAB-edge1" "$LAB-edge2"

# 1. another member still announces: the edge whose regions are down withdraws
is() { [ "$(web "$1")" = "$2" ]; }
set_state NOT_READY eu1 eu2
check "edge1 (eu-west only, now down) withdraws web: edge2 still announces it" until_ 15 is 1 withdrawn
check "edge2 keeps announcing" is 2 announced
check "the upstream still has the route" web_up
set_state "READY 0 active" eu1 eu2
check "eu-west back: both announce again" until_ 20 both_announce
check "and both are web's announcers again" until_ 10 both_listed

# 2. edge2 drained (an operator's, not subject to the rule): edge1 is the last; its word from
# the first failure is spent, so it asks again and keeps announcing
cli() { nsenter --net=/run/netns/"$LAB-e$1" "$B/anyedge" "$2" --edge --config "$S/edge$1.yaml" >/dev/null; }
only_edge1() { a=$(announcers) && case $a in *edge2*) false ;; *edge1*) true ;; *) false ;; esac; }
held() { [ "$(web "$1")" = announced ] && [ -s "$S/held$1" ]; }
cli 2 drain
check "edge2 drained: withdraws web and leaves its announcers" until_ 15 only_edge1
check "edge2 has withdrawn web" until_ 10 is 2 withdrawn
set_state NOT_READY eu1 eu2
check "edge1, the last to announce web, keeps it, held by the fleet" until_ 15 held 1
sleep 2
check "2 s later edge1 still holds web" held 1
check "the upstream still has the route" web_up
cli 2 undrain
set_state "READY 0 active" eu1 eu2
check "edge2 undrained, eu-west back: both announce again" until_ 20 both_announce
check "and both are web's announcers again" until_ 10 both_listed

# 3. every region down on both edges at once: one keeps the last announcement
holder=1 other=2 # until one_holds names them
set_state NOT_READY eu1 eu2 us1 us2
check "exactly one edge keeps announcing web, held by the fleet" until_ 15 one_holds
sleep 3
check "3 s later still one holder (edge$holder) and one withdrawn" one_holds
check "the upstream still has the route" web_up
# both, named: a failed one_holds leaves holder at 1, and an empty hold is not a silent API
echo "state APIs: edge1 $(web 1 || echo no answer) ($(cat "$S/held1")), edge2 $(web 2 || echo no answer) ($(cat "$S/held2"))"
check "edge$holder's state API says why (the last to announce)" grep -q "the last to announce" "$S/held$holder"
check "edge$other's state has no hold" [ ! -s "$S/held$other" ]
ip netns exec "$LAB-e$holder" curl -s -m 5 -o "$S/metrics" "http://127.0.0.1:918$holder/metrics"
check "/metrics: anyedge_bgp_fleet_held{vip=\"web\"} 1" grep -qx 'anyedge_bgp_fleet_held{vip="web"} 1' "$S/metrics"
ip netns exec "$LAB-e$holder" "$B/anyedge" fleet --api "http://127.0.0.1:918$holder" >"$S/fleet.txt" 2>&1
check "anyedge fleet on edge$holder: web's only announcer, held there, and why" sh -c \
	"grep -q '^web .* $LAB-edge$holder\$' $S/fleet.txt && grep -q 'held here: the last to announce' $S/fleet.txt"
check "edge$other's view agrees: edge$holder alone" until_ 5 api_announcers "$other" "$LAB-edge$holder"
check "edge$holder logged why" grep -q "web kept announced by the fleet: the last to announce" "$S/edged$holder.log"
# both swapped against the same revision: the race was run, and the swap decided it
rev=$(sed -n 's/.*vip web: left its announcers at revision \([0-9]*\): committed.*/\1/p' "$S/edged$other.log" | tail -1)
echo "edge$other left at revision ${rev:-?}; edge$holder: $(grep "vip web: leaving its announcers at revision" "$S/edged$holder.log" | tail -1 | sed 's/.*vip web: //')"
check "edge$holder read the same revision and lost its swap" grep -q "vip web: leaving its announcers at revision ${rev:-none}: lost" "$S/edged$holder.log"

# 4. an operator drain is not subject to the rule
cli "$holder" drain
check "the drained holder withdraws web" until_ 10 is "$holder" withdrawn
check "the upstream no longer has the route" wait_upq 192.0.2.1/32 absent 10
check "birdc still answers (the negative above is real)" sh -c "birdc -s $S/bird-up.ctl show status >/dev/null"

finish
