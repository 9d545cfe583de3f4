#!/usr/bin/env bash
# Gatling load simulations through Turnout (benchmarks/src/test/java/dev/turnout/bench/gatling):
#   SteadyKeepAlive  USERS keep-alive users looping GETs for DURATION seconds; no request may fail
#   CanarySplit      the same load on a route whose split moves over the admin API; shares per pool
#   CacheHit         random GETs of CACHE_URLS cacheable URLs; X-Cache must say HIT; hit ratio
# It starts two fixed 1 KiB backends (pools stable and canary, each naming itself in X-Pool) and a
# Turnout in front of them, then runs each simulation with `mvn gatling:test`, one after another.
#
#   mvn -B package -DskipTests          # once: the proxy jar and the backends' jar
#   benchmarks/gatling.sh
#
# Needs java (17+) and mvn on the PATH; the first run downloads the Gatling plugin's runtime. All
# traffic stays on 127.0.0.1 and every process it starts is stopped on exit (trap). Gatling's
# summary (req/s, percentiles, KO) and each simulation's own figures are printed as they finish;
# the HTML reports go to benchmarks/target/gatling/<simulation>-<timestamp>/index.html.
# The Maven build shares this machine's cores with Turnout and the backends: read the figures as
# "this machine, everything on it", not as the proxy's capacity (compare.sh measures that).
#
# Settings (environment):
#   USERS=16 DURATION=20        virtual users and seconds of load per simulation
#   SIMULATIONS="SteadyKeepAlive CanarySplit CacheHit"   which ones to run, in order
#   CANARY_STEPS=0,10,50,90,0   the canary's share at each step of CanarySplit (equal lengths)
#   CACHE_URLS=50               distinct URLs in CacheHit
#   MVN_ARGS=""                 extra Maven options, such as -o (offline) or -q
#   JVM_OPTS=""                 extra JVM options for Turnout
# Exits non-zero when a simulation fails (an assertion, or the build).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TURNOUT_JAR="$ROOT/proxy/target/turnout.jar"
BENCH_JAR="$ROOT/benchmarks/target/benchmarks.jar"
USERS=${USERS:-16}
DURATION=${DURATION:-20}
SIMULATIONS=${SIMULATIONS:-SteadyKeepAlive CanarySplit CacheHit}
CANARY_STEPS=${CANARY_STEPS:-0,10,50,90,0}
CACHE_URLS=${CACHE_URLS:-50}

for jar in "$TURNOUT_JAR" "$BENCH_JAR"; do
    [[ -f "$jar" ]] || { echo "missing $jar: run 'mvn -B package -DskipTests' first" >&2; exit 1; }
done
for tool in java mvn; do
    command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 1; }
done

# shellcheck source=benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
make_workdir gatling

# --- the backends: one per pool, each naming its pool in X-Pool ----------------------------------
declare -A BACKEND_PORT
for pool in stable canary; do
    java -cp "$BENCH_JAR" dev.turnout.bench.FixedResponseServer 0 1 "$pool" >"$WORK/$pool.log" 2>&1 &
    PIDS+=($!)
    BACKEND_PORT[$pool]=$(wait_for_line "$WORK/$pool.log" 'listening on 127\.0\.0\.1:([0-9]+)' "${PIDS[-1]}")
done

# --- Turnout in front of them ----------------------------------------------------------------------
# Route release is the one CanarySplit moves; web (stable only) serves the other two, so a split
# left behind by one simulation cannot change what the next one measures.
cat >"$WORK/turnout.conf" <<EOF
turnout {
  listen = "127.0.0.1:0"
  admin.listen = "127.0.0.1:0"
  state-file = ""
  cache.enabled = true
  pools {
    stable { backends = [ { id = stable1, address = "127.0.0.1:${BACKEND_PORT[stable]}" } ] }
    canary { backends = [ { id = canary1, address = "127.0.0.1:${BACKEND_PORT[canary]}" } ] }
  }
  routes = [
    { name = release, host = "*", path-prefix = "/release/", split { stable = 100, canary = 0 } }
    { name = web, host = "*", path-prefix = "/", split { stable = 100 } }
  ]
  shutdown.grace = 2s
}
EOF
# Access log off: one line per request would cost more than some of what is measured.
write_quiet_logback "$WORK/logback.xml"
mkdir -p "$WORK/turnout"
# shellcheck disable=SC2086 # JVM_OPTS is a list of options
(cd "$WORK/turnout" && exec java ${JVM_OPTS:-} "-Dlogback.configurationFile=$WORK/logback.xml" \
    -jar "$TURNOUT_JAR" --config "$WORK/turnout.conf") >"$WORK/turnout.log" 2>&1 &
