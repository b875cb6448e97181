#!/usr/bin/env bash
# redoflow HA cluster monitor: the Flink deployment's monitor-ha-cluster.sh
# for redoflow's compose services (zookeeper, coordinator,
# coordinator-standby, worker, oraclesim). Same sections, same exit code:
# 1 when no coordinator answers.
#
#   scripts/monitor-ha-cluster.sh                 # from anywhere
#   */5 * * * * /path/to/scripts/monitor-ha-cluster.sh >> /path/to/monitor.log 2>&1
#
# Environment:
#   REDOFLOW_DEPLOY_DIR  directory of docker-compose.yml (default: ../deploy beside this script)
#   REDOFLOW_REST_PORTS  host REST ports of the coordinators (default: "8081 8082")
#   REDOFLOW_OUTPUT_DIR  CSV directory on the host (default: output/cdc in the deploy directory)
#   REDOFLOW_HOST        host the ports are published on (default: localhost)
set -uo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
deploy_dir=${REDOFLOW_DEPLOY_DIR:-$script_dir/../deploy}
ports=${REDOFLOW_REST_PORTS:-8081 8082}
host=${REDOFLOW_HOST:-localhost}
cd "$deploy_dir" || { echo "error: no deploy directory $deploy_dir" >&2; exit 1; }
output_dir=${REDOFLOW_OUTPUT_DIR:-output/cdc}

compose() {
    if docker compose version >/dev/null 2>&1; then
        docker compose "$@"
    else
        docker-compose "$@"
    fi
}

# get PORT PATH: the JSON answer of one coordinator, or nothing.
get() {
    curl -sf --max-time 5 "http://$host:$1$2"
}

echo "=== redoflow HA cluster monitor ==="
echo "time: $(date)"
echo ""

# 1. Containers.
echo "1. Containers:"
compose ps --format "table {{.Name}}\t{{.Status}}" | grep -E "zookeeper|coordinator|worker|oraclesim"
echo ""

# 2. Leader. Both coordinators answer the REST API (the standby forwards to
# the leader), so the leader is the one whose /ha says role=leader. /ha is
# answered by each coordinator itself, so a live standby shows as up even
# while no one leads. A coordinator without /ha counts as the leader when it
# answers /overview, as in the Flink script.
echo "2. Coordinator leader:"
leader_port=""
first_up=""
any_up=""
for port in $ports; do
    role=""
    if ha=$(get "$port" /ha); then
        role=$(printf '%s' "$ha" | python3 -c "
import sys, json
try:
    print(json.load(sys.stdin).get('role', ''))
except ValueError:
    pass
")
    fi
    if [ -n "$role" ]; then
        any_up=yes
        echo "   port $port: up ($role)"
        if [ "$role" = "leader" ] && [ -z "$leader_port" ]; then
            leader_port=$port
        fi
    elif get "$port" /overview >/dev/null; then
        any_up=yes
        [ -n "$first_up" ] || first_up=$port
        echo "   port $port: up"
    else
        echo "   port $port: down"
    fi
done
if [ -z "$leader_port" ]; then
    leader_port=$first_up
fi
if [ -z "$any_up" ]; then
    echo "   error: no coordinator answers on ports $ports"
    exit 1
fi
if [ -z "$leader_port" ]; then
    echo "   error: coordinators answer but none leads yet (see docker compose logs coordinator zookeeper)"
    exit 1
fi
echo "   leader: port $leader_port"
echo ""

# 3. Resources.
echo "3. Cluster resources:"
get "$leader_port" /overview | python3 -c "
import sys, json
data = json.load(sys.stdin)
print(f'   workers: {data.get(\"taskmanagers\", 0)}')
print(f'   slots total: {data.get(\"slots-total\", 0)}')
print(f'   slots available: {data.get(\"slots-available\", 0)}')
print(f'   jobs running: {data.get(\"jobs-running\", 0)}')
"
echo ""

# 4. Workers.
echo "4. Workers:"
get "$leader_port" /taskmanagers | python3 -c "
import sys, json
data = json.load(sys.stdin)
tms = data.get('taskmanagers', [])
if not tms:
    print('   no workers registered')
for tm in tms:
    print(f'   {tm[\"id\"]}: slots {tm.get(\"slotsNumber\", 0)}, free {tm.get(\"freeSlots\", 0)}')
"
echo ""

# 5. Jobs and their latest checkpoint.
echo "5. Jobs:"
jobs=$(get "$leader_port" /jobs | python3 -c "
import sys, json
data = json.load(sys.stdin)
for job in data.get('jobs', []):
    print(job['id'], job['status'])
")
if [ -z "$jobs" ]; then
    echo "   no jobs"
fi
while read -r job_id status; do
    [ -n "$job_id" ] || continue
    echo "   job id: $job_id"
    echo "   status: $status"
    get "$leader_port" "/jobs/$job_id/checkpoints" | python3 -c "
import sys, json
data = json.load(sys.stdin)
counts = data.get('counts', {})
latest = (data.get('latest') or {}).get('completed') or {}
print(f'   checkpoints: {counts.get(\"completed\", 0)} completed, {counts.get(\"failed\", 0)} failed')
print(f'   latest checkpoint: {latest.get(\"id\", \"N/A\")} at {latest.get(\"latest_ack_timestamp\", \"N/A\")}')
" || echo "   checkpoints: not available"
done <<<"$jobs"
echo ""

# 6. Newest CSV files.
echo "6. CSV files written in the last 5 minutes ($output_dir):"
find "$output_dir" -name "*.csv" -type f -mmin -5 2>/dev/null | head -3 | while read -r file; do
    echo "   $file ($(du -h "$file" | cut -f1))"
done
echo ""

echo "=== done ==="
