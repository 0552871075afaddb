# Shared helpers of bench/load/run.sh and bench/load/soak.sh (sourced, not run).
# Every process started here is recorded by PID and stopped by that PID on exit (also on Ctrl+C or failure); nothing is
# ever killed by name, because other people's dotnet processes run on the same machine.

LOAD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LOAD_DIR/../.." && pwd)
PIDS=()           # processes to stop on exit, in start order
WORK=""           # the temporary folder of this run
KEEP_WORK=0       # --keep: leave $WORK behind for inspection
GATEWAY_DIR=""    # --gateway DIR: a published gateway to use instead of building one
GATEWAY_PID=""
YARP_DIR=""       # run.sh --yarp DIR: a published YARP baseline to use instead of building one
YARP_MODE=routes  # run.sh --yarp-mode: routes (YARP's route + cluster pipeline) or forwarder (IHttpForwarder alone)
YARP_PID=""
REQUEST_LOG=1     # the gateway's request lines (Information) as shipped; --quiet-log: Warning and above only
GATEWAY_ENV=()    # --gateway-env NAME=VALUE: extra environment of the gateway (experiments, e.g. DOTNET_TieredPGO=0)
GATEWAY_CPUS=1    # --gateway-cpus LIST: the cores the gateway may run on (taskset -c)
CLK_TCK=$(getconf CLK_TCK)
PYTHON=$(command -v python3 >/dev/null && python3 -c 'import sys; print(sys.executable)' || true)

# The options run.sh and soak.sh share. Sets COMMON_SHIFT to the words taken; returns 1 when $1 is not one of them.
common_option() {
  case $1 in
    --gateway) GATEWAY_DIR=$(cd "$2" && pwd); COMMON_SHIFT=2 ;;
    --gateway-cpus) [[ $2 =~ ^[0-9]+([,-][0-9]+)*$ ]] || { echo "--gateway-cpus: a taskset core list such as 1 or 0-1" >&2; exit 64; }; GATEWAY_CPUS=$2; COMMON_SHIFT=2 ;;
    --gateway-env) [[ $2 == [A-Za-z_]*=* ]] || { echo "--gateway-env needs NAME=VALUE" >&2; exit 64; }; GATEWAY_ENV+=("$2"); COMMON_SHIFT=2 ;;
    --request-log) REQUEST_LOG=1; COMMON_SHIFT=1 ;; # the default since 2026-12-07; kept so older command lines work
    --quiet-log) REQUEST_LOG=0; COMMON_SHIFT=1 ;;
    --keep) KEEP_WORK=1; COMMON_SHIFT=1 ;;
    *) return 1 ;;
  esac
}

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Stops one process by PID: SIGTERM, then SIGKILL after a grace period (seconds).
stop_pid() {
  local pid=$1 grace=${2:-10} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  log "PID $pid did not stop within ${grace}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    stop_pid "${PIDS[$i]}" 25
  done
  if [[ -n "$WORK" && -d "$WORK" ]]; then
    if ((KEEP_WORK)); then
      log "kept $WORK"
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$rc"
}

setup_traps() {
  trap cleanup EXIT
  trap 'log "interrupted"; exit 130' INT
  trap 'log "terminated"; exit 143' TERM
}

make_work() {
  WORK=$(mktemp -d "/tmp/portal-$1.XXXXXX")
  chmod 755 "$WORK"
  log "work folder $WORK"
}

# A free TCP port on 127.0.0.1 (the kernel picks one; a tiny race with other programs is possible and fails loudly).
free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Installs the Debian packages that provide the given commands when they are missing (root only).
ensure_commands() {
  local missing=() cmd pkg
  for cmd in "$@"; do
    case $cmd in
      nginx) pkg=nginx-light ;;
      taskset) pkg=util-linux ;;
      curl) pkg=curl ;;
      *) pkg=$cmd ;;
    esac
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) == 0 ]] || die "missing ${missing[*]}; install them (apt-get install -y ${missing[*]}) or run as root"
  log "installing ${missing[*]} with apt"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$WORK/apt.log" 2>&1 \
    || { apt-get update -q >>"$WORK/apt.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>"$WORK/apt.log" 2>&1; } \
    || die "apt-get install ${missing[*]} failed; see $WORK/apt.log"
}

