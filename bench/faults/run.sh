#!/usr/bin/env bash
# The long form of the fault-injection suite (tests/faults/), on a Release build and a
# private engine: the kill loop with N SIGKILLs of the agent (default 100), then a flood
# of wake-up datagrams at the agent's socket for 10 s, with the agent's CPU time while it
# lasts (the socket is read at most every 20 ms: wake-ups are coalesced).
#   bash bench/faults/run.sh [KILLS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kills=${1:-100}
if [[ -z ${DOCKER_HOST:-} ]]; then
  cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DTASK_TESTS=OFF >/dev/null
  cmake --build "$root/build-bench" --target task -j"$(nproc)" >/dev/null
  exec bash "$root/scripts/with-docker.sh" bash "$0" "$@"
fi
task=$root/build-bench/task
status=0
bash "$root/tests/faults/kill_loop.sh" "$task" "$kills" || status=$?

work=$(mktemp -d)
trap '"$task" agent stop >/dev/null 2>&1; rm -rf "$work"' EXIT
export TASK_HOME=$work/state HOME=$work/home
mkdir -p "$HOME"
cd "$work"
"$task" -q init bench-wake --template shell >/dev/null
cd bench-wake
"$task" -q deploy --interval "@every 1h" >/dev/null
pid=$("$task" agent status -o json | jq -r .pid)
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }  # clock ticks, user + system
hz=$(getconf CLK_TCK)
idle_before=$(cpu)
sleep 10
idle=$(($(cpu) - idle_before))
before=$(cpu)
sent=$(python3 - "$TASK_HOME/agent.sock" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setblocking(False)
sent, end = 0, time.monotonic() + 10
while time.monotonic() < end:
    try:
        s.sendto(b"w", sys.argv[1])
        sent += 1
    except BlockingIOError:
        pass
print(sent)
PY
)
flood=$(($(cpu) - before))
echo "wake-up flood: $sent datagrams accepted in 10 s ($((sent / 10)) per second)"
awk -v f="$flood" -v i="$idle" -v hz="$hz" 'BEGIN {
  printf "  %-44s %.3f of a core\n", "agent CPU while idle", i / hz / 10
  printf "  %-44s %.3f of a core\n", "agent CPU during the flood", f / hz / 10 }'
exit "$status"
