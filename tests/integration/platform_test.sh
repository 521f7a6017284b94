#!/usr/bin/env bash
# The local platform end to end against the real Docker engine of scripts/with-docker.sh:
# deploy with a short interval and observe runs and their logs; a failing task; a
# timeout; retries; each concurrency policy with a task that outlasts its interval; a
# manual run; suspend and resume; SIGKILL of the agent during a run and its re-attach;
# one agent per TASK_HOME; `task logs -f`. The scheduler's decisions alone (catch-up,
# starting deadline, backoff, fire times once) are tested in process with a fake clock.
set -u
task_bin=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
[[ -n ${DOCKER_HOST:-} ]] || { echo "SKIP: DOCKER_HOST is unset (run under scripts/with-docker.sh)"; exit 0; }
work=$(mktemp -d)
cleanup() {
  "$task_bin" agent stop >/dev/null 2>&1
  docker ps -aq --filter label=task.run | xargs -r docker rm -f >/dev/null 2>&1
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^task/pf-' | xargs -r docker rmi -f >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
export TASK_HOME="$work/state" HOME="$work/home"
mkdir -p "$HOME"
cd "$work"

run() { out=$("$task_bin" "$@" 2>"$work/err"); rc=$?; err=$(cat "$work/err"); }
t() { "$task_bin" "$@"; }

# A project from the shell template whose run.sh is SCRIPT and whose task.yaml run
# section is POLICY (lines after `run:`), committed.
project() {  # project NAME SCRIPT POLICY
  (cd "$work" && t -q init "$1" --template shell >/dev/null) || return 1
  printf '#!/bin/sh\n%s\n' "$2" > "$work/$1/run.sh"
  chmod +x "$work/$1/run.sh"
  printf 'name: %s\nbuild:\n  dockerfile: Dockerfile\nrun:\n  command: ["/app/run.sh"]\n%s\n' "$1" "$3" > "$work/$1/task.yaml"
  git -C "$work/$1" add -A && git -C "$work/$1" -c user.name=t -c user.email=t@t commit -qm "$1"
}
runs_json() { (cd "$work/$1" && t runs -o json --limit 200); }
count() {  # count NAME JQ-FILTER: how many runs match
  runs_json "$1" | jq "[.runs[] | select($2)] | length"
}
agent_pid() { t agent status -o json | jq -r '.pid // empty'; }

# Environments exist by default, in promotion order.
run env list -o json
expect_eq "environments in order" "$(jq -c '[.environments[].name]' <<<"$out")" '["development","production"]'
expect_eq "production takes promotions only" "$(jq -r '.environments[1].allow_direct_deploy' <<<"$out")" false

# --- A task deployed @every 2s runs on time, again and again, with its output kept.
project pf-ok 'echo "tick run=$TASK_RUN_ID env=$TASK_ENV"; echo "to stderr" >&2' '  timeout: 1m'
cd "$work/pf-ok"
run deploy --interval "@every 2s" --dry-run
expect_eq "a dry run" "$rc" 0
expect_contains "says it would build first" "$out" "built from the current source first"
expect_eq "and builds and deploys nothing" "$(t builds -o json | jq '.builds | length')$(t status -o json | jq '.deployments | length')" 00
run deploy --interval "every two seconds"
expect_eq "a bad schedule is refused before anything happens" "$rc" 3
expect_eq "nothing was built for it" "$(t builds -o json | jq '.builds | length')" 0
run deploy --interval "@every 2s" -o json
expect_eq "deploy rc" "$rc" 0
expect_eq "revision 1" "$(jq -r .deployment.revision <<<"$out")" 1
expect_eq "three next fire times" "$(jq '.next | length' <<<"$out")" 3
expect_eq "the agent was started" "$(jq -r .agent.running <<<"$out")" true
image_id=$(jq -r .deployment.image_id <<<"$out")
expect_eq "the deployed image is the build's" "$(t builds -o json | jq -r '.builds[0].image_id')" "$image_id"
run deploy --interval "@every 2s"
expect_contains "deploying the same again changes nothing" "$out" "nothing to do"
wait_for 30 '[[ $(count pf-ok '"'"'.outcome == "succeeded"'"'"') -ge 3 ]]'
expect_eq "three runs succeeded" "$([[ $(count pf-ok '.outcome == "succeeded"') -ge 3 ]] && echo yes)" yes
runs=$(runs_json pf-ok)
expect_eq "runs are scheduled 2s apart" \
  "$(jq '[.runs[] | select(.trigger == "schedule") | .scheduled_ms] | .[0] - .[1]' <<<"$runs")" 2000
expect_eq "each run has its exit code" "$(jq -r '[.runs[] | select(.outcome == "succeeded") | .exit_code] | unique | .[0]' <<<"$runs")" 0
expect_eq "scheduled and actual start are both given" \
  "$(jq -r '[.runs[] | select(.outcome == "succeeded")][0] | (.scheduled_at != null and .started_at != null)' <<<"$runs")" true
run logs
expect_contains "task logs shows the latest run's stdout" "$out" "tick run="
expect_contains "and its stderr" "$out" "to stderr"
expect_contains "with the environment given to the run" "$out" "env=development"
first=$(jq -r '[.runs[] | select(.outcome == "succeeded")] | last | .id' <<<"$runs")
run logs --run "$first" -o json
expect_eq "an older run's log stays after its container is gone" "$(jq -r '[.lines[] | select(.stream == "out")][0].text' <<<"$out")" "tick run=$first env=development"
expect_eq "each line is timestamped" "$(jq -r '.lines[0].time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")' <<<"$out")" true
expect_eq "no container is left of finished runs" \
  "$(docker ps -aq --filter label=task.name=pf-ok --filter status=exited | wc -l)" 0
