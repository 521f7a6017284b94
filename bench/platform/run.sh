#!/usr/bin/env bash
# The local platform's timing, against `docker run` from a shell loop, in one run on a
# private engine (scripts/with-docker.sh):
#   1. fire lateness: from the scheduled instant to the container's start request
#      (task: the run's started_at; the loop: when it issues `docker run`), p50/p99;
#   2. the whole start: from the scheduled instant to the container's first output line
#      as the engine stamped it, for both; the ratio task / docker run;
#   3. `task logs -f` latency: from a line's engine timestamp to the line on the terminal.
#   bash bench/platform/run.sh [RUNS]
# Targets: lateness p99 under 20 ms; whole-start ratio at most 1.1; logs -f under 100 ms.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-30}
if [[ -z ${DOCKER_HOST:-} ]]; then
  cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DTASK_TESTS=OFF >/dev/null
  cmake --build "$root/build-bench" --target task -j"$(nproc)" >/dev/null
  exec bash "$root/scripts/with-docker.sh" bash "$0" "$@"
fi
task=$root/build-bench/task
work=$(mktemp -d)
trap '"$task" agent stop >/dev/null 2>&1; rm -rf "$work"' EXIT
export TASK_HOME=$work/state HOME=$work/home
mkdir -p "$HOME"
cd "$work"
"$task" -q init bench-late --template shell >/dev/null
cd bench-late
# The first line at once (what the start is judged by), then three more 0.2 s apart
# (what `task logs -f` is judged by once the run is under way).
printf '#!/bin/sh\necho "up $TASK_RUN_ID"\nfor i in 1 2 3; do sleep 0.2; echo "line $i"; done\n' > run.sh
git add -A && git -c user.name=b -c user.email=b@b commit -qm bench
image=$("$task" -q build -o json | jq -r .image_id)
period=2

echo "== task: $runs runs @every ${period}s"
"$task" -q deploy --interval "@every ${period}s" >/dev/null
# logs -f runs alongside, stamping each line as it reaches it.
"$task" logs -f -o json | while IFS= read -r line; do
  printf '%s %s\n' "$(date +%s.%N)" "$line"
done > "$work/follow.txt" &
follow_pid=$!
while (($("$task" runs -o json --limit 1000 | jq '[.runs[] | select(.outcome == "succeeded")] | length') < runs)); do
  sleep 1
done
"$task" -q suspend >/dev/null
kill "$follow_pid" 2>/dev/null || true
pkill -f "$task logs -f" 2>/dev/null || true
"$task" runs -o json --limit 1000 > "$work/task-runs.json"
for id in $(jq -r '.runs[] | select(.outcome == "succeeded") | .id' "$work/task-runs.json"); do
  first=$(head -1 "$TASK_HOME/runs/$id.log" | cut -d' ' -f1)
  printf '%s %s\n' "$id" "$first"
done > "$work/task-first.txt"

echo "== docker run from a shell loop: $runs runs every ${period}s"
: > "$work/loop.txt"
for i in $(seq "$runs"); do
  # Sleep to the next multiple of the period, then issue `docker run`.
  # Integer nanoseconds in bash, so only `date` and `sleep` themselves cost time.
  now=$(date +%s%N)
  target=$(((now / (period * 1000000000) + 1) * period * 1000000000))
  now=$(date +%s%N)
  left=$((target - now))
  sleep "$(printf '%d.%09d' $((left / 1000000000)) $((left % 1000000000)))"
  issued=$(date +%s.%N)
  target=$(printf '%d.%09d' $((target / 1000000000)) $((target % 1000000000)))
  docker run -d --network none --name "loop-$i" "$image" >/dev/null
  printf '%s %s %s\n' "loop-$i" "$target" "$issued" >> "$work/loop.txt"
done
sleep 2
while read -r name target issued; do
  first=$(docker logs --timestamps "$name" 2>&1 | sed -n 1p | cut -d' ' -f1)
  printf '%s %s %s %s\n' "$name" "$target" "$issued" "$first"
  docker rm -f "$name" >/dev/null
done < "$work/loop.txt" > "$work/loop-first.txt"

python3 - "$work" <<'PY'
import json, sys, datetime
w = sys.argv[1]
def ts(text):  # RFC 3339 with nanoseconds → seconds
    date, frac = text.rstrip("Z").split(".") if "." in text else (text.rstrip("Z"), "0")
    base = datetime.datetime.strptime(date, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()
    return base + float("0." + frac)
def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]
runs = {r["id"]: r for r in json.load(open(f"{w}/task-runs.json"))["runs"] if r["outcome"] == "succeeded"}
task_late = [r["lateness_ms"] for r in runs.values()]
task_whole = []
for line in open(f"{w}/task-first.txt"):
    rid, first = line.split()
    r = runs[int(rid)]
    task_whole.append((ts(first) - r["scheduled_ms"] / 1000) * 1000)
loop_late, loop_whole = [], []
for line in open(f"{w}/loop-first.txt"):
    name, target, issued, first = line.split()
    loop_late.append((float(issued) - float(target)) * 1000)
    loop_whole.append((ts(first) - float(target)) * 1000)
follow, follow_first = [], []
for line in open(f"{w}/follow.txt"):
    seen, payload = line.split(" ", 1)
    try:
        j = json.loads(payload)
    except ValueError:
        continue
    if j.get("stream") == "out":
        (follow_first if j["text"].startswith("up ") else follow).append((float(seen) - ts(j["time"])) * 1000)
def row(name, v):
    print(f"{name:44s} n={len(v):3d}  p50 {pct(v, 50):8.1f} ms  p99 {pct(v, 99):8.1f} ms  max {max(v):8.1f} ms")
row("task: scheduled -> start request", task_late)
row("docker run loop: scheduled -> docker run issued", loop_late)
row("task: scheduled -> first output line", task_whole)
row("docker run loop: scheduled -> first output line", loop_whole)
print(f"whole-start ratio task / docker run (p50): {pct(task_whole, 50) / pct(loop_whole, 50):.2f}")
if follow:
    row("task logs -f: engine stamp -> terminal", follow)
    row("  the same for a run's first line", follow_first)
PY
