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

# probe: ten runs an hour apart two days ago: durations 100..1000 ms, lateness 1..10 ms;
# run 5 failed (exit 2), run 10 timed out, one skipped run more, then one the platform
# could not start (a fault, not a failure); an empty deployment of it in production.
# steady: deployed yesterday, three successes. gone: undeployed, two successes yesterday.
# ancient: undeployed a month ago, no runs in the window.
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
        s = base + 12 * 3600000
        db.execute("INSERT INTO runs (deployment_id, revision, scheduled_at, finished_at, outcome, trigger, error,"
                   " created_at) VALUES (?, 1, ?, ?, 'error', 'schedule', 'the Docker engine does not answer', 0)",
                   (d, s, s))
    for task, state, created, runs in (("steady", "active", base + 86400000, 3), ("gone", "removed", base, 2),
                                       ("ancient", "removed", base - 30 * 86400000, 0)):
        d = db.execute("INSERT INTO deployments (task, env, state, current_revision, created_at, updated_at)"
                       " VALUES (?, 'development', ?, 1, ?, ?)", (task, state, created, created)).lastrowid
        db.execute("INSERT INTO revisions (deployment_id, number, image_id, schedule, policy, created_at)"
                   " VALUES (?, 1, 'sha256:0', '@hourly', ?, ?)", (d, policy, created))
        for i in range(1, runs + 1):
            s = base + 86400000 + i * 3600000
            db.execute("INSERT INTO runs (deployment_id, revision, scheduled_at, started_at, finished_at, outcome,"
                       " exit_code, trigger, created_at) VALUES (?, 1, ?, ?, ?, 'succeeded', 0, 'schedule', 0)",
                       (d, s, s + 2, s + 50))
PY

for pass in cold warm; do  # the second reads the hour summaries the first stored
  json=$(t stats --all --since 7d -o json)
  dev=$(jq -c '.deployments[] | select(.task == "probe" and .env == "development")' <<<"$json")
  expect_eq "$pass runs" "$(jq -c '[.runs, .succeeded, .failed, .timed_out, .skipped, .lost]' <<<"$dev")" "[12,8,1,1,1,0]"
  expect_eq "$pass rates" "$(jq -c '[.success_rate, .failure_rate]' <<<"$dev")" "[0.8,0.2]"
  expect_eq "$pass durations" "$(jq -c '.duration_ms | [.count, .p50, .p95, .max]' <<<"$dev")" "[10,500,1000,1000]"
  expect_eq "$pass lateness" "$(jq -c '.lateness_ms | [.count, .p50, .p99]' <<<"$dev")" "[10,5,10]"
  expect_eq "$pass last failure" "$(jq -c '.last_failure | [.outcome, .exit_code, .logs_command]' <<<"$dev")" \
    '["timed-out",137,"task logs --run 10"]'
  expect_eq "$pass recent failures" "$(jq -c '[.recent_failures[].id]' <<<"$dev")" "[10,5]"
  expect_eq "$pass platform faults apart" "$(jq -c '[.error, .last_fault.id, .last_fault.error]' <<<"$dev")" \
    '[1,12,"the Docker engine does not answer"]'
  expect_eq "$pass undeployed with runs shown, without not" \
    "$(jq -c '[.deployments[] | select(.state == "removed") | [.task, .runs]]' <<<"$json")" '[["gone",2]]'
  expect_eq "$pass periods" "$(jq -c '[.periods[].runs]' <<<"$dev")" "[0,0,0,0,0,12,0,0]"
  prod=$(jq -c '.deployments[] | select(.task == "probe" and .env == "production")' <<<"$json")
  expect_eq "$pass empty deployment" "$(jq -c '[.runs, .success_rate, .duration_ms.p50]' <<<"$prod")" "[0,null,null]"
