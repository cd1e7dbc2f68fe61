#!/usr/bin/env bash
# The committed Swift clients (Clients/<Service>Client/Generated) were generated from the
# committed OpenAPI documents as they are now: each generated file names its document's SHA-256,
# and each of the document's own operations has its method in the client. Regenerate with
# scripts/update-swift-client.sh (builds swift-openapi-generator once; see Clients/README.md).
set -uo pipefail
source "$(dirname "$0")/../common.sh"
cd "$ROOT"
failed=0
for pair in registration-intake:RegistrationIntakeClient address-index:AddressIndexClient notification:NotificationClient audit:AuditClient; do
  service=${pair%%:*} target=${pair##*:}
  document="docs/api/$service.openapi.json"
  hash=$(sha256sum "$document" | cut -d' ' -f1)
  stale=$(grep -L "from $document (sha256 $hash)" Clients/$target/Generated/*.swift)
  missing=$("$VENV/bin/python" - "$document" "Clients/$target/Generated/Client.swift" <<'PY'
import json, sys
document, client = json.load(open(sys.argv[1])), open(sys.argv[2]).read()
common = {"/health/live", "/health/ready", "/metrics", "/openapi.json"}
for path, item in document["paths"].items():
    for method, operation in item.items():
        if path not in common and isinstance(operation, dict) and f"public func {operation['operationId']}(" not in client:
            print(operation["operationId"], end=" ")
PY
)
  if [ -n "$stale" ] || [ -n "$missing" ]; then
    echo "FAIL Clients/$target is not generated from $document as it is now${missing:+ (no method for: $missing)}: run scripts/update-swift-client.sh"
    failed=1
  else
    echo "ok   Clients/$target is generated from $document as committed"
  fi
done
exit $failed
