#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# anyedged's HTTP API and the CLI that talks to it, end to end on the lab (scripts/lab.sh): the
# daemon runs in edge1's namespace with its API on 127.0.0.1:9181 and a bearer token. Shows:
#   - every endpoint's success and error codes (404, 405, 401, 413, 422, 409, 503);
#   - failover refused on replica lag and on a down target, then forced, and the promotion
#     surviving a restart that starts from nothing pinned;
#   - drain of a region keeps an established flow and sends new ones elsewhere; edge drain;
#   - /metrics parses as Prometheus text (prometheus_client's parser) and counters move;
#   - a 10 MB body gets 413 while concurrent probes are answered at once;
#   - the CLI: tables, --json, exit 1 on refusal, exit 3 when nothing runs.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export LAB=ap$$ B
S=/run/anyedge-lab/$LAB
NS_E=$LAB-e1
URL=http://127.0.0.1:9181
TOKEN=t0ken-$$-5f3a9c0e2b7d41
. tests/lib.sh
require ethtool nsenter curl python3
# Debian's python3-prometheus-client is importable by the system python3, which a python3
# earlier on PATH (pyenv, venv) may not be
PROM_PY=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import prometheus_client.parser' 2>/dev/null; then PROM_PY=$p; break; fi
done
[ -n "$PROM_PY" ] ||
	{ echo "t_api: no python3-prometheus-client (scripts/deps.sh installs it)"; exit 77; }

cleanup() {
	[ -f "$S/big.pid" ] && kill "$(cat "$S/big.pid")" 2>/dev/null
	[ -n "${KEEP_LOGS:-}" ] && cp "$S/edged1.log" "$KEEP_LOGS" 2>/dev/null
	stop_lab
}
trap cleanup EXIT
trap 'exit 1' INT TERM

start_daemon() {
	ANYEDGE_STATE_DIR=$S/opstate nsenter --net=/run/netns/$NS_E "$B/anyedged" \
		--config "$S/edge1.yaml" >>"$S/edged1.log" 2>&1 &
	echo $! >"$S/edged1.pid"
}