run status -o json
expect_eq "status shows the deployment" "$(jq -r '.deployments[] | select(.task == "pf-ok") | .state' <<<"$out")" active
expect_eq "status shows a next run" "$(jq -r '.deployments[] | select(.task == "pf-ok") | .next_run | type' <<<"$out")" string
expect_eq "status shows the success rate" "$(jq -r '.deployments[] | select(.task == "pf-ok") | .success_rate' <<<"$out")" 1

# task logs -f follows runs as they come.
timeout -s INT 7 "$task_bin" logs -f > "$work/follow.txt" 2>&1
expect_eq "logs -f shows several runs as they start" "$([[ $(grep -c '── run .* of pf-ok' "$work/follow.txt") -ge 2 ]] && echo yes)" yes
expect_contains "logs -f shows their output" "$(cat "$work/follow.txt")" "tick run="

# One agent per TASK_HOME.
run agent run
expect_eq "a second agent refuses" "$rc" 5
expect_contains "and says which one runs" "$err" "an agent already runs for"

# Suspend: no new runs; resume: runs again.
run suspend
expect_eq "suspend rc" "$rc" 0
sleep 1
before=$(count pf-ok 'true')
sleep 4
expect_eq "a suspended deployment does not run" "$(count pf-ok 'true')" "$before"
run suspend
expect_eq "suspending twice changes nothing, and succeeds" "$rc" 0
expect_contains "saying it is suspended already" "$out" "suspended already; nothing to do"
run resume
wait_for 10 '[[ $(count pf-ok '"'"'true'"'"') -gt '"$before"' ]]'
expect_eq "a resumed deployment runs again" "$([[ $(count pf-ok 'true') -gt $before ]] && echo yes)" yes
run undeploy
expect_eq "undeploy rc" "$rc" 0
sleep 1
after=$(count pf-ok 'true')
sleep 3
expect_eq "an undeployed task does not run" "$(count pf-ok 'true')" "$after"
expect_eq "its history is kept" "$([[ $after -ge 3 ]] && echo yes)" yes
run logs --events -o json
expect_eq "the event log has the deployment" "$(jq '[.events[] | select(.kind == "deployed")] | length' <<<"$out")" 1
expect_eq "and the suspension" "$(jq '[.events[] | select(.kind == "suspended")] | length' <<<"$out")" 1
expect_eq "and the undeploy" "$(jq '[.events[] | select(.kind == "undeployed")] | length' <<<"$out")" 1

