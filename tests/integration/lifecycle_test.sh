#!/usr/bin/env bash
# A deployment keeps what it runs: its image is held against `docker image prune` after
# the build's own tag moved on; a suspended deployment stays suspended through deploy and
# rollback unless --resume; a rollback or deploy to an image that is gone is refused with
# the fix, changing nothing; `task doctor` checks every deployment.
set -u
task_bin=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
[[ -n ${DOCKER_HOST:-} ]] || { echo "SKIP: DOCKER_HOST is unset (run under scripts/with-docker.sh)"; exit 0; }
work=$(mktemp -d)
cleanup() {
  "$task_bin" agent stop >/dev/null 2>&1
  docker ps -aq --filter label=task.name=lc-probe | xargs -r docker rm -f >/dev/null 2>&1
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^task(-revision)?/lc-' | xargs -r docker rmi -f >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
export TASK_HOME="$work/state" HOME="$work/home"
mkdir -p "$HOME"
t() { "$task_bin" "$@"; }
run() { out=$("$task_bin" "$@" 2>"$work/err"); rc=$?; err=$(cat "$work/err"); }
commit() { git -C "$work/lc-probe" -c user.name=t -c user.email=t@t commit -qam "$1"; }
state() { t status -o json | jq -r '.deployments[0].state'; }
revisions() { t history -o json | jq '.revisions | length'; }
image_of() { t history -o json | jq -r ".revisions[] | select(.revision == $1) | .image_id"; }

(cd "$work" && t -q init lc-probe --template shell >/dev/null)
cd "$work/lc-probe"
printf '#!/bin/sh\necho "one $TASK_RUN_ID"\n' >run.sh
commit one
t -q deploy --interval "@every 1h" >/dev/null
one=$(image_of 1)
expect_contains "the revision's image is held by a tag of its own" \
  "$(docker image inspect -f '{{join .RepoTags " "}}' "$one")" "task-revision/lc-probe:development-1"
# The build's own tag moves on (here: goes); prune takes what has no tag.
docker rmi "$(t builds -o json | jq -r '.builds[0].image')" >/dev/null
docker image prune -f >/dev/null
expect_eq "docker image prune leaves the deployed image" "$(docker image inspect -f ok "$one" 2>&1)" ok
run run --wait
expect_eq "and its runs still run" "$rc" 0
run logs --grep '^one [0-9]+$'
expect_contains "logs --grep keeps the lines that match" "$out" "one "
run logs --grep 'nothing like this'
expect_eq "and only those" "$out" ""
run logs --grep '('
expect_eq "a --grep that is no regular expression" "$rc" 2

# Suspended, then deployed again: it stays suspended, and says so.
t -q suspend >/dev/null
printf '#!/bin/sh\necho "two $TASK_RUN_ID"\n' >run.sh
commit two
run deploy
expect_eq "a deploy of a suspended deployment" "$rc" 0
expect_contains "says it stays suspended" "$out" "suspended: no runs until"
expect_eq "and it does" "$(state)" suspended
two=$(image_of 2)
build_two=$(t builds -o json | jq -r '.builds[0].id')
run rollback --to 1 --dry-run
expect_eq "rollback --dry-run" "$rc" 0
expect_contains "says what it would do" "$out" "would roll lc-probe in development back to revision 1"
expect_eq "and changes nothing" "$(revisions)" 2
run rollback --to 1
expect_eq "rollback" "$rc" 0
expect_eq "leaves it suspended" "$(state)" suspended
run deploy --resume
expect_eq "deploy --resume" "$rc" 0
expect_eq "resumes it" "$(state)" active
expect_eq "as revision 4, the second image" "$(image_of 4)" "$two"

# The second image gone altogether: what names it is refused, with the fix.
docker rmi -f "$two" >/dev/null
run doctor -o json
expect_eq "doctor fails" "$rc" 1
expect_contains "on the deployment, saying why" \
  "$(jq -r '.checks[] | select(.name == "lc-probe in development") | .detail' <<<"$out")" "no longer in the Docker engine"
# A run the platform cannot start is an error, and `task logs` shows it, under its header.
run run --wait
expect_eq "a run of the gone image: exit 8" "$rc" 8
run logs
expect_contains "task logs shows that run, saying which it is" "$err" "of lc-probe in development · manual · error"
expect_contains "and why it did not start" "$out" "cannot create the container"
before=$(revisions)
run rollback --to 2
expect_eq "a rollback to a revision whose image is gone is refused" "$rc" 4
expect_contains "saying so" "$err" "revision 5 cannot run: its image ${two:0:19} is no longer in the Docker engine"
expect_contains "with the fix" "$err" "task build --commit"
expect_eq "nothing changed" "$(revisions)" "$before"
run deploy --build "$build_two" --dry-run
expect_eq "deploy --build of the gone image it runs, even a dry run, is refused" "$rc" 4
run rollback --to 1
expect_eq "a rollback to a held image works" "$rc" 0
run deploy --build "$build_two" --dry-run
expect_eq "deploy --build of a gone image, even a dry run, is refused" "$rc" 4
expect_contains "saying so" "$err" "no longer in the Docker engine"
run doctor -o json
expect_eq "and doctor is content again" \
  "$(jq -r '.checks[] | select(.name == "lc-probe in development") | .ok' <<<"$out")" true

# A secret from standard input, never on the command line; --secret is about one key.
printf 's3cr3t-value\n' | t -q config set API_TOKEN --secret >/dev/null
cfg() { t config list -o json "$@" | jq -r --arg k "$key" '.config[] | select(.key == $k) | "\(.value) \(.secret)"'; }
key=API_TOKEN
expect_eq "a secret read from standard input" "$(cfg --reveal)" "s3cr3t-value true"
expect_eq "shown as ****" "$(cfg)" "**** true"
printf 'other' | t -q config set PLAIN=1 SECOND --secret >/dev/null
key=PLAIN
expect_eq "a KEY=VALUE beside it stays plain" "$(cfg)" "1 false"
key=SECOND
expect_eq "the KEY without a value is the secret" "$(cfg --reveal)" "other true"
run config set A=1 B=2 --secret
expect_eq "--secret over several KEY=VALUE pairs is refused" "$rc" 2
run config set NOVALUE
expect_eq "a KEY without a value and without --secret is refused" "$rc" 2

# By name, from anywhere.
cd "$work"
run --task lc-probe runs -o json
expect_eq "runs --task from outside the project" "$rc" 0
expect_eq "lists that task's runs" "$(jq '[.runs[] | select(.task != "lc-probe")] | length' <<<"$out")" 0
run --task lc-probe logs --tail 1
expect_contains "logs --task from outside the project" "$err" "of lc-probe in development"
run --task "Not A Name" status
expect_eq "a --task that is no task name" "$rc" 2
run logs
expect_contains "logs outside a project says how to name the task" "$err" "--task NAME"
# The history, filtered.
run --task lc-probe runs --status error -o json
expect_eq "runs --status error" "$(jq '[.runs[].outcome] | unique' -c <<<"$out")" '["error"]'
run --task lc-probe runs --trigger manual --since 1h -o json
expect_eq "runs --trigger manual --since 1h" "$(jq '[.runs[].trigger] | unique' -c <<<"$out")" '["manual"]'
run --task lc-probe runs --status broken
expect_eq "an outcome that is none" "$rc" 2
expect_contains "lists the outcomes" "$err" "timed-out"
run --task lc-probe runs
expect_contains "the table says why a run did not succeed" "$out" "REASON"

# The schedule in task.yaml: a deploy without --interval takes it, --interval overrides it,
# a first promotion takes the target's.
cd "$work/lc-probe"
printf 'schedule:\n  development: "*/30 * * * *"\n  production: "0 * * * *"\n' >>task.yaml
commit schedule
run deploy
expect_contains "deploy without --interval takes task.yaml's" "$err" 'the schedule for development from task.yaml: */30 * * * *'
expect_eq "as the new revision's schedule" "$(t history -o json | jq -r '.revisions[-1].schedule')" '*/30 * * * *'
run deploy --interval "@every 2h"
expect_contains "--interval overrides it, and says so" "$err" "--interval overrides task.yaml's schedule for development"
run promote --force
expect_eq "a first promotion" "$rc" 0
expect_eq "takes task.yaml's schedule for production" \
  "$(t history --env production -o json | jq -r '.revisions[-1].schedule')" "0 * * * *"

# -q: the one datum a script wants, or nothing.
run -q deploy --interval "0 0 29 2 *"  # no fire time during the test
expect_eq "-q deploy prints the revision alone" "$out" "$(t history -o json | jq -r '.revisions[-1].revision')"
run -q run
expect_eq "-q run prints the run id alone" "$out" "$(t runs -o json | jq -r '.runs[0].id')"
t run --wait >/dev/null 2>&1
run -q runs --limit 3
expect_eq "-q runs prints the ids alone" "$out" "$(t runs --limit 3 -o json | jq -r '.runs[].id')"
run -q suspend
expect_eq "-q suspend prints nothing" "$rc:$out" "0:"
t -q resume >/dev/null

# Undeploying production is asked on a terminal and needs --yes without one; its kept
# history is still there after.
run undeploy --env production </dev/null
expect_eq "undeploy --env production without a terminal or --yes" "$rc" 2
expect_contains "names --yes" "$err" "--yes"
expect_eq "and changes nothing" "$(t status -o json | jq -r '.deployments[] | select(.env == "production") | .state')" active
run undeploy --env production --yes
expect_eq "undeploy --env production --yes" "$rc" 0
expect_contains "whose hint holds" "$out" "its history is kept"
run history --env production
expect_eq "task history --env production after it" "$rc" 0
expect_contains "shows the kept revisions" "$out" "promote"
run undeploy
expect_eq "development is not asked" "$rc" 0

# Ctrl-C on `task logs -f`: exit 130.
t -q deploy --resume --interval "@every 1h" >/dev/null
t run --wait >/dev/null 2>&1
"$task_bin" logs -f >"$work/follow.out" 2>"$work/follow.err" &
follower=$!
wait_for 20 'grep -q "of lc-probe in development" "$work/follow.err" || grep -q "── run" "$work/follow.out"'
kill -INT "$follower"
wait "$follower"
expect_eq "Ctrl-C on logs -f exits 130" "$?" 130
expect_not_contains "quietly" "$(cat "$work/follow.err")" "error:"
finish
