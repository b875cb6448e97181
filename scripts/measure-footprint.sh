#!/usr/bin/env bash
# Measures the footprint of redoflow's HA topology without docker: binary
# sizes (built as deploy/Dockerfile builds them), the time from a
# coordinator's start to its REST API answering, and the resident memory of
# two coordinators and three workers running the job against the simulator
# on loopback, with a local ZooKeeper (Debian's zookeeper package).
# docs/benchmarks.md records its output.
#
#   scripts/measure-footprint.sh            # SETTLE=30 seconds of running first
#
# Everything listens on 127.0.0.1; every process it starts is stopped on exit.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
settle=${SETTLE:-30}
base_port=${BASE_PORT:-27000}
work=$(mktemp -d)
bin=$work/bin
pids=()

cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 2
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

echo "== binaries (CGO_ENABLED=0 -trimpath -tags timetzdata -ldflags '-s -w')"
(cd "$repo" && CGO_ENABLED=0 go build -trimpath -tags timetzdata -ldflags "-s -w" -o "$bin/" ./cmd/...)
for f in "$bin"/*; do
    printf '%-12s %10d bytes  %10d bytes gzip -9\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(gzip -9 -c "$f" | wc -c)"
done

zk_port=$base_port
sim_port=$((base_port + 1))
mkdir -p "$work/zk"
cat >"$work/zk/zoo.cfg" <<CFG
tickTime=500
dataDir=$work/zk
clientPort=$zk_port
clientPortAddress=127.0.0.1
admin.enableServer=false
CFG
java -Xmx128m -Xms16m -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true \
    -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$work/zk/zoo.cfg" >"$work/zk.log" 2>&1 &
pids+=($!)
"$bin/redoflow" sim --listen "127.0.0.1:$sim_port" --service REDOFLOW --rate 200 >"$work/sim.log" 2>&1 &
pids+=($!)
until "$bin/redoflow" health -q --tcp "127.0.0.1:$zk_port" 2>/dev/null; do sleep 0.2; done
until "$bin/redoflow" health -q --tcp "127.0.0.1:$sim_port" 2>/dev/null; do sleep 0.2; done

common=(HA_MODE=zookeeper "HA_ZOOKEEPER_QUORUM=127.0.0.1:$zk_port" HA_CLUSTER_ID=/footprint
    DATABASE_HOST=127.0.0.1 "DATABASE_PORT=$sim_port" DATABASE_SID=REDOFLOW
    DATABASE_USERNAME=system DATABASE_PASSWORD=x DATABASE_SCHEMA=FINANCE_USER
    "DATABASE_TABLES=TRANS_INFO,TRANS_LOG" SCAN_STARTUP_MODE=latest-offset
    "OUTPUT_PATH=$work/out" "CHECKPOINT_DIR=$work/chk" "SAVEPOINT_DIR=$work/sp"
    "HA_STORAGE_DIR=$work/ha" CHECKPOINT_INTERVAL=10000 REDOFLOW_ADVERTISED_HOST=127.0.0.1)

rss() { awk '/VmRSS/ {printf "%6.1f MiB RSS", $2 / 1024}' "/proc/$1/status"; }

echo "== coordinator: start to REST answering"
rest1=$((base_port + 10))
start=$(date +%s%N)
env "${common[@]}" "REST_PORT=$rest1" "METRICS_PORT=$((base_port + 20))" REDOFLOW_NODE_ID=c1 \
    "$bin/coordinator" >"$work/c1.log" 2>&1 &
c1=$!
pids+=("$c1")
until "$bin/redoflow" health -q --url "http://127.0.0.1:$rest1/overview" 2>/dev/null; do sleep 0.005; done
echo "$(( ($(date +%s%N) - start) / 1000000 )) ms"

env "${common[@]}" "REST_PORT=$((base_port + 11))" "METRICS_PORT=$((base_port + 21))" REDOFLOW_NODE_ID=c2 \
    "$bin/coordinator" >"$work/c2.log" 2>&1 &
c2=$!
pids+=("$c2")
workers=()
for i in 1 2 3; do
    env "${common[@]}" "REST_PORT=$((base_port + 30 + i))" "METRICS_PORT=$((base_port + 40 + i))" \
        "REDOFLOW_WORKER_PORT=$((base_port + 50 + i))" "REDOFLOW_NODE_ID=w$i" \
        "$bin/worker" >"$work/w$i.log" 2>&1 &
    workers+=($!)
    pids+=($!)
done

echo "== after ${settle}s running the job at 200 changes/s"
sleep "$settle"
"$bin/redoflow" status --rest "http://127.0.0.1:$rest1" --output "" | sed -n '/2. Cluster/,/4. Jobs/p'
echo "coordinator (leader)   $(rss "$c1")"
echo "coordinator (standby)  $(rss "$c2")"
for i in 0 1 2; do echo "worker $((i + 1))               $(rss "${workers[$i]}")"; done
echo "zookeeper (JVM)        $(rss "${pids[0]}")"
