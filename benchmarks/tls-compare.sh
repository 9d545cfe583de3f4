#!/usr/bin/env bash
# Turnout against nginx terminating TLS in front of the same plain upstream, each alone on one core
# (nginx 1 worker, Turnout 1 event loop), with the load on the other: in alternating rounds,
#   keepalive   wrk over TLS keep-alive connections, HTTP/1.1, /1k
#   full        every connection a full handshake: CONNECTIONS `openssl s_time -new` clients side by side,
#               each opening a connection, fetching /1k (HTTP/1.0) and closing, in a loop; s_time never
#               offers a session, so req/s is full handshakes per second
#   resume      wrk with "Connection: close": every request a new connection, which resumes the session
#               of the connection before it (wrk keeps each connection's session across its reconnects,
#               so after the first this is a TLS 1.3 PSK handshake with a fresh X25519 exchange and no
#               certificate or signature)
#   h2          h2load, 16 connections x 10 streams over TLS (only where h2load is installed)
# and prints medians of req/s, p99 and the proxy's CPU per request, then Turnout/nginx ratios.
# Both proxies use the same RSA 2048 certificate (CERT=ecdsa: ECDSA P-256; CERT=both: an ECDSA P-256 and an
# RSA 2048 one for the same name, ECDSA first, each client shown one it can use), TLS 1.2 and 1.3, a
# session cache, and HTTP/2 by ALPN; access logs off.
#
#   mvn -B package -DskipTests          # once: this script builds nothing
#   benchmarks/tls-compare.sh
#
# Needs java, wrk, nginx, openssl and taskset (Debian: openjdk-17-jre-headless, wrk, nginx, openssl,
# util-linux); h2load (nghttp2-client) for the h2 rows.
# Settings (environment): ROUNDS=5 DURATION=5s CONNECTIONS=32 WARMUP=20s (run in DURATION slices) CERT=rsa
# PROXY_CPU=1 LOAD_CPU=0
# ONLY="full resume" (a subset of the loads)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TURNOUT_JAR="$ROOT/proxy/target/turnout.jar"
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-32}
WARMUP=${WARMUP:-20s}
CERT=${CERT:-rsa}
PROXY_CPU=${PROXY_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
TARGETS=(nginx turnout)
LOADS=(keepalive full resume)
command -v h2load >/dev/null && LOADS+=(h2)
[[ -n "${ONLY:-}" ]] && read -ra LOADS <<<"$ONLY"
[[ "$DURATION" =~ ^[1-9][0-9]*s$ ]] ||
    { echo "DURATION is whole seconds (like 5s: openssl s_time and h2load take seconds), not $DURATION" >&2; exit 1; }

[[ -f "$TURNOUT_JAR" ]] || { echo "missing $TURNOUT_JAR: run 'mvn -B package -DskipTests' first" >&2; exit 1; }
for tool in java:openjdk-17-jre-headless wrk:wrk nginx:nginx openssl:openssl taskset:util-linux; do
    command -v "${tool%%:*}" >/dev/null || { echo "${tool%%:*} not found: it is Debian's '${tool#*:}' package" >&2; exit 1; }
done
(($(nproc) >= 2)) || { echo "needs at least 2 cores (proxy on CPU $PROXY_CPU, load on CPU $LOAD_CPU)" >&2; exit 1; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# shellcheck source=benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
make_workdir tls-compare
# shellcheck source=benchmarks/servers.sh
source "$(dirname "$0")/servers.sh"

# certificate KIND: a self-signed certificate with a KIND (rsa or ecdsa) key in $WORK/KIND.crt and .key.
certificate() {
    local key_options
    case $1 in
        rsa) key_options=(-newkey rsa:2048) ;;
        ecdsa) key_options=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
    esac
    openssl req -x509 "${key_options[@]}" -nodes -days 1 -subj "/CN=bench" -addext "subjectAltName=IP:127.0.0.1" \
        -keyout "$WORK/$1.key" -out "$WORK/$1.crt" 2>/dev/null
}
case $CERT in
    rsa | ecdsa) KINDS=("$CERT") ;;
    both) KINDS=(ecdsa rsa) ;;
    *) echo "CERT is rsa, ecdsa or both, not $CERT" >&2; exit 1 ;;
esac
nginx_certificates="" turnout_certificates=""
for kind in "${KINDS[@]}"; do
    certificate "$kind"
    nginx_certificates+="    ssl_certificate $WORK/$kind.crt;"$'\n'"    ssl_certificate_key $WORK/$kind.key;"$'\n'
    turnout_certificates+="${turnout_certificates:+, }{ cert = \"$WORK/$kind.crt\", key = \"$WORK/$kind.key\" }"
