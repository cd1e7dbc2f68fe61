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
suites=(FuzzTests FaultPipelineTests ScaleTests PipelineOutageTests BrokerLossTests DiskTroubleTests ClockSkewTests ClockPoisoningTests WebhookSSRFTests CrashTests NotificationCrashTests BrokerOutageTests
        SubmissionBackpressureTests PoisonMessageTests HostileInputTests RateLimitTests AuthorizationMatrixTests)
: > "$log"
for suite in "${suites[@]}"; do
  say "suite $suite"
  TEST_FILTER="ServiceTests\\.$suite\\b" "$ROOT/scripts/test.sh" >> "$log" 2>&1 || { status=1; say "  $suite FAILED"; }
done
say "personal data in debug logs (a live stack)"
"$ROOT/scripts/checks/live-stack.sh" 2>&1 | tee -a "$log" | grep -E "^personal data|LEAK|documentation examples" || status=1
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo
printf '%s\n' "scenario | injected faults | messages | lost | duplicated | result" "--- | --- | --- | --- | --- | ---"
grep -h '^faults | ' "$log" | sed 's/^faults | //'
grep -h '^personal data in logs' "$log" | sed -E 's/^personal data in logs: looked for (.*): ([0-9]+) found$/personal data in debug logs | whole stack at LOG_LEVEL=debug | \1 | - | - | \2 found/'
echo
[ "$status" -eq 0 ] && say "faults: all held" || say "faults: something FAILED (see $log)"
exit "$status"
