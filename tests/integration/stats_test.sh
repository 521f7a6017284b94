#!/usr/bin/env bash
# task stats over a known history: exact figures in JSON, the ASCII chart, and the HTML
# report rendered by headless Chromium (its SVG charts measured through the DOM, and a
# screenshot kept as an artefact).
set -uo pipefail
task_bin=$(realpath "$1")
artefacts=${2:-$PWD}
. "$(dirname "$0")/lib.sh"
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export TASK_HOME=$home
t() { "$task_bin" "$@"; }
t env list >/dev/null

# One deployment, ten runs an hour apart two days ago: durations 100..1000 ms, lateness
# 1..10 ms; run 5 failed (exit 2), run 10 timed out, one skipped run more, and an empty
# deployment in production.
python3 - "$home/task.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time() * 1000)
base = (now // 86400000 - 2) * 86400000
policy = '{"timeout": 3600}'
with db:
    for env, state in (("development", "active"), ("production", "active")):
        d = db.execute("INSERT INTO deployments (task, env, state, current_revision, created_at, updated_at)"
                       " VALUES ('probe', ?, ?, 1, ?, ?)", (env, state, base, base)).lastrowid
        db.execute("INSERT INTO revisions (deployment_id, number, image_id, schedule, policy, created_at)"
                   " VALUES (?, 1, 'sha256:0', '@hourly', ?, ?)", (d, policy, base))
        if env == "production":
            continue
        for i in range(1, 11):
            s = base + i * 3600000
            outcome, code = ("failed", 2) if i == 5 else ("timed-out", 137) if i == 10 else ("succeeded", 0)
            db.execute("INSERT INTO runs (deployment_id, revision, scheduled_at, started_at, finished_at, outcome,"
                       " exit_code, trigger, created_at) VALUES (?, 1, ?, ?, ?, ?, ?, 'schedule', 0)",
                       (d, s, s + i, s + i + i * 100, outcome, code))
        s = base + 11 * 3600000
        db.execute("INSERT INTO runs (deployment_id, revision, scheduled_at, outcome, trigger, created_at)"
                   " VALUES (?, 1, ?, 'skipped', 'schedule', 0)", (d, s))
PY

for pass in cold warm; do  # the second reads the hour summaries the first stored
  json=$(t stats --all --since 7d -o json)
  dev=$(jq -c '.deployments[] | select(.env == "development")' <<<"$json")
  expect_eq "$pass runs" "$(jq -c '[.runs, .succeeded, .failed, .timed_out, .skipped, .lost]' <<<"$dev")" "[11,8,1,1,1,0]"
  expect_eq "$pass rates" "$(jq -c '[.success_rate, .failure_rate]' <<<"$dev")" "[0.8,0.2]"
  expect_eq "$pass durations" "$(jq -c '.duration_ms | [.count, .p50, .p95, .max]' <<<"$dev")" "[10,500,1000,1000]"
  expect_eq "$pass lateness" "$(jq -c '.lateness_ms | [.count, .p50, .p99]' <<<"$dev")" "[10,5,10]"
  expect_eq "$pass last failure" "$(jq -c '.last_failure | [.outcome, .exit_code, .logs_command]' <<<"$dev")" \
    '["timed-out",137,"task logs --run 10"]'
  expect_eq "$pass recent failures" "$(jq -c '[.recent_failures[].id]' <<<"$dev")" "[10,5]"
  expect_eq "$pass periods" "$(jq -c '[.periods[].runs]' <<<"$dev")" "[0,0,0,0,0,11,0,0]"
  prod=$(jq -c '.deployments[] | select(.env == "production")' <<<"$json")
  expect_eq "$pass empty deployment" "$(jq -c '[.runs, .success_rate, .duration_ms.p50]' <<<"$prod")" "[0,null,null]"
done
figures='[.deployments[] | {task, env, runs, succeeded, failed, timed_out, skipped, lost, success_rate, duration_ms, lateness_ms, periods, recent_failures: [.recent_failures[].id]}]'
first=$(jq -c "$figures" <<<"$json")
byhour=$(t stats --all --since 7d --by hour -o json | jq -c '[.deployments[0].periods[] | select(.runs > 0) | .runs] | length')
expect_eq "by hour: one period a run" "$byhour" "11"

text=$(t stats --all --since 7d --no-color)
expect_contains "text: rate" "$text" "success rate  80.0%"
expect_contains "text: legend" "$text" "# succeeded  X failed  T timed-out"
expect_contains "text: failure pointer" "$text" "task logs --run 10"
expect_contains "text: empty" "$text" "no runs in this window"
status=$(t status --no-color)
expect_contains "status: sparkline" "$status" "++++x++++t-"

# The agent stores the summaries of finished hours by itself (here of suspended
# deployments: it starts no runs); the figures read from them are the same.
sqlite3 "$home/task.db" "UPDATE deployments SET state = 'suspended'; UPDATE run_hours SET summary = NULL, summary_generation = 0"
t agent start >/dev/null
for _ in $(seq 1 100); do  # ten seconds at most
  grep -q "stats: looked at" "$home/agent.log" 2>/dev/null && break
  sleep 0.1
done
t agent stop >/dev/null
expect_contains "agent: summaries stored" "$(cat "$home/agent.log")" "stats: looked at 11 hour(s) of runs and stored their summaries"
expect_eq "agent: no hour left stale" "$(sqlite3 "$home/task.db" "SELECT count(*) FROM run_hours WHERE summary_generation != generation")" "0"
expect_eq "agent: the same figures" "$(t stats --all --since 7d -o json | jq -c "$figures")" "$first"

# Bad input: each a usage error (exit 2) or not found (exit 4) that says what to do.
bad() {  # bad WHAT EXPECTED_RC NEEDLE ARGS...
  local what=$1 want=$2 needle=$3 out rc
  shift 3
  out=$(t "$@" 2>&1)
  rc=$?
  expect_eq "$what: exit code" "$rc" "$want"
  expect_contains "$what: message" "$out" "$needle"
  expect_contains "$what: hint" "$out" "hint:"
}
bad "since not a duration" 2 "--since \`bogus\` is neither a duration nor a time" stats --all --since bogus
bad "since zero" 2 "neither a duration nor a time" stats --all --since 0d
bad "since negative" 2 "neither a duration nor a time" stats --all --since -3d
bad "since in the future" 2 "is not in the past" stats --all --since 2999-01-01T00:00:00Z
bad "too many periods" 2 "makes more than 5000 periods" stats --all --since 400d --by hour
bad "unknown period" 2 "week not in {hour,day}" stats --all --by week
bad "unknown task" 4 "nope has no deployments" stats --task nope
bad "report not writable" 6 "cannot write $home/missing/r.html" stats --all --html "$home/missing/r.html"

# The HTML report, in a real browser.
t stats --all --since 7d --html "$home/report.html" >/dev/null
html=$(cat "$home/report.html")
expect_not_contains "report: no scripts" "$html" "<script"
expect_not_contains "report: no network" "$html" "http"
probe="$home/probe.html"
sed 's#</body>#<script>document.body.insertAdjacentHTML("beforeend","<pre id=measure>"+JSON.stringify([...document.querySelectorAll("svg.chart")].map(s=>{const r=s.getBoundingClientRect();return {cls:s.getAttribute("class"),w:Math.round(r.width),h:Math.round(r.height),segs:s.querySelectorAll("rect.seg").length,lines:s.querySelectorAll("path.line").length}}))+"</pre>")</script></body>#' \
  "$home/report.html" >"$probe"
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-dev-shm-usage --window-size=1200,2400)
dom=$(timeout 60 chromium "${flags[@]}" --dump-dom "file://$probe" 2>/dev/null)
measure=$(sed -n 's#.*<pre id="measure">\(.*\)</pre>.*#\1#p' <<<"$dom" | sed 's/&quot;/"/g')
expect_eq "charts: three per deployment" "$(jq 'length' <<<"$measure")" "6"
expect_eq "charts: all drawn with a size" "$(jq '[.[] | select(.w > 300 and .h > 100)] | length' <<<"$measure")" "6"
expect_eq "outcome bars: succeeded, failed, timed-out, skipped" \
  "$(jq '[.[] | select(.cls == "chart outcomes") | .segs] | add' <<<"$measure")" "4"
expect_eq "duration lines: p50, p95, max" "$(jq '[.[] | select(.cls == "chart durations") | .lines] | .[0]' <<<"$measure")" "3"
mkdir -p "$artefacts"
timeout 60 chromium "${flags[@]}" --screenshot="$artefacts/stats-report.png" "file://$home/report.html" >/dev/null 2>&1
checks=$((checks + 1))
[[ $(stat -c %s "$artefacts/stats-report.png" 2>/dev/null || echo 0) -gt 20000 ]] || fail "no screenshot"
finish
