#!/usr/bin/env bash
# The scheduler core at scale: 10,000 deployments on one agent, which records each run
# as started at the instant it would start its container (`task agent run --record-only`;
# no engine involved). Two phases of about 70 s, each across a minute boundary:
#   idle:   10,000 deployments "* * * * *": all fire at second 0, then nothing for 59 s;
#   mixed:  9,000 "* * * * *" and 1,000 "@every 1s".
# Reports CPU (per cent of one core) while idle and while firing, resident memory, and
# lateness (scheduled instant -> recorded start) p50/p99/max.
#   bash bench/platform/scale.sh
# Targets: lateness p99 under 50 ms; resident memory under 64 MiB; an idle agent wakes at
# most once a minute.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DTASK_TESTS=OFF >/dev/null
cmake --build "$root/build-bench" --target task -j"$(nproc)" >/dev/null
task=$root/build-bench/task
work=$(mktemp -d)
agent=""
trap '[[ -n $agent ]] && kill "$agent" 2>/dev/null; rm -rf "$work"' EXIT

phase() {  # phase NAME MINUTE_COUNT SECOND_COUNT
  local name=$1 minute=$2 second=$3
  export TASK_HOME=$work/$name
  "$task" env list >/dev/null  # creates the store
  python3 - "$TASK_HOME/task.db" "$minute" "$second" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
minute, second = int(sys.argv[2]), int(sys.argv[3])
now = int(time.time() * 1000) - 1000
with db:
    for i in range(minute + second):
        schedule = "* * * * *" if i < minute else "@every 1s"
        cur = db.execute("INSERT INTO deployments (task, env, state, current_revision, created_at, updated_at)"
                         " VALUES (?, 'development', 'active', 1, ?, ?)", (f"t{i}", now, now))
        db.execute("INSERT INTO revisions (deployment_id, number, image_id, schedule, policy, command, created_at)"
                   " VALUES (?, 1, 'sha256:0', ?, '{}', 'deploy', ?)", (cur.lastrowid, schedule, now))
PY
  "$task" agent run --record-only 2>"$work/$name.log" &
  agent=$!
  # Sample CPU ticks and resident memory once a second for 70 s.
  local hz
  hz=$(getconf CLK_TCK)
  : > "$work/$name.samples"
  for _ in $(seq 70); do
    read -r -a stat < "/proc/$agent/stat"
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$agent/status")
    printf '%s %s %s\n' "$(date +%s.%N)" "$((stat[13] + stat[14]))" "$rss" >> "$work/$name.samples"
    sleep 1
  done
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$agent/status")
  kill "$agent"
  wait "$agent" 2>/dev/null || true
  agent=""
  python3 - "$TASK_HOME/task.db" "$work/$name.samples" "$name" "$hz" "$hwm" <<'PY'
import sqlite3, sys
db, samples, name, hz, hwm = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
# Fire times that fell due before the agent started are catch-up runs, late by design.
conn = sqlite3.connect(db)
late = sorted(r[0] for r in conn.execute("SELECT started_at - scheduled_at FROM runs WHERE trigger = 'schedule'"))
catch_up = conn.execute("SELECT count(*) FROM runs WHERE trigger = 'catch-up'").fetchone()[0]
rows = [tuple(map(float, line.split())) for line in open(samples)]
idle, firing = [], []
# The first five seconds load 10,000 deployments: neither idle nor firing.
rows = rows[5:]
for (t0, c0, _), (t1, c1, _) in zip(rows, rows[1:]):
    share = (c1 - c0) / hz / (t1 - t0) * 100
    # A minute boundary inside the interval, or a second schedule: firing.
    (firing if int(t1 // 60) != int(t0 // 60) or name == "mixed" else idle).append(share)
pct = lambda v, p: v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")
avg = lambda v: sum(v) / len(v) if v else float("nan")
print(f"{name}: {len(late)} scheduled runs (and {catch_up} catch-up runs of fire times before the agent started); lateness p50 {pct(late, 50)} ms, p99 {pct(late, 99)} ms, max {late[-1] if late else 'n/a'} ms")
print(f"{name}: CPU idle {avg(idle):.2f}% of a core (over {len(idle)} s), firing {avg(firing):.1f}% (over {len(firing)} s)")
print(f"{name}: resident memory now {rows[-1][2] / 1024:.1f} MiB, peak {hwm / 1024:.1f} MiB")
PY
}

echo "== idle: 10,000 minute schedules"
phase idle 10000 0
echo "== mixed: 9,000 minute and 1,000 second schedules"
phase mixed 9000 1000
