#!/usr/bin/env bash
# Interleaved A/B of the audit catching up alone: two builds of the `audit` executable each read
# the same number of access events from a fresh set of topics on one broker, in rounds that
# alternate which goes first. Per run: seconds until every record is stored, the audit's CPU
# seconds, the broker's CPU seconds over that time and the audit's peak RSS.
#
#   bench/audit-ab.sh A_BINARY B_BINARY [MESSAGES=100000] [ROUNDS=3]
#
# Both binaries must be release builds (swift build -c release --product audit in each tree).
# registryctl of the B tree creates the topics. Nothing else should run on the machine.
set -uo pipefail
source "$(dirname "$0")/../scripts/common.sh"
A=$1 B=$2 MESSAGES=${3:-100000} ROUNDS=${4:-3}
[ -x "$A" ] && [ -x "$B" ] || die "usage: bench/audit-ab.sh A_BINARY B_BINARY [MESSAGES] [ROUNDS]"
CTL="$(dirname "$B")/registryctl"
[ -x "$CTL" ] || die "no registryctl beside $B: build it (swift build -c release --product registryctl)"
use_project_librdkafka
RUN="$ROOT/var/audit-ab"
rm -rf "$RUN"; mkdir -p "$RUN/keys"
port=$(free_port)
"$ROOT/scripts/broker.sh" start "$port" "$RUN" || exit 1
trap '"$ROOT/scripts/broker.sh" stop "$RUN"' EXIT
broker_pid=$(cat "$RUN/broker.pid")
cpu_seconds() { awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$port" REGISTRY_JWT_SECRET=dev-only-secret-change-me-0123456789 REGISTRY_DEV_MODE=true LOG_LEVEL=warning

run() {
  local label=$1 binary=$2 round=$3 prefix="ab-$1-$3." data="$RUN/data-$1-$3"
  REGISTRY_TOPIC_PREFIX=$prefix "$CTL" topics create > /dev/null || die "topics create failed"
  "$VENV/bin/python" - "127.0.0.1:$port" "${prefix}access.logged.v1" "$MESSAGES" <<'PY' || die "producing failed"
import json, sys
from confluent_kafka import Producer
servers, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
producer = Producer({"bootstrap.servers": servers, "linger.ms": 20, "partitioner": "murmur2_random"})
for n in range(count):
    event = {"specversion": "1.0", "id": f"ab-{n}", "source": "/registry/address-index", "type": "kz.registry.access.logged.v1",
             "time": "2026-12-06T00:00:00Z", "datacontenttype": "application/json",
             "data": {"service": "address-index", "actor": {"sub": f"agency-{n % 7}", "role": "agency", "org": "School No. 5"},
                      "purpose": "school enrolment", "action": "registration.read", "subjects": [f"86010130{n % 10000:04d}"],
                      "method": "GET", "path": "/v1/persons/x/registration", "status": 200, "at": "2026-12-06T00:00:00Z"}}
    while True:
        try:
            producer.produce(topic, key=f"agency-{n % 7}", value=json.dumps(event).encode(), headers=[("content-type", b"application/cloudevents+json")])
            break
        except BufferError:
            producer.poll(0.1)
sys.exit(1 if producer.flush(60) else 0)
PY
  local broker_before start pid elapsed audit_cpu broker_cpu
  broker_before=$(cpu_seconds "$broker_pid")
  start=$(date +%s.%N)
  DATA_DIR=$data REGISTRY_TOPIC_PREFIX=$prefix HTTP_PORT=$(free_port) AUDIT_SIGNING_KEY_FILE="$RUN/keys/$label-$round.pem" "$binary" > "$RUN/$label-$round.log" 2>&1 &
  pid=$!
  while :; do
    kill -0 "$pid" 2>/dev/null || { cat "$RUN/$label-$round.log"; die "$label stopped"; }
    stored=$(python3 -c 'import sqlite3, sys
try:
    print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute("SELECT COUNT(*) FROM audit_record").fetchone()[0])
except Exception:
    print(0)' "$data/audit.sqlite")
    [ "$stored" -ge "$MESSAGES" ] && break
    sleep 0.2
  done
  elapsed=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN {printf "%.1f", a - b}')
  audit_cpu=$(cpu_seconds "$pid")
  peak=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
  broker_cpu=$(awk -v a="$(cpu_seconds "$broker_pid")" -v b="$broker_before" 'BEGIN {printf "%.1f", a - b}')
  kill -TERM "$pid"; wait "$pid" 2>/dev/null
  printf '%s\t%s\t%s s\taudit CPU %s s\tbroker CPU %s s\taudit peak RSS %s MB\n' "$label" "$round" "$elapsed" "$audit_cpu" "$broker_cpu" "$peak" | tee -a "$RUN/results.tsv"
}

say "A = $A, B = $B: $MESSAGES access events per run, $ROUNDS rounds"
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then run A "$A" "$round"; run B "$B" "$round"; else run B "$B" "$round"; run A "$A" "$round"; fi
done
