#!/usr/bin/env bash
# What idle client connections cost, and whether a proxy holding them still serves steady load
# without errors: for nginx as a reverse proxy (1 worker) and Turnout (1 event loop, a fixed heap),
# both in front of the same upstream nginx, it prints RSS at rest, RSS with IDLE keep-alive
# connections held open (each has had one answer), the cost per connection, then runs wrk beside
# them and prints req/s, p99, errors and RSS after the load. For Turnout it also reads the GC log:
# young and full collections and the longest pause.
#
#   mvn -B package -DskipTests          # once: this script builds nothing
#   benchmarks/idle-connections.sh
#
# Needs java (17+), wrk, nginx and taskset (Debian's `wrk`, `nginx`, `util-linux`), and an open-files
# limit above IDLE + 1000 for this shell (it raises the soft limit itself when the hard one allows).
#
# Settings (environment):
#   IDLE=10000        idle keep-alive connections held open to each proxy
#   DURATION=20s      the steady wrk run beside them (wrk -t1 -c32 --latency /1k)
#   HEAP=256m         Turnout's -Xms and -Xmx
#   JVM_OPTS extra JVM options for Turnout (GC choice, for instance)
#   PROXY_CPU=1 LOAD_CPU=0   the cores for the proxy under test, and for upstream, wrk and the client
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TURNOUT_JAR="$ROOT/proxy/target/turnout.jar"
BENCH_JAR="$ROOT/benchmarks/target/benchmarks.jar"
IDLE=${IDLE:-10000}
DURATION=${DURATION:-20s}
HEAP=${HEAP:-256m}
PROXY_CPU=${PROXY_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}

for jar in "$TURNOUT_JAR" "$BENCH_JAR"; do
    [[ -f "$jar" ]] || { echo "missing $jar: run 'mvn -B package -DskipTests' first" >&2; exit 1; }
done
for tool in java:openjdk-17-jre-headless wrk:wrk nginx:nginx taskset:util-linux; do
    command -v "${tool%%:*}" >/dev/null || { echo "${tool%%:*} not found: it is Debian's '${tool#*:}' package" >&2; exit 1; }
done
NEEDED_FILES=$((IDLE + 1000))
if (($(ulimit -n) < NEEDED_FILES)); then
    ulimit -n "$NEEDED_FILES" 2>/dev/null || {
        echo "the open-files limit ($(ulimit -n), hard $(ulimit -Hn)) is below $NEEDED_FILES; lower IDLE or raise it" >&2
        exit 1
    }
fi

# shellcheck source=benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
make_workdir idle
# shellcheck source=benchmarks/servers.sh
source "$(dirname "$0")/servers.sh"
NGINX_WORKER_CONNECTIONS=$((IDLE + 1000))
start_upstream "$LOAD_CPU"
start_nginx_proxy "$PROXY_CPU"
# -XX:MetaspaceSize as conf/turnout.service ships it: no full GC for class metadata after start-up.
JVM_OPTS="-Xms$HEAP -Xmx$HEAP -XX:MetaspaceSize=128m -Xlog:gc:file=$WORK/gc.log ${JVM_OPTS:-}"
start_turnout "$PROXY_CPU" "$TURNOUT_JAR" "limits.connections = $NEEDED_FILES" "timeouts.idle = 10m"

