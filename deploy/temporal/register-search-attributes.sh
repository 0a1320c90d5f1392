#!/bin/sh
# One-shot job (temporalio/admin-tools, `temporal` CLI): makes sure the
# namespace exists and carries the custom search attributes the workspace
# workflow keeps current, so the Web UI and `temporal workflow list --query`
# can filter on them. Idempotent: only what is missing is created.
# Reads TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE (the CLI's own variables).
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS must be set, e.g. temporal:7233}"
namespace=${TEMPORAL_NAMESPACE:-default}
retention=${TEMPORAL_NAMESPACE_RETENTION:-720h}
attempts=${WAIT_ATTEMPTS:-60}

# name:type; keep in step with workflows/definitions.ts (searchAttributes).
attributes="WorkspaceId:Keyword PlanId:Keyword BillingStatus:Keyword BillingMode:Keyword GraceEndsAt:Datetime"

# Runs a command until it succeeds; its output is shown once it succeeds or
# when the last attempt fails (earlier failures are expected while the
# server starts or a new namespace propagates).
retry() {
  n=1
  while ! output=$("$@" 2>&1); do
    if [ "$n" -ge "$attempts" ]; then
      printf '%s\n' "$output" >&2
      echo "giving up after $attempts attempts: $*" >&2
      return 1
    fi
    n=$((n + 1))
    sleep 2
  done
  [ -z "$output" ] || printf '%s\n' "$output"
}

echo "waiting for Temporal at $TEMPORAL_ADDRESS"
retry temporal operator cluster health >/dev/null

if temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; then
  echo "namespace $namespace exists"
else
  echo "creating namespace $namespace (retention $retention)"
  retry temporal operator namespace create --namespace "$namespace" --retention "$retention"
fi

# A new namespace takes a few seconds to reach every frontend's cache.
retry temporal operator search-attribute list --namespace "$namespace" >/dev/null
existing=$(temporal operator search-attribute list --namespace "$namespace")
for attribute in $attributes; do
  name=${attribute%%:*}
  type=${attribute#*:}
  if printf '%s\n' "$existing" | awk -v name="$name" '$1 == name { found = 1 } END { exit !found }'; then
    echo "search attribute $name exists"
  else
    echo "creating search attribute $name ($type)"
    retry temporal operator search-attribute create --namespace "$namespace" --name "$name" --type "$type"
  fi
done
echo "namespace $namespace is ready"
