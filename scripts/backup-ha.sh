#!/usr/bin/env bash
# redoflow HA backup: the Flink deployment's backup-flink-ha.sh for
# redoflow's compose services. Copies the savepoints, checkpoints and HA
# metadata out of a running coordinator (the standby when the leader's
# container is down), with docker-compose.yml and .env, into
# backups/YYYYmmdd_HHMMSS.tar.gz beside docker-compose.yml.
#
#   scripts/backup-ha.sh
#
# Take a savepoint first for a consistent restore point:
#   redoflow savepoint JOB
#
# Environment:
#   REDOFLOW_DEPLOY_DIR  directory of docker-compose.yml (default: ../deploy beside this script)
#   REDOFLOW_BACKUP_DIR  where the archives go (default: backups in the deploy directory)
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
deploy_dir=${REDOFLOW_DEPLOY_DIR:-$script_dir/../deploy}
cd "$deploy_dir"
backup_root=${REDOFLOW_BACKUP_DIR:-backups}
stamp=$(date +%Y%m%d_%H%M%S)
backup_dir="$backup_root/$stamp"

compose() {
    if docker compose version >/dev/null 2>&1; then
        docker compose "$@"
    else
        docker-compose "$@"
    fi
}

# The volumes are shared, so any running coordinator holds all of them.
source_service=""
for service in coordinator coordinator-standby; do
    if [ -n "$(compose ps --status running -q "$service" 2>/dev/null)" ]; then
        source_service=$service
        break
    fi
done
if [ -z "$source_service" ]; then
    echo "error: neither coordinator nor coordinator-standby is running" >&2
    exit 1
fi

mkdir -p "$backup_dir"
echo "backing up redoflow HA data from $source_service..."

echo "savepoints..."
compose cp "$source_service:/opt/redoflow/savepoints" "$backup_dir/"

echo "checkpoints..."
compose cp "$source_service:/opt/redoflow/checkpoints" "$backup_dir/"

echo "HA metadata..."
compose cp "$source_service:/opt/redoflow/ha" "$backup_dir/"

echo "configuration..."
cp docker-compose.yml "$backup_dir/"
if [ -f .env ]; then
    cp .env "$backup_dir/"
else
    echo "   (no .env: the defaults in docker-compose.yml are in use)"
fi

echo "compressing..."
tar -czf "$backup_dir.tar.gz" -C "$backup_root" "$stamp"
rm -rf "$backup_dir"

echo "backup done: $(cd "$backup_root" && pwd)/$stamp.tar.gz"
