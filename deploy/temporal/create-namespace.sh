#!/bin/sh
# Temporal's namespace job (service `temporal-namespace` in docker-compose.yml), as in Temporal's official
# compose (temporalio/samples-server, compose/scripts/create-namespace.sh): waits until the server answers,
# then creates the namespace Tessera uses unless it exists. Idempotent: it runs at every `docker compose up`.
#
#   TEMPORAL_ADDRESS              the frontend (temporal:7233)
#   TEMPORAL_NAMESPACE            the namespace (default: default), the one the Tessera services are given
#   TEMPORAL_NAMESPACE_RETENTION  how long closed workflow histories are kept (default 30d). Tessera keeps
#                                 its run records in its own store; a run's history is needed for
#                                 `tessera run --from-run` and for the Temporal UI, so keep it long enough.
#                                 An existing namespace keeps its retention: change it with
#                                 `temporal operator namespace update --retention ...`.
set -eu

ADDRESS=${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS must be set}
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${TEMPORAL_NAMESPACE_RETENTION:-30d}
MAX_ATTEMPTS=${MAX_ATTEMPTS:-60}

echo "Waiting for the Temporal server at $ADDRESS..."
attempt=1
until temporal operator cluster health --address "$ADDRESS" >/dev/null 2>&1; do
  if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
    echo "The Temporal server at $ADDRESS did not answer after $attempt attempts" >&2
    temporal operator cluster health --address "$ADDRESS" >&2 || true
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

attempt=1
while :; do
  if temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; then
    echo "Namespace '$NAMESPACE' exists"
    exit 0
  fi
  if temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" --address "$ADDRESS"; then
    echo "Namespace '$NAMESPACE' created (retention $RETENTION)"
    exit 0
  fi
  if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
    echo "Could not create the namespace '$NAMESPACE' after $attempt attempts" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done
