#!/usr/bin/env bash
# Taskplane backup (the first deployment guide's backup.sh): a pg_dump of DATABASE_URL and a
# tarball of config/, into BACKUP_DIR, keeping RETENTION_DAYS (30) days of them.
#
#   DATABASE_URL=postgresql://user:pass@host:5432/taskplane BACKUP_DIR=/backup/scheduler deploy/backup.sh
#   crontab:  0 2 * * * cd /opt/taskplane && . deploy/.env && deploy/backup.sh
#
# Restore:  psql "$DATABASE_URL" < db_YYYYmmdd_HHMMSS.sql  and  tar xzf config_YYYYmmdd_HHMMSS.tar.gz
# Variables: DATABASE_URL (required), BACKUP_DIR (/backup/scheduler), CONFIG_DIR (config/ of this
# checkout), RETENTION_DAYS (30), PG_DUMP (pg_dump; its major version must be >= the server's).
set -euo pipefail

if [ -z "${DATABASE_URL:-}" ]; then
  echo "backup.sh: DATABASE_URL is not set (postgresql://user:pass@host:5432/db); nothing was backed up" >&2
  exit 2
fi
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *)
    echo "backup.sh: DATABASE_URL is not a PostgreSQL URL; for the embedded SQLite database use" \
      "sqlite3 var/taskplane.sqlite3 '.backup taskplane-backup.sqlite3'" >&2
    exit 2
    ;;
esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKUP_DIR=${BACKUP_DIR:-/backup/scheduler}
CONFIG_DIR=${CONFIG_DIR:-$ROOT/config}
RETENTION_DAYS=${RETENTION_DAYS:-30}
PG_DUMP=${PG_DUMP:-pg_dump}
DATE=$(date +%Y%m%d_%H%M%S)
dump="$BACKUP_DIR/db_$DATE.sql"
config="$BACKUP_DIR/config_$DATE.tar.gz"

umask 077 # a dump holds every secret the database holds
mkdir -p "$BACKUP_DIR"
# Each file is written under a .partial name and renamed once complete, so a failed or
# interrupted run never leaves something that looks like a backup.
trap 'rm -f "$dump.partial" "$config.partial"' EXIT

"$PG_DUMP" --dbname="$DATABASE_URL" --file="$dump.partial"
mv "$dump.partial" "$dump"
tar czf "$config.partial" -C "$(dirname "$CONFIG_DIR")" "$(basename "$CONFIG_DIR")"
mv "$config.partial" "$config"

find "$BACKUP_DIR" -maxdepth 1 -name 'db_*.sql' -mtime +"$RETENTION_DAYS" -delete
find "$BACKUP_DIR" -maxdepth 1 -name 'config_*.tar.gz' -mtime +"$RETENTION_DAYS" -delete

echo "backup.sh: wrote $dump ($(wc -c <"$dump") bytes) and $config; removed backups older than $RETENTION_DAYS days"
