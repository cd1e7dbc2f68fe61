#!/usr/bin/env bash
# Every service's `--openapi` document (the one served at GET /openapi.json) is a valid
# OpenAPI 3.1 document and is the one committed in docs/api/ (scripts/update-api-docs.sh writes
# them). OpenAPIDocumentTests checks it matches the routes.
set -uo pipefail
source "$(dirname "$0")/../common.sh"
BIN=${REGISTRY_BIN_DIR:-$(cd "$ROOT" && swift build --show-bin-path)}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failed=0
for service in registration-intake address-index notification audit; do
  if ! "$BIN/$service" --openapi > "$dir/$service.json"; then
    echo "FAIL $service --openapi"; failed=1; continue
  fi
  if out=$("$VENV/bin/openapi-spec-validator" --schema 3.1 "$dir/$service.json" 2>&1); then
    echo "ok   $service: valid OpenAPI 3.1"
  else
    echo "FAIL $service: $out"; failed=1
  fi
done
REGISTRY_BIN_DIR=$BIN "$ROOT/scripts/update-api-docs.sh" --check || failed=1
exit $failed
