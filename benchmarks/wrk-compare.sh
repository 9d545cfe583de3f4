#!/usr/bin/env bash
# Throughput and latency of a fixed 1 KiB backend, measured with wrk directly, through Turnout,
# through a second Turnout with metrics off (turnout.metrics.enabled = false: the cost of counting),
# and through Turnout's cache (the same answer with Cache-Control: max-age, served as cache hits).
#
#   mvn -B package -DskipTests          # once: this script builds nothing
#   benchmarks/wrk-compare.sh
#
# Needs java (17+) and wrk on the PATH; wrk comes from Debian's `wrk` package (apt-get install wrk).
# This script installs nothing. All traffic stays on 127.0.0.1, every process it starts is stopped
# on exit (trap), and each wrk run is bounded by its duration.
#
# Settings (environment):
#   WRK_THREADS=2 WRK_CONNECTIONS=50 WRK_DURATION=10s   the measured runs (wrk -t -c -d)
#   WRK_WARMUP=3s                                       an unmeasured run before each, for the JIT
#   BACKEND_THREADS=1                                   event loops of the fixed backend
#   JVM_OPTS=""                                         extra JVM options for the proxy
#   ACCESS_LOG=off                                      "on" keeps Turnout's per-request access log
#   ROUNDS=1                                            rounds of all targets in turn; medians are printed,
#                                                       and with several rounds each round's hit/proxied
# On a 2-core machine wrk, the backend and the proxy share the cores: read the ratio as "cost of
# the extra hop on this machine", not as the proxy's capacity. The CPU column is the CPU time (user +
# system, all threads) of the process that answers, per request: the backend for direct, Turnout for
# the others; it moves less with the machine's load than req/s does.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TURNOUT_JAR="$ROOT/proxy/target/turnout.jar"
BENCH_JAR="$ROOT/benchmarks/target/benchmarks.jar"
THREADS=${WRK_THREADS:-2}
CONNECTIONS=${WRK_CONNECTIONS:-50}
DURATION=${WRK_DURATION:-10s}
WARMUP=${WRK_WARMUP:-3s}
BACKEND_THREADS=${BACKEND_THREADS:-1}
ACCESS_LOG=${ACCESS_LOG:-off}
ROUNDS=${ROUNDS:-1}
TARGETS=(direct proxied nometrics cached)

