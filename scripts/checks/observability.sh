#!/usr/bin/env bash
# The observability pack in docker/: the alert rules pass `promtool check rules` and their unit
# tests (`promtool test rules`), the Prometheus configuration passes `promtool check config`,
# the Grafana dashboard is valid JSON, and every metric the rules and the dashboard use, and
# every one docs/operations.md must list, is a family of MetricCatalog (the services' /metrics).
# scripts/checks/live-stack.sh lints a live stack's /metrics with `promtool check metrics`.
set -uo pipefail
source "$(dirname "$0")/../common.sh"
command -v promtool >/dev/null || die "promtool is missing; scripts/bootstrap.sh installs it (Debian's prometheus package)"
failed=0
prometheus="$ROOT/docker/prometheus"
if out=$(promtool check rules "$prometheus/alerts.yml" 2>&1); then echo "ok   promtool check rules: $(grep -o '[0-9]* rules found' <<<"$out")"; else echo "FAIL $out"; failed=1; fi
if out=$(cd "$prometheus" && promtool test rules alerts.test.yml 2>&1); then echo "ok   promtool test rules alerts.test.yml"; else echo "FAIL $out"; failed=1; fi

# The configuration names the files where compose mounts them; check it against local copies.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$prometheus/alerts.yml" "$dir/alerts.yml"
echo token > "$dir/token"
sed "s|/etc/prometheus/|$dir/|g" "$prometheus/prometheus.yml" > "$dir/prometheus.yml"
if out=$(promtool check config "$dir/prometheus.yml" 2>&1); then echo "ok   promtool check config docker/prometheus/prometheus.yml"; else echo "FAIL $out"; failed=1; fi

"$VENV/bin/python" - "$ROOT" <<'PY' || failed=1
import json, re, sys, pathlib
import yaml
root = pathlib.Path(sys.argv[1])
catalog = set(re.findall(r'Family\("([a-z_]+)"', (root / "Shared/ServiceRuntime/Metrics/MetricCatalog.swift").read_text()))
known = catalog | {"up"}  # Prometheus's own per-target series
failed = 0

def names(expr):
    """Metric names in a PromQL expression: identifiers not followed by '(' and not label names or keywords."""
    expr = re.sub(r'\{[^}]*\}', '', expr)            # label matchers
    expr = re.sub(r'\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)', '', expr)
    expr = re.sub(r'\[[^\]]*\]', '', expr)           # ranges
    words = re.findall(r'\b([a-z_][a-z0-9_]*)\b(?!\s*\()', expr)
    return {w for w in words if w not in {"and", "or", "unless", "bool", "offset", "le"}}

def base(name):
    return re.sub(r'_(bucket|sum|count)$', '', name) if name not in known else name

rules = yaml.safe_load((root / "docker/prometheus/alerts.yml").read_text())
used = {}
for group in rules["groups"]:
    for rule in group["rules"]:
        for name in names(rule["expr"]):
            used.setdefault(base(name), set()).add("alert " + rule["alert"])
dashboard = json.loads((root / "docker/grafana/dashboards/address-registry.json").read_text())
panels = [p for p in dashboard["panels"] if p.get("type") != "row"]
for panel in panels:
    for target in panel.get("targets", []):
        for name in names(target["expr"]):
            used.setdefault(base(name), set()).add("panel " + panel["title"])
for name, where in sorted(used.items()):
    if name not in known:
        failed = 1
        print(f"FAIL {name} (used by {', '.join(sorted(where))}) is not a metric of MetricCatalog")
print(f"ok   the dashboard parses: {len(panels)} panels") if panels else None
missing = sorted(m for m in catalog if m not in (root / "docs/operations.md").read_text())
if missing:
    failed = 1
    print(f"FAIL docs/operations.md does not list {', '.join(missing)}")
if not failed:
    print(f"ok   the rules and the dashboard use {len(used)} metrics, all in MetricCatalog; docs/operations.md lists all {len(catalog)}")
sys.exit(failed)
PY
exit $failed
