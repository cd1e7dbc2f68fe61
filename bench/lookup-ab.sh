#!/usr/bin/env bash
# One run of an interleaved lookup A/B: a fresh broker, the four services from BIN (a release
# build), COUNT people loaded, then wrk (2 threads, 64 connections, SECONDS s) on registration
# lookups and on /health/live at address-index; prints both rates and p99s. Alternate the two
# builds' runs (A1 B1 A2 B2) and run nothing else meanwhile.
#
#   BIN=path/to/.build/release COUNT=20000 bench/lookup-ab.sh LABEL
set -uo pipefail
source "$(dirname "$0")/ab-stack.sh"
COUNT=${COUNT:-20000}
SECONDS_EACH=${SECONDS_EACH:-10}
RUN="$ROOT/var/lookup-ab/$LABEL"
PORT=${PORT:-19392}
# Lookups from one token: without this, the per-caller limit (HTTP_RATE_LIMIT) answers 429.
export HTTP_RATE_LIMIT=0
start_stack "$RUN" "$PORT" 18380
INDEX=http://127.0.0.1:18382
"$BIN/registryctl" load --addresses 20000 --count "$COUNT" --seed 7 --wait > "$RUN/load.log" 2>&1
"$BIN/registryctl" load --addresses 20000 --count "$COUNT" --seed 7 --print-iins > "$RUN/iins.txt"
token=$("$BIN/registryctl" token --role agency --sub 123456789012 --scope "address:read" --org "Benchmark" --ttl 7200)
BENCH_TOKEN=$token BENCH_IINS="$RUN/iins.txt" wrk -t2 -c64 -d"${SECONDS_EACH}s" --latency -s "$ROOT/bench/lookup.lua" "$INDEX" > "$RUN/wrk-lookup.out"
wrk -t2 -c64 -d"${SECONDS_EACH}s" --latency "$INDEX/health/live" > "$RUN/wrk-health.out"
rate() { awk '/Requests\/sec/ {print $2}' "$1"; }
p99() { awk '$1 == "99%" {print $2}' "$1"; }
echo "$LABEL: lookups $(rate "$RUN/wrk-lookup.out")/s p99 $(p99 "$RUN/wrk-lookup.out"), $(grep -o 'non-2xx: [0-9]* of [0-9]*' "$RUN/wrk-lookup.out"); /health/live $(rate "$RUN/wrk-health.out")/s p99 $(p99 "$RUN/wrk-health.out")"
stop_stack "$RUN"