# Publishes the gateway in Release from a snapshot of the working tree (src/ and the build props), so that a build
# running at the same time in the repository (bin/, obj/) is never raced. Sets GATEWAY_DIR.
build_gateway() {
  if [[ -n "$GATEWAY_DIR" ]]; then
    [[ -x "$GATEWAY_DIR/portal" ]] || die "--gateway $GATEWAY_DIR has no portal program"
    log "using the published gateway in $GATEWAY_DIR"
    return 0
  fi
  command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is needed to build the gateway"
  local src="$WORK/src-snapshot"
  mkdir -p "$src"
  local files=(Directory.Build.props Directory.Packages.props global.json src)
  [[ -f "$REPO_DIR/.editorconfig" ]] && files+=(.editorconfig)
  [[ -f "$REPO_DIR/NuGet.config" ]] && files+=(NuGet.config)
  tar -C "$REPO_DIR" --exclude=bin --exclude=obj -cf - "${files[@]}" | tar -C "$src" -xf -
  log "building the gateway (Release) into $WORK/gateway"
  if ! dotnet publish "$src/src/Portal.Server" -c Release -o "$WORK/gateway" -nologo -v q >"$WORK/build.log" 2>&1; then
    tail -n 30 "$WORK/build.log" >&2
    die "the gateway build failed (log above; full log in $WORK/build.log, kept)"
  fi
  GATEWAY_DIR="$WORK/gateway"
}

# Publishes the baseline proxy (bench/YarpBaseline: a bare YARP proxy) in Release from a snapshot of the working tree,
# like the gateway. Sets YARP_DIR; an already set YARP_DIR (run.sh --yarp DIR) is used as it is.
build_yarp() {
  if [[ -n "$YARP_DIR" ]]; then
    [[ -x "$YARP_DIR/YarpBaseline" ]] || die "--yarp $YARP_DIR has no YarpBaseline program"
    log "using the published YARP baseline in $YARP_DIR"
    return 0
  fi
  local src="$WORK/yarp-snapshot"
  mkdir -p "$src"
  local files=(Directory.Build.props Directory.Packages.props global.json bench/YarpBaseline)
  [[ -f "$REPO_DIR/.editorconfig" ]] && files+=(.editorconfig)
  [[ -f "$REPO_DIR/bench/.editorconfig" ]] && files+=(bench/.editorconfig)
  [[ -f "$REPO_DIR/NuGet.config" ]] && files+=(NuGet.config)
  tar -C "$REPO_DIR" --exclude=bin --exclude=obj -cf - "${files[@]}" | tar -C "$src" -xf -
  log "building the YARP baseline (Release) into $WORK/yarp"
  if ! dotnet publish "$src/bench/YarpBaseline" -c Release -o "$WORK/yarp" -nologo -v q >"$WORK/build-yarp.log" 2>&1; then
    tail -n 30 "$WORK/build-yarp.log" >&2
    KEEP_WORK=1
    die "the YARP baseline build failed (log above; full log in $WORK/build-yarp.log, kept)"
  fi
  YARP_DIR="$WORK/yarp"
}

# Starts the YARP baseline pinned to the gateway's cores in the folder $1 on port $2, forwarding to the upstream $3,
# with the gateway's environment (--gateway-env) and its shipped log settings (bench/YarpBaseline/appsettings.json:
# Warning and above). Sets YARP_PID.
start_yarp() {
  local dir=$1 port=$2 upstream=$3
  log "starting the YARP baseline on 127.0.0.1:$port (cores $GATEWAY_CPUS; mode $YARP_MODE; log $dir/yarp.log)"
  (
    cd "$dir"
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
    # Through env, not export: a configuration key may have dots (Logging__LogLevel__Microsoft.AspNetCore=...).
    exec env "${GATEWAY_ENV[@]}" taskset -c "$GATEWAY_CPUS" "$YARP_DIR/YarpBaseline" --urls "http://127.0.0.1:$port" --Upstream "$upstream" --Mode "$YARP_MODE"
  ) >"$dir/yarp.log" 2>&1 &
  YARP_PID=$!
  PIDS+=("$YARP_PID")
  local i
  for ((i = 0; i < 600; i++)); do
    kill -0 "$YARP_PID" 2>/dev/null || { tail -n 30 "$dir/yarp.log" >&2; die "the YARP baseline exited at start"; }
    # Any answer means it listens (the upstream has no page at /, so 404 through the proxy).
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/" || true) != 000 ]] && { log "YARP baseline ready (PID $YARP_PID)"; return 0; }
    sleep 0.1
  done
  tail -n 30 "$dir/yarp.log" >&2
  die "the YARP baseline was not ready within 60 s"
}

