#!/usr/bin/env bash
# make test: builds everything, starts a private broker on a free port, runs the Swift tests and
# the independent checks against it, stops the broker even when tests fail, and exits with the
# tests' status.
set -uo pipefail
source "$(dirname "$0")/common.sh"

"$ROOT/scripts/bootstrap.sh" || exit 1
cd "$ROOT"
say "building with tests (debug)"
swift build --build-tests 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Write|Linking)'
[ "${PIPESTATUS[0]}" -eq 0 ] || die "the build failed"
BIN=$(swift build --show-bin-path)

port=$(free_port)
broker_dir="$ROOT/var/test-broker-$port"
cleanup() { "$ROOT/scripts/broker.sh" stop "$broker_dir"; rm -rf "$broker_dir"; }
trap cleanup EXIT
"$ROOT/scripts/broker.sh" start "$port" "$broker_dir" || exit 1

use_project_librdkafka
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$port"
export REGISTRY_BIN_DIR="$BIN"
export REGISTRY_PYTHON="$VENV/bin/python"
export REGISTRY_ROOT="$ROOT"
export REGISTRY_TANSU="$TANSU"
# Everything the tests write (service stores, whole stacks, child logs: gigabytes at full size)
# goes to a directory of this run: removed when the run passes, kept for reading when it fails.
test_tmp="$ROOT/var/test-tmp-$port"
mkdir -p "$test_tmp"
export TMPDIR="$test_tmp"

# Swift Testing starts every test at once unless told otherwise: on two cores, 179 tests with a
# dozen service stacks of their own starved the servers that tests run in-process, and timing
# checks (retry gaps, Retry-After, read timeouts) failed at random. Eight at a time keeps the
# suite as fast and makes it steady. (An experimental setting: a toolchain without it runs all.)
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-8}

status=0
say "swift test against the broker at $KAFKA_BOOTSTRAP_SERVERS"
swift test --skip-build ${TEST_FILTER:+--filter "$TEST_FILTER"} || status=$?

if [ -z "${TEST_FILTER:-}" ]; then
  for check in "$ROOT"/scripts/checks/*.sh; do
    [ -e "$check" ] || continue
    say "check: $(basename "$check" .sh)"
    "$check" || status=1
  done
fi
if [ "$status" -eq 0 ]; then
  rm -rf "$test_tmp"
  say "all tests passed"
else
  say "tests FAILED (status $status); their files are kept in $test_tmp (make clean removes var/)"
fi
exit "$status"
