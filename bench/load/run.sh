#!/usr/bin/env bash
# Portal's load harness: wrk -> nginx (direct), wrk -> a bare YARP proxy -> nginx (yarp) and wrk -> Portal gateway ->
# nginx (portal), on one machine.
#
# Usage: bench/load/run.sh [options]
#   --quick               smoke test: 1 round of 3 s, connections 1,32, 1 s warm-up, JIT warm-up of at most 20 s
#   --rounds N            rounds per configuration, alternating direct/yarp/portal (A B C A B C ...) (default 3)
#   --duration S          seconds per measured run (default 10)
#   --warmup S            seconds of warm-up per configuration before its rounds (default 2)
#   --jit-warmup S        at most this many seconds of gateway warm-up load right after start (32 connections, 2 s
#                         slices with 1 s pauses, modes alternating, each slice run through the gateway and then
#                         through YARP), ending after 40 s once the JIT's tier-up threads of both are quiet, so
#                         measurements see tiered code (default 90; 0 = none)
#   --connections LIST    wrk connections, comma-separated (default 1p,1,32,256); wrk threads: 1 for 1 connection, else
#                         2. A number followed by p is paced: each connection pauses 1 ms before every request (wrk's
#                         delay hook), so the gateway's core is mostly idle and the latency is that of a lone client;
#                         without p, wrk sends the next request the moment a response is in, which keeps the
#                         gateway's core busy even at 1 connection
#   --modes LIST          json (non-streaming) and/or sse (streaming) (default json,sse)
#   --probe-requests N    requests per run of the 1-connection latency probe (latency_client.py: one connection, back
#                         to back, every latency timed; direct, yarp and portal alternating over --rounds), after the
#                         wrk runs (default 50000; 0 = no probe)
#   --timeout S           wrk's per-request timeout; a slower response counts as an error (default 5)
#   --out FILE            where to write the table (default /tmp/portal-load-results/<UTC time>.md; the raw
#                         per-run numbers go next to it as <FILE>.runs.tsv)
#   --gateway DIR         use an already published gateway (DIR/portal) instead of building one
#   --yarp DIR            use an already published YARP baseline (DIR/YarpBaseline) instead of building one
#   --compare DIR         also measure a second published gateway (DIR/portal, for example another commit's
#                         dotnet publish output) as configuration portal-b, started like the first on its own port with
#                         the same settings, alternating with the others in every round (direct yarp portal portal-b);
#                         a second table compares it with the first round by round (its CPU per request over the
#                         first's in the same round, and in how many rounds it was the cheaper). Paired rounds cancel
#                         part of a shared machine's drift; for a change of a few percent, use many rounds and runs
#   --compare-env K=V     an environment variable for the compared gateway only (repeatable; after --gateway-env), to
#                         measure what a setting costs with the same build on both sides, for example
#                         --compare-env Logging__LogLevel__Portal=Warning (no request lines); DIR defaults to the
#                         gateway under test when only --compare-env is given
#   --yarp-mode MODE      routes: YARP's usual setup, one catch-all route to a one-destination cluster (default);
#                         forwarder: YARP's IHttpForwarder called from one endpoint, without the proxy pipeline
#   --gateway-cpus LIST   the cores the gateway (and the YARP baseline) run on, as taskset -c takes them (default 1:
#                         the measurements assume the gateway alone on its core; 0-1 shares core 0 with nginx and wrk)
#   --gateway-env K=V     an extra environment variable for the gateway and the YARP baseline (repeatable), for
#                         experiments such as DOTNET_TieredPGO=0; shown in the table's title
#   --quiet-log           the gateway logs Warning and above only: no request lines (the default is the shipped
#                         settings, one Information line per request, written to the work folder's gateway.log;
#                         --request-log, that default, is still accepted)
#   --keep                keep the temporary work folder (configs, logs, wrk outputs)
#   -h, --help            this text
#
# What it does: installs nginx-light and wrk with apt when missing (needs root); publishes src/Portal.Server and
# bench/YarpBaseline in Release from a snapshot of the working tree into a temporary folder; starts nginx from
# bench/load/nginx.conf (canned chat completion at /json/v1/chat/completions, canned SSE stream at
# /sse/v1/chat/completions, stub_status), the gateway (platforms "json" and "sse" pointing at nginx, SQLite stats on)
# and the YARP baseline (every path forwarded to nginx as it is) on free ports of 127.0.0.1; pins nginx and wrk to
# core 0 and the gateway and YARP to core 1 (taskset; only one of them is under load at a time); then for every mode x
# connections warms up the three configurations and measures direct, yarp and portal in turn for --rounds rounds. Per
# yarp and portal run it reads the proxy's CPU time (utime+stime from /proc/PID/stat), its peak RSS (VmHWM, reset
# through /proc/PID/clear_refs before the run) and the number of requests nginx served (stub_status). It prints one
# markdown table (medians over rounds; peak RSS is the maximum; the gateway's CPU per request divided by YARP's) and
# exits 0 only when every request succeeded and every measurement is there (1: failed requests, 2: missing
# measurements). Everything it starts is stopped on exit, also on Ctrl+C.
#
# Needs: Linux with 2+ cores, root (apt, clear_refs), the .NET SDK, python3 (stdlib), curl. Runs about
# modes x connections x 3 x (warm-up + rounds x duration) seconds, plus the JIT warm-up (80-180 s of load with pauses)
# and the builds: ~17 minutes by default.
set -euo pipefail