# req [curl args...]: the HTTP status on stdout, the body in $S/body
req() {
	ip netns exec "$NS_E" curl -s -m 10 -o "$S/body" -w '%{http_code}' "$@"
}
post() { # post PATH BODY: with the token
	req -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		--data-binary "$2" "$URL$1"
}
# expect CODE DESCRIPTION curl-args...: the status must be CODE
expect() {
	want=$1 d=$2
	shift 2
	got=$(req "$@")
	if [ "$got" = "$want" ]; then ok "$d ($got)"; else bad "$d: HTTP $got, want $want: $(head -c 300 "$S/body")"; fi
}
expect_post() { # CODE DESCRIPTION PATH BODY
	got=$(post "$3" "$4")
	if [ "$got" = "$1" ]; then ok "$2 ($got)"; else bad "$2: HTTP $got, want $1: $(head -c 300 "$S/body")"; fi
}
# body_has PYTHON-EXPR: true when the expression holds for j = the last body as JSON
body_has() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$S/body" "$1" 2>/dev/null
}
# wait_state PYTHON-EXPR SECONDS: poll /api/v1/state until the expression holds
wait_state() {
	i=0
	while [ $i -lt $(($2 * 5)) ]; do
		[ "$(req "$URL/api/v1/state")" = 200 ] && body_has "$1" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
region() { echo "[r for r in j['regions'] if r['name']=='$1'][0]"; }
vip() { echo "[v for v in j['vips'] if v['name']=='$1'][0]"; }
cli() { ip netns exec "$NS_E" "$B/anyedge" "$@"; }
wait_api() {
	i=0
	while [ $i -lt 50 ]; do
		[ "$(req "$URL/health/shallow")" = 200 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

sh scripts/lab.sh up || { echo "t_api: lab did not come up"; exit 1; }
mkdir -p "$S/opstate"
(umask 077 && printf '%s\n' "$TOKEN" >"$S/token")
sed -i "s|^api: .*|api: {listen: 127.0.0.1:9181, token_file: $S/token}|" "$S/edge1.yaml"
start_daemon
check "API answers" wait_api
check "all regions up" wait_state "all(r['state']=='up' for r in j['regions'])" 10

# 1. reads
expect 200 "GET /health/shallow" "$URL/health/shallow"
expect 200 "GET /health/ready" "$URL/health/ready"
check "ready body: READY, region, active, bird, regions_up, lag" body_has \
	"j['status']=='READY' and j['region']=='eu-west' and j['system_mode']=='active' and j['bird']['connected'] is False and j['regions_up']==3 and 'replica_lag_seconds' in j"
expect 200 "GET /api/v1/state" "$URL/api/v1/state"
check "state: 3 regions, 6 backends, 2 VIPs, 2 announcements (prefix, state, since)" body_has \
	"len(j['regions'])==3 and len(j['backends'])==6 and len(j['vips'])==2 and sorted(a['prefix'] for a in j['announcements'])==['192.0.2.1/32','192.0.2.2/32'] and all(a['state'] in ('announced','withdrawn','draining') and 'since' in a for a in j['announcements'])"
check "state: region since/why, backend health/last probe/latency/weight/drained" body_has \
	"all(r['since'] and r['why'] for r in j['regions']) and all(b['health']=='up' and b['last_probe']['latency_seconds']>0 and b['weight']==100 and b['drained'] is False for b in j['backends'])"
check "state: VIP mode, current primary, serving regions" body_has \
	"$(vip db)['mode']=='active-passive' and $(vip db)['current_primary']=='us-east' and $(vip web)['serving_regions']==['us-east','eu-west','ap-south']"
expect 404 "unknown path" "$URL/api/v1/nope"
expect 405 "GET on a write" "$URL/api/v1/failover"
expect 405 "POST on a read" -X POST "$URL/health/ready"

# 2. the token
expect 401 "write without a token" -X POST -d '{}' "$URL/api/v1/reload"
expect 401 "write with a bad token" -X POST -H "Authorization: Bearer nope" -d '{}' "$URL/api/v1/reload"
expect_post 200 "reload with the token" /api/v1/reload ''
expect 200 "metrics need no token" "$URL/metrics"

# 3. body shapes
F='"action":"PROMOTE_PASSIVE_REGION"'
expect_post 422 "bad JSON" /api/v1/failover '{"action":'
check "bad JSON says why" grep -q "bad JSON" "$S/body"
expect_post 422 "not an object" /api/v1/failover '[1,2]'
expect_post 422 "unknown action" /api/v1/failover '{"action":"DEMOTE","sourceRegion":"us-east","targetRegion":"eu-west"}'
expect_post 422 "unknown region" /api/v1/failover "{$F,\"sourceRegion\":\"us-east\",\"targetRegion\":\"mars\"}"
expect_post 422 "source = target" /api/v1/failover "{$F,\"sourceRegion\":\"us-east\",\"targetRegion\":\"us-east\"}"
expect_post 422 "unknown field" /api/v1/failover "{$F,\"sourceRegion\":\"us-east\",\"targetRegion\":\"eu-west\",\"forcePromtion\":true}"
expect_post 422 "drain: two targets" /api/v1/drain '{"region":"eu-west","backend":"198.51.100.71"}'
expect_post 422 "drain: unknown region" /api/v1/drain '{"region":"mars"}'
expect_post 422 "drain: unknown backend" /api/v1/drain '{"backend":"198.51.100.99"}'

# 4. the body limit: 413 while others are answered
head -c 10485760 /dev/zero | tr '\0' x >"$S/big"
got=$(req -X POST -H "Authorization: Bearer $TOKEN" --data-binary @"$S/big" "$URL/api/v1/failover")
check "10 MB body with Content-Length: 413 (got $got)" [ "$got" = 413 ]
ip netns exec "$NS_E" curl -s -m 30 -o /dev/null -w '%{http_code}' --limit-rate 2M \
	-H "Authorization: Bearer $TOKEN" -H 'Transfer-Encoding: chunked' \
	--data-binary @"$S/big" "$URL/api/v1/failover" >"$S/big.code" 2>/dev/null &
echo $! >"$S/big.pid"
sleep 0.5
okgets=0
for i in 1 2 3 4 5; do
	t=$(ip netns exec "$NS_E" curl -s -m 2 -o /dev/null -w '%{http_code} %{time_total}' "$URL/health/ready")
	case $t in "200 0.0"*) okgets=$((okgets + 1)) ;; esac
	sleep 0.2
done
check "probes answered within 100 ms during a 10 MB upload ($okgets/5)" [ $okgets -eq 5 ]
wait "$(cat "$S/big.pid")"
rm -f "$S/big.pid"
check "10 MB chunked body: 413 (got $(cat "$S/big.code"))" [ "$(cat "$S/big.code")" = 413 ]

# 4b. slow clients (issue 15, item 6): 100 connections trickling one header line every 4 s
# while /health/shallow is probed every 0.5 s. Promise: every probe answered, within 1 s.
ip netns exec "$NS_E" python3 tests/slow_clients.py 127.0.0.1 9181 --conns 100 --seconds 12 \
	--gap 4 >"$S/slow.json"
echo "t_api: slow clients: $(cat "$S/slow.json")"
check "100 slow clients: every health probe answered within 1000 ms" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if j["probes"] >= 10 and j["ok"] == j["probes"] and j["max_ms"] < 1000 else 1)' "$S/slow.json"
req "$URL/metrics" >/dev/null
cut=$(sed -n 's/^anyedge_api_connections_cut_total //p' "$S/body")
check "... the slow connections were cut, and counted ($cut)" [ "${cut:-0}" -ge 68 ]

# 5. drain: the established flow stays, new flows go elsewhere
case $(served_by eu) in eu-west/*) ok "EU client on eu-west" ;; *) bad "EU client not on eu-west" ;; esac
check "the long-lived flow is connected" flow_start 60
sleep 0.5
expect_post 200 "drain region eu-west" /api/v1/drain '{"region":"eu-west"}'
sleep 0.3
case $(served_by eu) in us-east/*) ok "new EU flows go to us-east while eu-west is drained" ;; *) bad "new EU flow not moved: $(served_by eu)" ;; esac
check "state shows eu-west's backends drained" wait_state \
	"all(b['drained'] for b in j['backends'] if b['region']=='eu-west')" 2
sleep 2
check "the established flow kept its eu-west backend through the drain" flow_stop
check "... and it was on eu-west" grep -q '"eu-west/' "$S/flow.out"
expect_post 200 "undrain region eu-west" /api/v1/undrain '{"region":"eu-west"}'
sleep 0.3
case $(served_by eu) in eu-west/*) ok "EU client back on eu-west" ;; *) bad "EU client not back on eu-west" ;; esac
expect_post 200 "drain one backend" /api/v1/drain '{"backend":"198.51.100.71"}'
check "drain saved in the state file" grep -q "^drained 198.51.100.71$" "$S/opstate/$LAB-edge1.state"
check "state shows that backend drained" wait_state \
	"[b for b in j['backends'] if b['address']=='198.51.100.71'][0]['drained']" 2
to_eu1=0
for i in 1 2 3 4 5 6; do
	case $(served_by eu) in */eu1) to_eu1=$((to_eu1 + 1)) ;; esac
