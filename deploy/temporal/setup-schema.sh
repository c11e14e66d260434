#!/bin/sh
# Temporal's schema job (service `temporal-schema` in docker-compose.yml), as in Temporal's official compose
# (temporalio/samples-server, compose/scripts/setup-postgres.sh): creates the databases `temporal` and
# `temporal_visibility` when missing, sets up the versioning tables, and brings both schemas up to the
# version this temporalio/admin-tools image ships (/etc/temporal/schema/postgresql/v12/...). Every step is
# idempotent, so the job runs at every `docker compose up`; after an upgrade of the Temporal images it applies
# the new schema versions before the new server starts (the server waits for this job to succeed).
#
# temporal-sql-tool reads its connection from the environment: SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER and
# SQL_PASSWORD (so the password is on no command line).
set -eu

: "${SQL_PLUGIN:?SQL_PLUGIN must be set (postgres12_pgx)}"
: "${SQL_HOST:?SQL_HOST must be set}"
: "${SQL_PORT:?SQL_PORT must be set}"
: "${SQL_USER:?SQL_USER must be set}"
: "${SQL_PASSWORD:?SQL_PASSWORD must be set}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

echo "Waiting for PostgreSQL at $SQL_HOST:$SQL_PORT..."
attempt=1
until nc -z -w 5 "$SQL_HOST" "$SQL_PORT"; do
  if [ "$attempt" -ge 30 ]; then
    echo "PostgreSQL did not accept connections after $attempt attempts" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

for db in temporal temporal_visibility; do
  case "$db" in
    temporal) dir="$SCHEMA_DIR/temporal/versioned" ;;
    *) dir="$SCHEMA_DIR/visibility/versioned" ;;
  esac
  echo "Database $db: create if missing, set up versioning, update the schema from $dir"
  temporal-sql-tool --db "$db" create-database
  temporal-sql-tool --db "$db" setup-schema -v 0.0
  temporal-sql-tool --db "$db" update-schema -d "$dir"
done
echo 'Temporal schema is up to date'
