#!/usr/bin/env bash
# Configuration reloads under load: wrk keeps keep-alive connections busy through Turnout while the
# configuration file is rewritten and reloaded (POST /api/v1/config/reload) every INTERVAL, alternating
# between two versions (a route and a pool added and removed, a weight and a timeout changed). Prints
# wrk's requests and errors (socket errors and answers other than 2xx/3xx) and how many reloads succeeded.
#
#   mvn -B package -DskipTests          # once: this script builds nothing
#   benchmarks/reload-drill.sh
#
# Needs java (17+), wrk and curl on the PATH. Everything stays on 127.0.0.1, every process it starts is
# stopped on exit (trap), and the run is bounded by its duration.
#
# Settings (environment):
#   WRK_THREADS=2 WRK_CONNECTIONS=64 WRK_DURATION=20s   the load (wrk -t -c -d)
#   INTERVAL=1                                          seconds between two reloads
# wrk's timeout is 10 s (its default, 2 s, counts a request that a busy 2-core machine answers late as an
# error; here an error must be an answer that failed or a connection that broke).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TURNOUT_JAR="$ROOT/proxy/target/turnout.jar"
BENCH_JAR="$ROOT/benchmarks/target/benchmarks.jar"
THREADS=${WRK_THREADS:-2}
CONNECTIONS=${WRK_CONNECTIONS:-64}
DURATION=${WRK_DURATION:-20s}
INTERVAL=${INTERVAL:-1}

for jar in "$TURNOUT_JAR" "$BENCH_JAR"; do
    [[ -f "$jar" ]] || { echo "missing $jar: run 'mvn -B package -DskipTests' first" >&2; exit 1; }
done
for tool in java wrk curl; do
    command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 1; }
done

# shellcheck source=benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
make_workdir reload-drill

for name in a b; do
    java -cp "$BENCH_JAR" dev.turnout.bench.FixedResponseServer 0 1 >"$WORK/backend-$name.log" 2>&1 &
    PIDS+=($!)
done
PORT_A=$(wait_for_line "$WORK/backend-a.log" 'listening on 127\.0\.0\.1:([0-9]+)' "${PIDS[0]}")
PORT_B=$(wait_for_line "$WORK/backend-b.log" 'listening on 127\.0\.0\.1:([0-9]+)' "${PIDS[1]}")

# write_config VERSION: 1 is one pool behind one route; 2 adds a pool and a route, and changes a weight
# and a timeout.
write_config() {
    local pools routes extra=""
    if [[ "$1" == 1 ]]; then
        pools="app { backends = [ { id = a, address = \"127.0.0.1:$PORT_A\" }, { id = b, address = \"127.0.0.1:$PORT_B\" } ] }"
        routes="{ name = all, split { app = 100 } }"
    else
        pools="app { backends = [ { id = a, address = \"127.0.0.1:$PORT_A\", weight = 2 }, { id = b, address = \"127.0.0.1:$PORT_B\" } ] }
    extra { backends = [ { id = b, address = \"127.0.0.1:$PORT_B\" } ] }"
        routes="{ name = extra, path-prefix = \"/extra\", split { extra = 100 } }, { name = all, split { app = 100 } }"
        extra="timeouts.request = 20s"
    fi
    cat >"$WORK/turnout.conf" <<EOF
turnout {
  listen = "127.0.0.1:0"
  admin.listen = "127.0.0.1:0"
  state-file = ""
  pools {
    $pools
  }
  routes = [ $routes ]
  $extra
  shutdown.grace = 2s
}
EOF
}

write_config 1
write_quiet_logback "$WORK/logback.xml"
(cd "$WORK" && exec java "-Dlogback.configurationFile=$WORK/logback.xml" -jar "$TURNOUT_JAR" \
    --config "$WORK/turnout.conf") >"$WORK/turnout.log" 2>&1 &
PIDS+=($!)
PROXY_PORT=$(wait_for_line "$WORK/turnout.log" 'data plane listening on http://127\.0\.0\.1:([0-9]+)' "${PIDS[-1]}")
ADMIN_PORT=$(wait_for_line "$WORK/turnout.log" 'admin API listening on http://127\.0\.0\.1:([0-9]+)' "${PIDS[-1]}")

wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency "http://127.0.0.1:$PROXY_PORT/" >"$WORK/wrk.txt" &
WRK=$!
PIDS+=($WRK)
reloads=0
refused=0
version=1
while kill -0 "$WRK" 2>/dev/null; do
    sleep "$INTERVAL"
    version=$((3 - version))
    write_config "$version"
    status=$(curl -s -o "$WORK/reload.json" -w '%{http_code}' -X POST "http://127.0.0.1:$ADMIN_PORT/api/v1/config/reload")
    if [[ "$status" == 200 ]]; then
        reloads=$((reloads + 1))
    else
        refused=$((refused + 1))
        cat "$WORK/reload.json" >&2
    fi
done
wait "$WRK" || true

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, a reload every ${INTERVAL}s, $(nproc) cores"
echo "requests: $(wrk_figure "$WORK/wrk.txt" requests) ($(wrk_figure "$WORK/wrk.txt" rps) req/s)," \
    "errors: $(wrk_figure "$WORK/wrk.txt" errors), p99: $(wrk_figure "$WORK/wrk.txt" p99) ms"
grep -E 'Socket errors|Non-2xx' "$WORK/wrk.txt" || true
echo "reloads: $reloads succeeded, $refused refused"
