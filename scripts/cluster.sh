#!/usr/bin/env bash
# A local 3-node pulse cluster for development (and a nats-server on 4222 if none runs).
#   ./scripts/cluster.sh               # runs until Ctrl-C, then stops what it started
#   ./scripts/cluster.sh --background  # returns once ready; PIDs in run/pids
#   ./scripts/cluster.sh --stop        # stops a background cluster
# Environment: CLUSTER (default demo), BPM (default 60), NATS_PORT (default 4222),
#              CONSENSUS (ratis, the default, or atomix: about 12 s to the first leader).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
case "${1:-}" in
  --stop)
    [ -f "$RUN/pids" ] && kill $(cat "$RUN/pids") 2>/dev/null || true
    rm -f "$RUN/pids"; say "stopped"; exit 0 ;;
  --background) BACKGROUND=1 ;;
  "") BACKGROUND=0 ;;
  *) say "unknown option $1 (use --background or --stop)"; exit 2 ;;
esac
ensure_java
ensure_build
rm -f "$RUN/pids"
if [ "$BACKGROUND" = 0 ]; then trap stop_started EXIT INT TERM; fi
ensure_nats
start_pulse_nodes
if [ "$BACKGROUND" = 1 ]; then
  say "running in the background; stop with ./scripts/cluster.sh --stop"
  exit 0
fi
say "Ctrl-C stops the cluster. Try: curl -s localhost:8081/tempo ; curl -s localhost:8081/leader"
while true; do sleep 1; done
