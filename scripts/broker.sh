#!/usr/bin/env bash
# Starts or stops a local Tansu broker (in memory): broker.sh start PORT DIR | stop DIR
# DIR holds broker.pid and broker.log. start returns once the broker answers Kafka requests.
set -euo pipefail
source "$(dirname "$0")/common.sh"

start() {
  local port=$1 dir=$2
  mkdir -p "$dir"
  if [ -f "$dir/broker.pid" ] && kill -0 "$(cat "$dir/broker.pid")" 2>/dev/null; then
    die "a broker from $dir is already running (pid $(cat "$dir/broker.pid"))"
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is already in use; choose another with BROKER_PORT=..."
  fi
  "$TANSU" broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
    >"$dir/broker.log" 2>&1 &
  echo $! > "$dir/broker.pid"
  for _ in $(seq 1 100); do
    if LD_LIBRARY_PATH="$RDKAFKA_LIB_DIR" kcat -b "127.0.0.1:$port" -L -m 1 >/dev/null 2>&1; then
      say "broker ready on 127.0.0.1:$port (log: $dir/broker.log)"
      return 0
    fi
    kill -0 "$(cat "$dir/broker.pid")" 2>/dev/null || { cat "$dir/broker.log" >&2; die "the broker exited at start"; }
    sleep 0.1
  done
  die "the broker did not answer on port $port within 10 s (log: $dir/broker.log)"
}

stop() {
  local dir=$1 pid
  [ -f "$dir/broker.pid" ] || return 0
  pid=$(cat "$dir/broker.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/broker.pid"
}

case "${1:-}" in
  start) start "${2:?port}" "${3:?dir}" ;;
  stop) stop "${2:?dir}" ;;
  *) die "usage: broker.sh start PORT DIR | stop DIR" ;;
esac
