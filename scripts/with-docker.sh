#!/usr/bin/env bash
# shellcheck disable=SC2317  # the functions that look unreachable run from traps
# Usage: scripts/with-docker.sh CMD [ARGS...]
#
# Runs CMD next to a private Docker engine and exits with CMD's status.
#
# The engine lives in namespaces of its own (network, PID and mount), so it can never
# touch the machine's networking, and everything it started dies with it:
#   - network: only `lo`; dockerd runs with --bridge=none and no iptables rules, so
#     containers use `--network host` (the namespace's loopback, where the test servers
#     listen) or `--network none`;
#   - PID: this script is the namespace's init; when it exits, for whatever reason,
#     the kernel kills dockerd, containerd, shims and anything CMD left behind;
#   - mount: mounts made by the engine vanish with the namespace.
#
# State (data-root, exec-root, socket, pidfile) goes to a fresh directory under
# ${TMPDIR:-/tmp}, removed afterwards. With TASK_DOCKER_DIR set, that directory is used
# instead and its data-root is kept, so images built once (scripts/base-images.sh)
# survive between runs; only one run may use it at a time.
#
# CMD sees DOCKER_HOST=unix://…/docker.sock, and `docker` on its PATH is the CLI that
# ships with this engine. Environment knobs: TASK_DOCKER_DIR, TASK_DOCKER_TIMEOUT
# (seconds to wait for the engine, default 60), TASK_DOCKER_SKIP_BASE_IMAGES=1,
# TASK_DOCKER_DEBUG=1 (engine log on stderr as it runs).
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$script_dir/$(basename "${BASH_SOURCE[0]}")"
readonly script_dir self

die() { printf 'with-docker: %s\n' "$*" >&2; exit 125; }
note() { printf 'with-docker: %s\n' "$*" >&2; }

