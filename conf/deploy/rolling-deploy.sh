#!/usr/bin/env bash
# Zero-downtime rolling deploy of one Turnout pool, one backend at a time:
#   drain (and wait until nothing is in flight) -> restart -> wait until healthy -> enable -> next.
# Stops at the first failure, leaving the backends not yet done serving, and says how to resume.
#
# Needs bash and curl. Example:
#   conf/deploy/rolling-deploy.sh --admin http://127.0.0.1:9090 --pool stable \
#       --prepare './deliver-release.sh v2' \
#       --restart 'ssh deploy@{host} sudo systemctl restart app'
#
# The --prepare step runs once before the roll (deliver the release, run migrations). Old and new
# versions serve side by side while the roll goes on, so migrations must stay backward compatible.
set -uo pipefail

usage() {
    cat <<'EOF'
usage: rolling-deploy.sh --admin URL --pool NAME --restart CMD [options]

  --admin URL          Turnout admin API, e.g. http://127.0.0.1:9090
  --pool NAME          the pool whose backends are restarted, one at a time
  --restart CMD        run for each backend, with {id}, {address}, {host} and {port} replaced
  --prepare CMD        run once before the first backend (deliver the release, migrate)
  --health-path PATH   polled on each restarted backend until it answers 2xx (default /health)
  --health-timeout S   seconds to wait for health (default 120)
  --drain-wait D       how long a drain may wait for requests in flight (default 60s)
  --start-at ID        resume: skip the backends listed before ID
  --token TOKEN        admin bearer token (default: $TURNOUT_ADMIN_TOKEN)
  --cacert FILE        CA that signed the admin listener's certificate (an https --admin URL)
  --cert FILE          client certificate for an admin listener that requires one (mutual TLS)
  --key FILE           the client certificate's private key
EOF
}

admin="" pool="" restart="" prepare="" health_path="/health" health_timeout=120 drain_wait="60s" start_at=""
token="${TURNOUT_ADMIN_TOKEN:-}"
tls=()
while [ $# -gt 0 ]; do
    case "$1" in
        --admin) admin="${2%/}"; shift 2 ;;
        --pool) pool="$2"; shift 2 ;;
        --restart) restart="$2"; shift 2 ;;
        --prepare) prepare="$2"; shift 2 ;;
        --health-path) health_path="$2"; shift 2 ;;
        --health-timeout) health_timeout="$2"; shift 2 ;;
        --drain-wait) drain_wait="$2"; shift 2 ;;
        --start-at) start_at="$2"; shift 2 ;;
        --token) token="$2"; shift 2 ;;
        --cacert|--cert|--key) tls+=("$1" "$2"); shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
if [ -z "$admin" ] || [ -z "$pool" ] || [ -z "$restart" ]; then
    usage >&2
    exit 2
fi

auth=()
[ -n "$token" ] && auth=(-H "Authorization: Bearer $token")

now_ms() { date +%s%3N; }
since() { local ms=$(( $(now_ms) - $1 )); printf '%d.%01ds' $((ms / 1000)) $(((ms % 1000) / 100)); }

# Calls the admin API; sets $status and $body. A drain may wait up to an hour on the server side.
api() {
    local method="$1" path="$2" max_time="${3:-30}" out
    out=$(curl -sS -m "$max_time" -X "$method" "${auth[@]}" "${tls[@]}" -w '\n%{http_code}' "$admin$path") || {
        status=000 body="admin API unreachable at $admin"
        return 1
    }
    status="${out##*$'\n'}"
    body="${out%$'\n'*}"
}

fail() {
    echo "FAILED: $1" >&2
    if [ -n "${2:-}" ]; then
        echo "  $2 is drained and not restarted; the backends after it were not touched." >&2
        echo "  Fix it, then resume with:  $0 ... --start-at $2" >&2
        echo "  Or put it back as it is:   curl -X POST ${auth[*]:+-H 'Authorization: Bearer ...' }${tls[*]:+${tls[*]} }$admin/api/v1/pools/$pool/backends/$2/enable" >&2
    fi
    exit 1
}

api GET "/api/v1/pools/$pool" || fail "$body"
[ "$status" = 200 ] || fail "cannot read pool $pool: HTTP $status $body"
# Our own compact JSON: one {"pool":..,"id":..,"address":..,..,"state":..} object per backend.
mapfile -t entries < <(grep -o '"id":"[^"]*","address":"[^"]*","weight":[0-9]*,"state":"[^"]*"' <<<"$body")
[ ${#entries[@]} -gt 0 ] || fail "pool $pool has no backends"

if [ -n "$prepare" ]; then
    echo "preparing: $prepare"
    started=$(now_ms)
    bash -c "$prepare" || fail "the prepare step failed; no backend was touched"
    echo "prepared in $(since "$started")"
fi

total=${#entries[@]}
skipping=$([ -n "$start_at" ] && echo yes || echo no)
i=0
for entry in "${entries[@]}"; do
    i=$((i + 1))
    id=$(sed 's/.*"id":"\([^"]*\)".*/\1/' <<<"$entry")
    address=$(sed 's/.*"address":"\([^"]*\)".*/\1/' <<<"$entry")
    state=$(sed 's/.*"state":"\([^"]*\)".*/\1/' <<<"$entry")
    host="${address%:*}" port="${address##*:}"
    if [ "$skipping" = yes ]; then
        if [ "$id" != "$start_at" ]; then
            echo "backend $i of $total: $id skipped (resuming at $start_at)"
            continue
        fi
        skipping=no
    fi

    was_active=yes
    [ "$state" = active ] || was_active=no
    started=$(now_ms)
    api POST "/api/v1/pools/$pool/backends/$id/drain?wait=$drain_wait" 3700 || fail "$body" "$id"
    case "$status" in
        200) ;;
        202) fail "$id still has requests in flight after $drain_wait: $body" "$id" ;;
        *) fail "drain of $id answered HTTP $status: $body" "$id" ;;
    esac
    drained="drained in $(since "$started")"

    started=$(now_ms)
    cmd="${restart//\{id\}/$id}"
    cmd="${cmd//\{address\}/$address}"
    cmd="${cmd//\{host\}/$host}"
    cmd="${cmd//\{port\}/$port}"
    bash -c "$cmd" || fail "restart command for $id failed: $cmd" "$id"
    restarted="restarted in $(since "$started")"

    started=$(now_ms)
    deadline=$(( $(date +%s) + health_timeout ))
    until curl -fsS -o /dev/null -m 2 "http://$address$health_path" 2>/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "$id did not answer http://$address$health_path within ${health_timeout}s" "$id"
        sleep 0.2
    done
    healthy="healthy in $(since "$started")"

    if [ "$was_active" = yes ]; then
        api POST "/api/v1/pools/$pool/backends/$id/enable" || fail "$body" "$id"
        [ "$status" = 200 ] || fail "enable of $id answered HTTP $status: $body" "$id"
        echo "backend $i of $total: $id $drained, $restarted, $healthy, enabled"
    else
        echo "backend $i of $total: $id $drained, $restarted, $healthy, left out of rotation (it was $state)"
    fi
done
[ "$skipping" = no ] || fail "no backend $start_at in pool $pool"
echo "rolling deploy of pool $pool done: $total backends"
