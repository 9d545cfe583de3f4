#!/usr/bin/env bash
# Throughput of the same fixed 1 KiB backend through Turnout over HTTP/1.1 (plain), h2c (prior
# knowledge) and h2 over TLS, measured with h2load in alternating rounds, medians printed.
#
#   mvn -B package -DskipTests          # once: this script builds nothing
#   benchmarks/h2-compare.sh
#
# Needs java, openssl (a throwaway CA and certificate are made here) and h2load (Debian's
# nghttp2-client). Everything runs on 127.0.0.1 and is stopped on exit.
# Settings (environment): ROUNDS=3 REQUESTS=30000 CLIENTS=10 STREAMS=10
# BACKEND=h1 (default: the pool speaks HTTP/1.1 to the backend) or h2c (the pool is protocol = h2c and
# the backend speaks HTTP/2 with prior knowledge: streams multiplexed on shared backend connections).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TURNOUT_JAR="$ROOT/proxy/target/turnout.jar"
BENCH_JAR="$ROOT/benchmarks/target/benchmarks.jar"
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-30000}
CLIENTS=${CLIENTS:-10}
STREAMS=${STREAMS:-10}
BACKEND=${BACKEND:-h1}
for jar in "$TURNOUT_JAR" "$BENCH_JAR"; do
    [[ -f "$jar" ]] || { echo "missing $jar: run 'mvn -B package -DskipTests' first" >&2; exit 1; }
done
for tool in java openssl h2load; do
    command -v "$tool" >/dev/null || { echo "$tool not found (h2load: Debian's nghttp2-client)" >&2; exit 1; }
done

# shellcheck source=benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
make_workdir h2-compare

cd "$WORK"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=bench" -addext "subjectAltName=IP:127.0.0.1" \
    -keyout site.key -out site.crt 2>/dev/null

java -cp "$BENCH_JAR" dev.turnout.bench.FixedResponseServer 0 1 - "$BACKEND" >backend.log 2>&1 &
PIDS+=($!)
BACKEND_PORT=$(wait_for_line backend.log 'listening on 127\.0\.0\.1:([0-9]+)' "${PIDS[-1]}")
cat >turnout.conf <<CONF
turnout {
  listen = "127.0.0.1:0"
  admin.listen = "127.0.0.1:0"
  state-file = ""
  pools { app { protocol = "$([[ $BACKEND == h2c ]] && echo h2c || echo http/1.1)"
                backends = [ { id = fixed, address = "127.0.0.1:$BACKEND_PORT" } ] } }
  routes = [ { name = all, split { app = 100 } } ]
  tls { listen = "127.0.0.1:0", certificates = [ { cert = "$WORK/site.crt", key = "$WORK/site.key" } ] }
}
CONF
cat >logback.xml <<'XML'
<configuration><appender name="c" class="ch.qos.logback.core.ConsoleAppender"><encoder><pattern>%msg%n</pattern></encoder>
</appender><logger name="turnout.access" level="OFF"/><root level="INFO"><appender-ref ref="c"/></root></configuration>
XML
java -Dlogback.configurationFile=logback.xml -jar "$TURNOUT_JAR" --config turnout.conf >turnout.log 2>&1 &
PIDS+=($!)
PLAIN=$(wait_for_line turnout.log 'data plane listening on http://127\.0\.0\.1:([0-9]+)' "${PIDS[-1]}")
TLS=$(wait_for_line turnout.log 'TLS listening on https://127\.0\.0\.1:([0-9]+)' "${PIDS[-1]}")

declare -A ARGS=(
    [h1]="--h1 -m 1 http://127.0.0.1:$PLAIN/"
    [h2c]="-m $STREAMS http://127.0.0.1:$PLAIN/"
    [h2-tls]="-m $STREAMS https://127.0.0.1:$TLS/"
)
# Warm the JIT on every path before counting.
for name in h1 h2c h2-tls; do
    # shellcheck disable=SC2086
    h2load -n "$REQUESTS" -c "$CLIENTS" ${ARGS[$name]} >/dev/null 2>&1
done
for ((round = 1; round <= ROUNDS; round++)); do
    for name in h1 h2c h2-tls; do
        # shellcheck disable=SC2086
        h2load -n "$REQUESTS" -c "$CLIENTS" ${ARGS[$name]} >"$name.$round.txt" 2>&1
    done
done
echo "h2load -n $REQUESTS -c $CLIENTS (h2: -m $STREAMS streams per connection), 1 KiB body, backend $BACKEND," \
    "$(nproc) cores, median of $ROUNDS"
printf '%-8s %12s %12s %10s\n' target "req/s" "mean (ms)" failed
for name in h1 h2c h2-tls; do
    rps=$(for ((r = 1; r <= ROUNDS; r++)); do grep -oE '[0-9.]+ req/s' "$name.$r.txt" | head -1 | cut -d' ' -f1; done | median_of)
    mean=$(for ((r = 1; r <= ROUNDS; r++)); do
        awk '/^time for request:/ { v = $6; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0; else v = v * 1000; print v }' \
            "$name.$r.txt"; done | median_of)
    failed=$(for ((r = 1; r <= ROUNDS; r++)); do awk '/^requests:/ { print $10 }' "$name.$r.txt"; done \
        | awk '{ s += $1 } END { print s + 0 }')
    printf '%-8s %12.0f %12.2f %10s\n' "$name" "$rps" "$mean" "$failed"
done