source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

ROUNDS=3
DURATION=10
WARMUP=2
JIT_WARMUP=90
CONNECTIONS=1p,1,32,256
MODES=json,sse
TIMEOUT=5
PROBE_REQUESTS=50000
OUT=""
COMPARE_DIR=""
COMPARE_ENV=()
while (($#)); do
  case $1 in
    --quick) ROUNDS=1 DURATION=3 WARMUP=1 JIT_WARMUP=20 CONNECTIONS=1p,32 PROBE_REQUESTS=10000 ;;
    --probe-requests) PROBE_REQUESTS=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --jit-warmup) JIT_WARMUP=$2; shift ;;
    --connections) CONNECTIONS=$2; shift ;;
    --modes) MODES=$2; shift ;;
    --timeout) TIMEOUT=$2; shift ;;
    --out) OUT=$2; shift ;;
    --yarp) YARP_DIR=$(cd "$2" && pwd); shift ;;
    --compare) COMPARE_DIR=$(cd "$2" && pwd); shift ;;
    --compare-env) [[ $2 == [A-Za-z_]*=* ]] || { echo "--compare-env needs NAME=VALUE" >&2; exit 64; }; COMPARE_ENV+=("$2"); shift ;;
    --yarp-mode) YARP_MODE=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) common_option "$@" || { echo "unknown option $1 (see --help)" >&2; exit 64; }; shift $((COMMON_SHIFT - 1)) ;;
  esac
  shift
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $DURATION =~ ^[1-9][0-9]*$ && $WARMUP =~ ^[0-9]+$ && $JIT_WARMUP =~ ^[0-9]+$ && $TIMEOUT =~ ^[1-9][0-9]*$ && $PROBE_REQUESTS =~ ^[0-9]+$ ]] \
  || { echo "--rounds, --duration, --timeout must be positive integers, --warmup and --probe-requests non-negative ones" >&2; exit 64; }
