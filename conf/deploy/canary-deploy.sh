#!/usr/bin/env bash
# The canary gate of a release pipeline: starts a progressive rollout of one Turnout route from the stable
# pool to the canary pool, prints each verdict as Turnout gives it, and passes or fails the job on the end:
#   exit 0  promoted: the canary has all of the route
#   exit 1  rolled back (or aborted): the reason and the figures are printed; the stable pool has the route
#   exit 2  usage error, or the admin API refused the rollout or could not be reached
#
# Needs bash and curl. Example (the CI examples beside this script show a whole release):
#   conf/deploy/canary-deploy.sh --admin http://127.0.0.1:9090 --route web --from stable --to canary \
#       --steps 5,25,50,100 --interval 30s --abort-on-exit
set -uo pipefail

usage() {
    cat <<'USAGE'
usage: canary-deploy.sh --admin URL --route NAME --from POOL --to POOL [options]

  --admin URL            Turnout admin API, e.g. http://127.0.0.1:9090
  --route NAME           the route whose traffic moves
  --from POOL            the stable pool, which keeps the route on a roll-back
  --to POOL              the canary pool, which gets the route when promoted
  --steps LIST           the canary's shares in percent, e.g. 5,25,50,100 (default: Turnout's, 5,25,50,100)
  --interval D           how long each step is judged, e.g. 30s (default: Turnout's, 30s)
  --min-requests N       requests each side needs before a step is judged (default 100)
  --max-error-rate F     the canary's 5xx share may exceed stable's by this much, e.g. 0.02 (default 0.02)
  --max-p95-ratio F      the canary's p95 may be this many times stable's (default 1.5)
  --abort-on-exit        abort the rollout if this script is stopped before the end (a cancelled CI job)
  --token TOKEN          admin bearer token (default: $TURNOUT_ADMIN_TOKEN)
  --cacert FILE          CA that signed the admin listener's certificate (an https --admin URL)
  --cert FILE            client certificate for an admin listener that requires one (mutual TLS)
  --key FILE             the client certificate's private key
USAGE
}

admin="" route="" from="" to="" steps="" interval="" min_requests="" max_error_rate="" max_p95_ratio=""
abort_on_exit=false
token="${TURNOUT_ADMIN_TOKEN:-}"
tls=()
bad() { echo "$1" >&2; usage >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --abort-on-exit|-h|--help) ;;
        *) [ $# -ge 2 ] || bad "$1 needs a value" ;;
    esac
    case "$1" in
        --admin) admin="${2%/}"; shift 2 ;;
        --route) route="$2"; shift 2 ;;
        --from) from="$2"; shift 2 ;;
        --to) to="$2"; shift 2 ;;
        --steps) steps="$2"; shift 2 ;;
        --interval) interval="$2"; shift 2 ;;
        --min-requests) min_requests="$2"; shift 2 ;;
        --max-error-rate) max_error_rate="$2"; shift 2 ;;
        --max-p95-ratio) max_p95_ratio="$2"; shift 2 ;;
        --abort-on-exit) abort_on_exit=true; shift ;;
        --token) token="$2"; shift 2 ;;
        --cacert|--cert|--key) tls+=("$1" "$2"); shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
if [ -z "$admin" ] || [ -z "$route" ] || [ -z "$from" ] || [ -z "$to" ]; then
    usage >&2
    exit 2
fi
name='^[A-Za-z0-9._-]+$' number='^[0-9]+([.][0-9]+)?$'
[[ $route =~ $name && $from =~ $name && $to =~ $name ]] || bad "route and pool names are letters, digits, . _ -"
[ -z "$steps" ] || [[ $steps =~ ^[0-9]+(,[0-9]+)*$ ]] || bad "--steps: percentages separated by commas, e.g. 5,25,50,100"
[ -z "$interval" ] || [[ $interval =~ ^[0-9]+(ms|s|m)?$ ]] || bad "--interval: a duration such as 30s, 500ms or 2m"
[ -z "$min_requests" ] || [[ $min_requests =~ ^[0-9]+$ ]] || bad "--min-requests: a whole number"
[ -z "$max_error_rate" ] || [[ $max_error_rate =~ $number ]] || bad "--max-error-rate: a number such as 0.02"
[ -z "$max_p95_ratio" ] || [[ $max_p95_ratio =~ $number ]] || bad "--max-p95-ratio: a number such as 1.5"

auth=()
[ -n "$token" ] && auth=(-H "Authorization: Bearer $token")

# Calls the admin API; sets $status and $body.
api() {
    local method="$1" path="$2" data="${3:-}" out
    local args=(-sS -m 30 -X "$method" "${auth[@]}" "${tls[@]}" -w '\n%{http_code}')
    [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data "$data")
    out=$(curl "${args[@]}" "$admin$path") || {
        status=000 body="{\"error\":\"admin API unreachable at $admin\"}"
        return 1
    }
    status="${out##*$'\n'}"
    body="${out%$'\n'*}"
}

