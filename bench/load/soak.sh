#!/usr/bin/env bash
# Portal's concurrency soak: many concurrent slow streams through the gateway, with its memory and CPU.
#
# Usage: bench/load/soak.sh [options]
#   --streams N           concurrent streams (default 1000)
#   --seconds S           how long the upstream streams each response (default 30)
#   --interval-ms MS      one content chunk every MS milliseconds (default 100): S*1000/MS content chunks per stream
#   --repeat N            soak N times in the same gateway process, reporting RSS after each run (leak check) (default 1)
#   --settle S            seconds to wait after each run before reading the RSS "after" (default 3)
#   --out FILE            where to write the table (default /tmp/portal-load-results/soak-<UTC time>.md)
#   --gateway DIR         use an already published gateway (DIR/portal) instead of building one
#   --gateway-env K=V     an extra environment variable for the gateway (repeatable)
#   --gateway-cpus LIST   the cores the gateway runs on, as taskset -c takes them (default 1). With one core .NET uses
#                         the workstation GC, whose young-generation budget follows the L3 cache size the CPU reports;
#                         with two or more it uses the server GC with dynamic adaptation (DATAS), as a deployment would
#   --request-log         keep the gateway's Information request log lines (work folder's gateway.log)
#   --keep                keep the temporary work folder
#   -h, --help            this text
#
# What it does: publishes src/Portal.Server in Release from a snapshot of the working tree into a temporary folder;
# starts bench/load/slow_upstream.py (stdlib asyncio SSE server: one OpenAI chunk every --interval-ms for --seconds,
# then a finish_reason chunk, a usage chunk when asked for, and [DONE]) pinned to core 0, and the gateway (platform
# "slow" of format openai at that upstream, model gpt-slow alias slow, SQLite stats on) pinned to core 1; then, per
# run, resets the gateway's VmHWM, runs bench/load/soak_client.py on core 0 (opens every connection, then sends all
# streaming requests at once, reads each to [DONE] and checks the exact chunk counts; samples the gateway's VmRSS every
# 200 ms) and reads the gateway's CPU time and VmHWM. Prints one markdown table, one row per run, and exits 0 only
# when every stream of every run completed exactly and the upstream served one request per stream.
# Everything it starts is stopped on exit, also on Ctrl+C. Needs root (clear_refs), the .NET SDK, python3, curl.
set -euo pipefail

source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

STREAMS=1000
SECONDS_PER_STREAM=30
INTERVAL_MS=100
REPEAT=1
SETTLE=3
OUT=""
while (($#)); do
  case $1 in
    --streams) STREAMS=$2; shift ;;
    --seconds) SECONDS_PER_STREAM=$2; shift ;;
    --interval-ms) INTERVAL_MS=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --settle) SETTLE=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) common_option "$@" || { echo "unknown option $1 (see --help)" >&2; exit 64; }; shift $((COMMON_SHIFT - 1)) ;;
  esac
  shift
done
for v in "$STREAMS" "$SECONDS_PER_STREAM" "$INTERVAL_MS" "$REPEAT"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "--streams, --seconds, --interval-ms and --repeat must be positive integers" >&2; exit 64; }
done
[[ $SETTLE =~ ^[0-9]+$ ]] || { echo "--settle must be a non-negative integer" >&2; exit 64; }
((SECONDS_PER_STREAM * 1000 % INTERVAL_MS == 0)) || { echo "--seconds x 1000 must be a multiple of --interval-ms" >&2; exit 64; }
(($(nproc --all) >= 2)) || { echo "needs at least 2 cores" >&2; exit 1; }
[[ -n "$PYTHON" ]] || { echo "python3 is needed" >&2; exit 1; }
EXPECT=$((SECONDS_PER_STREAM * 1000 / INTERVAL_MS))

# Every stream holds a client socket, a gateway socket on each side and an upstream socket: raise the open-files limit.
NEED=$((STREAMS * 2 + 1024))
if (($(ulimit -n) < NEED)); then
  ulimit -n "$NEED" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi
