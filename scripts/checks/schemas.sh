#!/usr/bin/env bash
# The JSON Schemas accept every valid golden vector and reject every schema-detectable invalid one.
source "$(dirname "$0")/../common.sh"
"$VENV/bin/python" "$ROOT/scripts/check_schemas.py"
