# Sourced by the A/B scripts (e2e-ab.sh, idle-ab.sh): a fresh Tansu broker and the four services
# of one build (BIN), and the CPU seconds a process has used. The run's label is the script's
# first argument (LABEL).
#
#   start_stack RUN PORT HTTP_BASE   → pids (the services, in ALL's order), bpid
#   stop_stack RUN
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
use_project_librdkafka
BIN=${BIN:?set BIN to a release build folder, e.g. .build/release}
LABEL=${1:-run}
ALL=(registration-intake address-index notification audit)

start_stack() {
  local run=$1 port=$2 base=$3 i
  export REGISTRY_JWT_SECRET=dev-only-secret-change-me-0123456789 REGISTRY_DEV_MODE=true AUDIT_SIGNING_KEY_FILE=$run/keys/audit.pem
  rm -rf "$run"; mkdir -p "$run"
  "$ROOT/scripts/broker.sh" start "$port" "$run" >/dev/null || exit 1
  export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$port
  "$BIN/registryctl" topics create >/dev/null
  pids=()
  for i in "${!ALL[@]}"; do
    DATA_DIR=$run/data/${ALL[$i]} HTTP_PORT=$((base + i + 1)) LOG_LEVEL=${SERVICE_LOG_LEVEL:-warning} "$BIN/${ALL[$i]}" > "$run/${ALL[$i]}.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!ALL[@]}"; do
    for _ in $(seq 1 240); do curl -sf "127.0.0.1:$((base + i + 1))/health/ready" >/dev/null && break; sleep 0.5; done
  done
  bpid=$(cat "$run/broker.pid")
}

stop_stack() {
  kill -TERM "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null
  "$ROOT/scripts/broker.sh" stop "$1"
  rm -rf "$1/data"
}

cpu() { awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
