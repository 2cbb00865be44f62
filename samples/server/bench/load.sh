#!/usr/bin/env bash
# Load figures for samples/server with wrk over loopback, beside the same calls made in-process.
#
#   samples/server/bench/load.sh [SECONDS]      (default 20 s a run; needs wrk: apt-get install wrk)
#
# Builds the server, publishes the 16->32->4 MLP and MiniLM-L6-v2-q into a fresh registry, starts
# ServerMain on port 8123 and runs wrk against it (JSON and binary bodies), then LoadBench's
# in-process loop on the same registry. Not part of the test suite: the figures are the README's.
set -euo pipefail
cd "$(dirname "$0")/../../.."
SECONDS_PER_RUN=${1:-20}
command -v wrk >/dev/null || { echo "load.sh needs wrk (Debian: apt-get install wrk)" >&2; exit 2; }
./mvnw -B -q install -DskipTests -pl samples/server -am
CP_FILE=$(mktemp)
./mvnw -B -q -pl samples/server dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE"
CP="samples/server/target/classes:samples/server/target/test-classes:$(cat "$CP_FILE")"
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK" "$CP_FILE"' EXIT
java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" dev.swell.samples.server.LoadBench setup "$WORK"
SWELL_REQUEST_LOG=0 java -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" \
  dev.swell.samples.server.ServerMain "$WORK/registry" 8123 &
SERVER=$!
for _ in $(seq 1 120); do
  if (exec 3<>/dev/tcp/127.0.0.1/8123) 2>/dev/null; then break; fi
  sleep 0.5
done
URL=http://127.0.0.1:8123/v2/models
LUA=samples/server/bench/post.lua
run() { # name, wrk options, model, body file [header file]
  local name=$1 opts=$2 model=$3; shift 3
  wrk $opts -d5s -s $LUA "$URL/$model/infer" -- "$@" >/dev/null   # warm-up
  echo "== $name: wrk $opts -d${SECONDS_PER_RUN}s"
  wrk $opts -d${SECONDS_PER_RUN}s --latency -s $LUA "$URL/$model/infer" -- "$@" \
    | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx|Socket errors"
}
run "MLP JSON, 64 connections" "-t2 -c64" mlp "$WORK/mlp.json"
run "MLP binary, 64 connections" "-t2 -c64" mlp "$WORK/mlp.bin" "$WORK/mlp.bin.header"
run "MLP JSON, 1 connection" "-t1 -c1" mlp "$WORK/mlp.json"
run "MiniLM s128 JSON, 1 connection" "-t1 -c1" minilm "$WORK/minilm.json"
run "MiniLM s128 binary, 1 connection" "-t1 -c1" minilm "$WORK/minilm.bin" "$WORK/minilm.bin.header"
run "MiniLM s128 binary, 8 connections" "-t1 -c8" minilm "$WORK/minilm.bin" "$WORK/minilm.bin.header"
kill $SERVER; wait $SERVER 2>/dev/null || true
echo "== in-process, the same registry and inputs"
java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" dev.swell.samples.server.LoadBench paired "$WORK" minilm 300
java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" dev.swell.samples.server.LoadBench paired "$WORK" mlp 5000
for spec in "mlp 2" "mlp 1" "minilm 1" "minilm 2"; do
  java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" dev.swell.samples.server.LoadBench inprocess "$WORK" \
    $spec "$SECONDS_PER_RUN"
done
