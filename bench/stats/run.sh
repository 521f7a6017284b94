#!/usr/bin/env bash
# `task stats` over 1,000,000 stored runs (two deployments, the last week):
# - cold: no summaries stored yet (a store filled behind the agent's back), so the
#   first call reads every run and stores the summaries of the finished hours and days;
# - as a running agent leaves it: the agent summarizes each hour and day once it has ended, so a
#   call reads summaries and only the current hour's runs (hyperfine, with the HTML report);
# - beside a peer: one plain SQL query counting outcomes per deployment over the same
#   runs with the sqlite3 shell (counts only: no percentiles, no periods).
# Target: under 200 ms.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
task=${TASK_BIN:-$here/../../build-bench/task}
home=$(mktemp -d)
export TASK_HOME=$home
trap '"$task" agent stop >/dev/null 2>&1 || true; rm -rf "$home"' EXIT
"$task" env list >/dev/null
python3 "$here/seed.py" "$home" "${RUNS:-1000000}" --every 0.5
# Suspended: the agent keeps their figures but starts no runs (no Docker engine needed).
sqlite3 "$home/task.db" "UPDATE deployments SET state = 'suspended'"
/usr/bin/time -f "cold: %e s, %M KiB" "$task" stats --all -o json >/dev/null

sqlite3 "$home/task.db" "UPDATE run_hours SET summary = NULL, summary_generation = 0;
  UPDATE run_days SET summary = NULL, summary_generation = 0"
deployments=$(sqlite3 "$home/task.db" "SELECT count(*) FROM deployments")
stale() { sqlite3 "$home/task.db" "SELECT count(*) FROM $1 WHERE summary_generation != generation"; }
start=$(date +%s%N)
"$task" agent start >/dev/null
for _ in $(seq 1 600); do  # at most a minute
  # All but each deployment's current hour and day.
  [[ $(stale run_hours) -le $deployments && $(stale run_days) -le $deployments ]] && break
  sleep 0.1
done
echo "agent: summaries of $(sqlite3 "$home/task.db" "SELECT count(*) FROM run_hours WHERE summary IS NOT NULL")" \
  "hours and $(sqlite3 "$home/task.db" "SELECT count(*) FROM run_days WHERE summary IS NOT NULL") days stored within $(( ($(date +%s%N) - start) / 1000000 )) ms of its start"
"$task" agent stop >/dev/null

since=$(( ($(date +%s) - 7 * 86400) * 1000 ))
hyperfine --warmup 2 --runs 20 \
  "$task stats --all -o json" \
  "$task stats --all --html $home/r.html" \
  "sqlite3 $home/task.db 'SELECT deployment_id, outcome, count(*) FROM runs WHERE scheduled_at >= $since GROUP BY 1, 2'"
