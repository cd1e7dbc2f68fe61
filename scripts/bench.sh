#!/usr/bin/env bash
# make bench: release build, then every benchmark on this machine, each beside its baseline from
# the same run: the pipeline (docs/architecture.md §9: end-to-end throughput against the same
# topology with forwarding consumers, the services' CPU against the broker's, latency to visibility
# at half the measured capacity, lookups against /health/live, webhooks against wrk POSTing to
# the same receiver, idle CPU, disk and memory per service, two instances of each service beside
# one), schema decoding, and audit trail growth. Writes bench/results/latest.json and BENCHMARKS.md.
#
#   SIZE=100000         people stored before the end-to-end run (SIZE=10000000 is the growth
#                       figure; the in-memory broker needs about 40 GB for it, see BENCHMARKS.md)
#   BENCH_COUNT=1000000 submissions in the end-to-end run (and messages in each baseline)
#   LATENCY_RATE=half LATENCY_SECONDS=30   the latency run's offered rate (half: half the
#                       end-to-end figure just measured) and length
#   SUSTAINED_RATE=0    a second latency run at this rate (0 skips it)
#   WRK_SECONDS=15      each wrk run
#   WEBHOOK_COUNT=20000 WEBHOOK_SECONDS=600   submissions whose changes are delivered as webhooks,
#                       and the longest wait for them (0 skips the webhook run)
#   IDLE_SECONDS=60     broker and services measured with no traffic (0 skips it)
#   PROFILE=1 PROFILE_SECONDS=20   perf on each service during the end-to-end run (0: none)
#   TWO_INSTANCES=1     the end-to-end run again with two instances of each service (0 skips it)
#   SCHEMA_BENCH_ITERATIONS=200000 AUDIT_GROWTH_RECORDS=1000000   the two micro-benchmarks
#   BENCH_ADDRESSES=100000 BENCH_BROKER_PORT=19092 BENCH_PORT_BASE=18080
# Writes bench/results/latest.json and BENCHMARKS.md (bench/REPRODUCE.md, the figures, then
# bench/PROFILE.md); bench/REPRODUCE.md says how to run it.
set -uo pipefail
source "$(dirname "$0")/common.sh"

SIZE=${SIZE:-100000}
BENCH_COUNT=${BENCH_COUNT:-1000000}
LATENCY_RATE=${LATENCY_RATE:-half}
LATENCY_SECONDS=${LATENCY_SECONDS:-30}
SUSTAINED_RATE=${SUSTAINED_RATE:-0}
WRK_SECONDS=${WRK_SECONDS:-15}
WEBHOOK_COUNT=${WEBHOOK_COUNT:-20000}
WEBHOOK_SECONDS=${WEBHOOK_SECONDS:-600}
IDLE_SECONDS=${IDLE_SECONDS:-60}
ADDRESSES=${BENCH_ADDRESSES:-100000}
BROKER_PORT=${BENCH_BROKER_PORT:-19092}
PORT_BASE=${BENCH_PORT_BASE:-18080}
SERVICES=(registration-intake address-index notification audit)
export REGISTRY_JWT_SECRET=${REGISTRY_JWT_SECRET:-dev-only-secret-change-me-0123456789}
# A development machine: the published development secret is allowed, and the audit's
# checkpoint key is generated (outside its data folder, below) on the first start.
export REGISTRY_DEV_MODE=${REGISTRY_DEV_MODE:-true}
# The webhook run delivers to a receiver on this machine.
export WEBHOOK_ALLOW_LOCAL=true

"$ROOT/scripts/bootstrap.sh" || exit 1
# perf, for the profile of where the time goes (Debian's linux-perf; elsewhere install it by
# hand). Without it the run goes on and says it has no profile; PROFILE=0 does without it.
if [ "${PROFILE:-1}" = 1 ] && ! command -v perf >/dev/null; then
  (install_debian_packages linux-perf) || say "perf could not be installed: this run has no profile"
fi
cd "$ROOT"
# Taken before this run writes its own results into bench/ and BENCHMARKS.md.
export GIT_COMMIT="$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+changes')"
say "building (release)"
for product in "${SERVICES[@]}" registryctl SchemaBench AuditGrowthBench WebhookBenchReceiver; do
  swift build -c release --product "$product" 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Write|Linking)|^warning: |CMakeLists.txt$'
  [ "${PIPESTATUS[0]}" -eq 0 ] || die "the release build of $product failed"