done

start_upstream "$LOAD_CPU"

NGINX_PORT=$(free_port)
{
    nginx_common nginxtls
    echo "http {"
    nginx_http_common nginxtls off
    cat <<EOF
  upstream up {
    server 127.0.0.1:$UPSTREAM_PORT;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT ssl http2;
$nginx_certificates    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:10m;
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_max_temp_file_size 0;
      proxy_buffer_size 16k;
      proxy_buffers 8 64k;
    }
  }
}
EOF
} >"$WORK/nginxtls.conf"
taskset -c "$PROXY_CPU" nginx -p "$WORK" -c "$WORK/nginxtls.conf" -e "$WORK/nginxtls.error.log" \
    -g "daemon off; pid $WORK/nginxtls.pid;" >"$WORK/nginxtls.log" 2>&1 &
PIDS+=($!)
NGINX_MASTER=$!
for _ in $(seq 1 100); do
    mapfile -t NGINX_WORKERS < <(pgrep -P "$NGINX_MASTER")
    ((${#NGINX_WORKERS[@]} > 0)) && break
    sleep 0.1
done

start_turnout "$PROXY_CPU" "$TURNOUT_JAR" \
    "tls { listen = \"127.0.0.1:0\", certificates = [ $turnout_certificates ] }"
TURNOUT_TLS_PORT=$(wait_for_line "$WORK/turnout.log" 'TLS listening on https://127\.0\.0\.1:([0-9]+)' "$TURNOUT_PID")
ENGINE=$(sed -nE 's/.*TLS listening on .*, ([a-z]+) engine.*/\1/p' "$WORK/turnout.log" | head -n 1)

declare -A PORT=([nginx]=$NGINX_PORT [turnout]=$TURNOUT_TLS_PORT)
for target in "${TARGETS[@]}"; do
    status=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:${PORT[$target]}/1k" || true)
    [[ "$status" == 200 ]] || { echo "$target answered '$status' over TLS, not 200" >&2; exit 1; }
    # what the full load's s_time sends: HTTP/1.0 with no Host field
    status=$(curl -sk --http1.0 -H 'Host:' -o /dev/null -w '%{http_code}' "https://127.0.0.1:${PORT[$target]}/1k" || true)
    [[ "$status" == 200 ]] || { echo "$target answered '$status' to HTTP/1.0 without Host, not 200" >&2; exit 1; }
done

cpu_pids() {
    case $1 in
        nginx) echo "${NGINX_WORKERS[@]}" ;;
        turnout) echo "$TURNOUT_PID" ;;
    esac
}

# full_handshakes TARGET OUT: CONNECTIONS s_time clients for DURATION, their sum written as the lines
# wrk_figure reads (no percentiles: s_time reports none). A client that stops early (a failed connection
# or handshake) prints no summary line: it counts as an error, and its connections are not counted.
full_handshakes() {
    local k started ended connections=0 failed=0 summary
    started=$(date +%s%N)
    for ((k = 1; k <= CONNECTIONS; k++)); do
        taskset -c "$LOAD_CPU" openssl s_time -connect "127.0.0.1:${PORT[$1]}" -new -time "${DURATION%s}" -www /1k \
            >"$2.$k" 2>&1 &
        PIDS+=($!)
    done
    wait "${PIDS[@]: -CONNECTIONS}" || true # exit statuses say nothing: older s_time exits 1 on success too
    PIDS=("${PIDS[@]:0:${#PIDS[@]}-CONNECTIONS}") # waited for: not to be signalled at exit, when their pids may be reused
    ended=$(date +%s%N)
    for ((k = 1; k <= CONNECTIONS; k++)); do
        summary=$(awk '/connections in .* real seconds/ { print $1 }' "$2.$k")
        if [[ -n "$summary" ]]; then connections=$((connections + summary)); else failed=$((failed + 1)); fi
    done
    {
        echo "$connections requests in ${DURATION}"
        awk -v n="$connections" -v ns=$((ended - started)) 'BEGIN { printf "Requests/sec: %.2f\n", n * 1e9 / ns }'
        ((failed == 0)) || echo "Non-2xx or 3xx responses: $failed"
    } >"$2"
}

# load LOAD TARGET OUT: one run of LOAD against TARGET; its output in OUT. h2load's is turned into
# the lines wrk_figure reads (requests, Requests/sec; h2load reports no percentiles).
load() {
    local url="https://127.0.0.1:${PORT[$2]}/1k"
    case $1 in
        keepalive) wrk_bg -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$url" >"$3" ;;
        full) full_handshakes "$2" "$3" ;;
        resume) wrk_bg -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Connection: close" "$url" >"$3" ;;
        h2)
            taskset -c "$LOAD_CPU" h2load -c16 -m10 -D "${DURATION%s}" "$url" >"$3.raw" 2>&1 &
            PIDS+=($!)
            wait "$!" || true
            awk '
                /^requests:/ { print $8 " requests in 1s" }
                /^finished in/ { gsub(/,/, ""); print "Requests/sec: " $4 }
                /^status codes:/ { bad = $7 + $9 }
                END { if (bad > 0) print "Non-2xx or 3xx responses: " bad }
            ' "$3.raw" >"$3"
            ;;
    esac
}