done
check "no new flow to the drained backend ($to_eu1 of 6)" [ $to_eu1 -eq 0 ]
expect_post 200 "undrain one backend" /api/v1/undrain '{"backend":"198.51.100.71"}'
expect_post 200 "drain the edge" /api/v1/drain '{"edge":true}'
expect 503 "ready says 503 while the edge is drained" "$URL/health/ready"
check "... DEGRADED, system_mode draining" body_has "j['status']=='DEGRADED' and j['system_mode']=='draining' and j['error']"
expect 200 "shallow stays 200" "$URL/health/shallow"
expect_post 200 "undrain the edge" /api/v1/undrain '{"edge":true}'
expect 200 "ready again" "$URL/health/ready"

# 6. failover: refused on lag, refused on a down target, forced, kept over a restart
set_state "READY 8 active" eu1 eu2
check "eu-west reports 8 s of lag" wait_state "$(region eu-west)['replica_lag_seconds']==8" 5
expect_post 409 "promotion refused: lag over the request's limit" /api/v1/failover \
	"{$F,\"sourceRegion\":\"us-east\",\"targetRegion\":\"eu-west\",\"forcePromotion\":false,\"maxAllowedReplicaLagSeconds\":5}"
check "refusal names the lag" grep -q "replica lag of eu-west is 8.0 s, over the allowed 5.0 s" "$S/body"
# the seed's backends answer 503 when degraded (lag alone guards promotion: fail_on_lag off)
set_state "DEGRADED 20 active replica 20 s behind" eu1 eu2
check "eu-west down on 503 DEGRADED" wait_state "$(region eu-west)['state']=='down'" 6
check "the backend's error text in the state" wait_state \
	"[b for b in j['backends'] if b['address']=='198.51.100.71'][0]['last_probe']['error']=='replica 20 s behind'" 2
expect_post 409 "promotion refused: target down" /api/v1/failover \
	"{$F,\"sourceRegion\":\"us-east\",\"targetRegion\":\"eu-west\"}"
