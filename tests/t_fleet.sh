#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The fleet end to end: a real 3-member etcd (pre-vote on) in the lab's upstream namespace, both
# lab edges (scripts/lab.sh) running anyedged with a fleet: section, reaching etcd over their
# uplinks. Shows:
#   - reports under a lease: each edge sees both members live, with ages (API and CLI);
#   - a promotion asked of one edge is applied by every edge within 1 s of the commit;
#   - two conflicting promotions at once: one 200, one 409 naming the winner, one region
#     everywhere;
#   - the etcd leader killed mid-promotion: no split, whatever the answer;
#   - 2 of 3 members stopped: promotion refused (503) on every edge, steering unchanged;
#   - an edge cut off from etcd never promotes alone and catches up when it comes back;
#   - an edge rebuilt (pins gone) while etcd is down serves the designation it applied last;
#   - a drain asked of one edge with --fleet (a region, a backend) is applied by both;
#   - auto_promote: fleet promotes once (one epoch) when a majority sees the region down, both
#     edges racing to it: each holds its swap 1.5 s after its read (ANYEDGE_TEST_CAS_DELAY_MS,
#     longer than a worker round), so both read the same designation and one swap loses;
#   - nothing left behind (members killed by PID, data folder removed).
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export LAB=fl$$ B
# every compare-and-swap 1.5 s after its read: edges deciding within a round race (step 8)
export ANYEDGE_TEST_CAS_DELAY_MS=1500
S=/run/anyedge-lab/$LAB
. tests/lib.sh
. scripts/etcd-lab.sh
require ethtool nsenter curl python3 etcd etcdctl

etcd_lab fleet

trap etcd_lab_down EXIT
trap 'exit 1' INT TERM

