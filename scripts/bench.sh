#!/usr/bin/env bash
# Benchmarks (never run by the tests).
#   ./scripts/bench.sh                 # JMH, pure core (HLC, window id, timeline, codec): ~2 minutes
#   ./scripts/bench.sh 'frame.*'       # JMH, a regex of benchmark names
#   ./scripts/bench.sh pulse [seconds] # end to end at 120 BPM on a real nats-server (default 60 s each):
#                                      # the bare jnats floor, then a single-node pulse and a subscriber
#   ./scripts/bench.sh soak [minutes] [ratis|atomix] [kill|term] [everySeconds]
#                                      # 3 pulse processes; the leader SIGKILLed (or SIGTERMed) again and
#                                      # again and restarted; reports gaps, duplicates, what a client saw
#   ./scripts/bench.sh chaos [repeats] [kill,stopcont,partition,skew,rate,natsloss,natscut,natsserver,diskfull]
#                            [bpm] [ratis|atomix]
#                                      # 3 pulse processes; each scenario's fault injected into the leader
#                                      # [repeats] times (default 3); gap to the next frame, superseded-term
#                                      # frames, duplicate/backwards pairs at a subscriber, what a BeatClient
#                                      # saw (partition, natscut, diskfull: root)
#   ./scripts/bench.sh drift [seconds] [bpm] [rate]
#                                      # 3 pulse processes, d1's clock at [rate] (default 1.01, 1 % fast):
#                                      # what /drift reads on each node every 5 s (default 120 s at 600 BPM)
#   ./scripts/bench.sh heartbeat [seconds] [seed]
#                                      # the work-driven heartbeat in real time (default 180 s): a fixed poller,
#                                      # the previous design and AdaptivePoller at the same budget (20 polls per
#                                      # 6 s) on three job patterns at once; mean / p95 pickup, polls used
# Results: JMH JSON in backbeat-bench/target/jmh-result.json; the pulse figures are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -ntp -pl backbeat-bench -am package -DskipTests
if [ "${1:-}" = "soak" ]; then
  NATS_SERVER_BIN="$(scripts/ensure-nats.sh)"
  export NATS_SERVER_BIN
  shift
  java -cp backbeat-bench/target/benchmarks.jar io.backbeat.bench.PulseSoakHarness "$@" 2>&1 \
    | grep -E '^(soak|  |frames|failovers|client|data dir|logs)'
  exit 0
fi
if [ "${1:-}" = "drift" ]; then
  NATS_SERVER_BIN="$(scripts/ensure-nats.sh)"
  export NATS_SERVER_BIN
  shift
  java -cp backbeat-bench/target/benchmarks.jar io.backbeat.bench.DriftHarness "$@" 2>&1 | grep -E '^(drift|  )'
  exit 0
fi
if [ "${1:-}" = "chaos" ]; then
  NATS_SERVER_BIN="$(scripts/ensure-nats.sh)"
  export NATS_SERVER_BIN
  shift
  cp=backbeat-bench/target/benchmarks.jar
  java -cp "$cp" io.backbeat.bench.ChaosHarness "$@" 2>&1 | grep -E '^(chaos|  )'
  exit 0
fi
if [ "${1:-}" = "heartbeat" ]; then
  shift
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  java -cp backbeat-bench/target/benchmarks.jar io.backbeat.bench.HeartbeatHarness "$@" 2>&1 | grep -E '^heartbeat'
  exit 0
fi
if [ "${1:-}" = "pulse" ]; then
  NATS_SERVER_BIN="$(scripts/ensure-nats.sh)"
  export NATS_SERVER_BIN
  secs="${2:-60}"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  java -cp backbeat-bench/target/benchmarks.jar io.backbeat.bench.NatsFloorHarness "$secs" 2>&1 | grep -v '^SLF4J'
  # the harness runs a Ratis pulse: no --add-opens needed (only Atomix wants them)
  java -cp backbeat-bench/target/benchmarks.jar io.backbeat.bench.PulseJitterHarness "$secs" 120 2>&1 \
    | grep -E '^(pulse|leader) '
  exit 0
fi
exec java -jar backbeat-bench/target/benchmarks.jar "${1:-CoreBenchmarks}" -f 1 -wi 3 -w 1s -i 5 -r 1s \
  -rf json -rff backbeat-bench/target/jmh-result.json