check "refusal names the cause" grep -q "eu-west is down" "$S/body"
cli failover --from us-east --to eu-west --api "$URL" --token-file "$S/token" 2>"$S/cli.err"
check "CLI: refusal exits 1" [ $? -eq 1 ]
check "CLI: refusal says why" grep -q "refused (HTTP 409).*eu-west is down" "$S/cli.err"
expect_post 200 "forced promotion" /api/v1/failover \
	"{$F,\"sourceRegion\":\"us-east\",\"targetRegion\":\"eu-west\",\"forcePromotion\":true}"
check "db now served from eu-west" wait_state "$(vip db)['current_primary']=='eu-west'" 2
expect 503 "ready: db's serving region is down" "$URL/health/ready"
check "promotion saved" grep -q "^promote us-east eu-west" "$S/opstate/$LAB-edge1.state"
check "promotion logged as an event" grep -q "operator: failover us-east -> eu-west (forced)" "$S/edged1.log"
set_state "READY 0 active" eu1 eu2
check "eu-west up again" wait_state "$(region eu-west)['state']=='up'" 6
expect_post 200 "drain a backend before the restart" /api/v1/drain '{"backend":"198.51.100.132"}'
# a restart from nothing pinned: only the state file remembers
kill "$(cat "$S/edged1.pid")"
sleep 0.5
nsenter --net=/run/netns/$NS_E "$B/anyedged" --config "$S/edge1.yaml" --detach >/dev/null 2>&1
start_daemon
check "API back after the restart" wait_api
check "the promotion survived the restart" wait_state "$(vip db)['current_primary']=='eu-west'" 3
check "restart re-applied it" grep -q "saved promotion us-east -> eu-west re-applied" "$S/edged1.log"
check "the backend drain survived the restart" wait_state \
	"[b for b in j['backends'] if b['address']=='198.51.100.132'][0]['drained']" 3
expect_post 200 "undrain it" /api/v1/undrain '{"backend":"198.51.100.132"}'
check "undrain saved" sh -c "[ -s '$S/opstate/$LAB-edge1.state' ] && ! grep -q '^drained' '$S/opstate/$LAB-edge1.state'"
check "eu-west and us-east up after the restart" wait_state \
	"$(region eu-west)['state']=='up' and $(region us-east)['state']=='up'" 10
cli failover --from eu-west --to us-east --api "$URL" --token-file "$S/token" >"$S/cli.out"
check "CLI: failover back exits 0" [ $? -eq 0 ]
check "CLI: says what it promoted" grep -q "promoted db from eu-west to us-east" "$S/cli.out"
check "back on the primary: no saved promotions left" sh -c "[ -s '$S/opstate/$LAB-edge1.state' ] && ! grep -q '^promote' '$S/opstate/$LAB-edge1.state'"

# 7. reload over the API, refused reload with file:line:col
expect_post 200 "reload" /api/v1/reload '{}'
cp "$S/edge1.yaml" "$S/edge1.good"
printf 'vips:\n  - name: [broken\n' >>"$S/edge1.yaml"
expect_post 409 "broken policy: reload refused" /api/v1/reload ''
check "refusal carries file:line:col" grep -q "edge1.yaml:[0-9]*:[0-9]*: error" "$S/body"
cp "$S/edge1.good" "$S/edge1.yaml"
expect_post 422 "reload takes no arguments" /api/v1/reload '{"now":true}'

# 8. metrics: a real parser, and counters that move with traffic
metric() { # NAME LABEL=VALUE...: the sample's value from a fresh scrape, via prometheus_client
	req "$URL/metrics" >/dev/null
	"$PROM_PY" - "$S/body" "$@" <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
want = dict(a.split("=", 1) for a in sys.argv[3:])
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        if s.name == sys.argv[2] and all(s.labels.get(k) == v for k, v in want.items()):
            print(int(s.value) if s.value == int(s.value) else s.value)
            sys.exit(0)
sys.exit(1)
EOF
}
expect 200 "GET /metrics" "$URL/metrics"
check "metrics: text/plain; version=0.0.4" sh -c "ip netns exec $NS_E curl -s -D - -o /dev/null $URL/metrics | grep -qi 'content-type: text/plain; version=0.0.4'"
"$PROM_PY" - "$S/body" >"$S/families" 2>&1 <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    print(fam.name, fam.type, len(fam.samples))
EOF
check "metrics parse as Prometheus text" [ $? -eq 0 ]
for m in "anyedge_vip_packets counter" "anyedge_vip_bytes counter" "anyedge_vip_new_flows counter" \
	"anyedge_xdp_unsteered_packets counter" "anyedge_backend_up gauge" \
	"anyedge_backend_probe_latency_seconds gauge" "anyedge_region_up gauge" \
	"anyedge_reloads counter" "anyedge_failovers counter" \
	"anyedge_last_failover_timestamp_seconds gauge" "anyedge_last_reload_timestamp_seconds gauge"; do
	check "metric family $m" grep -q "^$m " "$S/families"
