# shellcheck shell=bash
# Local PostgreSQL for development and CI (sourced; needs scripts/lib/common.sh).
# Used only when no DATABASE_URL is given: the project then owns a Debian
# cluster on 127.0.0.1:5432 with role billing/billing and the databases
# billing (app) and billing_test (tests).

PG_LOCAL_ROLE=billing
PG_LOCAL_PASSWORD=billing
PG_LOCAL_PORT=5432
PG_LOCAL_DATABASES=(billing billing_test)

pg_installed() {
  command -v pg_lsclusters >/dev/null 2>&1 && compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

# Newest PostgreSQL major version installed from Debian packages, e.g. 15.
pg_newest_version() {
  local dir newest=''
  for dir in /usr/lib/postgresql/*/bin/postgres; do
    [[ -e "$dir" ]] || continue
    dir=${dir#/usr/lib/postgresql/}
    dir=${dir%%/*}
    if [[ -z "$newest" ]] || (( dir > newest )); then newest=$dir; fi
  done
  echo "$newest"
}

pg_install() {
  info "installing PostgreSQL from Debian packages (apt-get)"
  apt_install --no-install-recommends postgresql
  ok "installed PostgreSQL $(pg_newest_version)"
}

# Prints "VERSION NAME PORT STATUS" of the cluster we use: the one on port
# 5432 if any, else none (a missing cluster is created by pg_ensure_running).
pg_find_cluster() {
  pg_lsclusters --no-header 2>/dev/null | awk -v port="$PG_LOCAL_PORT" '$3 == port { print $1, $2, $3, $4; exit }'
}

# Starts the local cluster if it is down (creating it when there is none)
# and waits until it accepts connections.
pg_ensure_running() {
  local cluster version name port status
  cluster=$(pg_find_cluster)
  if [[ -z "$cluster" ]]; then
    version=$(pg_newest_version)
    [[ -n "$version" ]] || die "PostgreSQL is not installed: run \`npm run setup\` (or set DATABASE_URL)"
    info "creating cluster $version/main on port $PG_LOCAL_PORT"
    as_root pg_createcluster "$version" main --port "$PG_LOCAL_PORT" >/dev/null
    cluster=$(pg_find_cluster)
    [[ -n "$cluster" ]] || die "could not create a PostgreSQL cluster on port $PG_LOCAL_PORT"
  fi
  read -r version name port status <<<"$cluster"
  if [[ "$status" == online* ]]; then
    skip "PostgreSQL $version/$name is running on port $port"
  else
    info "starting PostgreSQL $version/$name (pg_ctlcluster $version $name start)"
    as_root pg_ctlcluster "$version" "$name" start
  fi
  local tries=0
  until pg_isready -q -h 127.0.0.1 -p "$port"; do
    tries=$((tries + 1))
    (( tries < 60 )) || die "PostgreSQL $version/$name did not accept connections on 127.0.0.1:$port within 30s"
    sleep 0.5
  done
  [[ "$status" == online* ]] || ok "PostgreSQL $version/$name is running on 127.0.0.1:$port"
}

_pg_sql() {
  as_user postgres psql -X -q -A -t -v ON_ERROR_STOP=1 -p "$PG_LOCAL_PORT" -d postgres "$@"
}

# Role billing (LOGIN CREATEDB: Prisma's `migrate dev` creates shadow
# databases) and the databases it owns. Safe to run any number of times.
pg_ensure_role_and_databases() {
  local role=$PG_LOCAL_ROLE db owner
  if [[ "$(_pg_sql -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" == 1 ]]; then
    _pg_sql -c "ALTER ROLE $role LOGIN CREATEDB" >/dev/null
    skip "role $role exists (LOGIN CREATEDB)"
  else
    _pg_sql -c "CREATE ROLE $role LOGIN CREATEDB PASSWORD '$PG_LOCAL_PASSWORD'" >/dev/null
    ok "created role $role (LOGIN CREATEDB)"
  fi
  for db in "${PG_LOCAL_DATABASES[@]}"; do
    owner=$(_pg_sql -c "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '$db'")
    if [[ -z "$owner" ]]; then
      _pg_sql -c "CREATE DATABASE $db OWNER $role" >/dev/null
      ok "created database $db (owner $role)"
    elif [[ "$owner" != "$role" ]]; then
      _pg_sql -c "ALTER DATABASE $db OWNER TO $role" >/dev/null
      ok "database $db now owned by $role (was $owner)"
    else
      skip "database $db exists (owner $role)"
    fi
  done
}