[[ $CONNECTIONS =~ ^[1-9][0-9]*p?(,[1-9][0-9]*p?)*$ ]] || { echo "--connections: a comma-separated list of numbers, each optionally followed by p (paced)" >&2; exit 64; }
IFS=, read -ra CONN_LIST <<<"$CONNECTIONS"
IFS=, read -ra MODE_LIST <<<"$MODES"
for m in "${MODE_LIST[@]}"; do [[ $m == json || $m == sse ]] || { echo "--modes: json and/or sse, not $m" >&2; exit 64; }; done
[[ $YARP_MODE == routes || $YARP_MODE == forwarder ]] || { echo "--yarp-mode: routes or forwarder, not $YARP_MODE" >&2; exit 64; }
CONFIGS=(direct yarp portal)
GATEWAYS=(portal) # the gateways under test, warmed up and checked alike
if [[ -n $COMPARE_DIR ]] || ((${#COMPARE_ENV[@]} > 0)); then
  [[ -z $COMPARE_DIR || -x $COMPARE_DIR/portal ]] || { echo "--compare $COMPARE_DIR has no portal program" >&2; exit 64; }
  CONFIGS+=(portal-b)
  GATEWAYS+=(portal-b)
fi
(($(nproc --all) >= 2)) || { echo "needs at least 2 cores (load generator + upstream on core 0, gateway on core 1)" >&2; exit 1; }
[[ -n "$PYTHON" ]] || { echo "python3 is needed" >&2; exit 1; }

setup_traps
make_work load
ensure_commands nginx wrk taskset curl

STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
[[ -n "$OUT" ]] || OUT=/tmp/portal-load-results/$STAMP.md
mkdir -p "$(dirname "$OUT")"

build_gateway
build_yarp

# --- nginx (core 0) --------------------------------------------------------------------------------------------------
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx"
sed -e "s|@PREFIX@|$WORK/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" "$LOAD_DIR/nginx.conf" >"$WORK/nginx/nginx.conf"
nginx -t -q -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" 2>"$WORK/nginx/test.log" \
  || { cat "$WORK/nginx/test.log" >&2; die "nginx rejected its config"; }
log "starting nginx on 127.0.0.1:$NGINX_PORT (core 0)"
taskset -c 0 nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" >"$WORK/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
DIRECT=http://127.0.0.1:$NGINX_PORT
for ((i = 0; i < 100; i++)); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$DIRECT/nginx_status" || true) == 200 ]] && break
  check_pid_alive "$NGINX_PID" nginx
  sleep 0.1
done
nginx_requests() { curl -sf --max-time 5 "$DIRECT/nginx_status" | awk 'NR == 3 { print $3 }'; }
# A gateway's GC counters from its /metrics ($1: its base URL): "collections pause_seconds allocated_bytes" (empty
# when unavailable).
gc_counters() {
  curl -sf --max-time 5 "$1/metrics" | awk '
    /^dotnet_gc_collections_total[{ ]/ { n += $NF; seen++ }
    /^dotnet_gc_pause_time_seconds_total[{ ]/ { p = $NF; seen++ }
    /^dotnet_gc_heap_total_allocated_bytes_total[{ ]/ { a = $NF; seen++ }
    END { if (seen >= 3) printf "%.0f %.6f %.0f\n", n, p, a }' || true
}
[[ -n "$(nginx_requests)" ]] || die "nginx did not answer on /nginx_status"

# --- the gateway (core 1) --------------------------------------------------------------------------------------------
GATEWAY_PORT=$(free_port)
mkdir -p "$WORK/gw"
cat >"$WORK/gw/portal.json" <<EOF
{
  "platforms": [
    {
      "name": "json",
      "format": "openai",
      "baseUrl": "$DIRECT/json/v1",
      "models": [ { "name": "gpt-bench", "alias": "bench" } ],
      "keys": [ "sk-bench-json-0000000000000000" ]
    },
    {
      "name": "sse",
      "format": "openai",
      "baseUrl": "$DIRECT/sse/v1",
      "models": [ { "name": "gpt-bench-stream", "alias": "bench-stream" } ],
      "keys": [ "sk-bench-sse-00000000000000000" ]
    }
  ]
}
EOF
start_gateway "$WORK/gw" "$GATEWAY_PORT"
PORTAL=http://127.0.0.1:$GATEWAY_PORT
COMPARE_PID=""
if ((${#GATEWAYS[@]} > 1)); then
  COMPARE_DIR=${COMPARE_DIR:-$GATEWAY_DIR} # --compare-env alone: the same build, other settings
  # The same configuration in a folder of its own (its own database and log), on its own port.
  mkdir -p "$WORK/gw-b"
  cp "$WORK/gw/portal.json" "$WORK/gw-b/"
  COMPARE_PORT=$(free_port)
  MAIN_PID=$GATEWAY_PID
  start_gateway "$WORK/gw-b" "$COMPARE_PORT" "$COMPARE_DIR" "${COMPARE_ENV[@]}"
  COMPARE_PID=$GATEWAY_PID GATEWAY_PID=$MAIN_PID
  PORTAL_B=http://127.0.0.1:$COMPARE_PORT
fi

# --- the YARP baseline (core 1, idle while the gateway is measured and the other way round) ---------------------------
YARP_PORT=$(free_port)
mkdir -p "$WORK/yarp-run"
start_yarp "$WORK/yarp-run" "$YARP_PORT" "$DIRECT"
YARP=http://127.0.0.1:$YARP_PORT

# --- request bodies and targets --------------------------------------------------------------------------------------
MESSAGES='[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say something short about load testing."}]'
body_for() {
  case $1 in
    json) printf '{"model":"bench","messages":%s,"max_tokens":64,"temperature":0}' "$MESSAGES" ;;
    sse) printf '{"model":"bench-stream","stream":true,"messages":%s,"max_tokens":64,"temperature":0}' "$MESSAGES" ;;
  esac
}
# The base URL of a gateway configuration (portal, portal-b); empty for direct and yarp.
gateway_url() { case $1 in portal) echo "$PORTAL" ;; portal-b) echo "$PORTAL_B" ;; esac; }
# The process a configuration measures (the proxy's); empty for direct.
pid_of() { case $1 in portal) echo "$GATEWAY_PID" ;; portal-b) echo "$COMPARE_PID" ;; yarp) echo "$YARP_PID" ;; esac; }
url_for() { # config mode
  case $1 in
    direct) echo "$DIRECT/$2/v1/chat/completions" ;;
    yarp) echo "$YARP/$2/v1/chat/completions" ;;
    *) echo "$(gateway_url "$1")/v1/chat/completions" ;;
  esac
}

