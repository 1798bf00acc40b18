#!/usr/bin/env bash
# scale.sh: pub/sub at scale on loopback. Starts NATS and NODES wsloop nodes
# (each its own process), subscribes CONNS_PER_NODE connections per node to
# ONE topic from PROCS load processes, lets one connection publish RATE
# messages/s for DURATION, and prints the loadtest summary plus each node's
# server CPU-seconds per million deliveries over the seconds in which
# deliveries flowed (utime+stime from /proc/PID/stat, sampled every 0.5 s).
#
#   cluster/scale.sh              # 3 nodes × 15,000 = 45,000 subscribers over NATS
#   NODES=1 NATS=0 cluster/scale.sh   # one node, no NATS: the single-node baseline
#
# Needs Linux, python3, and ulimit -n of at least CONNS_PER_NODE+100 per process.
set -euo pipefail
NODES=${NODES:-3}
CONNS_PER_NODE=${CONNS_PER_NODE:-15000}
PROCS=${PROCS:-$NODES}            # load processes; each must stay under ~19,000 sockets
RATE=${RATE:-2}                   # publishes/s, each one reaching every subscriber
DURATION=${DURATION:-40s}         # ramp + subscriptions + traffic
SOURCES=${SOURCES:-4}             # client source addresses 127.0.0.1..N
NATS=${NATS:-1}                   # 0: nodes run alone (only sensible with NODES=1)
BASE_PORT=${BASE_PORT:-18080}     # nodes on BASE_PORT+1.., NATS on BASE_PORT-3858 (14222 by default)
NATS_ADDR=127.0.0.1:$((BASE_PORT - 3858))
OUT=${OUT:-$(mktemp -d /tmp/wsloop-scale.XXXXXX)}
BIN=${BIN:-$OUT/wsloop}
mkdir -p "$OUT"
EXTRA=${EXTRA:-}                  # more loadtest flags, e.g. "-soak"

cd "$(dirname "$0")/.."
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/wsloop
ulimit -n 20000 2>/dev/null || true
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
natsflag=()
if [ "$NATS" = 1 ]; then
  "$BIN" nats -addr "$NATS_ADDR" >"$OUT/nats.log" 2>&1 & pids+=($!)
  natsflag=(-nats "nats://$NATS_ADDR")
fi
urls=(); nodepids=()
for i in $(seq 1 "$NODES"); do
  "$BIN" serve -addr "127.0.0.1:$((BASE_PORT + i))" "${natsflag[@]}" -node "node$i" -log 0 >"$OUT/node$i.log" 2>&1 &
  pids+=($!); nodepids+=($!)
  urls+=("ws://127.0.0.1:$((BASE_PORT + i))/pubsub")
done
sleep 2
echo "uptime before: $(uptime)"
# CPU sampler: "<unix seconds> <cpu_s node1> <cpu_s node2> ..." every 0.5 s
# while the load runs (bounded by 2,400 samples = 20 minutes).
( for _ in $(seq 1 2400); do
    line=$(date +%s.%N)
    for p in "${nodepids[@]}"; do line="$line $(awk '{printf "%.2f", ($14+$15)/100}' /proc/$p/stat)"; done
    echo "$line"; sleep 0.5
    [ -e "$OUT/done" ] && break
  done ) >"$OUT/cpu.txt" &
sampler=$!
set -x
"$BIN" loadtest -scenario pubsub -procs "$PROCS" -conns $((NODES * CONNS_PER_NODE)) -topics 1 -publishers 1 \
  -rate "$RATE" -duration "$DURATION" -sources "$SOURCES" -timeout 30s -close-timeout 15s -progress=-1s -json "$OUT/result.json" $EXTRA "${urls[@]}" || true
set +x
touch "$OUT/done"; wait "$sampler" || true
echo "uptime after: $(uptime)"
python3 - "$OUT/result.json" "$OUT/cpu.txt" <<'PY'
import json, sys, datetime
r = json.load(open(sys.argv[1]))
cpu = [list(map(float, l.split())) for l in open(sys.argv[2]) if l.strip()]
start = datetime.datetime.fromisoformat(r["started"].replace("Z", "+00:00")[:26] + "+00:00").timestamp()
pts = [p for p in r.get("series", []) if p["received"] > 0]
ps = r["pubsub"]
if not pts or not cpu:
    sys.exit("no deliveries or no CPU samples")
t0, t1 = start + pts[0]["t_s"] - 1, start + pts[-1]["t_s"]
def at(t, k):  # node k's CPU seconds at time t, interpolated
    prev = cpu[0]
    for s in cpu:
        if s[0] >= t:
            if s[0] == prev[0]:
                return s[k]
            return prev[k] + (s[k] - prev[k]) * (t - prev[0]) / (s[0] - prev[0])
        prev = s
    return cpu[-1][k]
print(f"deliveries {ps['deliveries']} in {t1 - t0:.0f} s of delivery ({ps['deliveries']/(t1-t0):.0f}/s), lost {ps['lost']}, duplicated {ps['duplicates']}, "
      f"published {ps['published']}, subscribed {ps['subscribed']}, p50 {ps['latency']['p50_ms']:.1f} ms, p99 {ps['latency']['p99_ms']:.1f} ms")
for k, n in enumerate(ps["nodes"], 1):
    c = at(t1, k) - at(t0, k)
    print(f"node{k}: {n['subscribers']} subscribers, {n['deliveries']} deliveries, lost {n['lost']}, "
          f"server CPU {c:.2f} s = {c / n['deliveries'] * 1e6 if n['deliveries'] else 0:.2f} CPU-s per million deliveries")
PY