# The value of a top-level string or number field of a JSON object (enough for Turnout's flat answers).
field() {
    local json="$1" key="$2"
    if [[ $json =~ \"$key\":\"(([^\"\\]|\\.)*)\" ]]; then
        printf '%s' "${BASH_REMATCH[1]}"
    elif [[ $json =~ \"$key\":(-?[0-9.eE+-]+|null|true|false) ]]; then
        printf '%s' "${BASH_REMATCH[1]}"
    fi
}

# One pool's figures of a verdict, e.g. "canary: 412 req, 3 5xx (0.73%), p95 12.4 ms".
figures() {
    local json="$1" side="$2" part rate p95
    [[ $json =~ \"$side\":\{([^}]*)\} ]] || return 0
    part="${BASH_REMATCH[1]}"
    rate=$(awk -v r="$(field "$part" error-rate)" 'BEGIN { printf "%.2f%%", r * 100 }')
    p95=$(awk -v s="$(field "$part" p95-seconds)" 'BEGIN { printf "%.1f ms", s * 1000 }')
    printf '%s: %s req, %s 5xx (%s), p95 %s' "$(field "$part" pool)" "$(field "$part" requests)" \
        "$(field "$part" errors)" "$rate" "$p95"
}

# Prints the trail's verdicts after the first $printed ones.
print_verdicts() {
    local json="$1" trail rest verdict outcome line stable canary
    trail="${json#*\"verdicts\":\[}"
    local -a items=()
    rest="$trail"
    while [[ $rest == *'{"at":"'* ]]; do
        rest="${rest#*\{\"at\":\"}"
        verdict="{\"at\":\"${rest%%\{\"at\":\"*}"
        items+=("$verdict")
    done
    while [ "$printed" -lt "${#items[@]}" ]; do
        verdict="${items[$printed]}"
        outcome=$(field "$verdict" outcome)
        line=$(printf '%-8s %3s%%  %s' "$outcome" "$(field "$verdict" step)" "$(field "$verdict" reason)")
        stable=$(figures "$verdict" stable)
        canary=$(figures "$verdict" canary)
        [ -n "$stable$canary" ] && line+=$(printf '\n               %s; %s' "$stable" "$canary")
        echo "$line"
        printed=$((printed + 1))
    done
}

started=false finished=false
on_exit() {
    if $abort_on_exit && $started && ! $finished; then
        trap '' PIPE # a runner that stopped reading must not keep the abort from being sent
        echo "stopped before the end: aborting the rollout on route $route ($from gets all of it)" >&2
        api DELETE "/api/v1/routes/$route/rollout" >/dev/null 2>&1
        echo "  abort answered $status" >&2
    fi
}
trap on_exit EXIT
# A signal only sets a flag, checked at the points below: exiting straight from the trap, which bash runs
# as soon as the call under way returns, could leave before the rollout that call started is known to run.
cancelled=""
trap 'cancelled=130' INT
trap 'cancelled=143' TERM
stop_if_cancelled() { [ -z "$cancelled" ] || exit "$cancelled"; }

plan="{\"from\":\"$from\",\"to\":\"$to\""
[ -n "$steps" ] && plan+=",\"steps\":[$steps]"
[ -n "$interval" ] && plan+=",\"interval\":\"$interval\""
[ -n "$min_requests" ] && plan+=",\"min-requests\":$min_requests"
[ -n "$max_error_rate" ] && plan+=",\"max-error-rate\":$max_error_rate"
[ -n "$max_p95_ratio" ] && plan+=",\"max-p95-ratio\":$max_p95_ratio"
plan+="}"

api POST "/api/v1/routes/$route/rollout" "$plan"
if [ "$status" != 202 ]; then
    echo "FAILED to start the rollout on route $route: $status $(field "$body" error)" >&2
    exit 2
fi
started=true
stop_if_cancelled
echo "rollout on route $route: $from -> $to, steps [${steps:-5,25,50,100}] every $(field "$body" interval)"
printed=0
while true; do
    print_verdicts "$body"
    state=$(field "$body" state)
    case "$state" in
        promoted)
            finished=true
            echo "PROMOTED: $to has all of route $route"
            exit 0 ;;
        rolled-back|aborted)
            finished=true
            echo "ROLLED BACK ($state): $(field "$body" reason)" >&2
            echo "  $from has all of route $route again; the figures are in the verdicts above" >&2
            exit 1 ;;
        running) ;;
        *)
            echo "FAILED: unexpected rollout state \"$state\"" >&2
            exit 2 ;;
    esac
    sleep 1
    stop_if_cancelled
    if ! api GET "/api/v1/routes/$route/rollout" || [ "$status" != 200 ]; then
        echo "FAILED to read the rollout on route $route: $status $(field "$body" error)" >&2
        exit 2
    fi
done
