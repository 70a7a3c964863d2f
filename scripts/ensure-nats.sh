#!/usr/bin/env bash
# Makes sure a nats-server binary is available (Debian package 'nats-server'); prints its path.
set -euo pipefail
find_nats() {
  if [ -n "${NATS_SERVER_BIN:-}" ] && [ -x "$NATS_SERVER_BIN" ]; then echo "$NATS_SERVER_BIN"; return 0; fi
  for p in "$(command -v nats-server 2>/dev/null || true)" /usr/sbin/nats-server /usr/bin/nats-server /usr/local/bin/nats-server; do
    if [ -n "$p" ] && [ -x "$p" ]; then echo "$p"; return 0; fi
  done
  return 1
}
if bin=$(find_nats); then echo "$bin"; exit 0; fi
echo "nats-server not found; installing the Debian package 'nats-server'..." >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "ERROR: nats-server is missing and this user cannot install packages." >&2
    echo "       Install it with: apt-get install nats-server   (or set NATS_SERVER_BIN to its path)" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ERROR: nats-server is missing and there is no apt-get here." >&2
  echo "       Install nats-server (https://nats.io) and put it on PATH, or set NATS_SERVER_BIN." >&2
  exit 1
fi
$SUDO apt-get update -qq >&2 || true
if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nats-server >&2; then
  echo "ERROR: 'apt-get install nats-server' failed; install nats-server by hand or set NATS_SERVER_BIN." >&2
  exit 1
fi
find_nats || { echo "ERROR: nats-server still not found after installing" >&2; exit 1; }
