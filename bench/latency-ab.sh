#!/usr/bin/env bash
# One run of an interleaved latency A/B: a fresh broker and the four services from BIN (a release
# build), FILL submissions to warm the stores, IDLE seconds with no traffic (the stack as the
# latency run of `make bench` finds it after its settle), then RATE submissions/s for SECONDS with
# sampled registrations timed until `GET …/registration` shows them; prints the load's lines.
# Alternate the builds' runs (A1 B1 A2 B2) and run nothing else meanwhile.
#
#   BIN=path/to/.build/release RATE=1600 bench/latency-ab.sh LABEL
set -uo pipefail
source "$(dirname "$0")/ab-stack.sh"
FILL=${FILL:-20000}
IDLE=${IDLE:-15}
RATE=${RATE:-1600}
SECONDS_LOAD=${SECONDS_LOAD:-30}
RUN="$ROOT/var/latency-ab/$LABEL"
PORT=${PORT:-19492}
start_stack "$RUN" "$PORT" 18480
"$BIN/registryctl" load --addresses 20000 --count "$FILL" --seed 7 --wait --json > "$RUN/fill.log" 2>&1
next=$(python3 -c 'import json, sys; print(int(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["next_person"]))' "$RUN/fill.log")
sleep "$IDLE"
"$BIN/registryctl" load --addresses 20000 --no-catalog --seed 7 --first-person "$next" --count $((RATE * SECONDS_LOAD)) --rate "$RATE" \
  --visibility "http://127.0.0.1:18482" --wait > "$RUN/latency.log" 2>&1
echo "$LABEL: $(grep -a "visibility of" "$RUN/latency.log")"
stop_stack "$RUN"