done
figures='[.deployments[] | {task, env, runs, succeeded, failed, timed_out, skipped, lost, success_rate, duration_ms, lateness_ms, periods, recent_failures: [.recent_failures[].id]}]'
first=$(jq -c "$figures" <<<"$json")
byhour=$(t stats --all --since 7d --by hour -o json |
  jq -c '[.deployments[] | select(.task == "probe" and .env == "development") | .periods[] | select(.runs > 0)] | length')
expect_eq "by hour: one period a run" "$byhour" "12"

text=$(t stats --all --since 7d --no-color)
expect_contains "text: rate" "$text" "success rate  80.0%"
expect_contains "text: legend" "$text" "# succeeded  X failed  T timed-out"
expect_contains "text: failure pointer" "$text" "task logs --run 10"
expect_contains "text: empty" "$text" "no runs in this window"
order=$(grep -oE '^(probe|steady|gone) in [a-z]+' <<<"$text" | paste -sd, -)
expect_eq "text: worst first, undeployed last" "$order" "probe in development,steady in development,probe in production,gone in development"
expect_contains "text: undeployed apart" "$text" "undeployed: their runs are kept for 90 days"
expect_contains "text: platform faults apart" "$text" "platform      1 fault (could not start or run; in neither rate)"
expect_contains "text: the newest fault" "$text" "last fault    #12"
expect_contains "text: an undeployed task by name" "$(t stats --task gone --since 7d --no-color)" "gone in development  revision 1, @hourly, undeployed"
# The chart of a task younger than the window starts at its first day: steady's two days
# are two columns (a day each, two cells wide), not the window's eight.
steady=$(t stats --task steady --since 7d --no-color)
expect_eq "text: the axis fits a young task" "$(grep -cE '^ +\+-{4}$' <<<"$steady")" 1
status=$(t status --no-color)
expect_contains "status: sparkline" "$status" "++++x++++t-e"

# The agent stores the summaries of finished hours and days by itself (here of suspended
# deployments: it starts no runs); the figures read from them are the same.
sqlite3 "$home/task.db" "UPDATE deployments SET state = 'suspended' WHERE state != 'removed';
  UPDATE run_hours SET summary = NULL, summary_generation = 0; UPDATE run_days SET summary = NULL, summary_generation = 0"
today=$(( $(date -u +%s) / 86400 * 86400000 ))
days=$(sqlite3 "$home/task.db" "SELECT count(*) FROM run_days WHERE day < $today")
t agent start >/dev/null
for _ in $(seq 1 100); do  # ten seconds at most
  grep -q "stats: looked at" "$home/agent.log" 2>/dev/null && break
  sleep 0.1
