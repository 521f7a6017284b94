#!/usr/bin/env bash
# The dashboard and the metrics over 1,000 deployments and 1,000,000 runs (a week of runs
# every 10 minutes each), on a Release build:
#   - the overview's JSON, server side (the time curl waits for it), beside the sqlite3
#     shell counting outcomes per deployment over the same runs (counts only), hyperfine;
#   - the first paint of the overview in headless Chromium, and the time until its table
#     of 1,000 rows is drawn (paint.cjs);
#   - the agent's resident memory with metrics off and on (after scrapes), and a scrape's
#     time. Target: the overview under 100 ms.
#   bash bench/dashboard/run.sh [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/bench/dashboard
runs=${1:-1000000}
if [[ -z ${TASK_BIN:-} ]]; then
  cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DTASK_TESTS=OFF >/dev/null
  cmake --build "$root/build-bench" --target task -j"$(nproc)" >/dev/null
fi
task=${TASK_BIN:-$root/build-bench/task}
home=$(mktemp -d)
export TASK_HOME=$home
dash=
cleanup() {
  [[ -n $dash ]] && kill "$dash" 2>/dev/null || true
  "$task" agent stop >/dev/null 2>&1 || true
  rm -rf "$home"
}
trap cleanup EXIT
"$task" env list >/dev/null
python3 "$root/bench/stats/seed.py" "$home" "$runs" --tasks 500 --every 600
# Suspended: nothing starts (no Docker engine needed); their figures stay.
sqlite3 "$home/task.db" "UPDATE deployments SET state = 'suspended'"

"$task" dashboard -o json >"$home/dash.json" 2>/dev/null &
dash=$!
for _ in $(seq 100); do [[ -s $home/dash.json ]] && break; sleep 0.1; done
url=$(jq -r .url "$home/dash.json")
base=${url%%/\?token=*}
token=${url##*token=}
overview() { curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "$base/api/overview?window=$1"; }
echo "overview, first call (no summaries yet: reads every run, stores those of the hours and days): $(overview 7d) s"
echo "deployments in it: $(curl -s -H "Authorization: Bearer $token" "$base/api/overview" | jq '.deployments | length')"
since=$(( ($(date +%s) - 7 * 86400) * 1000 ))
hyperfine --warmup 3 --runs 30 -N \
  "curl -s -o /dev/null -H 'Authorization: Bearer $token' $base/api/overview?window=7d" \
  "curl -s -o /dev/null -H 'Authorization: Bearer $token' $base/api/overview?window=24h" \
  "sqlite3 $home/task.db 'SELECT deployment_id, outcome, count(*) FROM runs WHERE scheduled_at >= $since GROUP BY 1, 2'"
node "$here/paint.cjs" "$url"
kill "$dash"
wait "$dash" 2>/dev/null || true
dash=

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
"$task" agent start --metrics off >/dev/null
sleep 2
pid=$("$task" agent status -o json | jq -r .pid)
off=$(rss "$pid")
"$task" agent stop >/dev/null
"$task" agent start --metrics 127.0.0.1:0 >/dev/null
pid=$("$task" agent status -o json | jq -r .pid)
metrics=$("$task" agent status -o json | jq -r .metrics)
first=$(curl -s -o /dev/null -w '%{time_total}' "$metrics")
for _ in $(seq 9); do curl -s -o /dev/null "$metrics"; done
later=$(curl -s -o /dev/null -w '%{time_total}' "$metrics")
on=$(rss "$pid")
echo "metrics: first scrape $first s (reads the store's 92 days once), later ones $later s;" \
  "$(curl -s "$metrics" | grep -vc '^#') samples"
echo "agent resident memory: metrics off $off KiB, on $on KiB (after 11 scrapes)"
"$task" agent stop >/dev/null
