# What the fault-injection scripts share: the assertions of the integration tests, a
# working directory and TASK_HOME of their own, removed with whatever they left in the
# engine, and the helpers to make a task and read the store.
#   . "$(dirname "$0")/common.sh" TASK_BIN PREFIX
set -u
task_bin=$(realpath "$1")
prefix=$2
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
[[ -n ${DOCKER_HOST:-} ]] || { echo "SKIP: DOCKER_HOST is unset (run under scripts/with-docker.sh)"; exit 0; }
work=$(mktemp -d)
extra_cleanup() { :; }
cleanup() {
  "$task_bin" agent stop >/dev/null 2>&1
  extra_cleanup
  docker ps -aq --filter "label=task.name" | while read -r c; do
    [[ $(docker inspect -f '{{index .Config.Labels "task.name"}}' "$c" 2>/dev/null) == "$prefix"* ]] && docker rm -f "$c" >/dev/null 2>&1
  done
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "^task/$prefix" | xargs -r docker rmi -f >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
export TASK_HOME="$work/state" HOME="$work/home"
mkdir -p "$HOME"
t() { "$task_bin" "$@"; }
db() { sqlite3 -cmd ".timeout 5000" "$TASK_HOME/task.db" "$@"; }
agent_pid() { t agent status -o json | jq -r '.pid // empty'; }
# project NAME SCRIPT [task.yaml run: key=value …]: a shell task whose run.sh is SCRIPT.
project() {
  local name=$1 script=$2
  shift 2
  (cd "$work" && t -q init "$name" --template shell >/dev/null) || return 1
  printf '#!/bin/sh\n%s\n' "$script" >"$work/$name/run.sh"
  local kv
  for kv in "$@"; do
    sed -i "s|^  ${kv%%=*}: .*|  ${kv%%=*}: ${kv#*=}|" "$work/$name/task.yaml"
  done
  git -C "$work/$name" -c user.name=t -c user.email=t@t commit -qam "$name"
}
# Containers of this script's tasks still in the engine.
containers_left() {
  local n=0 c
  for c in $(docker ps -aq --filter "label=task.name"); do
    [[ $(docker inspect -f '{{index .Config.Labels "task.name"}}' "$c" 2>/dev/null) == "$prefix"* ]] && n=$((n + 1))
  done
  echo "$n"
}
unfinished() { db "SELECT count(*) FROM runs WHERE outcome IN ('starting', 'running', 'pending')"; }
integrity() { db "PRAGMA integrity_check"; }
# figure NAME VALUE: one line of the figures every script prints.
figure() { printf '  %-44s %s\n' "$1" "$2"; }