# Starts the gateway pinned to $GATEWAY_CPUS (core 1) in the folder $1 (holding portal.json) on port $2; $3 is the
# published gateway to start (default $GATEWAY_DIR), and any further NAME=VALUE arguments are environment variables
# for it alone, set after --gateway-env's. Sets GATEWAY_PID.
start_gateway() {
  local dir=$1 port=$2 program=${3:-$GATEWAY_DIR} level=Information
  local extra=("${@:4}")
  ((REQUEST_LOG)) || level=Warning
  log "starting the gateway in $program on 127.0.0.1:$port (cores $GATEWAY_CPUS; Portal log level $level; log $dir/gateway.log)${GATEWAY_ENV[*]:+; env ${GATEWAY_ENV[*]}}${extra[*]:+; own env ${extra[*]}}"
  (
    cd "$dir"
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
    export Logging__LogLevel__Default=Warning Logging__LogLevel__Portal=$level
    export Portal__Shutdown__Timeout=00:00:05
    # Through env, not export (see start_yarp); the later of two settings of one name wins.
    exec env "${GATEWAY_ENV[@]}" "${extra[@]}" taskset -c "$GATEWAY_CPUS" "$program/portal" serve --urls "http://127.0.0.1:$port"
  ) >"$dir/gateway.log" 2>&1 &
  GATEWAY_PID=$!
  PIDS+=("$GATEWAY_PID")
  local i
  for ((i = 0; i < 600; i++)); do
    kill -0 "$GATEWAY_PID" 2>/dev/null || { tail -n 30 "$dir/gateway.log" >&2; die "the gateway exited at start"; }
    if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/readyz" || true) == 200 ]]; then
      log "gateway ready (PID $GATEWAY_PID)"
      return 0
    fi
    sleep 0.1
  done
  tail -n 30 "$dir/gateway.log" >&2
  die "the gateway was not ready within 60 s"
}

# CPU ticks (utime + stime) of a process; the command name is skipped by cutting after its closing parenthesis.
cpu_ticks() {
  local stat
  stat=$(<"/proc/$1/stat") || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo $((${12} + ${13}))
}

# Resets the peak-RSS high-water mark (VmHWM) of a process; returns non-zero when the kernel does not allow it.
reset_hwm() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null; }

# VmHWM / VmRSS of a process, in kB.
vm_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

check_pid_alive() { kill -0 "$1" 2>/dev/null || die "$2 (PID $1) is not running any more"; }

# CPU ticks of the threads of process $1 whose name starts with $2 (for example ".NET Tiered Com", the JIT's
# background tier-up thread). Threads that ended are no longer counted, so deltas can be negative: clamp at 0.
thread_ticks() {
  local t stat sum=0
  for t in /proc/"$1"/task/*; do
    [[ $(<"$t/comm") == "$2"* ]] 2>/dev/null || continue
    stat=$(<"$t/stat") 2>/dev/null || continue
    stat=${stat##*) }
    # shellcheck disable=SC2086
    set -- $stat
    sum=$((sum + ${12} + ${13}))
  done
  echo "$sum"
}

# run_waited OUT ERR COMMAND...: runs COMMAND in the background with stdout to OUT and stderr to ERR (both may be the
# same file) and waits for it, so that a signal to this script is handled at once (a foreground child would delay the
# trap until it ends); the trap then stops the command too. Returns the command's exit status.
run_waited() {
  local out=$1 err=$2
  shift 2
  if [[ $out == "$err" ]]; then "$@" >"$out" 2>&1 & else "$@" >"$out" 2>"$err" & fi
  local pid=$! rc=0
  PIDS+=("$pid")
  wait "$pid" || rc=$?
  unset 'PIDS[-1]'
  return "$rc"
}
