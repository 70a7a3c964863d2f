#!/usr/bin/env bash
# The test command: installs nats-server (and the fault tests' tools) when missing, then builds and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
NATS_SERVER_BIN="$(scripts/ensure-nats.sh)"
export NATS_SERVER_BIN
scripts/ensure-tools.sh
exec mvn -B -ntp verify "$@"
