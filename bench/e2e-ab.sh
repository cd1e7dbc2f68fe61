#!/usr/bin/env bash
# One run of an interleaved end-to-end A/B: a fresh broker, the four services from BIN (a release
# build), `registryctl load --count COUNT --wait`; prints the elapsed time, the CPU seconds of the
# broker and of each service over the run, each service's peak RSS, and the load's own end-to-end
# line. Alternate the two
# builds' runs (A1 B1 A2 B2) and run nothing else meanwhile.
#
#   BIN=path/to/.build/release COUNT=40000 bench/e2e-ab.sh LABEL
set -uo pipefail
source "$(dirname "$0")/ab-stack.sh"
COUNT=${COUNT:-50000}
RUN="$ROOT/var/e2e-ab/$LABEL"
PORT=${PORT:-19292}
start_stack "$RUN" "$PORT" 18280
b0=$(cpu $bpid); s0=(); for p in "${pids[@]}"; do s0+=($(cpu $p)); done
t0=$(date +%s.%N)
"$BIN/registryctl" load --addresses 20000 --count "$COUNT" --seed 7 --wait > "$RUN/load.log" 2>&1
t1=$(date +%s.%N)
out="$LABEL: $(awk -v a=$t1 -v b=$t0 -v n=$COUNT 'BEGIN{printf "%.1f s, %.0f submissions/s", a-b, n/(a-b)}'); cpu s: broker $(awk -v a=$(cpu $bpid) -v b=$b0 'BEGIN{printf "%.1f", a-b}')"
for k in "${!pids[@]}"; do out+=", ${ALL[$k]} $(awk -v a=$(cpu ${pids[$k]}) -v b=${s0[$k]} 'BEGIN{printf "%.1f", a-b}')"; done
rss=""; for k in "${!pids[@]}"; do rss+=" ${ALL[$k]} $(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' /proc/${pids[$k]}/status)"; done
echo "$out | peak RSS MB:$rss | $(tail -1 "$RUN/load.log")"
stop_stack "$RUN"