run() {
    local before after
    # shellcheck disable=SC2046 # a list of pids
    before=$(cpu_ticks $(cpu_pids "$2"))
    load "$3" "$2" "$WORK/$1.txt"
    # shellcheck disable=SC2046
    after=$(cpu_ticks $(cpu_pids "$2"))
    echo $((after - before)) >"$WORK/$1.cpu"
}

field() {
    case $2 in
        cpu) cpu_per_request "$1" ;;
        *) wrk_figure "$WORK/$1.txt" "$2" ;;
    esac
}


# In runs as long as a round, so that the JIT has also seen connections open and close (h2load closes its
# connections at the end of each run) before anything is counted: after one long warm-up, the first round
# paid for recompiling those paths on the proxy's one core.
WARMUP_RUNS=$(( (${WARMUP%s} + ${DURATION%s} - 1) / ${DURATION%s} ))
echo "warming Turnout's JVM: $WARMUP of each load, in $WARMUP_RUNS runs" >&2
for load_name in "${LOADS[@]}"; do
    for ((warm = 1; warm <= WARMUP_RUNS; warm++)); do
        load "$load_name" turnout "$WORK/warmup.txt"
    done
done

for load_name in "${LOADS[@]}"; do
    for ((round = 1; round <= ROUNDS; round++)); do
        for ((i = 0; i < ${#TARGETS[@]}; i++)); do
            target=${TARGETS[$(((i + round - 1) % ${#TARGETS[@]}))]}
            echo "$load_name round $round/$ROUNDS: $target" >&2
            run "$load_name.$target.$round" "$target" "$load_name"
        done
    done
done

echo "TLS ($CERT certificate), medians of $ROUNDS alternating rounds of $DURATION, $CONNECTIONS connections (h2: 16 x 10" \
    "streams); proxies on CPU $PROXY_CPU (nginx 1 worker, Turnout io-threads 1, $ENGINE engine), upstream nginx and" \
    "the load on CPU $LOAD_CPU; $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(openssl version | cut -d' ' -f1-2)"
printf '%-10s %-8s %10s %9s %7s %12s\n' load target req/s "p99 ms" errors "CPU us/req"
for load_name in "${LOADS[@]}"; do
    for target in "${TARGETS[@]}"; do
        printf '%-10s %-8s %10.0f %9.3f %7.0f %12.1f\n' "$load_name" "$target" "$(median "$target" "$load_name" rps)" \
            "$(median "$target" "$load_name" p99)" "$(median "$target" "$load_name" errors)" \
            "$(median "$target" "$load_name" cpu)"
    done
done
for load_name in "${LOADS[@]}"; do
    for target in "${TARGETS[@]}"; do
        printf '%-10s %-8s req/s by round:' "$load_name" "$target"
        for ((round = 1; round <= ROUNDS; round++)); do
            printf ' %.0f' "$(wrk_figure "$WORK/$load_name.$target.$round.txt" rps)"
        done
        echo
    done
done
for load_name in "${LOADS[@]}"; do
    awk -v load="$load_name" -v nr="$(median nginx "$load_name" rps)" -v tr="$(median turnout "$load_name" rps)" \
        -v nc="$(median nginx "$load_name" cpu)" -v tc="$(median turnout "$load_name" cpu)" \
        -v np="$(median nginx "$load_name" p99)" -v tp="$(median turnout "$load_name" p99)" 'BEGIN {
            printf "%-10s Turnout/nginx: req/s %.2f, CPU/req %.2f, p99 %.2f\n", load, tr / nr, tc / nc, (np > 0) ? tp / np : 0
        }'
done
