#!/usr/bin/env bash
# Wait until the infrastructure is ready, with a deadline (the seed's ./scripts/wait-for-db.sh).
#
#   cd deploy && ./scripts/wait-for-db.sh
#       after `docker compose -f docker-compose.infrastructure.yml up -d`: waits until the
#       postgres, rabbitmq and redis containers report healthy (their compose healthchecks).
#   ./scripts/wait-for-db.sh --url "$DATABASE_URL"
#       anywhere else (a VM, an init step): waits until that PostgreSQL accepts connections
#       (pg_isready when installed, else a TCP connect).
#
# Options: --timeout SECONDS (default 180, or WAIT_TIMEOUT), --file COMPOSE_FILE (default
# docker-compose.infrastructure.yml), --url URL. Exits 0 when ready, 1 at the deadline naming
# what is not ready, 2 on bad usage.
set -euo pipefail

timeout=${WAIT_TIMEOUT:-180}
compose_file=docker-compose.infrastructure.yml
url=""
services=(postgres rabbitmq redis)

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --timeout) timeout=${2:?--timeout needs seconds}; shift 2 ;;
        --file) compose_file=${2:?--file needs a compose file}; shift 2 ;;
        --url) url=${2:?--url needs a postgresql:// URL}; shift 2 ;;
        -h|--help) usage ;;
        *) echo "wait-for-db: unknown argument $1" >&2; usage ;;
    esac
done
case "$timeout" in ''|*[!0-9]*) echo "wait-for-db: --timeout must be whole seconds, got $timeout" >&2; exit 2 ;; esac
deadline=$((SECONDS + timeout))

postgres_ready() {  # postgres_ready URL
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -d "$1" -t 3
        return
    fi
    local rest host port
    rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}
    host=${rest%%:*}; port=${rest##*:}
    [ "$port" = "$rest" ] && port=5432
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

if [ -n "$url" ]; then
    until postgres_ready "$url"; do
        if ((SECONDS >= deadline)); then
            echo "wait-for-db: PostgreSQL at ${url##*@} not ready after ${timeout}s" >&2
            exit 1
        fi
        sleep 2
    done
    echo "wait-for-db: PostgreSQL at ${url##*@} is ready"
    exit 0
fi

if docker compose version >/dev/null 2>&1; then
    compose=(docker compose -f "$compose_file")
elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose -f "$compose_file")
else
    echo "wait-for-db: neither \`docker compose\` nor docker-compose found (or use --url)" >&2
    exit 2
fi

health() {  # health SERVICE -> healthy | starting | unhealthy | missing
    local id
    id=$("${compose[@]}" ps -q "$1" 2>/dev/null | head -n 1)
    [ -n "$id" ] || { echo missing; return; }
    docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id" 2>/dev/null || echo missing
}

for service in "${services[@]}"; do
    until [ "$(health "$service")" = healthy ]; do
        if ((SECONDS >= deadline)); then
            echo "wait-for-db: $service is $(health "$service") after ${timeout}s (docker compose -f $compose_file logs $service)" >&2
            exit 1
        fi
        sleep 2
    done
    echo "wait-for-db: $service is healthy"
done