(($(ulimit -n) >= NEED)) || { echo "open files limit $(ulimit -n) < $NEED needed for $STREAMS streams (ulimit -Hn is $(ulimit -Hn))" >&2; exit 1; }

setup_traps
make_work soak
ensure_commands taskset curl
STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
[[ -n "$OUT" ]] || OUT=/tmp/portal-load-results/soak-$STAMP.md
mkdir -p "$(dirname "$OUT")"

build_gateway

# --- the slow upstream (core 0) --------------------------------------------------------------------------------------
UP_PORT=$(free_port)
log "starting slow_upstream.py on 127.0.0.1:$UP_PORT (core 0): $EXPECT chunks, one every ${INTERVAL_MS} ms"
taskset -c 0 "$PYTHON" "$LOAD_DIR/slow_upstream.py" --port "$UP_PORT" --seconds "$SECONDS_PER_STREAM" --interval-ms "$INTERVAL_MS" \
  >"$WORK/upstream.log" 2>&1 &
UP_PID=$!
PIDS+=("$UP_PID")
for ((i = 0; i < 100; i++)); do
  grep -q '^ready' "$WORK/upstream.log" 2>/dev/null && break
  check_pid_alive "$UP_PID" slow_upstream.py
  sleep 0.1
done
upstream_stats() { curl -sf --max-time 5 "http://127.0.0.1:$UP_PORT/stats"; }
upstream_stat() { upstream_stats | "$PYTHON" -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
upstream_stats >/dev/null || die "slow_upstream.py does not answer"

# --- the gateway (core 1) --------------------------------------------------------------------------------------------
GATEWAY_PORT=$(free_port)
mkdir -p "$WORK/gw"
cat >"$WORK/gw/portal.json" <<EOF
{
  "platforms": [
    {
      "name": "slow",
      "format": "openai",
      "baseUrl": "http://127.0.0.1:$UP_PORT/v1",
      "models": [ { "name": "gpt-slow", "alias": "slow" } ],
      "keys": [ "sk-soak-00000000000000000000" ]
    }
  ]
}
EOF
start_gateway "$WORK/gw" "$GATEWAY_PORT"
sleep 1
RSS_START=$(vm_kb "$GATEWAY_PID" VmRSS)
log "gateway RSS at rest after start: $((RSS_START / 1024)) MB"

# --- the runs --------------------------------------------------------------------------------------------------------
ROWS=()
FAILED=0
for ((run = 1; run <= REPEAT; run++)); do
  check_pid_alive "$GATEWAY_PID" "the gateway"
  check_pid_alive "$UP_PID" slow_upstream.py
  reset_hwm "$GATEWAY_PID" || log "warning: cannot reset VmHWM (no clear_refs); the peak is the process's lifetime peak"
  RSS_BEFORE=$(vm_kb "$GATEWAY_PID" VmRSS)
  T0=$(cpu_ticks "$GATEWAY_PID")
  U0=$(upstream_stat requests)
  log "run $run/$REPEAT: $STREAMS streams x ${SECONDS_PER_STREAM}s"
  set +e
  run_waited "$WORK/client-$run.out" "$WORK/client-$run.err" taskset -c 0 "$PYTHON" "$LOAD_DIR/soak_client.py" \
    --port "$GATEWAY_PORT" --streams "$STREAMS" --expect-chunks "$EXPECT" --model slow --pid "$GATEWAY_PID" \
    --timeout $((SECONDS_PER_STREAM * 3 + 60)) --json-out "$WORK/soak-$run.json"
  CLIENT_RC=$?
  set -e
  cat "$WORK/client-$run.err" >&2
  T1=$(cpu_ticks "$GATEWAY_PID")
  HWM=$(vm_kb "$GATEWAY_PID" VmHWM)
  U1=$(upstream_stat requests)
  UP_ABORTED=$(upstream_stat aborted)
  sleep "$SETTLE"
  RSS_AFTER=$(vm_kb "$GATEWAY_PID" VmRSS)
  RESULT=$(grep '^SOAK_RESULT ' "$WORK/client-$run.out" | sed 's/^SOAK_RESULT //' || true)
  [[ -n "$RESULT" ]] || { cat "$WORK/client-$run.out" >&2; log "run $run: no result from soak_client.py"; FAILED=1; RESULT='{}'; }
  UPSTREAM_REQ=$((U1 - U0))
  ((CLIENT_RC == 0)) || FAILED=1
  ((UPSTREAM_REQ == STREAMS)) || { log "run $run: the upstream served $UPSTREAM_REQ requests for $STREAMS streams"; FAILED=1; }
  ROW=$("$PYTHON" - "$RESULT" "$run" "$STREAMS" "$EXPECT" "$RSS_BEFORE" "$HWM" "$RSS_AFTER" "$((T1 - T0))" "$CLK_TCK" "$UPSTREAM_REQ" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); run, streams, expect, before, hwm, after, ticks, tck, up = sys.argv[2:]
mb = lambda kb: f"{int(kb) / 1024:.1f}" if kb not in ("", None) else "?"
peak = r.get("rss_peak_sampled_kb")
print(f"| {run} | {r.get('completed_ok', 0)}/{streams} | {r.get('content_chunks_min', '?')}-{r.get('content_chunks_max', '?')} (expected {expect}) "
      f"| {r.get('stream_s_p50', '?')} / {r.get('stream_s_max', '?')} | {r.get('ttfb_ms_p50', '?')} / {r.get('ttfb_ms_max', '?')} "
      f"| {mb(before)} | {mb(peak)} | {mb(hwm)} | {mb(after)} | {int(ticks) / int(tck):.2f} | {up} |")
PY
)
  ROWS+=("$ROW")
  log "run $run: gateway CPU $(awk -v t=$((T1 - T0)) -v k="$CLK_TCK" 'BEGIN { printf "%.2f", t / k }') s, VmHWM $((HWM / 1024)) MB, RSS after $((RSS_AFTER / 1024)) MB, upstream requests $UPSTREAM_REQ (aborted so far: $UP_ABORTED)"
