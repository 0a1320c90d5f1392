#!/bin/sh
# Runs once, when the postgres container initialises an empty data volume
# (/docker-entrypoint-initdb.d). One PostgreSQL instance holds:
#   temporal, temporal_visibility  Temporal's persistence and visibility (role temporal)
#   billing                        the engine's projection (role billing)
# Passwords come from the environment; psql variables quote them safely.
set -eu

: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD must be set}"
: "${BILLING_DB_PASSWORD:?BILLING_DB_PASSWORD must be set}"

psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" \
  -v billing_password="$BILLING_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;

CREATE ROLE billing LOGIN PASSWORD :'billing_password';
CREATE DATABASE billing OWNER billing;
SQL
