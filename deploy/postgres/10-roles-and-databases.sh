#!/bin/bash
# PostgreSQL's first start (docker-compose.yml mounts this into /docker-entrypoint-initdb.d/, which the image
# runs once, when the data volume is empty, as the superuser $POSTGRES_USER): one server for Temporal and
# Tessera, each with its own role.
#
#   temporal  LOGIN CREATEDB: the schema job (temporal-sql-tool) creates and owns `temporal` and
#             `temporal_visibility`.
#   tessera   LOGIN, owner of the database `tessera`, where Tessera's store and vector collections live
#             (TESSERA_DATABASE_URL); no superuser, so the `vector` extension (pgvector, shipped in the
#             pgvector/pgvector image) is created here, once, by the superuser.
#
# The passwords come from the container's environment (TEMPORAL_DB_PASSWORD, TESSERA_DB_PASSWORD), passed to
# psql as variables, never written into a file. Changing them later: ALTER ROLE ... PASSWORD (this script
# does not run again on an existing volume). See docs/deployment.md.
set -euo pipefail

: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD must be set}"
: "${TESSERA_DB_PASSWORD:?TESSERA_DB_PASSWORD must be set}"

psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  --set=temporal_password="$TEMPORAL_DB_PASSWORD" \
  --set=tessera_password="$TESSERA_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE ROLE tessera LOGIN PASSWORD :'tessera_password';
CREATE DATABASE tessera OWNER tessera;
REVOKE ALL ON DATABASE tessera FROM PUBLIC;
\connect tessera
CREATE EXTENSION IF NOT EXISTS vector;
SQL
