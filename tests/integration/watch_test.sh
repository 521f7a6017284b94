#!/usr/bin/env bash
# Watching without asking again and again: `task status --watch` draws what changed as it
# changes (each frame differs from the one before, and shows the change), and `task logs
# -f` follows runs as the agent writes them, woken by the kernel, with every line once.
set -u
task_bin=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
[[ -n ${DOCKER_HOST:-} ]] || { echo "SKIP: DOCKER_HOST is unset (run under scripts/with-docker.sh)"; exit 0; }
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  "$task_bin" agent stop >/dev/null 2>&1
  docker ps -aq --filter label=task.name=wt-probe | xargs -r docker rm -f >/dev/null 2>&1
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^task(-revision)?/wt-' | xargs -r docker rmi -f >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
export TASK_HOME="$work/state" HOME="$work/home"
mkdir -p "$HOME"
t() { "$task_bin" "$@"; }

cd "$work"
t -q init wt-probe --template shell >/dev/null
cd wt-probe
printf '#!/bin/sh\nfor i in 1 2 3 4 5; do echo "line $i of $TASK_RUN_ID"; sleep 0.2; done\n' >run.sh
git -c user.name=t -c user.email=t@t commit -qam lines
t -q deploy --interval "0 0 29 2 *" >/dev/null  # no fire time during the test

"$task_bin" status --watch -o json >"$work/frames" 2>"$work/frames.err" &
pids+=($!)
watcher=$!
"$task_bin" logs -f >"$work/follow" 2>"$work/follow.err" &
pids+=($!)
follower=$!
wait_for 20 '[[ -s $work/frames ]]'
expect_eq "status --watch -o json: a first frame" "$(head -1 "$work/frames" | jq -r '.deployments[0].task')" wt-probe

one=$(t -q run --wait)
two=$(t -q run --wait)
wait_for 20 'grep -q "line 5 of $two" "$work/follow"'
expect_eq "logs -f: every line of the first run, once" "$(grep -c "of $one\$" "$work/follow")" 5
expect_eq "and of the next" "$(grep -c "of $two\$" "$work/follow")" 5
wait_for 20 'grep -q "── run $two succeeded" "$work/follow"'
expect_contains "with each run's outcome" "$(cat "$work/follow")" "── run $one succeeded"
wait_for 20 'tail -1 "$work/frames" | jq -e ".deployments[0].last_run.id == $two and .deployments[0].last_run.outcome == \"succeeded\"" >/dev/null'
expect_eq "status --watch shows the newest run when it ends" \
  "$(tail -1 "$work/frames" | jq -r '.deployments[0].last_run.outcome')" succeeded
t -q suspend >/dev/null
wait_for 20 'tail -1 "$work/frames" | jq -e ".deployments[0].state == \"suspended\"" >/dev/null'
expect_eq "and a suspend from elsewhere" "$(tail -1 "$work/frames" | jq -r '.deployments[0].state')" suspended
expect_eq "every frame is a change: none twice in a row" \
  "$(uniq -d "$work/frames" | wc -l)" 0
expect_eq "every frame is one JSON document" "$(jq -c . "$work/frames" | wc -l)" "$(wc -l <"$work/frames")"

kill -INT "$watcher" "$follower"
wait "$watcher"
expect_eq "Ctrl-C on status --watch exits 130" "$?" 130
wait "$follower"
expect_eq "and on logs -f" "$?" 130
pids=()

# Not on a terminal, the table: each frame after the last.
"$task_bin" status --watch >"$work/table" 2>/dev/null &
watcher=$!
pids+=("$watcher")
wait_for 20 'grep -q "wt-probe" "$work/table"'
t -q resume >/dev/null
wait_for 20 'tail -4 "$work/table" | grep -q " active "'
expect_contains "a table frame per change" "$(tail -4 "$work/table")" " active "
expect_not_contains "no cursor movement off a terminal" "$(cat "$work/table")" $'\x1b['
finish
