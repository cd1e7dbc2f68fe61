#!/usr/bin/env bash
# Prints the environment for running the binaries by hand: eval "$(scripts/dev-env.sh)"
source "$(dirname "$0")/common.sh"
echo "export LD_LIBRARY_PATH=\"$RDKAFKA_LIB_DIR\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}\""
echo "export PATH=\"$(cd "$ROOT" && swift build --show-bin-path 2>/dev/null):\$PATH\""
