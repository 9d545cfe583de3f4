# Shared by the benchmark scripts (source it): a work directory whose processes are all stopped on
# exit, waiting for a port a process prints, probing a port, the median of numbers, figures from
# wrk's output, and a quiet Logback configuration for a Turnout under measurement.

# make_workdir NAME: sets WORK to a fresh temporary directory and PIDS to an empty list; on exit
# every PID in PIDS is stopped and waited for, and WORK is removed.
make_workdir() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    PIDS=()
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}

# wait_for_line FILE REGEX PID: prints the first match of REGEX (sed -E, group 1) in FILE; fails if
# PID exits first or nothing shows up within 30 s.
wait_for_line() {
    local file=$1 regex=$2 pid=$3 deadline=$((SECONDS + 30)) found
    while ((SECONDS < deadline)); do
        found=$(sed -nE "s#.*${regex}.*#\\1#p" "$file" 2>/dev/null | head -n 1)
        if [[ -n "$found" ]]; then
            echo "$found"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { echo "process $pid exited:" >&2; cat "$file" >&2; return 1; }
        sleep 0.1
    done
    echo "timed out waiting for /$regex/ in $file:" >&2
    cat "$file" >&2
    return 1
}

# probe PORT [PATH]: one GET over bash's /dev/tcp; prints the status line (empty if nothing listens).
probe() {
    local status=""
    { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 0
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "${2:-/}" >&3
    IFS= read -r status <&3 || true
    exec 3<&-
    echo "${status%$'\r'}"
}

# cpu_ticks PID...: utime+stime (clock ticks) summed over the processes (all threads of each).
cpu_ticks() {
    local pid total=0 t
    for pid in "$@"; do
        t=$(sed -E 's/^.*\) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')
        total=$((total + t))
    done
    echo "$total"
}
# core_ticks CPU: "busy total" jiffies of one core from /proc/stat (idle and iowait are not busy).
core_ticks() {
    awk -v cpu="cpu$1" '$1 == cpu { total = 0; for (i = 2; i <= NF; i++) total += $i; print total - $5 - $6, total }' /proc/stat
}
# wrk_bg ARGS...: wrk on the load core, in the background and waited for, so a signal stops it at once.
wrk_bg() {
    taskset -c "$LOAD_CPU" wrk "$@" &
    PIDS+=($!)
    wait "$!"
}

# cpu_per_request NAME: the proxy's CPU µs per request in the run whose wrk output is $WORK/NAME.txt and whose
# CPU clock ticks are in $WORK/NAME.cpu (TICK_US: µs per tick).
cpu_per_request() {
    awk -v ticks="$(cat "$WORK/$1.cpu")" -v tick="$TICK_US" -v requests="$(wrk_figure "$WORK/$1.txt" requests)" \
        'BEGIN { print (requests > 0) ? ticks * tick / requests : 0 }'
}

# median TARGET CASE WHAT: the median over ROUNDS of the caller's `field CASE.TARGET.ROUND WHAT`.
median() {
    local round
    for ((round = 1; round <= ROUNDS; round++)); do
        field "$2.$1.$round" "$3"
    done | median_of
}

# median_of: the median of the numbers on standard input, one per line.
median_of() {
    sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# wrk_figure FILE WHAT: one figure from the output of `wrk --latency` in FILE: rps, requests, p50 or
# p99 (in ms), or errors (socket errors plus answers other than 2xx/3xx).
wrk_figure() {
    awk -v what="$2" '
        function ms(v) {
            if (v ~ /us$/) { return v / 1000 }
            if (v ~ /ms$/) { return v + 0 }
            if (v ~ /s$/) { return v * 1000 }
            return v + 0
        }
        $2 == "requests" && $3 == "in" { requests = $1 }
        $1 == "Requests/sec:" { rps = $2 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        /Socket errors:/ { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
        /Non-2xx or 3xx responses:/ { errors += $NF }
        END {
            if (what == "rps") print rps + 0
            else if (what == "requests") print requests + 0
            else if (what == "p50") print p50
            else if (what == "p99") print p99
            else if (what == "errors") print errors + 0
            else { print "wrk_figure: unknown figure " what > "/dev/stderr"; exit 1 }
        }
    ' "$1"
}

# write_quiet_logback FILE: a Logback configuration for a Turnout under measurement: the access log
# off (a line per request would cost more than some of what is measured), the rest at INFO.
write_quiet_logback() {
    cat >"$1" <<'EOF'
<configuration>
  <appender name="console" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{24} - %msg%n</pattern></encoder>
  </appender>
  <logger name="turnout.access" level="OFF"/>
  <logger name="io.netty" level="WARN"/>
  <root level="INFO"><appender-ref ref="console"/></root>
</configuration>
EOF
}
