#!/usr/bin/env bash
# The Docker engine stopped under the local platform while a run is going and others are
# due, then started again: the runs it took are outcome error (the platform's fault, not
# counted against the task), the agent recovers by itself, and later runs succeed.
# The engine stays down for DOWN seconds (default 20). Runs on an engine of its own (it is
# stopped and started), made by scripts/with-docker.sh.
#   usage: engine_outage.sh TASK_BIN [DOWN]
set -u
task_bin=$(realpath "$1")
down_for=${2:-20}
. "$(dirname "$0")/../integration/lib.sh"
[[ -n ${DOCKER_HOST:-} ]] || { echo "SKIP: DOCKER_HOST is unset (run under scripts/with-docker.sh)"; exit 0; }
work=$(mktemp -d)
engine_pid=""
cleanup() {
  "$task_bin" agent stop >/dev/null 2>&1
  [[ -n $engine_pid ]] && kill "$engine_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export TASK_HOME="$work/state" HOME="$work/home"
mkdir -p "$HOME"
t() { "$task_bin" "$@"; }
count() { (cd "$work/$1" && t runs -o json --limit 200) | jq "[.runs[] | select($2)] | length"; }
sock=${DOCKER_HOST#unix://}
engine_up() { [[ $(curl -fsS --max-time 2 --unix-socket "$sock" http://localhost/_ping 2>/dev/null) == OK ]]; }
project() {  # NAME SCRIPT
  (cd "$work" && t -q init "$1" --template shell >/dev/null) || return 1
  printf '#!/bin/sh\n%s\n' "$2" >"$work/$1/run.sh"
  git -C "$work/$1" -c user.name=t -c user.email=t@t commit -qam "$1"
}

project out-long 'echo started; sleep 60; echo ended'
project out-tick 'echo tick'
(cd "$work/out-long" && t -q deploy --interval "@every 1h" >/dev/null && t -q run >/dev/null)
(cd "$work/out-tick" && t -q deploy --interval "@every 2s" >/dev/null)
wait_for 60 '[[ $(count out-long '"'"'.outcome == "running"'"'"') -eq 1 && $(count out-tick '"'"'.outcome == "succeeded"'"'"') -ge 1 ]]'
expect_eq "a long run is going" "$(count out-long '.outcome == "running"')" 1

# Stop the engine: the same command line starts it again afterwards.
old_pid=$(<"$(dirname "$sock")/docker.pid")
mapfile -d '' engine_cmd <"/proc/$old_pid/cmdline"
kill -TERM "$old_pid"
stopped_at=$SECONDS
wait_for 30 '! kill -0 "$old_pid" 2>/dev/null'
expect_eq "the engine is down" "$(engine_up && echo up || echo down)" down
# Runs fall due while it is down: each is an error, not a failure.
wait_for 30 '[[ $(count out-tick '"'"'.outcome == "error"'"'"') -ge 2 ]]'
expect_eq "runs due while the engine is down are errors" "$([[ $(count out-tick '.outcome == "error"') -ge 2 ]] && echo yes)" yes
expect_eq "none of them failed" "$(count out-tick '.outcome == "failed"')" 0
run_error=$(cd "$work/out-tick" && t runs -o json | jq -r '[.runs[] | select(.outcome == "error")][0].error')
expect_contains "saying the engine is unreachable" "$run_error" "Docker engine"
status=$(cd "$work/out-tick" && t status 2>&1)
expect_contains "task status says the engine is down" "$status" "platform down: "
expect_contains "naming it" "$status" "Docker engine"
expect_contains "and in -o json" "$(cd "$work/out-tick" && t status -o json | jq -r .agent.trouble)" "Docker engine"

# The fault's length, not a wait for anything.
((SECONDS - stopped_at < down_for)) && sleep "$((down_for - (SECONDS - stopped_at)))"
errors_while_down=$(count out-tick '.outcome == "error"')
# Start it again.
setsid "${engine_cmd[@]}" >"$work/engine.log" 2>&1 &
engine_pid=$!
wait_for 60 engine_up
expect_eq "the engine is back" "$(engine_up && echo up || echo down)" up
wait_for 60 '[[ $(count out-long '"'"'.outcome == "running"'"'"') -eq 0 ]]'
expect_eq "the run the engine took down is an error" "$(count out-long '.outcome == "error"')" 1
expect_eq "not a failure" "$(count out-long '.outcome == "failed"')" 0
after=$(count out-tick '.outcome == "succeeded"')
wait_for 30 '[[ $(count out-tick '"'"'.outcome == "succeeded"'"'"') -gt '"$after"' ]]'
expect_eq "the agent recovers by itself: runs succeed again" "$([[ $(count out-tick '.outcome == "succeeded"') -gt $after ]] && echo yes)" yes
expect_eq "the agent kept running" "$(t agent status -o json | jq .running)" true
expect_not_contains "and task status no longer says the engine is down" "$(cd "$work/out-tick" && t status 2>&1)" "platform down"
stats=$(cd "$work/out-tick" && t stats -o json)
expect_eq "errors are not counted against the task" "$(jq '.deployments[0].failure_rate' <<<"$stats")" 0
expect_eq "and are counted as errors" "$(jq '.deployments[0].error >= 2' <<<"$stats")" true
wait_for 30 '[[ $(docker ps -aq --filter label=task.name=out-long | wc -l) -eq 0 ]]'
expect_eq "the taken-down run's container is removed" "$(docker ps -aq --filter label=task.name=out-long | wc -l)" 0
t -q agent stop >/dev/null
echo "engine outage: the engine down for $down_for s"
printf '  %-44s %s\n' "runs due meanwhile: error (not failed)" "$errors_while_down" \
  "failed runs" "$(( $(count out-tick '.outcome == "failed"') + $(count out-long '.outcome == "failed"') ))" \
  "containers left" "$(docker ps -aq --filter label=task.name=out-long | wc -l)"
finish
