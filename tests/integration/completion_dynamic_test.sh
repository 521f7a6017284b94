#!/usr/bin/env bash
# Completion of what exists: task names, environments, run ids, build ids, revisions and
# configuration keys come from the platform through `task __complete`, in real bash, zsh
# and fish, inside a project and from anywhere with --task or -C.
set -u
task_bin=$(realpath "$1") source_dir=$(realpath "$2")
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/shells.sh"
[[ -n ${DOCKER_HOST:-} ]] || { echo "SKIP: DOCKER_HOST is unset (run under scripts/with-docker.sh)"; exit 0; }
work=$(mktemp -d)
cleanup() {
  "$task_bin" agent stop >/dev/null 2>&1
  docker ps -aq --filter label=task.name=dc-probe | xargs -r docker rm -f >/dev/null 2>&1
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^task(-revision)?/dc-' | xargs -r docker rmi -f >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
export TASK_HOME="$work/state" HOME="$work/home" PATH="$(dirname "$task_bin"):$PATH"
mkdir -p "$HOME"
t() { "$task_bin" "$@"; }
words() { sort | tr '\n' ' ' | sed 's/ $//'; }

cd "$work"
expect_eq "outside a project, before anything: no runs" "$(bash_complete task logs --run '')" ""
expect_eq "the environments there are" "$(bash_complete task deploy --env '')" "development production"
t -q init dc-probe --template shell >/dev/null
cd dc-probe
t -q deploy --interval "0 0 29 2 *" >/dev/null  # no fire time during the test
t -q config set FOO=1 BAR=2 >/dev/null
t -q run --wait >/dev/null
t -q run --wait >/dev/null
runs=$(t runs -o json | jq -r '.runs[].id' | words)
builds=$(t builds -o json | jq -r '.builds[].id' | words)
revisions=$(t history -o json | jq -r '.revisions[].revision' | words)
expect_eq "two runs to offer" "$(wc -w <<<"$runs")" 2
expect_eq "two revisions to offer" "$(wc -w <<<"$revisions")" 2

expect_eq "bash: task --task ''" "$(bash_complete task --task '')" "dc-probe"
expect_eq "bash: task logs --run ''" "$(bash_complete task logs --run '')" "$runs"
expect_eq "bash: task logs --build ''" "$(bash_complete task logs --build '')" "$builds"
expect_eq "bash: task rollback --to ''" "$(bash_complete task rollback --to '')" "$revisions"
expect_eq "bash: task config unset ''" "$(bash_complete task config unset '')" "BAR FOO"
expect_eq "bash: task config unset F" "$(bash_complete task config unset F)" "FOO"
expect_eq "bash: task env remove ''" "$(bash_complete task env remove '')" "development production"
expect_eq "bash: task promote --to p" "$(bash_complete task promote --to p)" "production"
expect_eq "bash: in production, no configuration yet" "$(bash_complete task config unset --env production '')" ""
expect_eq "bash: in production, no revisions yet" "$(bash_complete task rollback --env production --to '')" ""
expect_eq "bash: static completion still works" "$(bash_complete task completion '')" "bash fish zsh"

cd "$work"
expect_eq "bash, from anywhere: --task names it" "$(bash_complete task --task dc-probe logs --run '')" "$runs"
expect_eq "bash, from anywhere: --task=NAME" "$(bash_complete task --task=dc-probe config unset '')" "BAR FOO"
expect_eq "bash, from anywhere: --task=NAME as bash splits it" "$(bash_complete task --task = dc-probe config unset '')" "BAR FOO"
expect_eq "bash, from anywhere: -C DIR" "$(bash_complete task -C dc-probe rollback --to '')" "$revisions"
expect_eq "bash, from anywhere, no task named: nothing" "$(bash_complete task logs --run '')" ""

expect_eq "zsh: task --task ''" "$(zsh_complete task --task '')" "dc-probe"
expect_eq "zsh: task --task dc-probe logs --run ''" "$(zsh_complete task --task dc-probe logs --run '')" "$runs"
expect_eq "zsh: task -C dc-probe rollback --to ''" "$(zsh_complete task -C dc-probe rollback --to '')" "$revisions"
expect_eq "zsh: task -C dc-probe config unset ''" "$(zsh_complete task -C dc-probe config unset '')" "BAR FOO"
expect_eq "zsh: task deploy --build ''" "$(zsh_complete task -C dc-probe deploy --build '')" "$builds"
expect_eq "zsh: task env set ''" "$(zsh_complete task env set '')" "development production"

expect_eq "fish: task --task " "$(fish_complete 'task --task ')" "dc-probe"
expect_eq "fish: task --task dc-probe logs --run " "$(fish_complete 'task --task dc-probe logs --run ')" "$runs"
expect_eq "fish: task -C dc-probe rollback --to " "$(fish_complete 'task -C dc-probe rollback --to ')" "$revisions"
expect_eq "fish: task -C dc-probe config unset " "$(fish_complete 'task -C dc-probe config unset ')" "BAR FOO"
expect_eq "fish: task -C dc-probe deploy --build " "$(fish_complete 'task -C dc-probe deploy --build ')" "$builds"
expect_eq "fish: task env remove " "$(fish_complete 'task env remove ')" "development production"
expect_contains "fish: a run is described by its outcome" \
  "$(fish --no-config -c "source '$source_dir/completions/task.fish'; complete -C 'task --task dc-probe logs --run '")" "succeeded"
expect_contains "fish: a secret's value is not shown" \
  "$(t -C dc-probe -q config set TOKEN=abc --secret >/dev/null; fish --no-config -c "source '$source_dir/completions/task.fish'; complete -C 'task -C dc-probe config unset '")" "secret"
expect_not_contains "fish: nor anywhere" "$(t __complete config-keys -- -C dc-probe config unset)" "abc"
finish
