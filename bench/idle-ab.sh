#!/usr/bin/env bash
# One run of an interleaved idle-CPU A/B: a fresh broker and the four services from BIN (a release
# build), no traffic; after SETTLE seconds, the CPU each process used over SECONDS, in % of one
# core. PERF=1 also records the broker with perf into var/idle-ab/LABEL/broker.perf, PERF=<service>
# that service into LABEL/<service>.perf; CAPTURE=1 counts the requests the broker received, by
# API and client (needs tcpdump: apt-get install tcpdump; bench/kafka-requests.py). Alternate the builds' runs (A1 B1 A2 B2) and
# run nothing else meanwhile. Never run Tansu with RUST_LOG=debug for this: its log filled 57 GB
# of disk in under a minute. FILL=N first carries N submissions through the stack (a broker that
# holds something answers each request more slowly, as in `make bench`).
#
#   BIN=path/to/.build/release SECONDS_IDLE=30 bench/idle-ab.sh LABEL
set -uo pipefail
source "$(dirname "$0")/ab-stack.sh"
SETTLE=${SETTLE:-20}
SECONDS_IDLE=${SECONDS_IDLE:-30}
RUN="$ROOT/var/idle-ab/$LABEL"
PORT=${PORT:-19392}
start_stack "$RUN" "$PORT" 18380
if [ "${FILL:-0}" -gt 0 ]; then
  "$BIN/registryctl" load --addresses 20000 --count "$FILL" --seed 7 --wait > "$RUN/fill.log" 2>&1 || { echo "$LABEL: the fill failed (see $RUN/fill.log)"; stop_stack "$RUN"; exit 1; }
fi
sleep "$SETTLE"
b0=$(cpu $bpid); s0=(); for p in "${pids[@]}"; do s0+=($(cpu $p)); done
[ "${CAPTURE:-0}" = 1 ] && { tcpdump -q -i lo -w "$RUN/idle.pcap" "tcp dst port $PORT" 2>/dev/null & capture=$!; }
if [ -n "${PERF:-}" ] && [ "$PERF" != 0 ]; then
  target=$bpid
  for k in "${!ALL[@]}"; do [ "${ALL[$k]}" = "$PERF" ] && target=${pids[$k]}; done
  perf record -q -F 999 -g -p "$target" -o "$RUN/$([ "$target" = "$bpid" ] && echo broker || echo "$PERF").perf" -- sleep "$SECONDS_IDLE" 2>/dev/null
else
  sleep "$SECONDS_IDLE"
fi
pct() { awk -v a="$1" -v b="$2" -v s="$SECONDS_IDLE" 'BEGIN{printf "%.2f", (a-b)*100/s}'; }
out="$LABEL: % of one core over $SECONDS_IDLE s: broker $(pct "$(cpu $bpid)" "$b0")"
total=$(pct "$(cpu $bpid)" "$b0")
for k in "${!pids[@]}"; do
  v=$(pct "$(cpu ${pids[$k]})" "${s0[$k]}"); out+=", ${ALL[$k]} $v"
  total=$(awk -v a="$total" -v b="$v" 'BEGIN{printf "%.2f", a+b}')
done
echo "$out; total $total"
if [ "${CAPTURE:-0}" = 1 ]; then
  kill "$capture"; wait "$capture" 2>/dev/null
  python3 "$ROOT/bench/kafka-requests.py" "$RUN/idle.pcap" "$SECONDS_IDLE"
fi
stop_stack "$RUN"
