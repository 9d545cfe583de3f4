#!/usr/bin/env bash
# How a proxy's p99 depends on the spare CPU of its core: nginx as a reverse proxy, set up as in
# compare.sh, measured alone on its core and then beside a busy loop at lower priority (nice) on
# that core, which takes a small share of it whenever nginx would run. It explains compare.sh's
# 1 KiB p99 column: a few percent more CPU per request, or a few percent of the core spent
# elsewhere, moves p99 far more than p50.
#
#   benchmarks/headroom.sh
#
# Needs wrk, nginx and taskset (Debian's `wrk`, `nginx`, `util-linux`) and 2 cores; installs
# nothing and never touches the system nginx service. Settings (environment): ROUNDS=5,
# DURATION=5s, CONNECTIONS=32, NICE_LEVELS="10 5", PROXY_CPU=1, LOAD_CPU=0.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-32}
PROXY_CPU=${PROXY_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
read -r -a NICE_LEVELS <<<"${NICE_LEVELS:-10 5}"

for tool in wrk:wrk nginx:nginx taskset:util-linux; do
    command -v "${tool%%:*}" >/dev/null || { echo "${tool%%:*} not found: it is Debian's '${tool#*:}' package" >&2; exit 1; }
done
(($(nproc) >= 2)) || { echo "needs at least 2 cores" >&2; exit 1; }

# shellcheck source=benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
make_workdir headroom
# shellcheck source=benchmarks/servers.sh
source "$(dirname "$0")/servers.sh"
start_upstream "$LOAD_CPU"
start_nginx_proxy "$PROXY_CPU"

# measure NAME: one wrk run against the nginx proxy, its output in $WORK/NAME.txt.
measure() {
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$NGINX_PORT/1k" >"$WORK/$1.txt"
}

echo "warming up: $DURATION of wrk" >&2
measure warmup
configs=(alone "${NICE_LEVELS[@]}")
for ((round = 1; round <= ROUNDS; round++)); do
    for config in "${configs[@]}"; do
        echo "round $round/$ROUNDS: nginx $([[ $config == alone ]] && echo alone || echo "beside a nice $config loop")" >&2
        loop=""
        if [[ $config != alone ]]; then
            taskset -c "$PROXY_CPU" nice -n "$config" bash -c 'while :; do :; done' &
            loop=$!
            PIDS+=("$loop")
        fi
        measure "$config.$round"
        [[ -z $loop ]] || { kill "$loop"; wait "$loop" 2>/dev/null || true; }
    done
done

echo "nginx (1 worker on CPU $PROXY_CPU) proxying /1k, wrk -t1 -c$CONNECTIONS -d$DURATION, medians of $ROUNDS rounds"
printf '%-22s %10s %9s %9s\n' "proxy core shared with" req/s "p50 ms" "p99 ms"
for config in "${configs[@]}"; do
    label=$([[ $config == alone ]] && echo "nothing" || echo "a busy loop at nice $config")
    printf '%-22s' "$label"
    for figure in rps p50 p99; do
        for ((round = 1; round <= ROUNDS; round++)); do
            wrk_figure "$WORK/$config.$round.txt" "$figure"
        done | median_of | awk -v figure="$figure" '{ printf (figure == "rps" ? " %10.0f" : " %9.3f"), $1 }'
    done
    echo
done