(($# > 0)) || die "usage: $0 CMD [ARGS...]"

current_netns() { readlink /proc/self/ns/net; }

# Removes what runs killed with SIGKILL left in the temp directory: state directories
# whose owning process is gone. Their mounts died with their mount namespace.
sweep_stale_state() {
  local dir owner
  for dir in "${TMPDIR:-/tmp}"/task-docker.*; do
    [[ -d $dir && -f $dir/owner ]] || continue
    owner=$(<"$dir/owner") || continue
    [[ $owner =~ ^[0-9]+$ ]] || continue
    kill -0 "$owner" 2>/dev/null && continue
    note "removing stale engine state $dir"
    rm -rf --one-file-system "$dir" 2>/dev/null || true
  done
}

# ---------------------------------------------------------------------------------
# Outside: enter fresh namespaces by running this script again under unshare.
# ---------------------------------------------------------------------------------
marker=${TASK_WITH_DOCKER_NETNS:-}
if [[ $marker != pending && $marker != "$(current_netns)" ]]; then
  [[ $(id -u) -eq 0 ]] || die "needs root (network namespaces and dockerd); try: sudo $0 $*"
  command -v unshare >/dev/null || die "unshare not found (apt-get install util-linux)"
  command -v dockerd >/dev/null || die "dockerd not found (apt-get install docker.io)"
  # This shell stays as the parent: unshare blocks SIGINT and SIGTERM while it waits
  # for its child, so signals are passed on from here to the namespace's init (the
  # inner script), which stops CMD and the engine and cleans up. If unshare itself
  # dies, --kill-child sends that SIGTERM; if the inner script dies, the kernel kills
  # everything else in its PID namespace. The state directory names this shell as its
  # owner, so a later run can sweep it up after a SIGKILL.
  # A run inside another one (an engine of its own for one test) keeps the outer run's
  # owner and sweeps nothing: from its PID namespace no owner outside is visible, so
  # every live engine's directory would look stale.
  if [[ -z ${TASK_WITH_DOCKER_OWNER:-} ]]; then
    sweep_stale_state
    export TASK_WITH_DOCKER_OWNER=$$
  fi
  export TASK_WITH_DOCKER_NETNS=pending
  exec 3<&0
  unshare --net --pid --mount --fork --mount-proc --propagation private \
    --kill-child=SIGTERM -- bash "$self" "$@" <&3 3<&- &
  unshare_pid=$!
  exec 3<&-
  pass_signal_on() {
    local init
    init=$(pgrep -P "$unshare_pid" 2>/dev/null | head -n 1)
    if [[ -n $init ]]; then
      kill -TERM "$init" 2>/dev/null || true
    else
      kill -KILL "$unshare_pid" 2>/dev/null || true
    fi
  }
  trap pass_signal_on INT TERM HUP
  set +e
  while :; do
    wait "$unshare_pid"
    status=$?
    kill -0 "$unshare_pid" 2>/dev/null || break
  done
  exit "$status"
fi

# ---------------------------------------------------------------------------------
# A nested call (CMD runs this script again): the engine is already there.
# ---------------------------------------------------------------------------------
if [[ ${TASK_WITH_DOCKER_NETNS} != pending ]]; then
  [[ -n ${DOCKER_HOST:-} ]] || die "inside a private namespace but DOCKER_HOST is unset"
  exec "$@"
fi

# ---------------------------------------------------------------------------------
# Inside: this shell is PID 1 of the new PID namespace.
# ---------------------------------------------------------------------------------
TASK_WITH_DOCKER_NETNS=$(current_netns)
export TASK_WITH_DOCKER_NETNS

ip link set lo up || die "cannot bring up lo in the private network namespace"

timeout_s=${TASK_DOCKER_TIMEOUT:-60}
[[ $timeout_s =~ ^[0-9]+$ ]] || die "TASK_DOCKER_TIMEOUT must be a number of seconds"

keep_data=0
if [[ -n ${TASK_DOCKER_DIR:-} ]]; then
  mkdir -p "$TASK_DOCKER_DIR"
  state=$(cd "$TASK_DOCKER_DIR" && pwd)
  keep_data=1
  exec 9>"$state/lock"
  flock -n 9 || die "$state is in use by another run (lock: $state/lock)"
else
  state=$(mktemp -d "${TMPDIR:-/tmp}/task-docker.XXXXXX")
fi
printf '%s\n' "${TASK_WITH_DOCKER_OWNER:-$$}" >"$state/owner"
# A Unix socket path must fit in 108 bytes.
((${#state} < 80)) || die "state directory path too long for a socket: $state"

sock="$state/docker.sock"
exec_root="$state/exec"
data_root="$state/data"
pidfile="$state/docker.pid"
engine_log="$state/dockerd.log"
# Leftovers of a killed run on a kept directory: the engine is gone (its PID
# namespace died), only files remain.
rm -rf --one-file-system "$exec_root" "$sock" "$pidfile"
mkdir -p "$exec_root" "$data_root" "$state/bin"
# An empty configuration: nothing from /etc/docker/daemon.json leaks in.
printf '{}\n' >"$state/daemon.json"

# The CLI that ships with this engine (a newer CLI elsewhere on PATH may expect BuildKit).
docker_cli=$(command -v /usr/bin/docker || command -v docker || true)
[[ -n $docker_cli ]] || die "docker CLI not found (apt-get install docker.io)"
ln -sf "$docker_cli" "$state/bin/docker"

dockerd_pid=""
cmd_pid=""
cmd_status=""
stop_signal=""

unmount_under() {
  # Deepest first, so nested mounts come off before their parents.
  local target
  while read -r target; do
    umount "$target" 2>/dev/null || umount -l "$target" 2>/dev/null || true
  done < <(awk -v root="$1" '{ gsub(/\\040/, " ", $5); if (index($5, root "/") == 1) print $5 }' \
             /proc/self/mountinfo | sort -r)
}

# Sends SIGTERM, waits up to $2 tenths of a second, then SIGKILL.
terminate() {
  local pid=$1 tenths=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < tenths; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  note "process $pid did not stop after SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

stop_engine() {
  [[ -n $dockerd_pid ]] || return 0
  terminate "$dockerd_pid" 150        # 15 s: dockerd stops its containers first
  wait "$dockerd_pid" 2>/dev/null || true
  dockerd_pid=""
  # containerd and its shims: children of dockerd, or re-parented to this shell.
  local pids
  pids=$(pgrep -P $$ 2>/dev/null || true)
  # shellcheck disable=SC2086
  [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  [[ -n $cmd_status ]] && rc=$cmd_status
  [[ -z $cmd_pid ]] || terminate "$cmd_pid" 100
  stop_engine
  unmount_under "$state"
  if ((keep_data)); then
    rm -rf --one-file-system "$exec_root" "$sock" "$pidfile" "$state/owner"
  else
    rm -rf --one-file-system "$state" || note "could not remove $state completely"
  fi
  exit "$rc"
}
on_signal() {
  stop_signal=$1
  # CMD runs in the background (so this handler runs at once): pass the signal on.
  if [[ -n $cmd_pid ]]; then
    kill -TERM "$cmd_pid" 2>/dev/null || true
  else
    exit $((128 + $2))
  fi
}
trap cleanup EXIT
trap 'on_signal INT 2' INT
trap 'on_signal TERM 15' TERM
trap 'on_signal HUP 1' HUP

dockerd_args=(
  --bridge=none --iptables=false --ip6tables=false --ip-masq=false
  --userland-proxy=false
  --storage-driver=vfs
  --host "unix://$sock"
  --data-root "$data_root"
  --exec-root "$exec_root"
  --pidfile "$pidfile"
  --config-file "$state/daemon.json"
)
if [[ -n ${TASK_DOCKER_DEBUG:-} ]]; then
  dockerd "${dockerd_args[@]}" > >(tee "$engine_log" >&2) 2>&1 &
else
  dockerd "${dockerd_args[@]}" >"$engine_log" 2>&1 &
fi
dockerd_pid=$!

export DOCKER_HOST="unix://$sock"
export PATH="$state/bin:$PATH"
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH

engine_ready() {
  # /_ping answers "OK" once the API is served.
  [[ -S $sock ]] || return 1
  if command -v curl >/dev/null; then
    [[ $(curl -fsS --max-time 2 --unix-socket "$sock" http://localhost/_ping 2>/dev/null) == OK ]]
  else
    "$docker_cli" version --format '{{.Server.Version}}' >/dev/null 2>&1
  fi
}

deadline=$((SECONDS + timeout_s))
until engine_ready; do
  if ! kill -0 "$dockerd_pid" 2>/dev/null; then
    tail -n 30 "$engine_log" >&2 || true
    die "dockerd exited during start-up (log above)"
  fi
  if ((SECONDS >= deadline)); then
    tail -n 30 "$engine_log" >&2 || true
    die "dockerd did not answer /_ping within ${timeout_s}s (log above)"
  fi
  sleep 0.2
done

if [[ -z ${TASK_DOCKER_SKIP_BASE_IMAGES:-} ]]; then
  bash "$script_dir/base-images.sh" || die "building the offline base images failed"
fi

# TASK_WITH_DOCKER_* stay set so a nested call notices it is already inside.
# CMD runs in the background with this script's stdin, so that a signal reaches the
# handler above at once instead of after CMD ends.
exec 3<&0
"$@" <&3 3<&- &
cmd_pid=$!
exec 3<&-
set +e
while :; do
  wait "$cmd_pid"
  cmd_status=$?
  kill -0 "$cmd_pid" 2>/dev/null || break
  if [[ -n $stop_signal ]]; then
    terminate "$cmd_pid" 100
  fi
done
set -e
cmd_pid=""
exit "$cmd_status"