done
p0=$(metric anyedge_vip_packets_total vip=web)
f0=$(metric anyedge_vip_new_flows_total vip=web)
for i in 1 2 3 4 5; do served_by eu >/dev/null; done
p1=$(metric anyedge_vip_packets_total vip=web)
f1=$(metric anyedge_vip_new_flows_total vip=web)
check "web packets counter moved with traffic ($p0 -> $p1)" [ "${p1:-0}" -gt "${p0:-0}" ]
check "web new flows counter moved by at least 5 ($f0 -> $f1)" [ "${f1:-0}" -ge $((${f0:-0} + 5)) ]
check "failovers counted (1 since the restart)" [ "$(metric anyedge_failovers_total)" = 1 ]
check "reloads counted" [ "$(metric anyedge_reloads_total)" -ge 1 ]
check "backend up as a metric" [ "$(metric anyedge_backend_up backend=198.51.100.71 region=eu-west)" = 1 ]
want_ver=$("$B/anyedged" --version | cut -d' ' -f2)
check "anyedge_build_info carries the daemon's --version ($want_ver)" [ "$(metric anyedge_build_info version="$want_ver")" = 1 ]
check "last failover timestamp is recent" python3 -c "import sys,time; sys.exit(0 if abs(time.time()-float(sys.argv[1]))<120 else 1)" "$(metric anyedge_last_failover_timestamp_seconds)"

# 9. the CLI
cli status --api "$URL" >"$S/cli.out"
check "CLI status exits 0" [ $? -eq 0 ]
check "CLI status says READY" grep -q "^status *READY" "$S/cli.out"
cli regions --config "$S/edge1.yaml" >"$S/cli.out"
check "CLI regions (address from --config): a row per region" [ "$(grep -c -E '^(us-east|eu-west|ap-south) +up' "$S/cli.out")" -eq 3 ]
cli backends eu-west --api "$URL" >"$S/cli.out"
check "CLI backends eu-west: its two backends" [ "$(grep -c '^198.51.100.7[12] ' "$S/cli.out")" -eq 2 ]
cli vips --api "$URL" --json >"$S/cli.out"
check "CLI vips --json is JSON" python3 -c "import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if {x['name'] for x in v}=={'web','db'} else 1)" "$S/cli.out"
cli top --count 2 --api "$URL" >"$S/cli.out"
check "CLI top --count 2: two frames with the VIPs" [ "$(grep -c '^web ' "$S/cli.out")" -eq 2 ]
cli drain --region ap-south --api "$URL" >/dev/null 2>"$S/cli.err"
check "CLI drain without the token exits 1" [ $? -eq 1 ]
check "CLI says unauthorized" grep -q "unauthorized (HTTP 401)" "$S/cli.err"
cli drain --region ap-south --config "$S/edge1.yaml" >/dev/null
check "CLI drain with the policy's token exits 0" [ $? -eq 0 ]
cli undrain --region ap-south --config "$S/edge1.yaml" >/dev/null
check "CLI undrain exits 0" [ $? -eq 0 ]
cli reload --api "$URL" --token-file "$S/token" >/dev/null
check "CLI reload exits 0" [ $? -eq 0 ]
cli drain --api "$URL" >/dev/null 2>&1
check "CLI drain without a target: usage, exit 2" [ $? -eq 2 ]
cli status --api http://127.0.0.1:9189 >/dev/null 2>"$S/cli.err"
check "CLI: no daemon exits 3" [ $? -eq 3 ]
check "CLI: says it is not running" grep -q "anyedged is not running at http://127.0.0.1:9189" "$S/cli.err"

