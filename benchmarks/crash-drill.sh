#!/usr/bin/env bash
# A backend crash under load, staged as an operator would and as the deploy harness does: Turnout's
# jar with a configuration that names three backends and a route and nothing else (no health check,
# every resilience key at its default), three application servers in processes of their own that
# answer after 5-50 ms, paced GETs over keep-alive connections, and one backend SIGKILLed halfway.
# Each run prints the requests sent, those that failed (an answer other than 200, or a kept-alive
# connection closed before its answer, which a client would have to resend), the requests in
# flight on the killed backend just before the kill (Turnout's count), and Turnout's retries by
# reason. Exits 0 when no run failed a request.
#
#   mvn -B package -DskipTests          # once: this script builds nothing
#   benchmarks/crash-drill.sh
#
# Needs only java (17+).
#
# Settings (environment):
#   RUNS=5            runs, each with fresh processes
#   RATE=400          requests per second in all
#   CONNECTIONS=32    keep-alive connections sharing that rate
#   BEFORE=5 AFTER=10 seconds of load before the kill, and after it
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TURNOUT_JAR="$ROOT/proxy/target/turnout.jar"
BENCH_JAR="$ROOT/benchmarks/target/benchmarks.jar"
for jar in "$TURNOUT_JAR" "$BENCH_JAR"; do
    [[ -f "$jar" ]] || { echo "missing $jar: run 'mvn -B package -DskipTests' first" >&2; exit 1; }
done
exec java -cp "$BENCH_JAR" dev.turnout.bench.CrashDrill "$TURNOUT_JAR" "${RUNS:-5}" "${RATE:-400}" \
    "${CONNECTIONS:-32}" "${BEFORE:-5}" "${AFTER:-10}"
