#!/usr/bin/env bash
# make leakcheck: the Kafka tests under AddressSanitizer + LeakSanitizer, against a private
# broker. Exits non-zero when a leak or memory error is reported. Builds in .build-asan.
set -uo pipefail
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/bootstrap.sh" || exit 1
cd "$ROOT"
port=$(free_port)
dir="$ROOT/var/leak-broker-$port"
trap '"$ROOT/scripts/broker.sh" stop "$dir"; rm -rf "$dir"' EXIT
"$ROOT/scripts/broker.sh" start "$port" "$dir" || exit 1
use_project_librdkafka
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$port"
# librdkafka's internal threads keep a few allocations alive until exit by design; only leaks
# reachable from our frames count. detect_leaks is on by default with ASan on Linux.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$ROOT/scripts/lsan.supp:print_suppressions=1"
swift test --sanitize=address --scratch-path "$ROOT/.build-asan" --filter "KafkaTests" 2>&1 | tee "$ROOT/var/leakcheck.log"
status=${PIPESTATUS[0]}
if grep -q "ERROR: LeakSanitizer\|ERROR: AddressSanitizer" "$ROOT/var/leakcheck.log"; then
  say "sanitizer reported problems (var/leakcheck.log)"; exit 1
fi
exit "$status"
