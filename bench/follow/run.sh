#!/usr/bin/env bash
# What watching costs, on a Release build and a private engine:
#   - `task logs -f` following an idle task (deployed, nothing due for an hour), against
#     `docker logs -f` following an idle container, CPU over SECONDS;
#   - `task status --watch` against `watch -n 1 task status` (what one would do without it);
#   - how late a timed-out run is killed: TIMEOUTS runs of `sleep 30` under `timeout: 1s`,
#     the container's end (the engine's FinishedAt) after the run's start plus its timeout.
#   bash bench/follow/run.sh [SECONDS] [TIMEOUTS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-30}
timeouts=${2:-10}
if [[ -z ${DOCKER_HOST:-} ]]; then
  cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DTASK_TESTS=OFF >/dev/null
  cmake --build "$root/build-bench" --target task -j"$(nproc)" >/dev/null
  exec bash "$root/scripts/with-docker.sh" bash "$0" "$@"
fi
task=${TASK_BIN:-$root/build-bench/task}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$task" agent stop >/dev/null 2>&1 || true
  docker rm -f bench-idle >/dev/null 2>&1 || true
  docker ps -aq --filter label=task.name=bench-follow | xargs -r docker rm -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export TASK_HOME=$work/state HOME=$work/home
mkdir -p "$HOME"
hz=$(getconf CLK_TCK)
# Clock ticks a process and its reaped children spent, user + system.
ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"; }
# The share of a core PID used over SECONDS, from a second after it started.
measure() {
  local pid=$1 before after
  sleep 1
  before=$(ticks "$pid")
  sleep "$seconds"
  after=$(ticks "$pid")
  awk -v t="$((after - before))" -v hz="$hz" -v s="$seconds" 'BEGIN { printf "%.4f", t / hz / s }'
}
row() { printf '  %-44s %s of a core\n' "$1" "$2"; }

cd "$work"
"$task" -q init bench-follow --template shell >/dev/null
cd bench-follow
"$task" -q deploy --interval "@every 1h" >/dev/null
"$task" -q run --wait >/dev/null

echo "following an idle task for ${seconds} s (${hz} ticks a second; 0.0010 of a core = 0.1%)"
"$task" logs -f >/dev/null 2>&1 &
pids+=($!)
ours=$(measure $!)
row "task logs -f" "$ours"
docker run -d --name bench-idle --network none busybox:1.36 sleep 3600 >/dev/null
docker logs -f bench-idle >/dev/null 2>&1 &
pids+=($!)
peer=$(measure $!)
row "docker logs -f (an idle container)" "$peer"

"$task" status --watch >/dev/null 2>&1 &
pids+=($!)
ours_watch=$(measure $!)
row "task status --watch" "$ours_watch"
watch -n 1 "$task" status >/dev/null 2>&1 &
pids+=($!)
peer_watch=$(measure $!)
row "watch -n 1 task status" "$peer_watch"
awk -v a="$ours_watch" -v b="$peer_watch" 'BEGIN { if (a > 0) printf "  status --watch uses %.1fx less than watch -n 1\n", b / a; else print "  status --watch used no measurable CPU" }'

printf 'name: bench-follow\nbuild:\n  context: .\nrun:\n  timeout: 1s\n  concurrency: allow\n' >task.yaml
printf '#!/bin/sh\nexec sleep 30\n' >run.sh
git -c user.name=b -c user.email=b@b commit -qam timeout
"$task" -q deploy --interval "@every 1h" >/dev/null
late=()
for ((i = 0; i < timeouts; i++)); do
  "$task" -q run --wait >/dev/null 2>&1 || true
  run=$("$task" runs -o json --limit 1 | jq -c '.runs[0]')
  [[ $(jq -r '"\(.outcome) \(.exit_code)"' <<<"$run") == "timed-out 137" ]] ||
    { echo "not timed-out with exit code 137: $run" >&2; exit 1; }
  late+=("$(jq -r '.duration_ms - 1000' <<<"$run")")
done
# The run's end as recorded (its container killed, the rest of its log read, the outcome
# written) after its start plus the timeout: an upper bound on how late the kill came.
printf '%s\n' "${late[@]}" | sort -n | awk -v n="$timeouts" '{ v[NR] = $1 } END {
  printf "  %-44s %d ms median, %d ms at most (%d runs, all timed-out, exit code 137)\n", \
    "recorded ended, after start + 1 s timeout", v[int((NR + 1) / 2)], v[NR], n }'
