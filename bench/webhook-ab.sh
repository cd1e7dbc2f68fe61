#!/usr/bin/env bash
# One run of an interleaved webhook A/B, as make bench's webhook phase: one agency subscribed to
# every change at a local keep-alive receiver (RECEIVER: a WebhookBenchReceiver binary), notification
# stopped while COUNT submissions go through, then started again; prints how many changes arrived
# and the rate from the first to the last. Alternate the two builds' runs and run nothing else.
#
#   BIN=path/to/.build/release RECEIVER=path/to/WebhookBenchReceiver COUNT=10000 bench/webhook-ab.sh LABEL
set -uo pipefail
source "$(dirname "$0")/ab-stack.sh"
COUNT=${COUNT:-10000}
RECEIVER=${RECEIVER:?set RECEIVER to a WebhookBenchReceiver binary}
RUN="$ROOT/var/webhook-ab/$LABEL"
PORT=${PORT:-19492}
# The receiver is on this machine, which notification refuses by default.
export HTTP_RATE_LIMIT=0 WEBHOOK_ALLOW_LOCAL=true
start_stack "$RUN" "$PORT" 18480
receiver=http://127.0.0.1:18489
# The catalog first, while notification reads it too; the measured submissions then come without it.
"$BIN/registryctl" load --addresses 20000 --count 1 --seed 7 --wait > "$RUN/catalog.log" 2>&1
"$RECEIVER" 18489 > "$RUN/receiver.log" 2>&1 &
receiver_pid=$!
for _ in $(seq 1 60); do curl -sf "$receiver/stats" >/dev/null && break; sleep 0.5; done
agency=(-H "Authorization: Bearer $("$BIN/registryctl" token --role agency --sub 123456789012 --scope "subscriptions:write address:read" --org "Benchmark" --ttl 7200)"
        -H "X-Purpose: benchmark: webhook delivery")
curl -sf -X POST http://127.0.0.1:18483/v1/subscriptions "${agency[@]}" -H "content-type: application/json" \
  -d "{\"filter\":{},\"delivery\":{\"type\":\"webhook\",\"url\":\"$receiver/\",\"secret\":\"whsec_$(head -c 32 /dev/urandom | base64)\"}}" > /dev/null || { echo "$LABEL: could not subscribe"; kill "$receiver_pid"; stop_stack "$RUN"; exit 1; }
kill -TERM "${pids[2]}"; wait "${pids[2]}" 2>/dev/null
"$BIN/registryctl" load --addresses 20000 --no-catalog --first-person 1 --count "$COUNT" --seed 7 --wait > "$RUN/load.log" 2>&1
curl -sf -X DELETE "$receiver/stats"
DATA_DIR=$RUN/data/notification HTTP_PORT=18483 LOG_LEVEL=warning "$BIN/notification" >> "$RUN/notification.log" 2>&1 &
pids[2]=$!
got=0; last_change=$SECONDS
while [ $((SECONDS - last_change)) -lt 15 ]; do
  now=$(curl -sf "$receiver/stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["requests"])')
  [ "${now:-0}" -gt "$got" ] && { got=$now; last_change=$SECONDS; }
  sleep 1
done
echo "$LABEL: $(curl -sf "$receiver/stats" | python3 -c "import json, sys; s = json.load(sys.stdin); print(f'{s[\"requests\"]} webhooks, {s[\"requests\"] / max(s[\"last\"] - s[\"first\"], 1e-9):,.0f}/s')")"
kill "$receiver_pid" 2>/dev/null
stop_stack "$RUN"
