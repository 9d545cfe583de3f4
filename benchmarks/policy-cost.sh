#!/usr/bin/env bash
# What a route's traffic rules cost per request: one Turnout with two routes in front of the same upstream
# nginx, "plain" (no rules) and "ruled" (a rate limit high enough never to refuse, one request header rule
# and one response header rule), and wrk against each in alternating rounds. It prints the medians of req/s,
# p99 and Turnout's CPU time per request, and the ratio ruled/plain of CPU per request.
#
# With BASELINE_JAR (a turnout.jar built from the code before the rules existed), a second Turnout runs
# that jar with the plain route alone, and the rounds include it: the ratio plain/baseline says whether a
# route without rules costs what it did.
#
#   mvn -B package -DskipTests          # once: this script builds nothing
#   benchmarks/policy-cost.sh
#   BASELINE_JAR=/tmp/turnout-base/proxy/target/turnout.jar benchmarks/policy-cost.sh
#
# Needs java (17+), wrk (Debian's `wrk`), nginx (Debian's `nginx`) and taskset (util-linux) on the PATH, and
# at least 2 cores. It installs nothing and never touches the system nginx service (see servers.sh). Turnout
# (1 event loop) runs on CPU 1, the upstream nginx and wrk on CPU 0, as in compare.sh. CPU time is utime+stime
# of the JVM from /proc/<pid>/stat before and after each run, divided by the requests wrk completed.
#
# Settings (environment):
#   ROUNDS=5 DURATION=5s CONNECTIONS=32 THREADS=1   alternating rounds of wrk -t -c -d on /1k
#   WARMUP=10s        unmeasured wrk run per target before any counting (JIT)
#   PROXY_CPU=1 LOAD_CPU=0
#   BASELINE_JAR=""   a turnout.jar from before the rules, for the plain route's cost then and now
#   JVM_OPTS=""       extra JVM options for the Turnouts
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TURNOUT_JAR="$ROOT/proxy/target/turnout.jar"
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
WARMUP=${WARMUP:-10s}
PROXY_CPU=${PROXY_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
BASELINE_JAR=${BASELINE_JAR:-}

[[ -f "$TURNOUT_JAR" ]] || { echo "missing $TURNOUT_JAR: run 'mvn -B package -DskipTests' first" >&2; exit 1; }
[[ -z "$BASELINE_JAR" || -f "$BASELINE_JAR" ]] || { echo "no baseline jar at $BASELINE_JAR" >&2; exit 1; }
for tool in java:openjdk-17-jre-headless wrk:wrk nginx:nginx taskset:util-linux; do
    command -v "${tool%%:*}" >/dev/null || { echo "${tool%%:*} not found: it is Debian's '${tool#*:}' package" >&2; exit 1; }
done
(($(nproc) >= 2)) || { echo "needs at least 2 cores" >&2; exit 1; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# shellcheck source=benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
make_workdir policy-cost
# shellcheck source=benchmarks/servers.sh
source "$(dirname "$0")/servers.sh"
start_upstream "$LOAD_CPU"
write_quiet_logback "$WORK/logback.xml"

PLAIN_ROUTE='{ name = plain, host = "*", path-prefix = "/", split { app = 100 } }'
RULED_ROUTE='{ name = ruled, host = "ruled.test", path-prefix = "/", split { app = 100 },
    rate-limit { rate = 1000000000/s, burst = 1000000 },
    request-headers { set { X-Env = prod } }, response-headers { remove = [Server] } }'

# start_proxy NAME JAR ROUTES: Turnout (1 event loop, metrics on, cache, compression and access log off) with
# these routes on CPU $PROXY_CPU; sets PID_<NAME> and PORT_<NAME>.
start_proxy() {
    local name=$1 jar=$2 routes=$3
    cat >"$WORK/$name.conf" <<EOF
turnout {
  listen = "127.0.0.1:0"
  admin.listen = "127.0.0.1:0"
  io-threads = 1
  state-file = ""
  metrics.enabled = true
  cache.enabled = false
  compression.enabled = false
  pools { app { backends = [ { id = nginx, address = "127.0.0.1:$UPSTREAM_PORT", weight = 1 } ] } }
  routes = [ $routes ]
  shutdown.grace = 2s
}
EOF
    mkdir -p "$WORK/$name"
    # shellcheck disable=SC2086 # JVM_OPTS is a list of options
    (cd "$WORK/$name" && exec taskset -c "$PROXY_CPU" java ${JVM_OPTS:-} "-Dlogback.configurationFile=$WORK/logback.xml" \
        -jar "$jar" --config "$WORK/$name.conf") >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    printf -v "PID_$name" '%s' "$!"
    printf -v "PORT_$name" '%s' "$(wait_for_line "$WORK/$name.log" 'listening on http://127\.0\.0\.1:([0-9]+)' "$!")"
}

start_proxy turnout "$TURNOUT_JAR" "$RULED_ROUTE, $PLAIN_ROUTE"
TARGETS=(plain ruled)
declare -A PID=([plain]=$PID_turnout [ruled]=$PID_turnout)
declare -A PORT=([plain]=$PORT_turnout [ruled]=$PORT_turnout)
declare -A HOST=([plain]=plain.test [ruled]=ruled.test)
if [[ -n "$BASELINE_JAR" ]]; then
    start_proxy baseline "$BASELINE_JAR" "$PLAIN_ROUTE"
    TARGETS+=(baseline)
    PID[baseline]=$PID_baseline PORT[baseline]=$PORT_baseline HOST[baseline]=plain.test
fi

# server_lines PORT HOST: how many Server header lines one answer through that route carries; the ruled
# route removes the upstream's, which shows its rules are the ones being measured.
server_lines() {
    local count
    exec 3<>"/dev/tcp/127.0.0.1/$1"
    printf 'GET /1k HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$2" >&3
    count=$(tr -d '\r' <&3 | sed '/^$/q' | grep -ci '^server:' || true)
    exec 3<&-
    echo "$count"
}
for target in "${TARGETS[@]}"; do
    expected=1
    [[ $target == ruled ]] && expected=0
    [[ $(server_lines "${PORT[$target]}" "${HOST[$target]}") == "$expected" ]] \
        || { echo "$target: the answer's Server header is not as its route's rules say" >&2; exit 1; }
done

cpu_ticks() {
    sed -E 's/^.*\) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
wrk_bg() {
    taskset -c "$LOAD_CPU" wrk "$@" &
    PIDS+=($!)
    wait "$!"
}
# run NAME TARGET: one measured run; wrk output in $WORK/NAME.txt, the JVM's CPU ticks in $WORK/NAME.cpu.
run() {
    local before after
    before=$(cpu_ticks "${PID[$2]}")
    wrk_bg -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Host: ${HOST[$2]}" \
        "http://127.0.0.1:${PORT[$2]}/1k" >"$WORK/$1.txt"
    after=$(cpu_ticks "${PID[$2]}")
    echo $((after - before)) >"$WORK/$1.cpu"
}
# target_median TARGET WHAT: the median over the rounds of one figure of TARGET's runs.
target_median() {
    local round
    for ((round = 1; round <= ROUNDS; round++)); do
        if [[ $2 == cpu ]]; then cpu_per_request "$1.$round"; else wrk_figure "$WORK/$1.$round.txt" "$2"; fi
    done | median_of
}

for target in "${TARGETS[@]}"; do
    echo "warming $target: $WARMUP of wrk" >&2
    wrk_bg -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -H "Host: ${HOST[$target]}" "http://127.0.0.1:${PORT[$target]}/1k" \
        >"$WORK/warmup-$target.txt"
    errors=$(wrk_figure "$WORK/warmup-$target.txt" errors)
    ((errors == 0)) || { echo "$target: $errors errors in the warm-up (a refused request?)" >&2; exit 1; }
done
for ((round = 1; round <= ROUNDS; round++)); do
    for ((i = 0; i < ${#TARGETS[@]}; i++)); do
        target=${TARGETS[$(((i + round - 1) % ${#TARGETS[@]}))]}
        echo "round $round/$ROUNDS: $target" >&2
        run "$target.$round" "$target"
        printf '  %s #%d: %s req/s, p99 %s ms, %s errors, %.1f us/req\n' "$target" "$round" \
            "$(wrk_figure "$WORK/$target.$round.txt" rps)" "$(wrk_figure "$WORK/$target.$round.txt" p99)" \
            "$(wrk_figure "$WORK/$target.$round.txt" errors)" "$(cpu_per_request "$target.$round")" >&2
    done
done

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION /1k, medians of $ROUNDS alternating rounds; Turnout (io-threads 1)" \
    "on CPU $PROXY_CPU, upstream nginx + wrk on CPU $LOAD_CPU; $(java -version 2>&1 | head -n 1)"
printf '%-9s %10s %9s %7s %12s\n' target req/s "p99 ms" errors "CPU us/req"
for target in "${TARGETS[@]}"; do
    printf '%-9s %10.0f %9.3f %7.0f %12.2f\n' "$target" "$(target_median "$target" rps)" "$(target_median "$target" p99)" \
        "$(target_median "$target" errors)" "$(target_median "$target" cpu)"
done
awk -v r="$(target_median ruled cpu)" -v p="$(target_median plain cpu)" \
    'BEGIN { printf "CPU per request, ruled/plain: %.3f (target: at most 1.10)\n", r / p }'
if [[ -n "$BASELINE_JAR" ]]; then
    awk -v p="$(target_median plain cpu)" -v b="$(target_median baseline cpu)" \
        'BEGIN { printf "CPU per request, plain/baseline (a route without rules, now and before): %.3f\n", p / b }'
fi