# --- A failing task: failed with its exit code, retried with backoff, each attempt kept.
project pf-boom 'echo "boom on attempt"; exit 3' '  retries: 2'
cd "$work/pf-boom"
t -q deploy --interval "@every 1h" >/dev/null
run run --wait
expect_eq "run --wait fails when the run fails" "$rc" 1
expect_contains "and says how" "$err" "exited with code 3"
wait_for 20 '[[ $(count pf-boom '"'"'.outcome == "failed"'"'"') -ge 3 ]]'
runs=$(runs_json pf-boom)
expect_eq "three attempts, all failed" "$(jq -c '[.runs[] | .attempt] | sort' <<<"$runs")" '[1,2,3]'
expect_eq "with exit code 3" "$(jq -c '[.runs[] | .exit_code] | unique' <<<"$runs")" '[3]'
expect_eq "the first was manual, the others retries" "$(jq -c '[.runs[] | .trigger] | sort' <<<"$runs")" '["manual","retry","retry"]'
gap1=$(jq '[.runs[] | .scheduled_ms] | sort | .[1] - .[0]' <<<"$runs")
gap2=$(jq '[.runs[] | .scheduled_ms] | sort | .[2] - .[1]' <<<"$runs")
expect_eq "backoff grows" "$([[ $gap2 -gt $gap1 && $gap1 -ge 1000 ]] && echo yes)" yes
t -q undeploy >/dev/null

# --- A timeout: the container is killed and the run recorded as timed-out.
project pf-slow 'echo started; sleep 30; echo never' '  timeout: 2s'
cd "$work/pf-slow"
t -q deploy --interval "@every 1h" >/dev/null
run run --wait -o json
expect_eq "a run over its timeout fails" "$rc" 1
expect_eq "as timed-out" "$(jq -r .run.outcome <<<"$out")" timed-out
expect_eq "after about its timeout" "$(jq -r '.run.duration_ms | . >= 1900 and . < 6000' <<<"$out")" true
expect_eq "with the kill's exit code, never 0 or none" "$(jq -r .run.exit_code <<<"$out")" 137
run logs
expect_contains "what it printed is kept" "$out" "started"
expect_contains "and why it stopped" "$out" "timed out"
expect_eq "its container is gone" "$(docker ps -aq --filter label=task.name=pf-slow | wc -l)" 0
t -q undeploy >/dev/null

# --- Concurrency: a task that takes 3.5s, every second.
for policy in forbid allow replace; do
  project "pf-$policy" 'echo "begin $TASK_RUN_ID"; sleep 3.5; echo "end $TASK_RUN_ID"' "  concurrency: $policy"
  (cd "$work/pf-$policy" && t -q deploy --interval "@every 1s" >/dev/null)
done
sleep 9
for policy in forbid allow replace; do (cd "$work/pf-$policy" && t -q undeploy >/dev/null); done
sleep 5
expect_eq "forbid: overlapping fire times are skipped" "$([[ $(count pf-forbid '.outcome == "skipped"') -ge 3 ]] && echo yes)" yes
expect_contains "forbid: and say why" "$(runs_json pf-forbid | jq -r '.runs[] | select(.outcome == "skipped") | .error')" \
  "was still running (concurrency: forbid)"
expect_eq "forbid: runs never overlap" "$(runs_json pf-forbid | jq '[.runs[] | select(.started_at != null)] | sort_by(.id) |
  [range(1; length) as $i | select(.[$i].scheduled_ms < (.[$i - 1].scheduled_ms + .[$i - 1].duration_ms))] | length')" 0
expect_eq "allow: runs overlap and none is skipped for it" "$(count pf-allow '.outcome == "skipped" and (.error | test("concurrency"))')" 0
expect_eq "allow: all of them succeed" "$([[ $(count pf-allow '.outcome == "succeeded"') -ge 5 ]] && echo yes)" yes
expect_eq "replace: earlier runs are stopped" "$([[ $(count pf-replace '.outcome == "cancelled"') -ge 3 ]] && echo yes)" yes
expect_contains "replace: and say by which" "$(runs_json pf-replace | jq -r '.runs[] | select(.outcome == "cancelled") | .error' | head -1)" \
  "replaced by run"

# --- A manual run obeys the concurrency policy unless forced.
project pf-manual 'echo "manual $TASK_RUN_ID"; sleep 2' '  concurrency: forbid'
cd "$work/pf-manual"
t -q deploy --interval "@every 1h" >/dev/null
t -q run >/dev/null
wait_for 10 '[[ $(count pf-manual '"'"'.outcome == "running"'"'"') -eq 1 ]]'
run run --wait
expect_eq "a second manual run is skipped while one runs (forbid)" "$rc" 1
expect_contains "skipped" "$err" "skipped"
run run --wait --force
expect_eq "--force runs anyway" "$rc" 0
run logs
expect_contains "a manual run's output" "$out" "manual"
t -q undeploy >/dev/null

