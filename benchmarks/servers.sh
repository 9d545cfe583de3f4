# The servers the nginx comparisons run (source it after lib.sh and make_workdir): an upstream
# nginx serving fixed bodies, nginx as a reverse proxy with upstream keep-alive, and Turnout doing
# the same work. Every config, pid file, log and temp path lives in $WORK; the system nginx service
# is never touched. Each start_* function pins its server to the core given and adds it to PIDS.

# free_port: a port nothing on 127.0.0.1 answers on (nginx cannot report a port it picked itself),
# below the ephemeral range, where thousands of client sockets could hold it without listening.
free_port() {
    local port low
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range
    while :; do
        port=$((10000 + RANDOM % (low - 10000)))
        { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || { echo "$port"; return 0; }
        exec 3<&-
    done
}

# wait_for_port PORT PID LOG: waits until PORT answers 200 on /1k; fails if PID exits first.
wait_for_port() {
    local deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
        [[ "$(probe "$1" /1k)" == "HTTP/1.1 200"* ]] && return 0
        kill -0 "$2" 2>/dev/null || { echo "process $2 exited:" >&2; cat "$3" >&2; return 1; }
        sleep 0.1
    done
    echo "timed out waiting for 127.0.0.1:$1:" >&2
    cat "$3" >&2
    return 1
}

# nginx_common NAME: the lines both nginx configs share; every path they write is inside WORK.
nginx_common() {
    cat <<EOF
worker_processes 1;
error_log $WORK/$1.error.log warn;
events { worker_connections ${NGINX_WORKER_CONNECTIONS:-4096}; }
EOF
}
nginx_http_common() {
    cat <<EOF
  access_log ${2:-off};
  client_body_temp_path $WORK/tmp/$1-client;
  proxy_temp_path $WORK/tmp/$1-proxy;
  fastcgi_temp_path $WORK/tmp/$1-fastcgi;
  uwsgi_temp_path $WORK/tmp/$1-uwsgi;
  scgi_temp_path $WORK/tmp/$1-scgi;
  keepalive_requests 1000000;
EOF
}
# start_nginx NAME PORT CPU: runs nginx with $WORK/NAME.conf in the foreground on core CPU; sets NGINX_PID.
start_nginx() {
    local name=$1 port=$2 cpu=$3
    taskset -c "$cpu" nginx -p "$WORK" -c "$WORK/$name.conf" -e "$WORK/$name.error.log" \
        -g "daemon off; pid $WORK/$name.pid;" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
    NGINX_PID=$!
    wait_for_port "$port" "$NGINX_PID" "$WORK/$name.error.log"
}

# start_upstream CPU: nginx serving a 1 KiB (/1k) and a 64 KiB (/64k) file; sets UPSTREAM_PORT and
# UPSTREAM_WORKERS.
start_upstream() {
    chmod 755 "$WORK" # nginx workers may run as another user and must read the bodies
    mkdir -p "$WORK/www" "$WORK/tmp"
    head -c 1024 /dev/zero | tr '\0' 'a' >"$WORK/www/1k"
    head -c 65536 /dev/zero | tr '\0' 'b' >"$WORK/www/64k"
    chmod 755 "$WORK/www" && chmod 644 "$WORK/www/1k" "$WORK/www/64k"
    UPSTREAM_PORT=$(free_port)
    {
        nginx_common upstream
        echo "http {"
        nginx_http_common upstream
        cat <<EOF
  sendfile on;
  server {
    listen 127.0.0.1:$UPSTREAM_PORT;
    root $WORK/www;
    default_type application/octet-stream;
    location = /1k {}
    location = /64k {}
    location / { return 200 "ok\n"; }
  }
}
EOF
    } >"$WORK/upstream.conf"
    start_nginx upstream "$UPSTREAM_PORT" "$1"
    mapfile -t UPSTREAM_WORKERS < <(pgrep -P "$NGINX_PID")
}

# start_nginx_proxy CPU: nginx (1 worker) proxying to the upstream with keep-alive; sets NGINX_PORT,
# NGINX_MASTER and NGINX_WORKERS.
# NGINX_BUFFERS=tuned: buffers that hold a 64 KiB answer, as an operator sizes them for the answers
# they serve; NGINX_BUFFERS=default (or unset): nginx's own (one page each, 8 of them).
nginx_proxy_buffers() {
    if [[ "${NGINX_BUFFERS:-default}" == tuned ]]; then
        printf '      proxy_buffer_size 16k;\n      proxy_buffers 8 64k;\n'
    fi
}

start_nginx_proxy() {
    NGINX_PORT=$(free_port)
    {
        nginx_common nginxproxy
        echo "http {"
        # ACCESS_LOG=on: the combined format to a file, as an operator runs it (like Turnout's).
        nginx_http_common nginxproxy "$([[ "${ACCESS_LOG:-off}" == on ]] && echo "$WORK/nginx-access.log" || echo off)"
        cat <<EOF
  upstream up {
    server 127.0.0.1:$UPSTREAM_PORT;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # Never spill a 64 KiB answer to a temp file: stream it instead.
      proxy_max_temp_file_size 0;
$(nginx_proxy_buffers)
    }
  }
}
EOF
    } >"$WORK/nginxproxy.conf"
    start_nginx nginxproxy "$NGINX_PORT" "$1"
    NGINX_MASTER=$NGINX_PID
    mapfile -t NGINX_WORKERS < <(pgrep -P "$NGINX_MASTER")
    ((${#NGINX_WORKERS[@]} > 0)) || { echo "no nginx worker under master $NGINX_MASTER" >&2; return 1; }
}

# start_turnout CPU JAR [CONFIG LINES...]: Turnout with 1 event loop in front of the upstream, access
# log off (ACCESS_LOG=on: a text line per request to a file, written by Turnout itself with
# turnout.access-log.file, as an operator runs it), metrics on, cache and compression off; extra config
# lines go inside turnout { }.
# JVM options come from JVM_OPTS. Sets TURNOUT_PID and TURNOUT_PORT.
start_turnout() {
    local cpu=$1 jar=$2
    shift 2
    {
        cat <<EOF
turnout {
  listen = "127.0.0.1:0"
  admin.listen = "127.0.0.1:0"
  io-threads = 1
  state-file = ""
  metrics.enabled = true
  cache.enabled = false
  compression.enabled = false
  pools { app { backends = [ { id = nginx, address = "127.0.0.1:$UPSTREAM_PORT", weight = 1 } ] } }
  routes = [ { name = all, host = "*", path-prefix = "/", split { app = 100 } } ]
  shutdown.grace = 2s
EOF
        [[ "${ACCESS_LOG:-off}" == on ]] && echo "  access-log.file = \"$WORK/turnout-access.log\""
        printf '  %s\n' "$@"
        echo "}"
    } >"$WORK/turnout.conf"
    local logback="$WORK/logback.xml"
    write_quiet_logback "$logback"
    mkdir -p "$WORK/turnout"
    # shellcheck disable=SC2086 # JVM_OPTS is a list of options
    (cd "$WORK/turnout" && exec taskset -c "$cpu" java ${JVM_OPTS:-} "-Dlogback.configurationFile=$logback" \
        -jar "$jar" --config "$WORK/turnout.conf") \
        >"$WORK/turnout.log" 2>&1 &
    PIDS+=($!)
    TURNOUT_PID=$!
    TURNOUT_PORT=$(wait_for_line "$WORK/turnout.log" 'listening on http://127\.0\.0\.1:([0-9]+)' "$TURNOUT_PID")
}
