#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make bench`, the fleet: both lab edges with a fleet: section, a 3-member etcd on the upstream
# (as tests/t_fleet.sh), and a policy of 100 VIPs (51 active-passive). Measures:
#   - commit -> applied on every edge, p50/p99 over 100 promotions of the db VIP (the commit's
#     time is the designation's own "at", taken just before the swap; applied is each edge's log
#     line for that epoch; the figure per promotion is the later edge);
#   - what each edge costs etcd at rest: requests per second and bytes per second both ways
#     (its worker: lease keepalive, report, one read of the whole prefix a second; its watch),
#     and the size of its report.
set -u
B=${B:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export LAB=fb$$ B
S=/run/anyedge-lab/$LAB
. tests/lib.sh
. scripts/etcd-lab.sh
require ethtool nsenter curl python3 etcd etcdctl
N=${FLEET_PROMOTIONS:-100}

etcd_lab fleet-bench
trap etcd_lab_down EXIT
trap 'exit 1' INT TERM

api() { # N curl-args...: edge N's API, body on stdout
	n=$1
	shift
	ip netns exec "$LAB-e$n" curl -s -m 10 "$@"
}
fleet_json() { api "$1" "http://127.0.0.1:918$1/api/v1/fleet"; }

sh scripts/lab.sh up >/dev/null || { echo "fleet_bench: lab did not come up"; exit 1; }
etcd_lab_up || exit 1
mkdir -p "$S/opstate"
for n in 1 2; do
	# 98 more VIPs: every other one active-passive like db
	python3 - "$S/edge$n.yaml" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
out = []
for l in lines:
    out.append(l)
    if l.startswith("vips:"):
        for i in range(98):
            ap = i % 2 == 0
            out.append("  - name: v%d" % i)
            out.append("    address: 192.0.2.%d" % (10 + i))
            out.append("    ports: [tcp/80]")
            if ap:
                out.append("    mode: active-passive")
                out.append("    primary: us-east")
                out.append("    regions: [us-east, eu-west]")
            else:
                out.append("    regions: [us-east, eu-west, ap-south]")
open(p, "w").write("\n".join(out))
PY
	etcd_lab_fleet >>"$S/edge$n.yaml"
	"$ANYEDGE" check "$S/edge$n.yaml" >/dev/null || { "$ANYEDGE" check "$S/edge$n.yaml"; exit 1; }
	start_edged "$n"
done
i=0
until fleet_json 1 | python3 -c 'import json,sys; j=json.load(sys.stdin); sys.exit(0 if j["quorum"]["ok"] else 1)' 2>/dev/null; do
	[ $i -lt 100 ] || { echo "fleet_bench: the fleet did not form"; exit 1; }
	sleep 0.2
	i=$((i + 1))
done
sleep 3

# at rest: 10 s of each edge's cost
fleet_json 1 >"$S/f1a"
fleet_json 2 >"$S/f2a"
sleep 10
fleet_json 1 >"$S/f1b"
fleet_json 2 >"$S/f2b"

# 100 promotions, alternating
: >"$S/promos"
from=us-east to=eu-west
i=0
while [ $i -lt "$N" ]; do
	out=$(api 1 -X POST -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $(cat "$S/edge1.token")" --data-binary \
		"{\"action\":\"PROMOTE_PASSIVE_REGION\",\"sourceRegion\":\"$from\",\"targetRegion\":\"$to\",\"forcePromotion\":true}" \
		"http://127.0.0.1:9181/api/v1/failover")
	epoch=$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("epoch",0))' 2>/dev/null)
	at=$(ectl get "/anyedge/$LAB/serving/db" --print-value-only |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["at"])')
	echo "$epoch $at" >>"$S/promos"
	# both edges applied it (bounded), before the next
	j=0
	while [ $j -lt 60 ]; do
		grep -q "vip db now served from $to.*(epoch $epoch," "$S/edged1.log" &&
			grep -q "vip db now served from $to.*(epoch $epoch," "$S/edged2.log" && break
		sleep 0.05
		j=$((j + 1))
	done
	t=$from from=$to to=$t
	i=$((i + 1))
done

python3 - "$S" <<'PY'
import json, sys, datetime
S = sys.argv[1]
def applied(n):
    out = {}
    for l in open("%s/edged%d.log" % (S, n)):
        if "vip db now served from" in l and "(epoch " in l:
            ep = int(l.split("(epoch ")[1].split(",")[0])
            t = datetime.datetime.strptime(l[:23], "%Y-%m-%dT%H:%M:%S.%f")
            out[ep] = int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
    return out
a1, a2 = applied(1), applied(2)
d = []
missing = 0
for l in open(S + "/promos"):
    ep, at = map(int, l.split())
    if ep in a1 and ep in a2:
        d.append(max(a1[ep], a2[ep]) - at)
    else:
        missing += 1
d.sort()
def pct(p):
    return d[min(len(d) - 1, int(round(p / 100.0 * (len(d) - 1))))] if d else -1
print("fleet: commit -> applied on both edges over %d promotions: p50 %d ms, p99 %d ms, max %d ms%s"
      % (len(d), pct(50), pct(99), d[-1] if d else -1,
         (", %d not applied in 3 s" % missing) if missing else ""))
for n in (1, 2):
    a = json.load(open("%s/f%da" % (S, n)))["etcd"]
    b = json.load(open("%s/f%db" % (S, n)))["etcd"]
    dt = 10.0
    print("fleet: edge%d at rest with 100 VIPs: %.1f requests/s, %.0f B/s sent, %.0f B/s received; report %d bytes"
          % (n, (b["requests_total"] - a["requests_total"]) / dt,
             (b["bytes_sent_total"] - a["bytes_sent_total"]) / dt,
             (b["bytes_received_total"] - a["bytes_received_total"]) / dt, b["report_bytes"]))
PY
