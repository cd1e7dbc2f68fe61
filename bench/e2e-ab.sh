#!/usr/bin/env bash
# One run of an interleaved end-to-end A/B: a fresh broker, the four services from BIN (a release
# build), `registryctl load --count COUNT --wait`; prints the elapsed time, the CPU seconds of the
# broker and of each service over the run, and the load's own end-to-end line. Alternate the two
# builds' runs (A1 B1 A2 B2) and run nothing else meanwhile.
#
#   BIN=path/to/.build/release COUNT=40000 bench/e2e-ab.sh LABEL
set -uo pipefail
source "$(dirname "$0")/../scripts/common.sh"
use_project_librdkafka
BIN=${BIN:?}
LABEL=${1:-run}
COUNT=${COUNT:-50000}
RUN="$ROOT/var/e2e-ab/$LABEL"
PORT=${PORT:-19292}
ALL=(registration-intake address-index notification audit)
export REGISTRY_JWT_SECRET=dev-only-secret-change-me-0123456789 REGISTRY_DEV_MODE=true AUDIT_SIGNING_KEY_FILE=$RUN/keys/audit.pem
rm -rf "$RUN"; mkdir -p "$RUN"
"$ROOT/scripts/broker.sh" start "$PORT" "$RUN" >/dev/null || exit 1
export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$PORT
"$BIN/registryctl" topics create >/dev/null
pids=()
for i in "${!ALL[@]}"; do
  s=${ALL[$i]}
  DATA_DIR=$RUN/data/$s HTTP_PORT=$((18280 + i + 1)) LOG_LEVEL=warning "$BIN/$s" > "$RUN/$s.log" 2>&1 &
  pids+=($!)
done
for i in "${!ALL[@]}"; do
  for _ in $(seq 1 240); do curl -sf "127.0.0.1:$((18280 + i + 1))/health/ready" >/dev/null && break; sleep 0.5; done
done
cpu() { awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
bpid=$(cat "$RUN/broker.pid")
b0=$(cpu $bpid); s0=(); for p in "${pids[@]}"; do s0+=($(cpu $p)); done
t0=$(date +%s.%N)
"$BIN/registryctl" load --addresses 20000 --count "$COUNT" --seed 7 --wait > "$RUN/load.log" 2>&1
t1=$(date +%s.%N)
out="$LABEL: $(awk -v a=$t1 -v b=$t0 -v n=$COUNT 'BEGIN{printf "%.1f s, %.0f submissions/s", a-b, n/(a-b)}'); cpu s: broker $(awk -v a=$(cpu $bpid) -v b=$b0 'BEGIN{printf "%.1f", a-b}')"
for k in "${!pids[@]}"; do out+=", ${ALL[$k]} $(awk -v a=$(cpu ${pids[$k]}) -v b=${s0[$k]} 'BEGIN{printf "%.1f", a-b}')"; done
echo "$out | $(tail -1 "$RUN/load.log")"
kill -TERM "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null
"$ROOT/scripts/broker.sh" stop "$RUN"
rm -rf "$RUN/data"
