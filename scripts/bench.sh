#!/usr/bin/env bash
# JMH benchmarks of the pure core (HLC, window id, timeline, codec). The whole set takes ~2 minutes.
#   ./scripts/bench.sh                 # everything
#   ./scripts/bench.sh 'frame.*'       # a regex of benchmark names
# Results: backbeat-bench/target/jmh-result.json
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -ntp -pl backbeat-bench -am package -DskipTests
exec java -jar backbeat-bench/target/benchmarks.jar "${1:-CoreBenchmarks}" -f 1 -wi 3 -w 1s -i 5 -r 1s \
  -rf json -rff backbeat-bench/target/jmh-result.json
