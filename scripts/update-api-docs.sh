#!/usr/bin/env bash
# Writes docs/api/<service>.openapi.json: each service's OpenAPI document exactly as it serves it
# at GET /openapi.json (`<service> --openapi`). Run it after changing a route or an OpenAPI
# fragment (Services/<Name>/Sources/Resources/openapi.json); make test fails while the committed
# documents differ from the served ones (scripts/checks/openapi.sh). With --check it only compares.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
BIN=${REGISTRY_BIN_DIR:-}
if [ -z "$BIN" ]; then
  swift build >/dev/null
  BIN=$(swift build --show-bin-path)
fi
mode=${1:-write}
status=0
for service in registration-intake address-index notification audit; do
  target="docs/api/$service.openapi.json"
  served=$("$BIN/$service" --openapi)
  if [ "$mode" = --check ]; then
    if [ "$served" = "$(cat "$target" 2>/dev/null)" ]; then
      echo "ok   $target is what $service serves at /openapi.json"
    else
      echo "FAIL $target differs from what $service serves; run scripts/update-api-docs.sh and commit it"
      diff <(printf '%s\n' "$served") "$target" | head -20
      status=1
    fi
  else
    printf '%s\n' "$served" > "$target"
    echo "wrote $target"
  fi
done
exit $status