done
BIN=$(swift build -c release --show-bin-path)
use_project_librdkafka

RUN="$ROOT/var/bench"
export AUDIT_SIGNING_KEY_FILE="$RUN/keys/audit-signing-key.pem"
RESULTS="$ROOT/bench/results"
rm -rf "$RUN" && mkdir -p "$RUN" "$RESULTS"
# A run without a profile must not show an earlier run's.
rm -f "$RESULTS"/profile-*.txt
pids=()
cleanup() {
  trap - EXIT INT TERM
  [ ${#pids[@]} -gt 0 ] && { kill -TERM "${pids[@]}" 2>/dev/null; for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done; }
  "$ROOT/scripts/broker.sh" stop "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One figure from the last line of a command's JSON output.
field() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]).get(sys.argv[2], ""))' "$1" "$2"; }
cpu_seconds() { awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
load() { "$BIN/registryctl" load "$@"; }
# Waits until every service's consumer groups have read everything (`registryctl lag`), so one
# phase's backlog (notification is not part of the end-to-end figure) does not run into the next.
# Prints the seconds it took.
settle() {
  local start=$SECONDS
  while "$BIN/registryctl" lag 2>/dev/null | grep -E '^[a-z-]+: [0-9]+ behind$' | grep -qv ': 0 behind$'; do
    [ $((SECONDS - start)) -lt 1800 ] || { echo "still behind after 30 minutes" >&2; break; }
    sleep 2
  done
  echo $((SECONDS - start))
}

# Starts instance `instance` (1 or 2) of SERVICES[i] in the background ($! is its pid): the first
# on PORT_BASE+1…4, the second on PORT_BASE+11…14, each with its own data folder and log.
start_service() {
  local i=$1 instance=$2 suffix="" port=$((PORT_BASE + $1 + 1))
  [ "$instance" = 1 ] || { suffix="-$instance"; port=$((port + 10)); }
  DATA_DIR="$RUN/data/${SERVICES[$i]}$suffix" HTTP_PORT=$port LOG_LEVEL=warning HTTP_RATE_LIMIT=0 \
    "$BIN/${SERVICES[$i]}" >> "$RUN/${SERVICES[$i]}$suffix.log" 2>&1 &
}

"$ROOT/scripts/broker.sh" start "$BROKER_PORT" "$RUN" || exit 1
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$BROKER_PORT"
"$BIN/registryctl" topics create >/dev/null || die "could not create the topics"
for i in "${!SERVICES[@]}"; do
  start_service "$i" 1
  pids+=($!)
done
INDEX="http://127.0.0.1:$((PORT_BASE + 2))"
for i in "${!SERVICES[@]}"; do
  for _ in $(seq 1 120); do curl -sf "127.0.0.1:$((PORT_BASE + i + 1))/health/ready" >/dev/null && break; sleep 0.5; done
  curl -sf "127.0.0.1:$((PORT_BASE + i + 1))/health/ready" >/dev/null || die "${SERVICES[$i]} did not become ready (log: $RUN/${SERVICES[$i]}.log)"
done
say "broker and four services (release) running; logs in $RUN"

say "raw baseline: $BENCH_COUNT submissions produced and consumed through the broker, no services"
load --raw-baseline --count "$BENCH_COUNT" --json | tee "$RUN/raw.out" || die "the raw baseline failed"
say "raw pipeline: $BENCH_COUNT submissions through the registry's topology with forwarding consumers, no services"
load --raw-pipeline --count "$BENCH_COUNT" --json | tee "$RUN/raw-pipeline.out" || die "the raw pipeline baseline failed"

say "filling the index with $SIZE people (catalog of $ADDRESSES dwellings first)"
load --addresses "$ADDRESSES" --registrations-only --count "$SIZE" --wait --json | tee "$RUN/fill.out" || die "filling failed"
next=$(field "$RUN/fill.out" next_person | cut -d. -f1)

say "end to end: $BENCH_COUNT submissions as fast as the pipeline takes them"
declare -a cpu_before
for i in "${!SERVICES[@]}"; do cpu_before[$i]=$(cpu_seconds "${pids[$i]}"); done
broker_pid=$(cat "$RUN/broker.pid")
broker_cpu_before=$(cpu_seconds "$broker_pid")
# perf samples each service (199 Hz, call graphs) for PROFILE_SECONDS of the run; PROFILE=0 skips it.
profilers=()
if [ "${PROFILE:-1}" = 1 ] && command -v perf >/dev/null; then
  for i in "${!SERVICES[@]}"; do
    (sleep 3; perf record -q -F 199 -g -p "${pids[$i]}" -o "$RUN/perf-${SERVICES[$i]}.data" -- sleep "${PROFILE_SECONDS:-20}") >/dev/null 2>&1 &
    profilers+=($!)
    profiled=1
  done
fi
load --addresses "$ADDRESSES" --no-catalog --first-person "$next" --count "$BENCH_COUNT" --wait --json | tee "$RUN/e2e.out" || die "the end-to-end run failed"
[ ${#profilers[@]} -gt 0 ] && wait "${profilers[@]}"
say "waiting until every service has caught up (notification is not part of the end-to-end figure)"
settle_seconds=$(settle)
say "caught up $settle_seconds s after the end-to-end figure's end"
# The four stores on disk (databases and their write-ahead logs) after the fill and the end-to-end
# run, per submission they hold (disk_bytes_per_submission); the catalog is in them too.
store_bytes=$(find "${SERVICES[@]/#/$RUN/data/}" -maxdepth 1 -name '*.sqlite*' -printf '%s\n' | awk '{s += $1} END {printf "%.0f", s}')
stored_submissions=$(( $(field "$RUN/fill.out" submissions | cut -d. -f1) + $(field "$RUN/e2e.out" submissions | cut -d. -f1) ))
for service in "${SERVICES[@]}"; do
  [ -f "$RUN/perf-$service.data" ] || continue
  # Self time by function, demangled; the first rows are where the service spends its CPU.
  perf report -i "$RUN/perf-$service.data" --no-children --sort dso,symbol --stdio --percent-limit 1 2>/dev/null \
    | grep -E '^ +[0-9.]+%' | head -25 | swift demangle --simplified > "$RESULTS/profile-$service.txt"
  # Inclusive time of the project's own steps and the library calls they make (JSON, SQLite
  # I/O): which part of the work per message dominates.
  perf report -i "$RUN/perf-$service.data" --children --sort symbol --stdio --percent-limit 2 -g none 2>/dev/null \
    | grep -E '^ +[0-9.]+%' | swift demangle --simplified \
    | grep -E 'Processor\.apply|Desk\.handle|Projector\.(handle|current)|Record\.init|Ledger\.append|Store\.|Catalog\.entry|Router\.route|Outbox\.|relayOnce|AccessLog\.record|TokenVerifier\.verify|RegistryEventDecoder\.decode|JSONReader\.read<|decodeReadingFast|JSONWriter\.bytes|SortedJSONEncoder\.encode\b|JSONDecoder\.decode<|JSONEncoder\.encode<|libc_pwrite|libc_pread|fdatasync|KafkaConsumer|KafkaProducer\.deliver' \
    | grep -vE 'closure|partial apply|thunk|protocol witness|specialized|\[k\]' | sed -E 's/( +-)+ *$//; s/ +$//' | awk '!seen[substr($0, index($0, "]"))]++' \
    | head -14 > "$RESULTS/profile-$service-inclusive.txt"
done
# Indexed like SERVICES: an associative array would expand its values in hash order below.
declare -a cpu_used rss
for i in "${!SERVICES[@]}"; do
  cpu_used[$i]=$(awk -v a="$(cpu_seconds "${pids[$i]}")" -v b="${cpu_before[$i]}" 'BEGIN {printf "%.1f", a - b}')
  rss[$i]=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/${pids[$i]}/status")
done
broker_cpu=$(awk -v a="$(cpu_seconds "$broker_pid")" -v b="$broker_cpu_before" 'BEGIN {printf "%.1f", a - b}')
next=$(field "$RUN/e2e.out" next_person | cut -d. -f1)

# At half the capacity just measured (latency_p99_ms): a registry runs below its ceiling.
latency_basis=given
[ "$LATENCY_RATE" = half ] && latency_basis=half && LATENCY_RATE=$(python3 -c 'import sys; print(max(1, round(float(sys.argv[1]) / 2)))' "$(field "$RUN/e2e.out" e2e_events_per_s)")
say "latency: $LATENCY_RATE submissions/s for $LATENCY_SECONDS s, sampled registrations timed until GET …/registration shows them"
load --addresses "$ADDRESSES" --no-catalog --first-person "$next" --count $((LATENCY_RATE * LATENCY_SECONDS)) --rate "$LATENCY_RATE" \
  --visibility "$INDEX" --wait --json | tee "$RUN/latency.out" || die "the latency run failed"
next=$(field "$RUN/latency.out" next_person | cut -d. -f1)
settle >/dev/null
if [ "$SUSTAINED_RATE" -gt 0 ]; then
  say "latency below capacity: $SUSTAINED_RATE submissions/s for $LATENCY_SECONDS s"
  load --addresses "$ADDRESSES" --no-catalog --first-person "$next" --count $((SUSTAINED_RATE * LATENCY_SECONDS)) --rate "$SUSTAINED_RATE" \
    --visibility "$INDEX" --wait --json | tee "$RUN/latency-sustained.out" || die "the sustained latency run failed"
  next=$(field "$RUN/latency-sustained.out" next_person | cut -d. -f1)
  settle >/dev/null
fi

say "lookups: wrk, 64 connections, ${WRK_SECONDS} s, random people of the $SIZE stored; then /health/live"
lookups=$(( SIZE < 100000 ? SIZE : 100000 ))
load --print-iins --count "$lookups" > "$RUN/iins.txt"
BENCH_TOKEN=$("$BIN/registryctl" token --role agency --sub 123456789012 --scope "address:read" --org "Benchmark" --ttl 7200) \
BENCH_IINS="$RUN/iins.txt" wrk -t2 -c64 -d"${WRK_SECONDS}s" --latency -s "$ROOT/bench/lookup.lua" "$INDEX" | tee "$RUN/wrk-lookup.out"
wrk -t2 -c64 -d"${WRK_SECONDS}s" --latency "$INDEX/health/live" | tee "$RUN/wrk-health.out"

for i in "${!SERVICES[@]}"; do
  rss_now=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/${pids[$i]}/status")
  rss[$i]=$(( rss_now > rss[$i] ? rss_now : rss[$i] ))
done

# Idle (idle_cpu_percent): the broker and the four services with no traffic at all, as an
# operator's machine spends most of the night.
declare -a idle_cpu
broker_idle=""
if [ "$IDLE_SECONDS" -gt 0 ]; then
  say "idle: the broker and the four services, no traffic, $IDLE_SECONDS s"
  settle >/dev/null
  declare -a idle_before
  for i in "${!SERVICES[@]}"; do idle_before[$i]=$(cpu_seconds "${pids[$i]}"); done
  broker_idle_before=$(cpu_seconds "$broker_pid")
  sleep "$IDLE_SECONDS"
  for i in "${!SERVICES[@]}"; do
    idle_cpu[$i]=$(awk -v a="$(cpu_seconds "${pids[$i]}")" -v b="${idle_before[$i]}" -v s="$IDLE_SECONDS" 'BEGIN {printf "%.2f", (a - b) * 100 / s}')
  done
  broker_idle=$(awk -v a="$(cpu_seconds "$broker_pid")" -v b="$broker_idle_before" -v s="$IDLE_SECONDS" 'BEGIN {printf "%.2f", (a - b) * 100 / s}')
  say "idle CPU (% of one core): ${SERVICES[*]}: ${idle_cpu[*]}; broker: $broker_idle"
fi

# Webhooks (webhook_per_s, webhook_ratio): one agency subscribed to every change, delivering to one
# local keep-alive receiver. notification is stopped while WEBHOOK_COUNT submissions go through the
# rest of the pipeline, then started again: from its first delivery to its last, it delivers with
# nothing else running. The baseline: wrk POSTing one of those deliveries (same body, same headers)
# to the same receiver, with 64 connections (what the receiver takes), and again with as many as
# notification opens to one receiver (WEBHOOK_RECEIVER_CONCURRENCY, for context).
if [ "$WEBHOOK_COUNT" -gt 0 ]; then
  say "webhooks: the changes of $WEBHOOK_COUNT submissions delivered to one local keep-alive receiver"
  receiver="http://127.0.0.1:$((PORT_BASE + 9))"
  "$BIN/WebhookBenchReceiver" "$((PORT_BASE + 9))" > "$RUN/receiver.log" 2>&1 &
  receiver_pid=$!
  pids+=($receiver_pid)
  for _ in $(seq 1 60); do curl -sf --max-time 5 "$receiver/stats" >/dev/null && break; sleep 0.5; done
  curl -sf --max-time 5 "$receiver/stats" >/dev/null || die "the webhook receiver did not start (log: $RUN/receiver.log)"
  notification="http://127.0.0.1:$((PORT_BASE + 3))"
  agency=(-H "Authorization: Bearer $("$BIN/registryctl" token --role agency --sub 123456789012 --scope "subscriptions:write address:read" --org "Benchmark" --ttl 7200)"
          -H "X-Purpose: benchmark: webhook delivery")
  subscription=$(curl -sf -X POST "$notification/v1/subscriptions" "${agency[@]}" -H "content-type: application/json" \
      -d "{\"filter\":{},\"delivery\":{\"type\":\"webhook\",\"url\":\"$receiver/\",\"secret\":\"whsec_$(head -c 32 /dev/urandom | base64)\"}}" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])') || die "could not subscribe the benchmark's receiver"
  kill -TERM "${pids[2]}"
  for _ in $(seq 1 300); do kill -0 "${pids[2]}" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "${pids[2]}" 2>/dev/null
  wait "${pids[2]}" 2>/dev/null
  load --addresses "$ADDRESSES" --no-catalog --first-person "$next" --count "$WEBHOOK_COUNT" --wait --json | tee "$RUN/webhook-load.out" || die "the webhook run's submissions failed"
  next=$(field "$RUN/webhook-load.out" next_person | cut -d. -f1)
  expected=$(field "$RUN/webhook-load.out" accepted | cut -d. -f1)
  curl -sf --max-time 5 -X DELETE "$receiver/stats"
  start_service 2 1
  pids[2]=$!
  # Until every change has arrived, or nothing more came for 30 s, or WEBHOOK_SECONDS passed.
  start=$SECONDS; got=0; last_change=$SECONDS
  while [ $((SECONDS - start)) -lt "$WEBHOOK_SECONDS" ]; do
    now=$(curl -sf --max-time 5 "$receiver/stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["requests"])')
    [ "${now:-0}" -gt "$got" ] && { got=$now; last_change=$SECONDS; }
    [ "$got" -ge "$expected" ] && break
    [ $((SECONDS - last_change)) -ge 60 ] && break
    sleep 1
  done
  curl -sf --max-time 5 "$receiver/stats" > "$RUN/webhook-stats.json" || die "the webhook receiver stopped answering (log: $RUN/receiver.log)"
  say "the receiver got $(cat "$RUN/webhook-stats.json") ($expected changes expected)"
  curl -sf --max-time 10 -X DELETE "$notification/v1/subscriptions/$subscription" "${agency[@]}" >/dev/null || say "could not delete the benchmark's subscription"
  [ "$got" -gt 0 ] || die "no webhook arrived within $WEBHOOK_SECONDS s (logs: $RUN/notification.log, $RUN/receiver.log)"
  curl -sf --max-time 5 "$receiver/sample" | python3 -c '
import json, sys
sample = json.load(sys.stdin)
open(sys.argv[1], "w").write(sample["body"])
open(sys.argv[2], "w").write("".join(f"{name}: {value}\n" for name, value in sample["headers"].items()))' "$RUN/webhook-body" "$RUN/webhook-headers"
  for connections in 64 "${WEBHOOK_RECEIVER_CONCURRENCY:-4}"; do
    curl -sf --max-time 5 -X DELETE "$receiver/stats"
    BENCH_WEBHOOK_BODY="$RUN/webhook-body" BENCH_WEBHOOK_HEADERS="$RUN/webhook-headers" \
      wrk -t2 -c"$connections" -d"${WRK_SECONDS}s" --latency -s "$ROOT/bench/webhook.lua" "$receiver/" | tee "$RUN/wrk-webhook-$connections.out"
  done
  kill -TERM "$receiver_pid"
  settle >/dev/null
fi

# The same end-to-end run with a second instance of each service (docs/scaling.md) on the same two
# cores: what sharing the partitions costs or gains. TWO_INSTANCES=0 skips it.
if [ "${TWO_INSTANCES:-1}" = 1 ]; then
  say "end to end with two instances of each service: $BENCH_COUNT submissions"
  # The second audit starts from a copy of the first one's store (docs/audit.md, "Several
  # instances"), as an operator would: reading the whole run from the topics would take minutes.
  mkdir -p "$RUN/data/audit-2"
  DATA_DIR="$RUN/data/audit" "$BIN/registryctl" backup audit "$RUN/data/audit-2/audit.sqlite" > /dev/null || die "could not copy the audit's store"
  for i in 0 1 2 3; do
    CERT_SIGNING_KEY_FILE="$RUN/data/address-index/certificate-signing-key.pem" start_service "$i" 2
    pids+=($!)
  done
  for i in 0 1 2 3; do
    for port in $((PORT_BASE + i + 1)) $((PORT_BASE + 10 + i + 1)); do
      for _ in $(seq 1 600); do curl -sf "127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.5; done
      curl -sf "127.0.0.1:$port/health/ready" >/dev/null || die "${SERVICES[$i]} on :$port did not become ready"
    done
  done
  settle >/dev/null
  load --addresses "$ADDRESSES" --no-catalog --first-person "$next" --count "$BENCH_COUNT" --wait --json | tee "$RUN/e2e-two.out" || die "the two-instance end-to-end run failed"
fi

# The broker keeps every message of the run in memory, the baselines' too.
broker_rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$broker_pid/status")

# The audit log, without the broker: appending (the tree against the hash chain it replaced, in the
# same run), trails and proofs as it grows. AUDIT_GROWTH_RECORDS=50000000 make bench measures them
# at 50 M records (about 30 GB of disk); the default keeps make bench short. Its figures go into
# latest.json too (audit_*).
say "AuditGrowthBench: appending, trails and proofs as the audit log grows (${AUDIT_GROWTH_RECORDS:-1000000} records)"
"$BIN/AuditGrowthBench" "${AUDIT_GROWTH_RECORDS:-1000000}" "$ROOT/var/audit-growth" "$RUN/audit.json" | tee "$RUN/audit.md" || die "AuditGrowthBench failed"

# latest.json and the Markdown section, from the outputs above.
export BROKER_RSS_MB="$broker_rss" RUN SIZE BENCH_COUNT LATENCY_RATE LATENCY_SECONDS SUSTAINED_RATE WRK_SECONDS ADDRESSES BROKER_CPU_SECONDS="$broker_cpu" SETTLE_SECONDS="$settle_seconds"
export SERVICE_NAMES="${SERVICES[*]}" RSS_MB="${rss[*]}" CPU_SECONDS="${cpu_used[*]}" STORE_BYTES="$store_bytes" STORED_SUBMISSIONS="$stored_submissions"
export IDLE_CPU_PERCENT="${idle_cpu[*]:-}" BROKER_IDLE_CPU_PERCENT="$broker_idle" IDLE_SECONDS WEBHOOK_COUNT
export WEBHOOK_RECEIVER_CONCURRENCY="${WEBHOOK_RECEIVER_CONCURRENCY:-4}" LATENCY_RATE_BASIS="$latency_basis" PROFILED="${profiled:-0}"
# Kept so that the report can be written again from this run's outputs (source it, run bench-report.py).
export -p | grep -E '^declare -x (BROKER_|RUN=|SIZE=|BENCH_COUNT=|LATENCY_|SUSTAINED_RATE=|WRK_SECONDS=|ADDRESSES=|SETTLE_|SERVICE_NAMES=|RSS_MB=|CPU_SECONDS=|STORE|IDLE_|WEBHOOK_|PROFILED=|GIT_COMMIT=)' > "$RUN/report.env"
python3 "$ROOT/scripts/bench-report.py" "$RESULTS/latest.json" > "$RUN/pipeline.md" || die "could not write the results (inputs: $RUN/report.env)"
say "wrote bench/results/latest.json"

out=$(mktemp)
{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench\` ($(date -u +%Y-%m-%dT%H:%MZ), commit $GIT_COMMIT). Every figure stands beside its"
  echo "baseline measured in the same run on the same machine."
  echo
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') × $(nproc) cores"
  echo "- Memory: $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "- $(swift --version 2>/dev/null | head -1)"
  echo "- OS: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo
  cat "$ROOT/bench/REPRODUCE.md"
  echo
  cat "$RUN/pipeline.md"
  echo
} > "$out"

say "SchemaBench: event decode and encode"
"$BIN/SchemaBench" "${SCHEMA_BENCH_ITERATIONS:-200000}" | tee -a "$out" || die "SchemaBench failed"

echo >> "$out"
cat "$RUN/audit.md" >> "$out"

[ -f "$ROOT/bench/PROFILE.md" ] && { echo; cat "$ROOT/bench/PROFILE.md"; } >> "$out"
cp "$out" "$ROOT/BENCHMARKS.md"
rm -f "$out"
say "wrote BENCHMARKS.md"
