#!/usr/bin/env bash
# Shared by cluster.sh and demo.sh. Everything it starts is recorded in $RUN/pids and stopped by stop_started.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/run"
PULSE_JAR="$ROOT/backbeat-pulse/target/backbeat-pulse.jar"
EXAMPLES_JAR="$ROOT/backbeat-examples/target/backbeat-examples.jar"
CLUSTER="${CLUSTER:-demo}"
BPM="${BPM:-60}"
CONSENSUS="${CONSENSUS:-ratis}"
NATS_PORT="${NATS_PORT:-4222}"
NATS_URL="nats://127.0.0.1:$NATS_PORT"
STARTED_PIDS=()

say() { printf '\033[1m[backbeat]\033[0m %s\n' "$*" >&2; }

ensure_java() {
  command -v java >/dev/null 2>&1 || { say "ERROR: java not found: install a JDK 17 (Debian: apt-get install openjdk-17-jdk)"; exit 1; }
  command -v mvn >/dev/null 2>&1 || { say "ERROR: mvn not found: install Maven (Debian: apt-get install maven)"; exit 1; }
}

ensure_build() {
  if [ ! -f "$PULSE_JAR" ] || [ ! -f "$EXAMPLES_JAR" ] || [ -n "$(find "$ROOT" -name '*.java' -path '*/src/main/*' -newer "$PULSE_JAR" 2>/dev/null | head -1)" ]; then
    say "building the jars (first time: a few minutes)..."
    (cd "$ROOT" && mvn -B -q -ntp -DskipTests package -pl backbeat-pulse,backbeat-examples -am) || { say "ERROR: the build failed"; exit 1; }
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_nats() {
  if port_open "$NATS_PORT"; then
    say "using the NATS server already listening on $NATS_URL"
    return
  fi
  local bin
  bin="$("$ROOT/scripts/ensure-nats.sh")" || exit 1
  mkdir -p "$RUN"
  "$bin" -a 127.0.0.1 -p "$NATS_PORT" > "$RUN/nats.log" 2>&1 &
  STARTED_PIDS+=($!)
  echo $! >> "$RUN/pids"
  for _ in $(seq 1 50); do port_open "$NATS_PORT" && break; sleep 0.1; done
  port_open "$NATS_PORT" || { say "ERROR: nats-server did not start; see $RUN/nats.log"; exit 1; }
  say "started nats-server on $NATS_URL (log: run/nats.log)"
}

start_pulse_nodes() {
  mkdir -p "$RUN"
  local peers="p1@127.0.0.1:9081,p2@127.0.0.1:9082,p3@127.0.0.1:9083"
  for i in 1 2 3; do
    for p in "808$i" "908$i"; do
      if port_open "$p"; then say "ERROR: port $p is in use (another pulse running? ./scripts/cluster.sh --stop)"; exit 1; fi
    done
  done
  for i in 1 2 3; do
    rm -rf "$RUN/p$i"
    java -jar "$PULSE_JAR" --cluster "$CLUSTER" --node-id "p$i" --bpm "$BPM" --bar 4 --phases plan,execute,review \
      --min-bpm 1 --max-bpm 600 --nats "$NATS_URL" --admin-port "808$i" --raft-bind "127.0.0.1:908$i" \
      --peers "$peers" --data-dir "$RUN/p$i" --consensus "$CONSENSUS" > "$RUN/p$i.log" 2>&1 &
    STARTED_PIDS+=($!)
    echo $! >> "$RUN/pids"
  done
  say "starting 3 pulse nodes (cluster '$CLUSTER', $BPM BPM, consensus $CONSENSUS; admin on :8081-8083; logs run/p1..p3.log)"
  for _ in $(seq 1 900); do
    for i in 1 2 3; do
      if curl -sf "http://127.0.0.1:808$i/ready" >/dev/null 2>&1; then
        say "pulse ready: $(curl -s "http://127.0.0.1:808$i/leader")"
        return
      fi
    done
    sleep 0.1
  done
  say "ERROR: the pulse did not become ready in 90 s; see run/p*.log"; exit 1
}

stop_started() {
  if [ "${#STARTED_PIDS[@]}" -gt 0 ]; then
    kill "${STARTED_PIDS[@]}" 2>/dev/null || true
    wait "${STARTED_PIDS[@]}" 2>/dev/null || true
    say "stopped everything this script started"
  fi
  rm -f "$RUN/pids"
}