PIDS+=($!)
TURNOUT_PID=$!
PORT=$(wait_for_line "$WORK/turnout.log" 'data plane listening on http://127\.0\.0\.1:([0-9]+)' "$TURNOUT_PID")
ADMIN_PORT=$(wait_for_line "$WORK/turnout.log" 'admin API listening on http://127\.0\.0\.1:([0-9]+)' "$TURNOUT_PID")
for path in / /release/; do
    status=$(probe "$PORT" "$path")
    [[ "$status" == "HTTP/1.1 200"* ]] || { echo "Turnout answered $path with '$status', not 200" >&2; exit 1; }
done
echo "Turnout on 127.0.0.1:$PORT (admin $ADMIN_PORT), backends stable :${BACKEND_PORT[stable]}" \
    "and canary :${BACKEND_PORT[canary]}; $USERS users, $DURATION s per simulation" >&2

# --- the simulations -------------------------------------------------------------------------------
COMMON=(-Dtarget.url="http://127.0.0.1:$PORT" -Dusers="$USERS" -Dduration="$DURATION")
declare -A ARGS=(
    [SteadyKeepAlive]="-Dpath=/"
    [CanarySplit]="-Dadmin.url=http://127.0.0.1:$ADMIN_PORT -Droute=release -Dpath=/release/app -Dstable.pool=stable
        -Dcanary.pool=canary -Dcanary.steps=$CANARY_STEPS"
    [CacheHit]="-Dpath.prefix=/cached/item- -Durls=$CACHE_URLS"
)
declare -A RESULT REPORT
failed=0
for name in $SIMULATIONS; do
    [[ -n "${ARGS[$name]+set}" ]] || { echo "unknown simulation '$name' (expected: ${!ARGS[*]})" >&2; exit 1; }
    echo "=== ${name}Simulation" >&2
    # -am builds admin-api and proxy from this tree, so nothing needs to be installed first; the
    # parent pom skips the goal outside benchmarks.
    # shellcheck disable=SC2086 # MVN_ARGS and ARGS[name] are lists of options
    if (cd "$ROOT" && mvn -B ${MVN_ARGS:-} -pl benchmarks -am gatling:test \
        -Dgatling.simulationClass="dev.turnout.bench.gatling.${name}Simulation" "${COMMON[@]}" ${ARGS[$name]}) \
        2>&1 | tee "$WORK/$name.log"; then
        RESULT[$name]=passed
    else
        RESULT[$name]=FAILED
        failed=1
    fi
    REPORT[$name]=$(sed -nE 's#.*open the following file: (file://)?([^ ]*index\.html).*#\2#p' "$WORK/$name.log" | tail -n 1)
done

# summary NAME: req/s, p50/p95/p99 (ms) and OK/KO counts from Gatling's "Global Information" block
# (columns Total | OK | KO; "-" where a column has nothing).
summary() {
    awk -F'|' '
        function n(v) { gsub(/ /, "", v); return v == "-" ? 0 : v }
        /Global Information/ { on = 1 }
        !on { next }
        /request count/ { ok = n($3); ko = n($4) }
        /50th percentile/ { p50 = n($2) }
        /95th percentile/ { p95 = n($2) }
        /99th percentile/ { p99 = n($2) }
        /mean throughput/ { rps = n($2) }
        END { printf "%10s %8s %8s %8s %9s %6s", rps, p50, p95, p99, ok, ko }
    ' "$WORK/$1.log"
}
echo
echo "Gatling $USERS users, $DURATION s each, $(nproc) cores, $(java -version 2>&1 | head -n 1)"
printf '%-16s %-7s %10s %8s %8s %8s %9s %6s\n' simulation result "req/s" "p50 ms" "p95 ms" "p99 ms" OK KO
for name in $SIMULATIONS; do
    printf '%-16s %-7s %s\n' "$name" "${RESULT[$name]}" "$(summary "$name")"
done
for name in $SIMULATIONS; do
    echo "report $name: ${REPORT[$name]:-(none)}"
done
exit "$failed"