# api N [curl args...] PATH: edge N's API; the HTTP status on stdout, the body in $S/bodyN
api() {
	n=$1
	shift
	ip netns exec "$LAB-e$n" curl -s -m 10 -o "$S/body$n" -w '%{http_code}' "$@"
}
url() { echo "http://127.0.0.1:918$1$2"; }
promote() { # N FROM TO [force]: POST failover on edge N
	api "$1" -X POST -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $(cat "$S/edge$1.token")" --data-binary \
		"{\"action\":\"PROMOTE_PASSIVE_REGION\",\"sourceRegion\":\"$2\",\"targetRegion\":\"$3\",\"forcePromotion\":${4:-false}}" \
		"$(url "$1" /api/v1/failover)"
}
# has N PYTHON-EXPR: the expression holds for j = edge N's last body
has() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$S/body$1" "$2" 2>/dev/null
}
db_primary() { # N: edge N's current_primary of the db VIP
	[ "$(api "$1" "$(url "$1" /api/v1/state)")" = 200 ] &&
		python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print([v for v in j["vips"] if v["name"]=="db"][0]["current_primary"])' "$S/body$1"
}
# wait_both REGION SECONDS: both edges serve db from REGION (bounded)
wait_both() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		[ "$(db_primary 1)" = "$1" ] && [ "$(db_primary 2)" = "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# wait_api N PATH PYTHON-EXPR SECONDS: edge N's GET PATH answers 200 and satisfies the expression
wait_api() {
	i=0
	while [ $i -lt $(($4 * 5)) ]; do
		[ "$(api "$1" "$(url "$1" "$2")")" = 200 ] && has "$1" "$3" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
etcd_db() { ectl get "/anyedge/$LAB/serving/db" --print-value-only 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["region"])' 2>/dev/null; }

sh scripts/lab.sh up || { echo "t_fleet: lab did not come up"; exit 1; }
check "3-member etcd up in the upstream namespace" etcd_lab_up
mkdir -p "$S/opstate"
for n in 1 2; do
	# db may also move to ap-south here, so two promotions can conflict
	sed -i -e 's/    regions: \[us-east, eu-west\]$/    regions: [us-east, eu-west, ap-south]/' \
		-e 's/    primary: us-east$/    primary: us-east\n    auto_promote: fleet/' "$S/edge$n.yaml"
	{
		etcd_lab_fleet
		printf '  report_ttl: 3s\n  request_timeout: 1s\n  promote_after: 2s\n'
	} >>"$S/edge$n.yaml"
	start_edged "$n"
done
check "edge1's policy with fleet: is valid" "$ANYEDGE" check "$S/edge1.yaml"

# 1. reports under a lease
all_live="j['quorum']['ok'] and all(m['live'] and m['age_seconds'] < 5 for m in j['members']) and all(r['up'] for m in j['members'] for r in m['report']['regions'].values())"
check "edge1 sees both members live, all regions up" wait_api 1 /api/v1/fleet "$all_live" 20
check "edge2 too" wait_api 2 /api/v1/fleet "$all_live" 5
check "reports carry regions, lag, announcements, policy hash" has 2 \
	"all('replica_lag_seconds' in m['report']['regions']['eu-west'] and 'announcing' in m['report'] and len(m['report']['policy_hash'])==16 for m in j['members'])"
check "anyedge fleet --json shows both members" sh -c \
	"ip netns exec $LAB-e1 $ANYEDGE fleet --api $(url 1 '') --json | python3 -c 'import json,sys; j=json.load(sys.stdin); sys.exit(0 if len(j[\"members\"])==2 else 1)'"
ip netns exec "$LAB-e1" "$ANYEDGE" fleet --api "$(url 1 '')" >"$S/fleet.txt" 2>&1
check "anyedge fleet (text) lists both members and db" sh -c \
	"grep -q '$LAB-edge1' $S/fleet.txt && grep -q '$LAB-edge2' $S/fleet.txt && grep -q 'db' $S/fleet.txt"
cat "$S/fleet.txt"
api 1 "$(url 1 /metrics)" >/dev/null
check "/metrics: anyedge_fleet_members_live 2, etcd reachable" sh -c \
	"grep -qx 'anyedge_fleet_members_live 2' $S/body1 && grep -qx 'anyedge_fleet_etcd_reachable 1' $S/body1"
api 1 "$(url 1 /health/ready)" >/dev/null
check "/health/ready shows the fleet's health" has 1 \
	"j['fleet']['etcd_reachable'] and j['fleet']['quorum'] and j['fleet']['live']==2"

# 2. one promotion, every edge
check "db on us-east everywhere at first" wait_both us-east 5
mark 1
code=$(promote 2 us-east eu-west)
check "promotion on edge2: 200 with an epoch ($code)" has 2 "j['epoch'] > 0"
[ "$code" = 200 ] || cat "$S/body2"
epoch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["epoch"])' "$S/body2")
check "both edges serve db from eu-west" wait_both eu-west 3
api 1 "$(url 1 /api/v1/state)" >/dev/null
check "edge1's state: db's fleet_epoch is the promotion's ($epoch)" has 1 \
	"[v for v in j['vips'] if v['name']=='db'][0]['fleet_epoch']==$epoch and j['fleet']['etcd_reachable']"
at=$(etcd_db >/dev/null; ectl get "/anyedge/$LAB/serving/db" --print-value-only |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["at"])')
for n in 1 2; do
	t=$(log_ms "vip db now served from eu-west" "$n")
	check "edge$n applied it $((t - at)) ms after the commit (< 1000)" \
		[ "$t" -gt 0 ] && [ $((t - at)) -lt 1000 ]
done
case $(ip netns exec "$LAB-ceu" curl -s -m 2 "http://192.0.2.2:5432/") in
eu-west/*) ok "a new db connection lands in eu-west" ;;
*) bad "a new db connection does not land in eu-west" ;;
esac

# 3. two conflicting promotions at once
promote 1 eu-west us-east >"$S/c1" &
p1=$!
promote 2 eu-west ap-south >"$S/c2" &
p2=$!
wait $p1
wait $p2
c1=$(cat "$S/c1") c2=$(cat "$S/c2")
check "one 200 and one 409 ($c1, $c2)" [ "$(printf '%s\n%s\n' "$c1" "$c2" | sort | tr '\n' ' ')" = "200 409 " ]
if [ "$c1" = 200 ]; then win=us-east loser=2; else win=ap-south loser=1; fi
check "the 409 names the winner" has "$loser" "'$LAB-edge' in j['error'] and '$win' in j['error']"
check "both edges serve db from the winner, $win" wait_both "$win" 3
check "etcd says $win too" [ "$(etcd_db)" = "$win" ]

# 3b. a drain for the whole fleet: asked of one edge, applied by both
eu_drained="all(b['drained'] for b in j['backends'] if b['region']=='eu-west')"
eu_undrained="not any(b['drained'] for b in j['backends'])"
check "anyedge drain --fleet eu-west on edge1" \
	ip netns exec "$LAB-e1" "$ANYEDGE" drain --fleet eu-west --api "$(url 1 '')" --token-file "$S/edge1.token"
check "edge1 drains eu-west's backends" wait_api 1 /api/v1/state "$eu_drained" 3
check "edge2 too" wait_api 2 /api/v1/state "$eu_drained" 3
check "anyedge undrain --fleet eu-west on edge2" \
	ip netns exec "$LAB-e2" "$ANYEDGE" undrain --fleet eu-west --api "$(url 2 '')" --token-file "$S/edge2.token"
check "edge1 undrains them" wait_api 1 /api/v1/state "$eu_undrained" 3
check "edge2 too" wait_api 2 /api/v1/state "$eu_undrained" 3
check "anyedge drain --fleet 198.51.100.11 (a backend) on edge2" \
	ip netns exec "$LAB-e2" "$ANYEDGE" drain --fleet 198.51.100.11 --api "$(url 2 '')" --token-file "$S/edge2.token"
check "edge1 drains that backend alone" wait_api 1 /api/v1/state \
	"[b['drained'] for b in j['backends'] if b['address']=='198.51.100.11']==[True] and sum(b['drained'] for b in j['backends'])==1" 3
ip netns exec "$LAB-e1" "$ANYEDGE" undrain --fleet 198.51.100.11 --api "$(url 1 '')" --token-file "$S/edge1.token" >/dev/null
check "and undrains it fleet-wide" wait_api 2 /api/v1/state "$eu_undrained" 3

# 4. the etcd leader killed mid-promotion: no split
leader=$(etcd_leader)
to=eu-west
promote 1 "$win" "$to" >"$S/c3" &
p3=$!
etcd_kill "$leader"
wait $p3
echo "promotion while the leader died: HTTP $(cat "$S/c3"): $(cat "$S/body1")"
case $(cat "$S/c3") in 200 | 503 | 409) ok "answered 200, 409 or 503, not hung" ;; *) bad "answered $(cat "$S/c3")" ;; esac
sleep 2
final=$(etcd_db)
check "no split: both edges serve what etcd says ($final)" wait_both "$final" 5
etcd_member "$leader" existing

# 5. quorum lost: refused everywhere, steering unchanged
# off the YAML primary first, so the restart below shows the saved designation, not the policy
cur=$(db_primary 1)
[ "$cur" = us-east ] && promote 1 us-east eu-west true >/dev/null && wait_both eu-west 3
before=$(db_primary 1)
[ "$before" = us-east ] && other=eu-west || other=us-east
sleep 2
k1= k2=
for n in 1 2 3; do
	if [ -z "$k1" ]; then k1=$n; elif [ -z "$k2" ]; then k2=$n; fi
done
etcd_kill "$k1"
etcd_kill "$k2"
for n in 1 2; do
	code=$(promote "$n" "$before" "$other")
	check "edge$n: promotion refused without quorum (503: $(head -c 120 "$S/body$n"))" \
		[ "$code" = 503 ]
done
check "steering unchanged on both ($before)" wait_both "$before" 1
check "edge1's fleet view says etcd is unreachable" wait_api 1 /api/v1/fleet "not j['etcd']['reachable'] and j['etcd']['error']" 10
code=$(api 1 "$(url 1 /health/ready)")
check "edge1 stays ready while etcd is down ($code), and says etcd is down" \
	has 1 "j['status']=='READY' and j['fleet']['etcd_reachable'] is False"
api 1 "$(url 1 /metrics)" >/dev/null
check "/metrics: anyedge_fleet_etcd_reachable 0" grep -qx 'anyedge_fleet_etcd_reachable 0' "$S/body1"

# 6. an edge restarted while etcd is down keeps the last designation
kill "$(cat "$S/edged2.pid")"
wait "$(cat "$S/edged2.pid")" 2>/dev/null
# a rebuilt edge: nothing pinned to adopt, only the state folder
nsenter --net=/run/netns/"$LAB-e2" "$B/anyedged" --config "$S/edge2.yaml" --detach >/dev/null 2>&1
start_edged 2
check "edge2, rebuilt without etcd, serves db from $before, not the YAML primary" \
	wait_both "$before" 10
etcd_member "$k1" existing
etcd_member "$k2" existing
check "the fleet recovers: both members live again" wait_api 1 /api/v1/fleet "$all_live" 20

# 7. an edge cut off from etcd never promotes alone
ip -n "$LAB-e2" route add prohibit 198.18.0.8/29
code=$(promote 2 "$before" "$other")
check "edge2, cut off: promotion refused ($code)" [ "$code" = 503 ]
check "edge2's report expires: edge1 sees it not live" wait_api 1 /api/v1/fleet \
	"[m for m in j['members'] if m['name']=='$LAB-edge2'][0]['live'] is False" 10
code=$(promote 1 "$before" "$other")
check "edge1 alone is no majority: refused ($code)" [ "$code" = 409 ]
check "steering unchanged on both" wait_both "$before" 1
code=$(promote 1 "$before" "$other" true)
check "forced on edge1: 200 ($code)" [ "$code" = 200 ]
sleep 1.5
check "edge2 (cut off) keeps $before" [ "$(db_primary 2)" = "$before" ]
ip -n "$LAB-e2" route del prohibit 198.18.0.8/29
check "edge2 catches up when etcd is back" wait_both "$other" 10

# 8. auto_promote: fleet: a majority sees us-east down for promote_after: exactly one epoch
if [ "$(db_primary 1)" != us-east ]; then promote 1 "$(db_primary 1)" us-east true >/dev/null; fi
check "db back on us-east everywhere" wait_both us-east 5
ver() { ectl get "/anyedge/$LAB/serving/db" -w json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["kvs"][0]["version"])'; }
v0=$(ver)
set_state NOT_READY us1 us2
check "auto-promoted: both edges serve db from eu-west" wait_both eu-west 15
sleep 2
n=$(cat "$S/edged1.log" "$S/edged2.log" | grep -c "auto-promoted (auto_promote: fleet)")
check "exactly one edge committed it ($n)" [ "$n" -eq 1 ]
# both read the same designation (revision M) and swapped against it: the race was run
m=$(cat "$S/edged1.log" "$S/edged2.log" | sed -n 's/.*vip db auto-promoted .*(read at \([0-9]*\)).*/\1/p')
echo "committed on revision ${m:-?} read; lost: $(cat "$S/edged1.log" "$S/edged2.log" | grep -c "vip db: auto-promotion read at revision ${m:-none} not committed here (lost the race)")"
check "the other edge read the same revision and lost its swap" sh -c \
	"cat $S/edged1.log $S/edged2.log | grep -q 'vip db: auto-promotion read at revision ${m:-none} not committed here (lost the race)'"
v1=$(ver)
check "one epoch: the designation changed once ($v0 -> $v1)" [ "$v1" -eq $((v0 + 1)) ]
set_state "READY 0 active" us1 us2

finish
