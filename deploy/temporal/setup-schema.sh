#!/bin/sh
# One-shot job (temporalio/admin-tools): creates or upgrades Temporal's SQL
# schemas in the databases deploy/postgres/10-create-databases.sh made.
# Safe on every `docker compose up`: setup-schema -v 0.0 leaves an existing
# schema alone, and update-schema applies only versions not yet applied.
# Connection settings come from SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER
# and SQL_PASSWORD.
set -eu

schema_root=/etc/temporal/schema/postgresql/v12

for pair in temporal:temporal temporal_visibility:visibility; do
  db=${pair%%:*}
  kind=${pair#*:}
  echo "== $db: setup-schema"
  temporal-sql-tool --db "$db" setup-schema -v 0.0
  echo "== $db: update-schema ($schema_root/$kind/versioned)"
  temporal-sql-tool --db "$db" update-schema -d "$schema_root/$kind/versioned"
done
echo "Temporal schemas are up to date"