done
t agent stop >/dev/null
expect_contains "agent: summaries stored" "$(cat "$home/agent.log")" "stats: looked at 17 hour(s) and $days day(s) of runs and stored their summaries"
expect_eq "agent: no hour left stale" "$(sqlite3 "$home/task.db" "SELECT count(*) FROM run_hours WHERE summary_generation != generation")" "0"
expect_eq "agent: no finished day left stale" "$(sqlite3 "$home/task.db" "SELECT count(*) FROM run_days WHERE day < $today AND summary_generation != generation")" "0"
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
# Measured in Chromium through the DOM (a script added to a copy of the report): each
# chart's deployment, size, segments, lines and bands; the overview's order; numbers that
# break across lines or spill out of their tile; sideways scrolling.
measure_js='const q=(s,e=document)=>[...e.querySelectorAll(s)];const m={charts:q("svg.chart").map(s=>{const r=s.getBoundingClientRect(),c=s.closest("section");return {task:c.dataset.task,env:c.dataset.env,cls:s.getAttribute("class"),w:Math.round(r.width),h:Math.round(r.height),periods:+s.dataset.periods,segs:q("rect.seg",s).length,faults:q("rect.seg.fault",s).length,lines:q("path.line",s).length,bands:q("path.band",s).length,hits:q("rect.hit",s).length}}),order:q("table.overview tbody tr").map(r=>r.dataset.task+"/"+r.dataset.env),broken:q(".n").filter(e=>e.getClientRects().length>1).map(e=>e.textContent),spilled:q(".tile").filter(t=>t.scrollWidth>t.clientWidth+1).map(t=>t.textContent),sideways:document.documentElement.scrollWidth>innerWidth,faultTile:q(".tile.fault .value").map(e=>e.textContent),undeployed:q("h2.undeployed~section.card").map(c=>c.dataset.task)};document.body.insertAdjacentHTML("beforeend","<pre id=measure>"+JSON.stringify(m)+"</pre>")'
probe="$home/probe.html"
sed "s#</body>#<script>${measure_js//&/\\&}</script></body>#" "$home/report.html" >"$probe"
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-dev-shm-usage)
measure() {  # measure WIDTH: the measurements at that window width
  timeout 60 chromium "${flags[@]}" --window-size="$1,2400" --dump-dom "file://$probe" 2>/dev/null |
    sed -n 's#.*<pre id="measure">\(.*\)</pre>.*#\1#p' | sed 's/&quot;/"/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g'
}
m=$(measure 1200)
charts=$(jq -c .charts <<<"$m")
expect_eq "charts: three per deployment shown" "$(jq 'length' <<<"$charts")" "12"
expect_eq "charts: all drawn with a size" "$(jq '[.[] | select(.w > 300 and .h > 100)] | length' <<<"$charts")" "12"
dev_chart() { jq -c --arg c "$1" '.[] | select(.task == "probe" and .env == "development" and .cls == "chart " + $c)' <<<"$charts"; }
expect_eq "outcome bars: succeeded, failed, timed-out, skipped and a platform fault apart" \
  "$(dev_chart outcomes | jq -c '[.segs, .faults]')" "[5,1]"
expect_eq "durations: a band from p50 to p95, lines along p50, p95 and max, a hover target per period" \
  "$(dev_chart durations | jq -c '[.bands, .lines, .hits]')" "[1,3,1]"
expect_eq "lateness: a band from p50 to p99 and two lines" "$(dev_chart lateness | jq -c '[.bands, .lines]')" "[1,2]"
expect_eq "the axis fits a task younger than the window (days since its creation)" \
  "$(jq -c '[.[] | select(.cls == "chart outcomes") | [.task, .env, .periods]]' <<<"$charts")" \
  '[["probe","development",3],["steady","development",2],["probe","production",3],["gone","development",3]]'
expect_eq "overview: worst first, undeployed last" "$(jq -c .order <<<"$m")" \
  '["probe/development","steady/development","probe/production","gone/development"]'
expect_eq "undeployed history has its own section" "$(jq -c .undeployed <<<"$m")" '["gone"]'
expect_eq "platform faults have a tile of their own" "$(jq -c .faultTile <<<"$m")" '["1"]'
for width in 1200 390; do
  [[ $width == 1200 ]] || m=$(measure "$width")
  expect_eq "$width px: no number breaks across lines" "$(jq -c .broken <<<"$m")" "[]"
  expect_eq "$width px: no figure spills out of its tile" "$(jq -c .spilled <<<"$m")" "[]"
  expect_eq "$width px: no sideways scrolling" "$(jq -c .sideways <<<"$m")" "false"
done
mkdir -p "$artefacts"
timeout 60 chromium "${flags[@]}" --window-size=1200,2400 --screenshot="$artefacts/stats-report.png" "file://$home/report.html" >/dev/null 2>&1
timeout 60 chromium "${flags[@]}" --window-size=390,2400 --screenshot="$artefacts/stats-report-phone.png" "file://$home/report.html" >/dev/null 2>&1
checks=$((checks + 1))
[[ $(stat -c %s "$artefacts/stats-report.png" 2>/dev/null || echo 0) -gt 20000 ]] || fail "no screenshot"
finish
