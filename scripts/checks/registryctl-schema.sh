#!/usr/bin/env bash
# `registryctl schema kz.registry.registration.submitted.v1` prints a schema that validates the
# docs/architecture.md §4.3 example (its data; the envelope against `registryctl schema cloudevent`), both as
# printed there (wrong check digits) and with the check digits corrected (JSON Schema cannot check those).
set -uo pipefail
source "$(dirname "$0")/../common.sh"
BIN=${REGISTRY_BIN_DIR:-$(cd "$ROOT" && swift build --show-bin-path)}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$BIN/registryctl" schema kz.registry.registration.submitted.v1 > "$dir/submitted.json" || die "registryctl schema failed"
"$BIN/registryctl" schema cloudevent > "$dir/envelope.json" || die "registryctl schema cloudevent failed"
"$VENV/bin/python" - "$dir/submitted.json" "$dir/envelope.json" \
  "$ROOT/Tests/RegistrySchemaTests/Vectors/invalid/design-4.3-submitted-example.json" \
  "$ROOT/Tests/RegistrySchemaTests/Vectors/valid/registration.submitted.design-4.3.json" <<'PY'
import json, sys
from jsonschema import Draft202012Validator
data_schema, envelope_schema = (json.load(open(p)) for p in sys.argv[1:3])
Draft202012Validator.check_schema(data_schema)
failed = 0
for path in sys.argv[3:]:
    event = json.load(open(path))
    for what, schema, instance in (("data", data_schema, event["data"]), ("envelope", envelope_schema, event)):
        errors = list(Draft202012Validator(schema).iter_errors(instance))
        name = path.split("/")[-1]
        if errors:
            failed += 1
            print(f"FAIL {name} ({what}): {errors[0].message} at {list(errors[0].path)}")
        else:
            print(f"ok   {name} ({what}) validates against the printed schema")
sys.exit(1 if failed else 0)
PY