rss_kib() {
    local pid total=0
    for pid in "$@"; do
        total=$((total + $(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")))
    done
    echo "$total"
}

# full_gc NAME: for Turnout, a full collection (so that the heap read next is live data only) and a
# class histogram of what is live, saved as $WORK/turnout.histo-<when>.
full_gc() {
    [[ $1 == turnout ]] || return 0
    jcmd "$TURNOUT_PID" GC.class_histogram >"$WORK/turnout.histo-$2" 2>/dev/null || true
}

# heap_after_gc: Turnout's heap in MiB after its latest collection (0 before the first, or for nginx).
heap_after_gc() {
    { grep -oE '[0-9]+M->[0-9]+M' "$WORK/gc.log" 2>/dev/null || true; } | tail -n 1 | sed -E 's/.*->([0-9]+)M/\1/; s/^$/0/'
}

# measure NAME PORT PIDS...: the whole sequence against one proxy; results in $WORK/NAME.*
measure() {
    local name=$1 port=$2 client
    shift 2
    # Warm up first (Turnout's JIT, both proxies' buffers), so "at rest" means after real work.
    taskset -c "$LOAD_CPU" wrk -t1 -c32 -d5s "http://127.0.0.1:$port/1k" >/dev/null
    rss_kib "$@" >"$WORK/$name.rest"
    full_gc "$name" rest
    heap_after_gc >"$WORK/$name.heap-rest"
    mkfifo "$WORK/$name.hold"
    taskset -c "$LOAD_CPU" java -Xss256k -cp "$BENCH_JAR" dev.turnout.bench.IdleConnections 127.0.0.1 "$port" "$IDLE" /1k \
        <"$WORK/$name.hold" >"$WORK/$name.client" 2>&1 &
    client=$!
    PIDS+=("$client")
    exec 4>"$WORK/$name.hold" # the client holds its connections until this closes
    local deadline=$((SECONDS + 300))
    until grep -q '^holding' "$WORK/$name.client"; do
        kill -0 "$client" 2>/dev/null && ((SECONDS < deadline)) || {
            echo "the client did not get its $IDLE connections:" >&2
            cat "$WORK/$name.client" >&2
            return 1
        }
        sleep 0.2
    done
    rss_kib "$@" >"$WORK/$name.idle"
    # Unmeasured: the first collections after the connections opened copy them all to the old
    # generation (tens of ms each, once); the measured run is the steady state that follows.
    taskset -c "$LOAD_CPU" wrk -t1 -c32 -d5s "http://127.0.0.1:$port/1k" >/dev/null
    full_gc "$name" idle
    heap_after_gc >"$WORK/$name.heap-idle"
    grep -c 'Pause Young' "$WORK/gc.log" >"$WORK/$name.gc-before" 2>/dev/null || true
    taskset -c "$LOAD_CPU" wrk -t1 -c32 -d"$DURATION" --latency "http://127.0.0.1:$port/1k" >"$WORK/$name.wrk"
    rss_kib "$@" >"$WORK/$name.loaded"
    exec 4>&-
    wait "$client"
}

echo "nginx: $IDLE idle connections, then wrk for $DURATION beside them" >&2
measure nginx "$NGINX_PORT" "$NGINX_MASTER" "${NGINX_WORKERS[@]}"
echo "Turnout: $IDLE idle connections, then wrk for $DURATION beside them" >&2
measure turnout "$TURNOUT_PORT" "$TURNOUT_PID"

echo "$IDLE idle keep-alive connections per proxy (each answered once), then wrk -t1 -c32 -d$DURATION /1k beside them;" \
    "proxies on CPU $PROXY_CPU, upstream + wrk + client on CPU $LOAD_CPU; Turnout -Xms$HEAP -Xmx$HEAP;" \
    "$(nginx -v 2>&1 | sed 's/^nginx version: //'), $(java -version 2>&1 | head -n 1)"
printf '%-8s %12s %12s %10s %14s %10s %8s %7s\n' proxy "RSS rest MiB" "RSS idle MiB" "KiB/conn" "RSS loaded MiB" req/s "p99 ms" errors
for name in nginx turnout; do
    awk -v name="$name" -v idle_count="$IDLE" -v rest="$(cat "$WORK/$name.rest")" -v idle="$(cat "$WORK/$name.idle")" \
        -v loaded="$(cat "$WORK/$name.loaded")" -v rps="$(wrk_figure "$WORK/$name.wrk" rps)" -v p99="$(wrk_figure "$WORK/$name.wrk" p99)" \
        -v errors="$(wrk_figure "$WORK/$name.wrk" errors)" 'BEGIN {
            printf "%-8s %12.1f %12.1f %10.1f %14.1f %10.0f %8.2f %7d\n", name, rest / 1024, idle / 1024,
                (idle - rest) / idle_count, loaded / 1024, rps, p99, errors
        }'
done
awk '
    /Pause Young/ { young++; v = $NF; sub(/ms$/, "", v); if (v + 0 > max) max = v + 0 }
    /Pause Young/ && ++seen > young_before { steady++; if (v + 0 > steady_max) steady_max = v + 0 }
    /Pause Full/ { full++; fulls = fulls "  " $0 "\n" }
    END {
        printf "Turnout GC over the whole run: %d young collections, %d full, longest pause %.1f ms\n", young, full, max
        printf "  during the measured run beside the idle connections: %d young, longest %.1f ms\n", steady, steady_max
        printf "%s", fulls
    }
' young_before="$(cat "$WORK/turnout.gc-before")" "$WORK/gc.log"
awk -v rest="$(cat "$WORK/turnout.heap-rest")" -v idle="$(cat "$WORK/turnout.heap-idle")" -v n="$IDLE" 'BEGIN {
    printf "Turnout heap after a full GC: %d MiB at rest, %d MiB holding the idle connections: %.1f KiB each\n", rest, idle,
        (idle - rest) * 1024 / n
}'
# What the idle connections hold, by class: the live instances and bytes added (top 25).
awk 'FNR == 1 { file++ } /^ *[0-9]+:/ { key = $4; if (file == 1) { n0[key] = $2; b0[key] = $3 } else { n1[key] = $2; b1[key] = $3 } }
    END { for (k in b1) { d = b1[k] - b0[k]; if (d > 0) printf "%12d %10d  %s\n", d, n1[k] - n0[k], k } }' \
    "$WORK/turnout.histo-rest" "$WORK/turnout.histo-idle" | sort -rn | head -n 25 >"$WORK/turnout.histo-diff" || true
if [[ -s "$WORK/turnout.histo-diff" ]]; then
    echo "Live bytes and instances added by the idle connections, by class (class_histogram after a full GC):"
    cat "$WORK/turnout.histo-diff"
fi
