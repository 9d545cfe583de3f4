#!/usr/bin/env bash
# Turnout against nginx as a reverse proxy, both in front of the same upstream nginx, on the same
# pinned core. For a 1 KiB and a 64 KiB body it runs wrk directly against the upstream, through an
# nginx proxy (1 worker) and through Turnout (1 event loop), in alternating rounds, and prints the
# medians of req/s, p50, p99, errors and the proxy's CPU time per request.
#
#   mvn -B package -DskipTests          # once: this script builds nothing
#   benchmarks/compare.sh
#
# Needs java (17+), wrk (Debian's `wrk`), nginx (Debian's `nginx`) and taskset (util-linux) on the
# PATH, and at least 2 cores. This script installs nothing. It never touches the system nginx
# service: it runs private nginx instances whose config, pid file, error log and temp paths all
# live in a temp directory. All traffic stays on 127.0.0.1, every process it starts is stopped on
# exit (trap), and each wrk run is bounded by its duration.
#
# Pinning: the proxy under test (nginx master + worker, or Turnout's JVM) runs on CPU 1; the
# upstream nginx and wrk run on CPU 0. CPU time is utime+stime from /proc/<pid>/stat, read before
# and after each run: the JVM (all its threads) for Turnout, the worker process(es) for nginx.
#
# Settings (environment):
#   ROUNDS=5          alternating rounds of all targets per body size; medians are printed
#   DURATION=5s       each measured wrk run (wrk -d)
#   CONNECTIONS=32    wrk -c
#   THREADS=1         wrk -t
#   WARMUP=10s        unmeasured wrk run through Turnout per body size before any counting (JIT)
#   WARMUP_RUNS=3     that many warm-up runs per body size, each with new connections: the JIT then
#                     compiles the paths a run's end takes too (clients closing with requests in flight),
#                     instead of deoptimizing the hot path at the first measured round's boundary
#   PROXY_CPU=1 LOAD_CPU=0   the cores for the proxy under test, and for upstream + wrk
#   JVM_OPTS=""       extra JVM options for Turnout (not TURNOUT_*: Turnout reads those as config keys)
#   VERBOSE=0         "1" prints every run's numbers
#   NGINX_BUFFERS=tuned   nginx proxy buffers that hold the 64 KiB answer (proxy_buffer_size 16k;
#                     proxy_buffers 8 64k), as an operator sizes them; "default" keeps nginx's own
#   ACCESS_LOG=off    "on": both proxies write an access log to a file (nginx's combined format;
#                     Turnout's text line written by itself: turnout.access-log.file)
#   RELAY=off         "on": a further target, relay, a bare byte relay on Netty's epoll transport with one
#                     event loop on the proxy's core (dev.turnout.bench.NettyRelay in benchmarks.jar): the
#                     transport's floor, what Turnout costs before any HTTP work
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export NGINX_BUFFERS=${NGINX_BUFFERS:-tuned} ACCESS_LOG=${ACCESS_LOG:-off}
TURNOUT_JAR="$ROOT/proxy/target/turnout.jar"
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
WARMUP=${WARMUP:-10s}
WARMUP_RUNS=${WARMUP_RUNS:-3}
PROXY_CPU=${PROXY_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
TARGETS=(direct nginx turnout)
RELAY=${RELAY:-off}
BENCH_JAR="$ROOT/benchmarks/target/benchmarks.jar"
[[ "$RELAY" == on ]] && TARGETS+=(relay)
SIZES=(1k 64k)

[[ -f "$TURNOUT_JAR" ]] || { echo "missing $TURNOUT_JAR: run 'mvn -B package -DskipTests' first" >&2; exit 1; }
[[ "$RELAY" != on || -f "$BENCH_JAR" ]] || { echo "missing $BENCH_JAR: run 'mvn -B package -DskipTests' first" >&2; exit 1; }
for tool in java:openjdk-17-jre-headless wrk:wrk nginx:nginx taskset:util-linux; do
    command -v "${tool%%:*}" >/dev/null || { echo "${tool%%:*} not found: it is Debian's '${tool#*:}' package" >&2; exit 1; }
done
(($(nproc) >= 2)) || { echo "needs at least 2 cores (proxy on CPU $PROXY_CPU, load on CPU $LOAD_CPU)" >&2; exit 1; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# shellcheck source=benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
make_workdir compare

# shellcheck source=benchmarks/servers.sh
source "$(dirname "$0")/servers.sh"
start_upstream "$LOAD_CPU"
start_nginx_proxy "$PROXY_CPU"
start_turnout "$PROXY_CPU" "$TURNOUT_JAR"

declare -A PORT=([direct]=$UPSTREAM_PORT [nginx]=$NGINX_PORT [turnout]=$TURNOUT_PORT)
if [[ "$RELAY" == on ]]; then
    (exec taskset -c "$PROXY_CPU" java -cp "$BENCH_JAR" dev.turnout.bench.NettyRelay "$UPSTREAM_PORT") \
        >"$WORK/relay.log" 2>&1 &
    PIDS+=($!)
    RELAY_PID=$!
    PORT[relay]=$(wait_for_line "$WORK/relay.log" 'listening on http://127\.0\.0\.1:([0-9]+)' "$RELAY_PID")
fi
for target in "${TARGETS[@]}"; do
    for size in "${SIZES[@]}"; do
        status=$(probe "${PORT[$target]}" "/$size")
        [[ "$status" == "HTTP/1.1 200"* ]] || { echo "$target /$size answered '$status', not 200" >&2; exit 1; }
    done
done

# --- measure ---------------------------------------------------------------------------------------
# the processes whose CPU is charged to a target: the proxy, or for direct the upstream worker
cpu_pids() {
    case $1 in
        direct) echo "${UPSTREAM_WORKERS[@]}" ;;
        nginx) echo "${NGINX_WORKERS[@]}" ;;
        turnout) echo "$TURNOUT_PID" ;;
        relay) echo "$RELAY_PID" ;;
    esac
}
# run NAME TARGET SIZE: one measured run, wrk output in $WORK/NAME.txt, CPU ticks in $WORK/NAME.cpu,
# and how busy the proxy's core and the load core were, in percent, in $WORK/NAME.busy.
run() {
    local before after proxy_before load_before proxy_after load_after
    # shellcheck disable=SC2046 # a list of pids
    before=$(cpu_ticks $(cpu_pids "$2"))
    proxy_before=$(core_ticks "$PROXY_CPU") load_before=$(core_ticks "$LOAD_CPU")
    wrk_bg -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:${PORT[$2]}/$3" >"$WORK/$1.txt"
    # shellcheck disable=SC2046
    after=$(cpu_ticks $(cpu_pids "$2"))
    proxy_after=$(core_ticks "$PROXY_CPU") load_after=$(core_ticks "$LOAD_CPU")
    echo $((after - before)) >"$WORK/$1.cpu"
    awk -v pb="$proxy_before" -v pa="$proxy_after" -v lb="$load_before" -v la="$load_after" 'BEGIN {
        split(pb, p0, " "); split(pa, p1, " "); split(lb, l0, " "); split(la, l1, " ")
        printf "%.0f %.0f\n", 100 * (p1[1] - p0[1]) / (p1[2] - p0[2]), 100 * (l1[1] - l0[1]) / (l1[2] - l0[2])
    }' >"$WORK/$1.busy"
}

