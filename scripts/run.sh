#!/usr/bin/env bash
# make run: builds, starts a broker on 127.0.0.1:$BROKER_PORT, creates the topics, and runs the
# four services in the foreground with per-service log prefixes; SEED=n also publishes the demo
# data. Ctrl-C or SIGTERM stops everything this script started, and nothing else.
# RUN_DIR (default var/run) and PORT_BASE (services on PORT_BASE+1..4 instead of 8081..8084)
# let a second stack run beside it (the documentation check does).
# INSTANCES=n runs n instances of each service (the second on PORT_BASE+11..14, i.e. 8091-8094,
# and so on), each with its own data folder (docs/operations.md, "Scaling"). An instance that
# exits is logged and started again after 2 s.
set -euo pipefail
source "$(dirname "$0")/common.sh"

BROKER_PORT=${BROKER_PORT:-9092}
RUN_DIR=${RUN_DIR:-"$ROOT/var/run"}
PORT_BASE=${PORT_BASE:-8080}
INSTANCES=${INSTANCES:-1}
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
  touch "$RUN_DIR/stopping"
  if [ ${#pids[@]} -gt 0 ]; then
    say "stopping the services"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  fi
  "$ROOT/scripts/broker.sh" stop "$RUN_DIR"
  rm -f "$RUN_DIR/stopping"
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
rm -rf "$DATA_ROOT" "$RUN_DIR/stopping"
mkdir -p "$DATA_ROOT"
# Every index instance signs certificates with the same key (one file), so a certificate one
# issued verifies at the other.
CERT_KEY="$DATA_ROOT/certificate-signing-key.pem"
openssl genpkey -algorithm ed25519 -out "$CERT_KEY" 2>/dev/null || die "openssl could not make the certificate signing key"
chmod 600 "$CERT_KEY"

# Runs one instance and starts it again 2 s after it exits, until the stack stops.
supervise() {
  local service=$1 instance=$2 port=$3 data=$4 prefix=$5 child=
  trap 'kill -TERM $child 2>/dev/null; wait $child 2>/dev/null; exit 0' TERM INT
  while true; do
    # WEBHOOK_ALLOW_LOCAL: local receivers (http://127.0.0.1:…) are fine on a development machine.
    DATA_DIR="$data" HTTP_PORT=$port WEBHOOK_ALLOW_LOCAL=true CERT_SIGNING_KEY_FILE="$CERT_KEY" "$BIN/$service" \
      > >(sed -u "s/^/$prefix/") 2>&1 &
    child=$!
    local status=0
    wait $child || status=$?
    [ -e "$RUN_DIR/stopping" ] && exit 0
    say "$service #$instance (:$port) exited with status $status; starting it again in 2 s"
    sleep 2
    [ -e "$RUN_DIR/stopping" ] && exit 0
  done
}

colors=(36 33 35 32)
for instance in $(seq 1 "$INSTANCES"); do
  for i in "${!SERVICES[@]}"; do
    service=${SERVICES[$i]}
    label=$service
    data="$DATA_ROOT/$service"
    if [ "$instance" -gt 1 ]; then label="$service#$instance"; data="$DATA_ROOT/$service-$instance"; fi
    prefix=$(printf '\033[%sm%-22s|\033[0m ' "${colors[$i]}" "$label")
    supervise "$service" "$instance" $((PORT_BASE + (instance - 1) * 10 + i + 1)) "$data" "$prefix" &
    pids+=($!)
  done
done
say "running: intake :$((PORT_BASE + 1)), index :$((PORT_BASE + 2)), notification :$((PORT_BASE + 3)), audit :$((PORT_BASE + 4))$(
  [ "$INSTANCES" -gt 1 ] && echo "; further instances of each on +10, +20, …") — Ctrl-C stops everything"

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

# Stay in the foreground until interrupted (instances that exit are started again).
set +e
wait "${pids[@]}"
