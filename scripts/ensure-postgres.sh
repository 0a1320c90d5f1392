#!/usr/bin/env bash
# Makes sure the project's local PostgreSQL cluster is running (and that the
# billing role and databases exist). Installs nothing: `npm run setup` does
# that. Does nothing when DATABASE_URL is set, because then the database is
# someone else's to run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh

if [[ -n "${DATABASE_URL:-}" ]]; then
  info "DATABASE_URL is set: not managing a local PostgreSQL cluster"
  exit 0
fi
pg_installed || die "PostgreSQL is not installed: run \`npm run setup\` first (or set DATABASE_URL)"
pg_ensure_running
pg_ensure_role_and_databases