# field NAME WHAT: rps, p50/p99 (ms), errors (socket errors + non-2xx/3xx), cpu (µs per request),
# proxy-core/load-core (percent busy).
field() {
    case $2 in
        proxy-core) cut -d' ' -f1 "$WORK/$1.busy" ;;
        load-core) cut -d' ' -f2 "$WORK/$1.busy" ;;
        cpu) cpu_per_request "$1" ;;
        *) wrk_figure "$WORK/$1.txt" "$2" ;;
    esac
}
# paired_p99_ratio SIZE: the median over rounds of Turnout's p99 / nginx's p99 in the same round; the
# machine drifts between rounds, and the two runs of one round are the closest pair there is.
paired_p99_ratio() {
    local round
    for ((round = 1; round <= ROUNDS; round++)); do
        awk -v t="$(field "$1.turnout.$round" p99)" -v n="$(field "$1.nginx.$round" p99)" 'BEGIN { print t / n }'
    done | median_of
}

echo "warming Turnout's JVM: $WARMUP_RUNS runs of $WARMUP of wrk per body size" >&2
for ((run = 1; run <= WARMUP_RUNS; run++)); do
    for size in "${SIZES[@]}"; do
        wrk_bg -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "http://127.0.0.1:$TURNOUT_PORT/$size" >/dev/null
        [[ "$RELAY" == on ]] && wrk_bg -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "http://127.0.0.1:${PORT[relay]}/$size" >/dev/null
    done