# --- SIGKILL of the agent during a run: the run is re-attached, finished once, complete.
project pf-kill 'echo "first half"; sleep 4; echo "second half"' '  concurrency: forbid'
cd "$work/pf-kill"
t -q deploy --interval "@every 1h" >/dev/null
t -q run >/dev/null
wait_for 10 '[[ $(count pf-kill '"'"'.outcome == "running"'"'"') -eq 1 ]]'
sleep 1
kill -9 "$(agent_pid)"
wait_for 5 '[[ -z $(agent_pid) ]]'
expect_eq "the container goes on without the agent" "$(docker ps -q --filter label=task.name=pf-kill | wc -l)" 1
t -q agent start
wait_for 15 '[[ $(count pf-kill '"'"'.outcome == "succeeded"'"'"') -eq 1 ]]'
runs=$(runs_json pf-kill)
expect_eq "one run, finished once, succeeded" "$(jq -c '[.runs[] | .outcome]' <<<"$runs")" '["succeeded"]'
run logs
expect_eq "its first half is in the log once" "$(grep -c 'first half' <<<"$out")" 1
expect_eq "its second half too" "$(grep -c 'second half' <<<"$out")" 1
expect_contains "the log says it was re-attached" "$out" "re-attached"
expect_eq "its container is removed" "$(docker ps -aq --filter label=task.name=pf-kill | wc -l)" 0
t -q undeploy >/dev/null

# A run whose container vanished while the agent was down is lost, not left running.
project pf-lost 'sleep 20' '  concurrency: forbid'
cd "$work/pf-lost"
t -q deploy --interval "@every 1h" >/dev/null
t -q run >/dev/null
wait_for 10 '[[ $(count pf-lost '"'"'.outcome == "running"'"'"') -eq 1 ]]'
kill -9 "$(agent_pid)"
wait_for 5 '[[ -z $(agent_pid) ]]'
docker ps -aq --filter label=task.name=pf-lost | xargs -r docker rm -f >/dev/null
t -q agent start
wait_for 10 '[[ $(count pf-lost '"'"'.outcome == "lost"'"'"') -eq 1 ]]'
expect_eq "a run whose container is gone is lost" "$(count pf-lost '.outcome == "lost"')" 1
t -q undeploy >/dev/null

# A run whose image is gone from the engine could not run: outcome error (the platform's
# fault, not the task's), exit 8 from `task run --wait`, not counted in the success rate.
project pf-gone 'echo never' '  concurrency: forbid'
cd "$work/pf-gone"
t -q deploy --interval "@every 1h" >/dev/null
gone=$(t status -o json | jq -r '.deployments[] | select(.task == "pf-gone") | .image_id')
docker rmi -f "$gone" >/dev/null
run run --wait -o json
expect_eq "a run whose image is gone: exit 8" "$rc" 8
expect_eq "outcome error" "$(jq -r .run.outcome <<<"$out")" error
expect_contains "saying it could not run" "$err" "could not run"
expect_eq "not counted against the task" "$(t stats -o json --task pf-gone | jq '.deployments[0] | [.error, .failed, .success_rate]' -c)" "[1,0,null]"
t -q undeploy >/dev/null

# Missed runs while no agent ran (catch_up latest/all/none, the starting deadline) are
# the scheduler's decisions, tested with a fake clock in tests/unit/test_scheduler.cpp.

# No run was started twice: each (deployment, scheduled instant) has one run.
expect_eq "no fire time has two runs" "$(for p in pf-ok pf-forbid pf-allow pf-replace; do
  runs_json "$p" | jq -r '.runs[] | select(.trigger == "schedule" or .trigger == "catch-up") | "\(.task) \(.scheduled_ms)"'
done | sort | uniq -d | wc -l)" 0

run agent stop
expect_eq "agent stop rc" "$rc" 0
expect_eq "the agent is gone" "$(t agent status -o json | jq .running)" false
finish