for jar in "$TURNOUT_JAR" "$BENCH_JAR"; do
    [[ -f "$jar" ]] || { echo "missing $jar: run 'mvn -B package -DskipTests' first" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk not found: it is Debian's 'wrk' package" >&2; exit 1; }
command -v java >/dev/null || { echo "java not found" >&2; exit 1; }

# shellcheck source=benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
make_workdir wrk-compare

# --- the backend -------------------------------------------------------------------------------
java -cp "$BENCH_JAR" dev.turnout.bench.FixedResponseServer 0 "$BACKEND_THREADS" >"$WORK/backend.log" 2>&1 &
PIDS+=($!)
BACKEND_PID=$!
BACKEND_PORT=$(wait_for_line "$WORK/backend.log" 'listening on 127\.0\.0\.1:([0-9]+)' "${PIDS[-1]}")

# --- Turnout in front of it ----------------------------------------------------------------------
cat >"$WORK/turnout.conf" <<EOF
turnout {
  listen = "127.0.0.1:0"
  admin.listen = "127.0.0.1:0"
  pools { app { backends = [ { id = fixed, address = "127.0.0.1:$BACKEND_PORT", weight = 1 } ] } }
  routes = [ { name = all, host = "*", path-prefix = "/", split { app = 100 } } ]
  shutdown.grace = 2s
}
EOF
LOGBACK_OPTS=()
if [[ "$ACCESS_LOG" != "on" ]]; then
    write_quiet_logback "$WORK/logback.xml"
    LOGBACK_OPTS=("-Dlogback.configurationFile=$WORK/logback.xml")
fi
# start_turnout NAME [JAVA OPTION...]: starts a Turnout in front of the backend, logging to
# $WORK/NAME.log. Not in a command substitution: its PID must reach this shell's PIDS to be stopped.
start_turnout() {
    local name=$1
    shift
    mkdir -p "$WORK/$name"
    # shellcheck disable=SC2086 # JVM_OPTS is a list of options
    (cd "$WORK/$name" && exec java ${JVM_OPTS:-} "$@" "${LOGBACK_OPTS[@]}" -jar "$TURNOUT_JAR" \
        --config "$WORK/turnout.conf") >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
}
start_turnout turnout
PROXY_PID=${PIDS[-1]}
PROXY_PORT=$(wait_for_line "$WORK/turnout.log" 'listening on http://127\.0\.0\.1:([0-9]+)' "$PROXY_PID")
start_turnout nometrics -Dturnout.metrics.enabled=false
NOMETRICS_PID=${PIDS[-1]}
NOMETRICS_PORT=$(wait_for_line "$WORK/nometrics.log" 'listening on http://127\.0\.0\.1:([0-9]+)' "$NOMETRICS_PID")
TICK_US=$((1000000 / $(getconf CLK_TCK)))

for port in "$BACKEND_PORT" "$PROXY_PORT" "$NOMETRICS_PORT"; do
    status=$(probe "$port")
    [[ "$status" == "HTTP/1.1 200"* ]] || { echo "127.0.0.1:$port answered '$status', not 200" >&2; exit 1; }
done

# --- measure -------------------------------------------------------------------------------------
# run_wrk NAME PID PORT [PATH]: warm-up run, then the measured run, saved as $WORK/NAME.txt, with the CPU
# ticks of process PID (the one that answers) during it in $WORK/NAME.cpu. wrk runs in the background
# and is waited for, so a signal to this script stops it at once (the trap kills it).
run_wrk() {
    local before
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "http://127.0.0.1:$3${4:-/}" >/dev/null &
    PIDS+=($!)
    wait "$!"
    before=$(cpu_ticks "$2")
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$3${4:-/}" >"$WORK/$1.txt" &
    PIDS+=($!)
    wait "$!"
    echo $(($(cpu_ticks "$2") - before)) >"$WORK/$1.cpu"
}
for ((round = 1; round <= ROUNDS; round++)); do
    run_wrk "direct.$round" "$BACKEND_PID" "$BACKEND_PORT"
    run_wrk "proxied.$round" "$PROXY_PID" "$PROXY_PORT"
    run_wrk "nometrics.$round" "$NOMETRICS_PID" "$NOMETRICS_PORT"
    # The same body with Cache-Control: max-age=3600: after the first request, Turnout answers from its cache.
    run_wrk "cached.$round" "$PROXY_PID" "$PROXY_PORT" /cached
done

errors() {
    grep -E 'Socket errors|Non-2xx' "$1" | sed 's/^ *//' | paste -sd ';' - || true
}
# median TARGET WHAT: the median of wrk_figure WHAT (or cpu, CPU µs per request) over the rounds of TARGET.
median() {
    local round
    for ((round = 1; round <= ROUNDS; round++)); do
        if [[ "$2" == cpu ]]; then
            cpu_per_request "$1.$round"
        else
            wrk_figure "$WORK/$1.$round.txt" "$2"
        fi
    done | median_of
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION (after a $WARMUP warm-up), 1 KiB body, $(nproc) cores," \
    "Turnout access log $ACCESS_LOG, median of $ROUNDS round(s)"
printf '%-9s %12s %12s %12s %12s  %s\n' "target" "req/s" "p50 (ms)" "p99 (ms)" "CPU µs/req" "errors"
for name in "${TARGETS[@]}"; do
    printf '%-9s %12.0f %12.3f %12.3f %12.1f  %s\n' "$name" "$(median "$name" rps)" \
        "$(median "$name" p50)" "$(median "$name" p99)" "$(median "$name" cpu)" "$(errors "$WORK/$name.$ROUNDS.txt")"
done
awk -v dr="$(median direct rps)" -v pr="$(median proxied rps)" \
    -v d50="$(median direct p50)" -v p50="$(median proxied p50)" \
    -v d99="$(median direct p99)" -v p99="$(median proxied p99)" 'BEGIN {
        printf "ratio     proxied/direct: req/s %.2f, p50 %.2fx, p99 %.2fx\n", pr / dr, p50 / d50, p99 / d99
    }'
awk -v pr="$(median proxied rps)" -v nr="$(median nometrics rps)" 'BEGIN {
        printf "ratio     metrics on/off: req/s %.3f\n", pr / nr
    }'
awk -v pr="$(median proxied rps)" -v cr="$(median cached rps)" \
    -v pc="$(median proxied cpu)" -v cc="$(median cached cpu)" 'BEGIN {
        printf "ratio     cache hit/proxied: req/s %.2f, Turnout CPU per request %.2f\n", cr / pr, cc / pc
    }'
if ((ROUNDS > 1)); then
    # Rounds differ with the machine's load; same-round ratios compare targets measured minutes apart.
    for ((round = 1; round <= ROUNDS; round++)); do
        awk -v r="$round" -v pr="$(wrk_figure "$WORK/proxied.$round.txt" rps)" \
            -v cr="$(wrk_figure "$WORK/cached.$round.txt" rps)" -v pc="$(cpu_per_request "proxied.$round")" \
            -v cc="$(cpu_per_request "cached.$round")" 'BEGIN {
                printf "round %d   proxied %.0f, cache hit %.0f req/s: hit/proxied %.2f; Turnout CPU %.1f and %.1f µs/req\n",
                    r, pr, cr, cr / pr, pc, cc
            }'
    done
fi
if [[ "${WRK_VERBOSE:-}" == "1" ]]; then
    for name in "${TARGETS[@]}"; do
        echo "--- wrk output: $name, last round"
        cat "$WORK/$name.$ROUNDS.txt"
    done
fi
