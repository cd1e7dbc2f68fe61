#!/usr/bin/env bash
# make bench: builds in release and runs every benchmark on this machine, then writes
# BENCHMARKS.md. Each benchmark prints its own Markdown section with its baseline measured in
# the same run, so a figure is never compared with a number from another machine or day.
set -uo pipefail
source "$(dirname "$0")/common.sh"

"$ROOT/scripts/bootstrap.sh" || exit 1
cd "$ROOT"
say "building benchmarks (release)"
for product in SchemaBench AuditGrowthBench; do
  swift build -c release --product "$product" 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Write|Linking)'
  [ "${PIPESTATUS[0]}" -eq 0 ] || die "the release build of $product failed"
done
BIN=$(swift build -c release --show-bin-path)
use_project_librdkafka

out=$(mktemp)
trap 'rm -f "$out"' EXIT
{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench\` ($(date -u +%Y-%m-%dT%H:%MZ)). Every table carries its baseline, measured in"
  echo "the same run on the same machine."
  echo
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') × $(nproc) cores"
  echo "- Memory: $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "- $(swift --version 2>/dev/null | head -1)"
  echo "- OS: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo
} > "$out"

say "SchemaBench: event decode and encode"
"$BIN/SchemaBench" "${SCHEMA_BENCH_ITERATIONS:-200000}" | tee -a "$out" || die "SchemaBench failed"

# AUDIT_GROWTH_RECORDS=50000000 make bench measures the audit trail at 50 M records (about 30 GB
# of disk and 15 minutes here); the default keeps make bench short.
echo >> "$out"
say "AuditGrowthBench: audit trail query as the log grows (${AUDIT_GROWTH_RECORDS:-1000000} records)"
"$BIN/AuditGrowthBench" "${AUDIT_GROWTH_RECORDS:-1000000}" "$ROOT/var/audit-growth" | tee -a "$out" || die "AuditGrowthBench failed"

cp "$out" "$ROOT/BENCHMARKS.md"
say "wrote BENCHMARKS.md"
