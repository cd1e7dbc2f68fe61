#!/usr/bin/env python3
"""Checks the published JSON Schemas against the schema module's golden vectors.

- Every schema in Shared/RegistrySchema/Resources/Schemas must be a valid draft 2020-12 schema.
- Every file in Tests/RegistrySchemaTests/Vectors/valid must pass: the envelope against
  cloudevent.json, `data` against the schema named after its `type`.
- Every vector listed in Tests/RegistrySchemaTests/Vectors/invalid/manifest.json must fail,
  except those marked "schemaDetectable": false (a wrong IIN check digit, for instance, is only
  seen by the Swift decoder): those must pass, so the manifest stays honest.

Formats are asserted (FORMAT_CHECKER): "date" is checked by the standard library; "date-time"
and "uri-reference" only when their optional checkers are installed (the timestamp pattern
already pins the RFC 3339 form).

Prints one line per file and a final "N passed, M failed"; exits 1 on any failure.
Needs: pip install jsonschema==4.23.0
"""

import json
import sys
from pathlib import Path

try:
    from jsonschema import Draft202012Validator
except ImportError:
    print("check_schemas: the 'jsonschema' package is missing (pip install jsonschema==4.23.0)", file=sys.stderr)
    sys.exit(2)

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "Shared" / "RegistrySchema" / "Resources" / "Schemas"
VECTORS = ROOT / "Tests" / "RegistrySchemaTests" / "Vectors"
ENVELOPE = "cloudevent"


def load_validators():
    """Validators by schema name (file name without .json); a broken schema is a failure line."""
    validators, results = {}, []
    for path in sorted(SCHEMAS.glob("*.json")):
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(schema)
            validators[path.stem] = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
            results.append((True, f"schema  {path.name}: valid draft 2020-12"))
        except Exception as error:  # any problem with a schema file is a failure to report
            results.append((False, f"schema  {path.name}: {error}"))
    return validators, results


def violations(validators, path):
    """The reasons a vector file breaks the schemas (empty when it conforms)."""
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return [f"not JSON: {error.msg if hasattr(error, 'msg') else error}"]
    problems = [f"envelope {where(e)}: {e.message}" for e in validators[ENVELOPE].iter_errors(event)]
    if problems or not isinstance(event, dict):
        return problems or ["not an object"]
    type_name = event.get("type")
    validator = validators.get(type_name) if type_name != ENVELOPE else None
    if validator is None:
        return [f"no schema for type {type_name!r}"]
    return [f"data{where(e, leading='.')}: {e.message}" for e in validator.iter_errors(event["data"])]


def where(error, leading=""):
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return path if leading else (path.lstrip(".") or "(root)")


def main():
    validators, results = load_validators()
    if ENVELOPE not in validators:
        results.append((False, f"schema  {ENVELOPE}.json: missing or broken"))
    else:
        for path in sorted((VECTORS / "valid").glob("*.json")):
            problems = violations(validators, path)
            results.append((not problems, f"valid   {path.name}: " + ("ok" if not problems else "; ".join(problems[:3]))))

        manifest_path = VECTORS / "invalid" / "manifest.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))["vectors"]
        listed = {entry["file"] for entry in manifest}
        for path in sorted((VECTORS / "invalid").glob("*.json")):
            if path.name != "manifest.json" and path.name not in listed:
                results.append((False, f"invalid {path.name}: not listed in manifest.json"))
        for entry in manifest:
            path = VECTORS / "invalid" / entry["file"]
            if not path.exists():
                results.append((False, f"invalid {entry['file']}: listed in manifest.json but missing"))
                continue
            problems = violations(validators, path)
            if entry["schemaDetectable"]:
                ok = bool(problems)
                detail = f"rejected ({problems[0]})" if ok else "accepted, but the manifest says the schema detects it"
            else:
                ok = not problems
                detail = "accepted (only the Swift decoder detects it)" if ok else \
                    f"rejected ({problems[0]}), but the manifest says the schema cannot detect it"
            results.append((ok, f"invalid {entry['file']}: {detail}"))

    for ok, line in results:
        print(("PASS " if ok else "FAIL ") + (line if len(line) <= 200 else line[:197] + "..."))
    passed = sum(1 for ok, _ in results if ok)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
