#!/usr/bin/env bash
# make run: builds, starts a broker on 127.0.0.1:$BROKER_PORT, creates the topics, and runs the
# four services in the foreground with per-service log prefixes; SEED=n also publishes the demo
# data. Ctrl-C or SIGTERM stops everything this script started, and nothing else.
# RUN_DIR (default var/run) and PORT_BASE (services on PORT_BASE+1..4 instead of 8081..8084)
# let a second stack run beside it (the documentation check does).
set -euo pipefail
source "$(dirname "$0")/common.sh"

BROKER_PORT=${BROKER_PORT:-9092}
RUN_DIR=${RUN_DIR:-"$ROOT/var/run"}
PORT_BASE=${PORT_BASE:-8080}
SERVICES=(registration-intake address-index notification audit)
DEV_JWT_SECRET="dev-only-secret-change-me-0123456789"

"$ROOT/scripts/bootstrap.sh"
say "building (debug)"
(cd "$ROOT" && swift build 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Write|Linking)' || true)
(cd "$ROOT" && swift build >/dev/null) || die "the build failed; run 'swift build' to see why"
BIN=$(cd "$ROOT" && swift build --show-bin-path)
use_project_librdkafka

pids=()
cleanup() {
  trap - EXIT INT TERM
  if [ ${#pids[@]} -gt 0 ]; then
    say "stopping the services"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  fi
  "$ROOT/scripts/broker.sh" stop "$RUN_DIR"
  say "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$ROOT/scripts/broker.sh" start "$BROKER_PORT" "$RUN_DIR"
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$BROKER_PORT"
# A development machine: the development JWT secret and keys inside DATA_DIR are allowed.
export REGISTRY_DEV_MODE=true
# The audit's checkpoint key lives outside its data folder, as in production (generated on the
# first run; the data folders are emptied at every start, the key is kept).
export AUDIT_SIGNING_KEY_FILE=${AUDIT_SIGNING_KEY_FILE:-"$RUN_DIR/keys/audit-signing-key.pem"}
# A checkpoint every 10 s instead of every minute, so a developer sees one promptly.
export AUDIT_CHECKPOINT_SECONDS=${AUDIT_CHECKPOINT_SECONDS:-10}
if [ -z "${REGISTRY_JWT_SECRET:-}" ]; then
  export REGISTRY_JWT_SECRET="$DEV_JWT_SECRET"
  say "REGISTRY_JWT_SECRET is not set: using the development secret '$DEV_JWT_SECRET' (never in production)"
fi
"$BIN/registryctl" topics create

# The broker keeps everything in memory, so each run starts the stores empty with it: offsets
# and state from a previous run would refer to messages this broker never had.
DATA_ROOT="$RUN_DIR/data"
rm -rf "$DATA_ROOT"
colors=(36 33 35 32)
for i in "${!SERVICES[@]}"; do
  service=${SERVICES[$i]}
  prefix=$(printf '\033[%sm%-20s|\033[0m ' "${colors[$i]}" "$service")
  # WEBHOOK_ALLOW_LOCAL: local receivers (http://127.0.0.1:…) are fine on a development machine.
  DATA_DIR="$DATA_ROOT/$service" HTTP_PORT=$((PORT_BASE + i + 1)) WEBHOOK_ALLOW_LOCAL=true "$BIN/$service" \
    > >(sed -u "s/^/$prefix/") 2>&1 &
  pids+=($!)
done
say "running: intake :$((PORT_BASE + 1)), index :$((PORT_BASE + 2)), notification :$((PORT_BASE + 3)), audit :$((PORT_BASE + 4)) — Ctrl-C stops everything"

# SEED=n publishes the deterministic demo data once the services answer (registryctl seed).
if [ -n "${SEED:-}" ]; then
  for _ in $(seq 1 60); do
    curl -sf "localhost:$((PORT_BASE + 1))/health/live" >/dev/null 2>&1 && break
    sleep 0.5
  done
  say "publishing demo data (seed $SEED): registryctl seed --seed $SEED"
  "$BIN/registryctl" seed --seed "$SEED" ${SEED_ADDRESSES:+--addresses "$SEED_ADDRESSES"} ${SEED_PEOPLE:+--people "$SEED_PEOPLE"} \
    || say "seeding failed; the services keep running"
fi

# Stay in the foreground until a service ends (then stop the rest) or we are interrupted.
set +e
wait -n "${pids[@]}"
status=$?
say "a service stopped (status $status); stopping the others"
exit "$status"
