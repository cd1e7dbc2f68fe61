#!/usr/bin/env bash
# Documentation is tested: starts a stack like `make run` (its own broker port, service ports and
# run directory, seed 1) and runs every ```sh example block of README.md and docs/*.md against
# it, checking what each command prints (scripts/doc-examples.py says how examples are written).
set -uo pipefail
source "$(dirname "$0")/../common.sh"
cd "$ROOT"

# The checker must catch rot: an example whose output differs fails it.
selftest=$(mktemp --suffix=.md)
printf '```sh example\necho "hello  world"\n# hello …\necho hi\n# bye\n```\n' > "$selftest"
if DOC_BROKER=x DOC_PORT_BASE=0 DOC_RUN_DIR=x python3 "$ROOT/scripts/doc-examples.py" "$selftest" > /dev/null; then
  rm -f "$selftest"; die "the documentation checker passed an example that prints the wrong thing"
fi
rm -f "$selftest"

broker_port=$(free_port)
port_base=$(python3 -c '
import socket, random
while True:
    base = random.randrange(20000, 60000, 10)
    try:
        sockets = [socket.create_server(("127.0.0.1", base + i)) for i in range(1, 5)]
    except OSError:
        continue
    [s.close() for s in sockets]
    print(base); break')
run_dir="$ROOT/var/doc-run-$broker_port"
log="$run_dir.log"
mkdir -p "$run_dir"
BROKER_PORT=$broker_port PORT_BASE=$port_base RUN_DIR="$run_dir" SEED=1 REGISTRY_JWT_SECRET=dev-only-secret-change-me-0123456789 \
  setsid "$ROOT/scripts/run.sh" > "$log" 2>&1 &
stack=$!
stop() { kill -TERM -- -"$stack" 2>/dev/null; wait "$stack" 2>/dev/null; rm -rf "$run_dir" "$log"; }
trap stop EXIT

# Ready when the demo data is published and every service answers.
for _ in $(seq 1 240); do
  if grep -q "submissions to" "$log" 2>/dev/null; then
    ready=1
    for i in 1 2 3 4; do curl -sf "localhost:$((port_base + i))/health/ready" >/dev/null || ready=0; done
    [ "$ready" = 1 ] && break
  fi
  kill -0 "$stack" 2>/dev/null || { cat "$log"; die "the documentation stack stopped"; }
  sleep 0.5
done
grep -q "submissions to" "$log" || { tail -20 "$log"; die "the documentation stack did not come up"; }

# The examples' registryctl commands reach the broker through the environment, as with make run.
KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$broker_port" DOC_BROKER="127.0.0.1:$broker_port" DOC_PORT_BASE=$port_base DOC_RUN_DIR="$run_dir" \
  python3 "$ROOT/scripts/doc-examples.py" README.md docs/*.md
