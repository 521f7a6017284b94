#!/usr/bin/env bash
# What a new agent finds after the old one died at the worst moment, made on purpose
# against the real engine: a container made ahead of its fire time (it must start at that
# instant, not before), a container whose name is the run's own but which the old agent
# never recorded (it must be adopted, not fail on the name), and `task agent start` right
# after a SIGKILL (it must start a new agent, not report the dead one).
set -u
task_bin=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
[[ -n ${DOCKER_HOST:-} ]] || { echo "SKIP: DOCKER_HOST is unset (run under scripts/with-docker.sh)"; exit 0; }
work=$(mktemp -d)
cleanup() {
  "$task_bin" agent stop >/dev/null 2>&1
  docker ps -aq --filter name=task-ra- | xargs -r docker rm -f >/dev/null 2>&1
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^task/ra-' | xargs -r docker rmi -f >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
export TASK_HOME="$work/state" HOME="$work/home"
mkdir -p "$HOME"
t() { "$task_bin" "$@"; }
db() { sqlite3 "$TASK_HOME/task.db" "$@"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
agent_pid() { t agent status -o json | jq -r '.pid // empty'; }

(cd "$work" && t -q init ra-probe --template shell >/dev/null)
printf '#!/bin/sh\necho "ran $TASK_RUN_ID"\n' > "$work/ra-probe/run.sh"
git -C "$work/ra-probe" add -A && git -C "$work/ra-probe" -c user.name=t -c user.email=t@t commit -qm probe
cd "$work/ra-probe"
t -q deploy --interval "@every 1h" >/dev/null
t -q agent stop
image=$(t status -o json | jq -r '.deployments[0].image_id')
deployment=$(db "SELECT id FROM deployments WHERE task = 'ra-probe'")

# A run the old agent recorded and made ready four seconds ahead of its fire time.
created=$(now_ms)
early_at=$((created + 4000))
early=$(db "INSERT INTO runs (deployment_id, revision, scheduled_at, outcome, trigger, attempt, error, created_at)
            VALUES ($deployment, 1, $early_at, 'starting', 'schedule', 1, '', $created) RETURNING id")
docker create --name "task-ra-probe-development-$early" -e "TASK_RUN_ID=$early" --label "task.run=$early" --label task.name=ra-probe \
  --label task.env=development --network host "$image" /app/run.sh >/dev/null
# A run whose container the old agent's request made after it died: the run's name, but
# nothing recorded and no label to find it by.
adopted=$(db "INSERT INTO runs (deployment_id, revision, scheduled_at, outcome, trigger, attempt, error, created_at)
              VALUES ($deployment, 1, $((created - 1000)), 'starting', 'schedule', 1, '', $created) RETURNING id")
docker create --name "task-ra-probe-development-$adopted" -e "TASK_RUN_ID=$adopted" --network host "$image" /app/run.sh >/dev/null

t -q agent start
outcome() { db "SELECT outcome FROM runs WHERE id = $1"; }
wait_for 30 '[[ $(outcome '"$early"') == succeeded && $(outcome '"$adopted"') == succeeded ]]'
expect_eq "the run made ahead succeeded" "$(outcome "$early")" succeeded
started=$(db "SELECT started_at FROM runs WHERE id = $early")
expect_eq "and started at its fire time, not before" "$([[ $started -ge $early_at ]] && echo yes || echo "no: $((early_at - started)) ms early")" yes
expect_eq "the run whose container was never recorded was adopted, not failed" "$(outcome "$adopted")" succeeded
expect_contains "and its log says so" "$(t logs --run "$adopted")" "adopting the container a previous agent made"
expect_contains "with its output" "$(t logs --run "$adopted")" "ran $adopted"
expect_eq "no container is left" "$(docker ps -aq --filter name=task-ra-probe | wc -l)" 0

# SIGKILL, then at once `task agent start`: a new agent, never the dead one's pid.
fresh=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
  old=$(agent_pid)
  kill -9 "$old"
  out=$(t agent start -o json)
  new=$(jq -r '.pid' <<<"$out")
  [[ $(jq -r .running <<<"$out") == true && $new != "$old" ]] && kill -0 "$new" 2>/dev/null && fresh=$((fresh + 1))
done
expect_eq "agent start right after a SIGKILL starts a new agent (10 of 10)" "$fresh" 10
t -q agent stop
finish
