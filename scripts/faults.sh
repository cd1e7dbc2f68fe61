#!/usr/bin/env bash
# make faults: the fault and adversarial suites at full size (make test runs them CI-sized), then
# a summary table. FAULT_PEOPLE (default 154000, about 200,000 submissions), FAULT_KILLS (5 per
# service), FUZZ_INPUTS (1,000,000) and SCALE_SUBMISSIONS (200,000: two instances of each service
# under load through kills, pauses and rolling restarts) set the sizes.
set -uo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

export FAULT_PEOPLE=${FAULT_PEOPLE:-154000} FAULT_KILLS=${FAULT_KILLS:-5} FUZZ_INPUTS=${FUZZ_INPUTS:-1000000} FAULT_OUTAGE_SECONDS=${FAULT_OUTAGE_SECONDS:-30}
export SCALE_SUBMISSIONS=${SCALE_SUBMISSIONS:-200000}
log="$ROOT/var/faults-$(date +%Y%m%d-%H%M%S).log"
mkdir -p "$ROOT/var"
say "fault suites: $FAULT_PEOPLE people, $FAULT_KILLS kills per service, $FUZZ_INPUTS fuzz inputs (log: $log)"
status=0
# One suite at a time: at full size they would otherwise compete for the two cores and time out
# waiting for each other's brokers rather than find faults.
suites=(FuzzTests FaultPipelineTests ScaleTests PipelineOutageTests BrokerLossTests DiskTroubleTests ClockSkewTests ClockPoisoningTests WebhookSSRFTests CrashTests NotificationCrashTests
        BrokerOutageTests SubmissionBackpressureTests PoisonMessageTests HostileInputTests RateLimitTests AuthorizationMatrixTests AuditTamperTests)
: > "$log"
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
for suite in "${suites[@]}"; do
  say "suite $suite"
  suite_log=$(mktemp)
  TEST_FILTER="ServiceTests\\.$suite\\b" "$ROOT/scripts/test.sh" > "$suite_log" 2>&1
  suite_status=$?
  cat "$suite_log" >> "$log"
  # A suite that was renamed or filtered away runs no test and would "pass": that is a failure.
  tests=$(grep -oE 'Test run with [0-9]+ tests?' "$suite_log" | grep -oE '[0-9]+' | tail -1)
  grep '^faults | ' "$suite_log" >> "$rows"
  if [ "${tests:-0}" -eq 0 ]; then
    status=1; say "  $suite FAILED: it ran no test"
    echo "faults | $suite | - | - | - | - | FAILED: the suite ran no test" >> "$rows"
  elif ! grep -q '^faults | ' "$suite_log"; then
    status=1; say "  $suite FAILED: it printed no row"
    echo "faults | $suite | - | - | - | - | FAILED: $tests tests, no row printed (status $suite_status)" >> "$rows"
  elif [ "$suite_status" -ne 0 ]; then
    status=1; say "  $suite FAILED"
  else
    say "  $tests tests passed"
  fi
  rm -f "$suite_log"
done
say "personal data in debug logs (a live stack)"
live=$(mktemp)
trap 'rm -f "$rows" "$live"' EXIT
"$ROOT/scripts/checks/live-stack.sh" > "$live" 2>&1 || status=1
cat "$live" >> "$log"
grep -E "^personal data|LEAK|documentation examples" "$live" || status=1
grep '^faults | ' "$live" >> "$rows"

echo
printf '%s\n' "scenario | injected faults | messages | lost | duplicated | result" "--- | --- | --- | --- | --- | ---"
sed 's/^faults | //' "$rows"
grep -h '^personal data in logs' "$live" | sed -E 's/^personal data in logs: looked for (.*): ([0-9]+) found$/personal data in debug logs | whole stack at LOG_LEVEL=debug | \1 | - | - | \2 found/'
echo
# The audit tampering scenarios, one line each (AuditTamperTests): which check caught each.
grep -h '^tamper: ' "$log"
echo
[ "$status" -eq 0 ] && say "faults: all held" || say "faults: something FAILED (see $log)"
exit "$status"
