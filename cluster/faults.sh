#!/usr/bin/env bash
# faults.sh: a pub/sub soak over NATS and three nodes on loopback with
# faults: at KILL_AT seconds node3 is killed (SIGKILL) and started again
# RESTART_AFTER seconds later; at NATS_AT seconds the NATS server is killed
# (SIGKILL) and started again NATS_DOWN seconds later. The loadtest
# (-soak) only observes: it dials dropped connections again and reports
# each node's outages, what was lost and when delivery resumed.
#
#   cluster/faults.sh
#   CONNS=45000 PROCS=3 SOURCES=4 TOPICS=1 RATE=3 KILL_AT=25 NATS_AT=45 cluster/faults.sh
set -euo pipefail
CONNS=${CONNS:-3000}
TOPICS=${TOPICS:-10}
RATE=${RATE:-100}
DURATION=${DURATION:-60s}
PROCS=${PROCS:-1}                 # load processes (each under ~19,000 sockets)
SOURCES=${SOURCES:-1}             # client source addresses 127.0.0.1..N
KILL_AT=${KILL_AT:-15}
RESTART_AFTER=${RESTART_AFTER:-5}
NATS_AT=${NATS_AT:-35}
NATS_DOWN=${NATS_DOWN:-3}
BASE_PORT=${BASE_PORT:-18080}
NATS_ADDR=127.0.0.1:$((BASE_PORT - 3858))
OUT=${OUT:-$(mktemp -d /tmp/wsloop-faults.XXXXXX)}
BIN=${BIN:-$OUT/wsloop}
mkdir -p "$OUT"

cd "$(dirname "$0")/.."
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/wsloop
ulimit -n 20000 2>/dev/null || true
declare -A pid
cleanup() { for p in "${pid[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
start_nats() { "$BIN" nats -addr "$NATS_ADDR" >>"$OUT/nats.log" 2>&1 & pid[nats]=$!; }
start_node() {
  "$BIN" serve -addr "127.0.0.1:$((BASE_PORT + $1))" -nats "nats://$NATS_ADDR" -node "node$1" -log 0 >>"$OUT/node$1.log" 2>&1 &
  pid[node$1]=$!
}
start_nats
for i in 1 2 3; do start_node "$i"; done
sleep 2
echo "uptime before: $(uptime)"
t0=$(date +%s.%N)
"$BIN" loadtest -scenario pubsub -soak -procs "$PROCS" -sources "$SOURCES" -close-timeout 15s -conns "$CONNS" -topics "$TOPICS" -rate "$RATE" -duration "$DURATION" -progress=-1s \
  -json "$OUT/result.json" ws://127.0.0.1:$((BASE_PORT + 1))/pubsub ws://127.0.0.1:$((BASE_PORT + 2))/pubsub ws://127.0.0.1:$((BASE_PORT + 3))/pubsub &
lt=$!
at() { sleep "$(echo "$1 - ($(date +%s.%N) - $t0)" | bc)"; printf '%6.1f s  %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$2"; }
at "$KILL_AT" "kill -9 node3 (pid ${pid[node3]})"; kill -9 "${pid[node3]}"
at "$((KILL_AT + RESTART_AFTER))" "start node3 again"; start_node 3
at "$NATS_AT" "kill -9 NATS (pid ${pid[nats]})"; kill -9 "${pid[nats]}"
at "$((NATS_AT + NATS_DOWN))" "start NATS again"; start_nats
wait "$lt" || true
echo "uptime after: $(uptime)"