# --- sanity: one request of each kind, checked by content -----------------------------------------------------------
sanity() { # config mode
  local out="$WORK/sanity-$1-$2" code
  code=$(curl -s -o "$out.body" -D "$out.headers" -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
    --data-binary "$(body_for "$2")" "$(url_for "$1" "$2")" || true)
  [[ $code == 200 ]] || { cat "$out.body" >&2 2>/dev/null; die "sanity $1 $2: HTTP $code"; }
  case $2 in
    json)
      grep -q '"object":"chat.completion"' "$out.body" && grep -q '"finish_reason":"stop"' "$out.body" \
        || { cat "$out.body" >&2; die "sanity $1 json: not the canned completion"; }
      log "sanity $1 json: 200, $(wc -c <"$out.body") bytes" ;;
    sse)
      grep -qi '^content-type: text/event-stream' "$out.headers" || die "sanity $1 sse: not text/event-stream"
      [[ $(grep -c '^data: ' "$out.body") -ge 6 ]] && grep -q '^data: \[DONE\]' "$out.body" \
        && grep -q '"finish_reason":"stop"' "$out.body" || { cat "$out.body" >&2; die "sanity $1 sse: not the canned stream"; }
      log "sanity $1 sse: 200, $(grep -c '^data: ' "$out.body") data events (usage chunk relayed: $(grep -c '"usage":{' "$out.body")), $(wc -c <"$out.body") bytes" ;;
  esac
}
for mode in "${MODE_LIST[@]}"; do
  for config in "${CONFIGS[@]}"; do sanity "$config" "$mode"; done
done

# --- one wrk run -----------------------------------------------------------------------------------------------------
RUNS=$WORK/runs.tsv
printf 'mode\tconns\tconfig\tphase\tround\trequests\tduration_us\trps\tp50_us\tp90_us\tp99_us\terrors\terror_detail\tcpu_ticks\thwm_kb\tupstream\tgc_collections\tgc_pause_us\talloc_bytes\n' >"$RUNS"
mkdir -p "$WORK/wrk"