done

for size in "${SIZES[@]}"; do
    for ((round = 1; round <= ROUNDS; round++)); do
        # rotate the order each round, so no target always runs first or last
        for ((i = 0; i < ${#TARGETS[@]}; i++)); do
            target=${TARGETS[$(((i + round - 1) % ${#TARGETS[@]}))]}
            echo "size $size round $round/$ROUNDS: $target" >&2
            run "$size.$target.$round" "$target" "$size"
            if [[ "${VERBOSE:-0}" == "1" ]]; then
                printf '  %s %s #%d: %s req/s, p50 %s ms, p99 %s ms, %s errors, %s us/req\n' "$size" "$target" \
                    "$round" "$(field "$size.$target.$round" rps)" "$(field "$size.$target.$round" p50)" \
                    "$(field "$size.$target.$round" p99)" "$(field "$size.$target.$round" errors)" \
                    "$(field "$size.$target.$round" cpu)" >&2
            fi
        done
    done
done

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, medians of $ROUNDS alternating rounds, $(nproc) cores;" \
    "proxies on CPU $PROXY_CPU (nginx 1 worker, Turnout io-threads 1), upstream nginx + wrk on CPU $LOAD_CPU;" \
    "Turnout warmed $WARMUP_RUNS × $WARMUP per size; nginx proxy buffers $NGINX_BUFFERS; access logs $ACCESS_LOG;" \
    "$(nginx -v 2>&1 | sed 's/^nginx version: //'), $(java -version 2>&1 | head -n 1)"
printf '%-5s %-8s %10s %9s %9s %7s %12s %11s %10s\n' size target req/s "p50 ms" "p99 ms" errors "CPU us/req" \
    "proxy core" "load core"
for size in "${SIZES[@]}"; do
    for target in "${TARGETS[@]}"; do
        printf '%-5s %-8s %10.0f %9.3f %9.3f %7.0f %12.1f %10.0f%% %9.0f%%\n' "$size" "$target" \
            "$(median "$target" "$size" rps)" "$(median "$target" "$size" p50)" "$(median "$target" "$size" p99)" \
            "$(median "$target" "$size" errors)" "$(median "$target" "$size" cpu)" \
            "$(median "$target" "$size" proxy-core)" "$(median "$target" "$size" load-core)"
    done
done
echo "(CPU us/req: the proxy's CPU per request; for direct, the upstream nginx worker's. proxy core / load core:"
echo " how busy CPU $PROXY_CPU and CPU $LOAD_CPU were; the one near 100% is the bottleneck of that run)"
for size in "${SIZES[@]}"; do
    awk -v size="$size" -v dr="$(median direct "$size" rps)" -v nr="$(median nginx "$size" rps)" \
        -v tr="$(median turnout "$size" rps)" -v nc="$(median nginx "$size" cpu)" \
        -v tc="$(median turnout "$size" cpu)" -v np="$(median nginx "$size" p99)" \
        -v tp="$(median turnout "$size" p99)" -v pp="$(paired_p99_ratio "$size")" 'BEGIN {
            printf "%-5s Turnout/nginx: req/s %.2f, CPU/req %.2f, p99 %.2f (same-round pairs %.2f)" \
                "   nginx/direct req/s %.2f   Turnout/direct req/s %.2f\n", size, tr / nr, tc / nc, tp / np, pp, nr / dr, tr / dr
        }'
done
if [[ "$RELAY" == on ]]; then
    for size in "${SIZES[@]}"; do
        awk -v size="$size" -v nc="$(median nginx "$size" cpu)" -v tc="$(median turnout "$size" cpu)" \
            -v rc="$(median relay "$size" cpu)" 'BEGIN {
                printf "%-5s relay/nginx CPU/req %.2f; Turnout above the relay %.1f us/req (its HTTP work)\n", size, rc / nc, tc - rc
            }'
    done
fi