done

# --- report ----------------------------------------------------------------------------------------------------------
LOG_LINES=$(wc -l <"$WORK/gw/gateway.log")
WARN_LINES=$(grep -c -E '^[^ ]+ (warn|fail|crit)' "$WORK/gw/gateway.log" || true)
if ((WARN_LINES > 2)); then
  log "gateway log lines at Warning and above:"
  grep -E '^[^ ]+ (warn|fail|crit)' "$WORK/gw/gateway.log" | cut -c26-300 | sort | uniq -c | sort -rn | head -n 10 >&2
fi
STATS=$(curl -s --max-time 10 "http://127.0.0.1:$GATEWAY_PORT/admin/stats/count" || true)
CPU_NAME=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
  echo "Portal concurrency soak, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc --all) cores ($CPU_NAME; shared machine: treat as indications). $STREAMS concurrent streams x ${SECONDS_PER_STREAM}s, one chunk every ${INTERVAL_MS} ms ($EXPECT content chunks + finish + [DONE] each); slow_upstream.py + soak_client.py on core 0, gateway on core(s) $GATEWAY_CPUS (Release, SQLite stats on), $REPEAT run(s) in one gateway process.${GATEWAY_ENV[*]:+ Gateway environment: ${GATEWAY_ENV[*]}.}"
  echo
  echo "| run | streams complete | content chunks per stream | stream s p50 / max | first event ms p50 / max | RSS before MB | peak RSS sampled MB | VmHWM MB | RSS after MB | gateway CPU s | upstream requests |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "RSS at rest after start: $(awk -v k="$RSS_START" 'BEGIN { printf "%.1f", k / 1024 }') MB. Peak RSS sampled: VmRSS every 200 ms during the run; VmHWM: the kernel's high-water mark, reset before each run; RSS after: VmRSS ${SETTLE}s after the run. Gateway CPU: utime+stime over the run. Gateway stats rows: ${STATS:-unavailable}. Gateway log: $LOG_LINES lines, $WARN_LINES at Warning and above."
} >"$OUT"
echo
cat "$OUT"
echo
log "table written to $OUT"
if ((FAILED)); then
  log "FAILED: some streams did not complete (see above)"
  KEEP_WORK=1
  exit 1
fi