# 10. other listen forms: [v6]:port and a UNIX socket path
relisten() { # LISTEN: restart the daemon listening there
	sed -i "s|^api: .*|api: {listen: '$1', token_file: $S/token}|" "$S/edge1.yaml"
	kill "$(cat "$S/edged1.pid")"
	sleep 0.5
	start_daemon
}
relisten "[::1]:9181"
i=0
until [ "$(ip netns exec "$NS_E" curl -s -g -o /dev/null -w '%{http_code}' 'http://[::1]:9181/health/shallow')" = 200 ] || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "listen [::1]:9181: answers over IPv6" [ $i -lt 50 ]
cli status --config "$S/edge1.yaml" >/dev/null
check "CLI reaches [::1]:9181 from --config" [ $? -eq 0 ]
relisten "$S/api.sock"
wait_unix() {
	i=0
	until [ "$(curl -s --unix-socket "$S/api.sock" -o /dev/null -w '%{http_code}' http://localhost/health/shallow)" = 200 ] || [ $i -ge 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ $i -lt 50 ]
}
check "listen on a UNIX socket path: answers" wait_unix
"$B/anyedge" vips --api "unix:$S/api.sock" >/dev/null
check "CLI over unix:PATH" [ $? -eq 0 ]
"$B/anyedge" undrain --edge --config "$S/edge1.yaml" >/dev/null
check "CLI write over the UNIX socket from --config" [ $? -eq 0 ]
kill -HUP "$(cat "$S/edged1.pid")"
sleep 0.5
check "SIGHUP reloads; the API threads do not take the signal" kill -0 "$(cat "$S/edged1.pid")"

# 11. who may write (issue 15, items 5 and 8)
reapi() { # API-LINE: restart the daemon with that api: line
	sed -i "s|^api: .*|api: $1|" "$S/edge1.yaml"
	kill "$(cat "$S/edged1.pid")" 2>/dev/null
	sleep 0.5
	start_daemon
}
# died_with PATTERN: the daemon exited within 10 s and its log says why
died_with() {
	i=0
	while kill -0 "$(cat "$S/edged1.pid")" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! kill -0 "$(cat "$S/edged1.pid")" 2>/dev/null && tail -n 20 "$S/edged1.log" | grep -q "$1"
}
reapi "{listen: '$S/api.sock'}"
check "UNIX socket, no token: answers" wait_unix
got=$(curl -s --unix-socket "$S/api.sock" -o "$S/body" -w '%{http_code}' -X POST -d '{}' http://localhost/api/v1/reload)
check "UNIX socket, no token: the socket's owner may write ($got)" [ "$got" = 200 ]
check "... the socket is 0660" [ "$(stat -c %a "$S/api.sock")" = 660 ]
reapi "{listen: 127.0.0.1:9181}"
check "the UNIX socket is removed at exit" [ ! -e "$S/api.sock" ]
check "TCP, no token: answers" wait_api
expect 200 "TCP, no token: reads are open" "$URL/api/v1/state"
expect 403 "TCP, no token: writes refused" -X POST -d '{}' "$URL/api/v1/reload"
check "... saying what to configure" grep -q "api.token_file" "$S/body"
reapi "{listen: 0.0.0.0:9181}"
check "beyond loopback without a token: the daemon refuses to start" \
	died_with "refusing to listen on 0.0.0.0:9181, beyond loopback, without api.token_file"
# a UTF-16 token file: strlen() saw "g", and "Bearer g" drained the edge
printf '%s\n' "$TOKEN" | iconv -f ASCII -t UTF-16LE >"$S/token16"
reapi "{listen: 127.0.0.1:9181, token_file: $S/token16}"
check "UTF-16 token file: the daemon refuses to start" died_with "not one line of printable ASCII"
got=$(req -X POST -H "Authorization: Bearer t" -d '{"edge":true}' "$URL/api/v1/drain")
check "... and nobody drains the edge with 'Bearer t' ($got)" [ "$got" != 200 ]
printf 'short\n' >"$S/token.short"
reapi "{listen: 127.0.0.1:9181, token_file: $S/token.short}"
check "a 5-character token: refused" died_with "shorter than 16 characters"
check "a 0600 token file: no warning" sh -c "! grep -q 'token file $S/token is readable' '$S/edged1.log'"
chmod 644 "$S/token"
reapi "{listen: 127.0.0.1:9181, token_file: $S/token}"
check "a world-readable token file: started" wait_api
check "... with a warning" grep -q "token file $S/token is readable by group or others" "$S/edged1.log"

kill "$(cat "$S/edged1.pid")"
sleep 0.5
rm -f "$S/edged1.pid"
cleanup
trap - EXIT
left=$(ip netns list | grep -c "^$LAB-")
check "no namespaces left" [ "$left" -eq 0 ]
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