run_one() { # mode conns config phase round seconds
  local mode=$1 conns=$2 config=$3 phase=$4 round=$5 seconds=$6
  local threads=2 out="$WORK/wrk/$mode-c$conns-$config-$phase-$round.txt" n=${conns%p} pause=""
  [[ $conns == *p ]] && pause=1
  ((n == 1)) && threads=1
  ((n < threads)) && threads=$n
  local t0="" t1="" n0 n1 hwm="" sampler="" upstream cpu="" gc0="" gc1="" gc=("" "" "") pid=""
  check_pid_alive "$NGINX_PID" nginx
  check_pid_alive "$GATEWAY_PID" "the gateway"
  check_pid_alive "$YARP_PID" "the YARP baseline"
  [[ -n $COMPARE_PID ]] && check_pid_alive "$COMPARE_PID" "the compared gateway"
  # The proxy under test (none for direct): its CPU time and peak RSS are read around measured runs.
  pid=$(pid_of "$config")
  local base
  base=$(gateway_url "$config")
  if [[ -n $pid && $phase == measure ]]; then
    if ! reset_hwm "$pid"; then
      # No clear_refs: sample VmRSS every 200 ms instead.
      (while kill -0 "$pid" 2>/dev/null; do vm_kb "$pid" VmRSS; sleep 0.2; done) >"$out.rss" 2>/dev/null &
      sampler=$!
      PIDS+=("$sampler")
    fi
    [[ -n $base ]] && gc0=$(gc_counters "$base")
    t0=$(cpu_ticks "$pid")
  fi
  n0=$(nginx_requests)
  WRK_BODY=$(body_for "$mode") WRK_DELAY_MS=$pause run_waited "$out" "$out" timeout -k 5 $((seconds + TIMEOUT + 30)) \
    taskset -c 0 wrk -t"$threads" -c"$n" -d"${seconds}s" --timeout "${TIMEOUT}s" -s "$LOAD_DIR/post.lua" \
    "$(url_for "$config" "$mode")" || log "wrk exited with status $? ($out)"
  if [[ -n "$t0" ]]; then
    sleep 0.5 # let the proxy finish what wrk left in flight (and the gateway write those stats)
    t1=$(cpu_ticks "$pid")
    cpu=$((t1 - t0))
    [[ -n $base ]] && gc1=$(gc_counters "$base")
    if [[ -n "$gc0" && -n "$gc1" ]]; then
      read -ra gc < <(awk -v a="$gc0" -v b="$gc1" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f %.0f %.0f\n", y[1] - x[1], (y[2] - x[2]) * 1e6, y[3] - x[3] }')
    fi
    if [[ -n "$sampler" ]]; then
      stop_pid "$sampler" 2
      hwm=$(sort -n "$out.rss" | tail -n 1)
    else
      hwm=$(vm_kb "$pid" VmHWM)
    fi
  fi
  n1=$(nginx_requests)
  upstream=$((n1 - n0 - 1)) # the second status request counts itself
  local line
  line=$(grep '^WRK_RESULT ' "$out" | tail -n 1 || true)
  local -A r=()
  local kv
  LAST_RPS=0
  for kv in ${line#WRK_RESULT }; do r[${kv%%=*}]=${kv#*=}; done
  if [[ -z "$line" ]]; then
    log "no result from wrk for $mode c=$conns $config; its output:"
    cat "$out" >&2
    printf '%s\t%s\t%s\t%s\t%s\t\t\t\t\t\t\t1\tno wrk result\t%s\t%s\t%s\n' "$mode" "$conns" "$config" "$phase" "$round" "$cpu" "$hwm" "$upstream" >>"$RUNS"
    return 0
  fi
  local errors=$((${r[err_connect]:-1} + ${r[err_read]:-0} + ${r[err_write]:-0} + ${r[err_timeout]:-0} + ${r[err_status]:-0}))
  local detail="connect=${r[err_connect]} read=${r[err_read]} write=${r[err_write]} timeout=${r[err_timeout]} status>=400=${r[err_status]} of ${r[requests]}"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$conns" "$config" "$phase" "$round" \
    "${r[requests]}" "${r[duration_us]}" "${r[rps]}" "${r[p50_us]}" "${r[p90_us]}" "${r[p99_us]}" "$errors" "$detail" \
    "$cpu" "$hwm" "$upstream" "${gc[0]}" "${gc[1]}" "${gc[2]}" >>"$RUNS"
  local extra=""
  [[ -n "$cpu" ]] && extra=" cpu=$(awk -v t="$cpu" -v k="$CLK_TCK" -v n="${r[requests]}" 'BEGIN { printf "%.3f", n ? t / k * 1000 / n : 0 }')ms/req hwm=$((hwm / 1024))MB"
  ((errors)) && extra+=" ERRORS: $detail"
  LAST_RPS=${r[rps]}
  [[ $phase == jit ]] && return 0
  log "$(printf '%-4s c=%-3s %-8s %-7s r%s' "$mode" "$conns" "$config" "$phase" "$round") rps=${r[rps]} p50=${r[p50_us]}us p99=${r[p99_us]}us upstream/req=$(awk -v u="$upstream" -v n="${r[requests]}" 'BEGIN { printf "%.3f", n ? u / n : 0 }')$extra"
}

# JIT warm-up. Right after start the gateway runs at a fraction of its steady speed: tiered compilation has not
# compiled the hot paths yet, and under saturating load on its single core the JIT's background thread
# (".NET Tiered Com") is starved, so it barely progresses; measured here, it takes 40-60 s of load with pauses to reach
# the steady speed (quiet phases of the tier-up thread early on do not mean it is done: call counting is postponed while
# new methods are still being jitted). Slices of 2 s of load at 32 connections (modes alternating) each followed by a
# 1 s pause, until at least 40 s of load have passed and the tier-up thread stayed quiet (<= 3 ticks) for 3 rounds
# of slices in a row, or --jit-warmup seconds of load have passed. Each slice's rps is logged to show it levelling off.
# The YARP baseline is a .NET program too and gets the same: every slice runs through the gateway, then through YARP,
# and the warm-up ends when the tier-up threads of both stayed quiet.
if ((JIT_WARMUP > 0)); then
  log "JIT warm-up of the gateway${COMPARE_DIR:+s} and YARP: up to ${JIT_WARMUP}s of load each at 32 connections, 2 s slices with 1 s pauses"
  declare -A SLICES=() ROUND_TIER=()
  WARMED=("${GATEWAYS[@]}" yarp)
  jit_quiet=0 jit_spent=0 jit_slice=0 jit_settled=0
  JIT_MIN=$((JIT_WARMUP < 40 ? JIT_WARMUP : 40))
  while ((jit_spent < JIT_WARMUP)); do
    ROUND_TIER=()
    for config in "${WARMED[@]}"; do ROUND_TIER[$config]=0; done
    for mode in "${MODE_LIST[@]}"; do
      jit_slice=$((jit_slice + 1))
      for config in "${WARMED[@]}"; do
        pid=$(pid_of "$config")
        tier0=$(thread_ticks "$pid" ".NET Tiered Com")
        run_one "$mode" 32 "$config" jit "$jit_slice" 2
        sleep 1
        tier1=$(thread_ticks "$pid" ".NET Tiered Com")
        tier=$((tier1 - tier0)); ((tier < 0)) && tier=0
        SLICES["$mode $config"]+=" ${LAST_RPS%.*}"
        ROUND_TIER[$config]=$((ROUND_TIER[$config] + tier))
      done
      jit_spent=$((jit_spent + 2))
    done
    quiet=1
    for config in "${WARMED[@]}"; do
      SLICES[tier $config]+=" ${ROUND_TIER[$config]}"
      ((ROUND_TIER[$config] <= 3)) || quiet=0
    done
    if ((quiet)); then jit_quiet=$((jit_quiet + 1)); else jit_quiet=0; fi
    if ((jit_quiet >= 3 && jit_spent >= JIT_MIN)); then jit_settled=1; break; fi
  done
  for mode in "${MODE_LIST[@]}"; do
    for config in "${WARMED[@]}"; do log "JIT warm-up $mode $config rps per slice:${SLICES["$mode $config"]}"; done
  done
  ticks=""
  for config in "${WARMED[@]}"; do ticks+="${ticks:+; }$config:${SLICES[tier $config]}"; done
  log "JIT warm-up tier-up thread CPU ticks per round of slices, $ticks"
  if ((jit_settled)); then
    log "JIT warm-up done after ${jit_spent}s of load each (tier-up threads quiet for $jit_quiet rounds)"
  else
    log "JIT warm-up stopped at its limit of ${JIT_WARMUP}s of load each; a tier-up thread was still busy"
  fi
fi

total=$(( ${#MODE_LIST[@]} * ${#CONN_LIST[@]} * ${#CONFIGS[@]} * (WARMUP + ROUNDS * DURATION) + 2 * JIT_WARMUP ))
log "measuring modes ${MODES} x connections ${CONNECTIONS} x ${CONFIGS[*]}: $ROUNDS round(s) of ${DURATION}s, ${WARMUP}s warm-up (about $((total / 60 + 1)) min of load)"
for mode in "${MODE_LIST[@]}"; do
  for conns in "${CONN_LIST[@]}"; do
    if ((WARMUP > 0)); then
      for config in "${CONFIGS[@]}"; do run_one "$mode" "$conns" "$config" warmup 0 "$WARMUP"; done
    fi
    for ((round = 1; round <= ROUNDS; round++)); do
      for config in "${CONFIGS[@]}"; do run_one "$mode" "$conns" "$config" measure "$round" "$DURATION"; done
    done
  done
done

# --- the 1-connection latency probe ----------------------------------------------------------------------------------
PROBE=$WORK/probe.tsv
printf 'mode\tconfig\tround\trequests\trps\tp50_us\tp90_us\tp99_us\tp999_us\tmean_us\tmax_us\terrors\n' >"$PROBE"
if ((PROBE_REQUESTS > 0)); then
  log "latency probe: $PROBE_REQUESTS requests per run on one connection, back to back, $ROUNDS round(s), A B C A B C"
  for mode in "${MODE_LIST[@]}"; do
    for ((round = 1; round <= ROUNDS; round++)); do
      for config in "${CONFIGS[@]}"; do
        out="$WORK/wrk/probe-$mode-$config-$round.txt"
        run_waited "$out" "$out" timeout -k 5 300 taskset -c 0 "$PYTHON" "$LOAD_DIR/latency_client.py" \
          "$(url_for "$config" "$mode")" "$(body_for "$mode")" --requests "$PROBE_REQUESTS" || log "latency probe exited with status $? ($out)"
        line=$(grep '^LAT_RESULT ' "$out" | tail -n 1 || true)
        declare -A q=()
        for kv in ${line#LAT_RESULT }; do q[${kv%%=*}]=${kv#*=}; done
        [[ -n "$line" ]] || { log "no result from the latency probe ($mode $config):"; cat "$out" >&2; q[errors]=1; }
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$config" "$round" "${q[requests]:-}" "${q[rps]:-}" \
          "${q[p50_us]:-}" "${q[p90_us]:-}" "${q[p99_us]:-}" "${q[p999_us]:-}" "${q[mean_us]:-}" "${q[max_us]:-}" "${q[errors]:-1}" >>"$PROBE"
        log "$(printf 'probe %-4s %-8s r%s' "$mode" "$config" "$round") rps=${q[rps]:-?} p50=${q[p50_us]:-?}us p99=${q[p99_us]:-?}us p99.9=${q[p999_us]:-?}us errors=${q[errors]:-?}"
        unset q
      done
    done
  done
fi

# --- the gateway's own view: stats rows, log lines -------------------------------------------------------------------
sleep 1
STATS=$(curl -s --max-time 10 "$PORTAL/admin/stats/count" || true)
log "gateway stats rows (one per upstream attempt, incl. warm-ups and the sanity requests; requests wrk abandoned in flight at the end of a run may count as failed): $STATS"
if [[ $STATS =~ \"failedRequests\":([0-9]+) ]] && ((BASH_REMATCH[1] > 0)); then
  log "a sample of the failed stat rows (their errors):"
  curl -s --max-time 10 "$PORTAL/admin/stats?success=false&limit=200" | "$PYTHON" -c '
import collections, json, sys
rows = json.load(sys.stdin).get("data", [])
seen = collections.Counter()
for r in rows:
    seen[" ".join(f"{k}={r.get(k)}" for k in ("statusCode", "errorType", "errorMessage", "isStream") if k in r) or json.dumps(r)[:300]] += 1
for text, n in seen.most_common(5):
    print(f"  {n} x {text[:300]}")' >&2 || true
fi
# Logs how many lines a log ($2, named $1) has and how many of them are warnings or worse, with the commonest of those;
# prints that count.
warn_lines() {
  local n
  n=$(grep -c -E '^[^ ]+ (warn|fail|crit)' "$2" || true)
  log "$1 log: $(wc -l <"$2") lines, $n warn/fail/crit"
  ((n == 0)) || grep -E '^[^ ]+ (warn|fail|crit)' "$2" | cut -c1-300 | sort | uniq -c | sort -rn | head -n 10 >&2
  echo "$n"
}
WARN_LINES=$(warn_lines gateway "$WORK/gw/gateway.log")
YARP_WARN_LINES=$(warn_lines YARP "$WORK/yarp-run/yarp.log")
COMPARE_NOTE=""
if [[ -n $COMPARE_DIR ]]; then
  log "compared gateway stats rows: $(curl -s --max-time 10 "$PORTAL_B/admin/stats/count" || true)"
  B_WARN_LINES=$(warn_lines "compared gateway" "$WORK/gw-b/gateway.log")
  COMPARE_NOTE=" portal-b: the gateway in $COMPARE_DIR${COMPARE_ENV[*]:+ with ${COMPARE_ENV[*]}} (log lines at Warning and above: $B_WARN_LINES)."
fi

# --- the table -------------------------------------------------------------------------------------------------------
CPU_NAME=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
LOG_SETTING="request lines on, as shipped"
((REQUEST_LOG)) || LOG_SETTING="request lines off (--quiet-log)"
TITLE="Portal load harness, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc --all) cores ($CPU_NAME; shared machine: treat as indications). nginx + wrk on core 0, gateway and YARP baseline (mode $YARP_MODE) on core(s) $GATEWAY_CPUS (Release; gateway with SQLite stats on, $LOG_SETTING). $ROUNDS round(s) x ${DURATION}s per configuration, ${CONFIGS[*]} in turn, ${WARMUP}s warm-up each (after a JIT warm-up of ${jit_spent:-0}s each); medians over rounds.${GATEWAY_ENV[*]:+ Environment: ${GATEWAY_ENV[*]}.}"
set +e
"$PYTHON" "$LOAD_DIR/report.py" "$RUNS" --clk-tck "$CLK_TCK" --title "$TITLE" \
  --note "rps: requests/s at wrk; p50/p99: wrk latency; added = portal - direct; CPU = (utime+stime) of the gateway (or YARP) process over the run (incl. 0.5 s after it) / requests (= CPU seconds per 1,000 requests; clock tick $((1000 / CLK_TCK)) ms); portal ÷ yarp = the gateway's CPU per request over YARP's; peak RSS = max VmHWM over the rounds; upstream calls/req = nginx requests / wrk requests (requests wrk leaves in flight at the end count upstream only)." \
  --probe "$PROBE" --note "wrk: 1 thread for 1 connection, else 2; timeout ${TIMEOUT}s. Gateway stats rows: ${STATS:-unavailable}. Log lines at Warning and above: gateway $WARN_LINES, YARP $YARP_WARN_LINES.$COMPARE_NOTE" >"$OUT"
RC=$?
set -e
cp "$RUNS" "$OUT.runs.tsv"
cp "$PROBE" "$OUT.probe.tsv"
echo
cat "$OUT"
echo
log "table written to $OUT (per-run numbers: $OUT.runs.tsv)"
case $RC in
  0) ;;
  1) log "FAILED: some requests failed (see above)"; ((KEEP_WORK)) || { KEEP_WORK=1; log "keeping $WORK for inspection"; } ;;
  *) log "FAILED: measurements are missing (see above)"; ((KEEP_WORK)) || { KEEP_WORK=1; log "keeping $WORK for inspection"; } ;;
esac
exit "$RC"
