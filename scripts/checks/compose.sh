#!/usr/bin/env bash
# docker/compose.yaml parses (Debian's docker-compose), names every service, and refuses to start
# without a JWT secret. There is no Docker engine here: this is what can be checked.
set -uo pipefail
source "$(dirname "$0")/../common.sh"
compose=(docker-compose -f "$ROOT/docker/compose.yaml")
command -v docker-compose >/dev/null || die "docker-compose is missing; scripts/bootstrap.sh installs it"
failed=0
if ! out=$(REGISTRY_JWT_SECRET=validation-only-secret-0123456789abcdef "${compose[@]}" config 2>&1); then
  echo "FAIL compose config: $out"; failed=1
else
  echo "ok   docker-compose config parses docker/compose.yaml"
fi
services=$(REGISTRY_JWT_SECRET=x "${compose[@]}" --profile observability --profile scaled config --services 2>/dev/null | sort | tr '\n' ' ')
expected="address-index address-index-2 audit kafka notification notification-2 prometheus registration-intake registration-intake-2 topics "
if [ "$services" = "$expected" ]; then echo "ok   services: $services"; else echo "FAIL services: '$services' (expected '$expected')"; failed=1; fi
if out=$(env -u REGISTRY_JWT_SECRET "${compose[@]}" config 2>&1); then
  echo "FAIL compose config passes without REGISTRY_JWT_SECRET"; failed=1
elif grep -q "REGISTRY_JWT_SECRET" <<<"$out"; then
  echo "ok   without REGISTRY_JWT_SECRET it refuses, naming the variable"
else
  echo "FAIL without REGISTRY_JWT_SECRET: $out"; failed=1
fi
exit $failed
