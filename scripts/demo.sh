#!/usr/bin/env bash
# The demo: a nats-server (if none runs), a 3-node pulse, an example service, and a live one-line
# view of the beat (beat, phase, tempo, leader, term, degraded). Ctrl-C stops everything it started.
# Environment: BPM (default 60), CLUSTER (default demo), DEMO_SECONDS (stop by itself after N seconds).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_java
ensure_build
rm -f "$RUN/pids"
trap 'printf "\n"; stop_started' EXIT
trap 'exit 130' INT TERM
ensure_nats
start_pulse_nodes
java -jar "$EXAMPLES_JAR" single --nats "$NATS_URL" --cluster "$CLUSTER" --agent demo-service > "$RUN/service.log" 2>&1 &
STARTED_PIDS+=($!); echo $! >> "$RUN/pids"
say "example service running (one line per phase callback in run/service.log)"
say "try in another terminal:"
say "  curl -s -XPOST -H 'Content-Type: application/json' localhost:8081/tempo -d '{\"tempo_bpm\": $(awk "BEGIN{print $BPM*1.05}")}'   # +5% at the next downbeat"
say "  kill \$(pgrep -f 'node-id p1')                                            # kill a pulse node: watch leader and term"
say "live view (Ctrl-C to stop):"
WATCH_ARGS=(watch --nats "$NATS_URL" --cluster "$CLUSTER" --agent demo-watch)
if [ -n "${DEMO_SECONDS:-}" ]; then WATCH_ARGS+=(--duration "${DEMO_SECONDS}s"); fi
java -jar "$EXAMPLES_JAR" "${WATCH_ARGS[@]}"
