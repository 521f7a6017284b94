#!/usr/bin/env bash
# Promotion, rollback, history, per-environment configuration and secrets, environments,
# against the real Docker engine of scripts/with-docker.sh.
set -u
task_bin=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
[[ -n ${DOCKER_HOST:-} ]] || { echo "SKIP: DOCKER_HOST is unset (run under scripts/with-docker.sh)"; exit 0; }
work=$(mktemp -d)
cleanup() {
  "$task_bin" agent stop >/dev/null 2>&1
  docker ps -aq --filter label=task.run | xargs -r docker rm -f >/dev/null 2>&1
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^task/pr-' | xargs -r docker rmi -f >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
export TASK_HOME="$work/state" HOME="$work/home"
mkdir -p "$HOME"
cd "$work"
run() { out=$("$task_bin" "$@" 2>"$work/err"); rc=$?; err=$(cat "$work/err"); }
t() { "$task_bin" "$@"; }
count() { t runs -o json --limit 500 --env "$1" | jq "[.runs[] | select($2)] | length"; }
secret=s3cr3t-Value-0042

t -q init pr-app --template shell >/dev/null
cd pr-app
cat > run.sh <<'SH'
#!/bin/sh
echo "version=1 greeting=${GREETING:-none} token=${API_TOKEN:-none}"
sleep 1
SH
git add -A && git -c user.name=t -c user.email=t@t commit -qm v1

# Development first: deploy, runs succeed.
t -q deploy --interval "@every 2s" >/dev/null
wait_for 40 '[[ $(count development '"'"'.outcome == "succeeded"'"'"') -ge 2 ]]'
expect_eq "runs succeed in development" "$([[ $(count development '.outcome == "succeeded"') -ge 2 ]] && echo yes)" yes
dev_image=$(t status -o json | jq -r '.deployments[] | select(.env == "development") | .image_id')

# Production takes promotions only.
run deploy --interval "@every 3s" --env production
expect_eq "a direct deploy to production is refused" "$rc" 5
expect_contains "with a hint to promote" "$err" "task promote"

# Production's own configuration and a secret, set before the first promotion.
run config set GREETING=from-production --env production
expect_eq "config set rc" "$rc" 0
run config set "API_TOKEN=$secret" --secret --env production
expect_eq "config set --secret rc" "$rc" 0
run config set 1BAD=x --env production
expect_eq "a key that is not an environment variable name" "$rc" 3
run config set "MULTI=$(printf 'a\nb')" --env production
expect_eq "a value with a line break" "$rc" 3
run config unset NOPE --env production
expect_eq "unsetting a key that is not there" "$rc" 4
run config list --env production -o json
expect_eq "config list masks the secret" "$(jq -r '.config[] | select(.key == "API_TOKEN") | .value' <<<"$out")" "****"
run config list --env production --reveal -o json
expect_eq "--reveal shows it" "$(jq -r '.config[] | select(.key == "API_TOKEN") | .value' <<<"$out")" "$secret"

# Promote with another interval: the very image, production's own schedule and config.
run promote --interval "@every 3s" -o json
expect_eq "promote rc" "$rc" 0
expect_eq "the same image id" "$(jq -r .deployment.image_id <<<"$out")" "$dev_image"
expect_eq "production's own schedule" "$(jq -r .deployment.schedule <<<"$out")" "@every 3s"
expect_eq "development keeps its schedule" \
  "$(t status -o json | jq -r '.deployments[] | select(.env == "development") | .schedule')" "@every 2s"
wait_for 20 '[[ -n $(docker ps -q --filter label=task.env=production --filter label=task.name=pr-app --filter status=running) ]]'
cid=$(docker ps -q --filter label=task.env=production --filter label=task.name=pr-app --filter status=running | head -1)
expect_eq "the engine runs production from the same image id" "$(docker inspect -f '{{.Image}}' "$cid" 2>/dev/null)" "$dev_image"
wait_for 30 '[[ $(count production '"'"'.outcome == "succeeded"'"'"') -ge 2 ]]'
expect_eq "production runs on its own schedule" \
  "$(t runs -o json --env production | jq '[.runs[] | select(.trigger == "schedule") | .scheduled_ms] | .[0] - .[1]')" 3000
run logs --env production
expect_contains "production's runs get its configuration" "$out" "greeting=from-production"
expect_contains "and the secret, masked in the log" "$out" "token=****"
expect_not_contains "the secret never shows" "$out" "$secret"
run logs --env development
expect_contains "development keeps its own configuration" "$out" "greeting=Hello"
expect_eq "the secret is in no stored log" "$(grep -rl -- "$secret" "$TASK_HOME/runs" | wc -l)" 0
all="$(t status -o json) $(t history --env production -o json) $(t logs --events -o json) $(t config list --env production) $(t runs -o json --env production) $(t logs --env production -o json)"
expect_not_contains "nor in status, history, events, config list, runs, logs -o json" "$all" "$secret"
expect_eq "the state directory is private" "$(stat -c %a "$TASK_HOME")" 700
expect_eq "the database too" "$(stat -c %a "$TASK_HOME/task.db")" 600
expect_eq "and the run logs" "$(stat -c %a "$(ls "$TASK_HOME"/runs/*.log | head -1)")" 600
run logs --events -o json
expect_eq "the promotion is an event in development" \
  "$(jq '[.events[] | select(.env == "development" and .kind == "promoted")] | length' <<<"$out")" 1
expect_eq "and in production" "$(jq '[.events[] | select(.env == "production" and .kind == "promoted")] | length' <<<"$out")" 1

# A new version in development, promoted, then production rolled back.
sed -i 's/version=1/version=2/' run.sh
git -c user.name=t -c user.email=t@t commit -qam v2
t -q deploy --interval "@every 2s" >/dev/null
dev2=$(t status -o json | jq -r '.deployments[] | select(.env == "development") | .image_id')
expect_eq "a new image in development" "$([[ $dev2 != "$dev_image" ]] && echo yes)" yes
wait_for 30 '[[ $(t runs -o json --env development --limit 1 | jq -r ".runs[0].revision") == 2 && $(count development '"'"'.revision == 2 and .outcome == "succeeded"'"'"') -ge 1 ]]'
run promote --interval "@every 4s"
expect_eq "the second promotion" "$rc" 0
run history --env production -o json
expect_eq "production has two revisions" "$(jq '.revisions | length' <<<"$out")" 2
expect_eq "the second is the new image" "$(jq -r '.revisions[1].image_id' <<<"$out")" "$dev2"
expect_eq "made by promote" "$(jq -r '.revisions[1].command' <<<"$out")" promote
run rollback --env production -o json
expect_eq "rollback rc" "$rc" 0
expect_eq "rollback restores the earlier image" "$(jq -r .deployment.image_id <<<"$out")" "$dev_image"
expect_eq "and the earlier schedule" "$(jq -r .deployment.schedule <<<"$out")" "@every 3s"
expect_eq "as a new revision" "$(jq -r .deployment.revision <<<"$out")" 3
run rollback --env production --to 9
expect_eq "a rollback to a revision that does not exist" "$rc" 4
run schedule set @every 5s --env production -o json
expect_eq "schedule set makes a revision" "$(jq -r .deployment.revision <<<"$out")" 4
expect_eq "with the new schedule" "$(jq -r .deployment.schedule <<<"$out")" "@every 5s"

# Bad promotions change nothing.
run promote --from production
expect_eq "nothing after the last environment" "$rc" 3
run promote --to development
expect_eq "not to the same environment" "$rc" 3
run promote --to staging
expect_eq "not to an unknown environment" "$rc" 4
cat > run.sh <<'SH'
#!/bin/sh
echo broken; exit 4
SH
git -c user.name=t -c user.email=t@t commit -qam broken
t -q deploy --interval "@every 2s" >/dev/null
wait_for 30 '[[ $(count development '"'"'.revision == 3 and .outcome == "failed"'"'"') -ge 1 ]]'
revs_before=$(t history --env production -o json | jq '.revisions | length')
run promote
expect_eq "an image whose last run failed needs --force" "$rc" 5
expect_contains "and says why" "$err" "--force"
expect_eq "and nothing changed in production" "$(t history --env production -o json | jq '.revisions | length')" "$revs_before"

# Environments.
run env add staging --after development --allow-direct-deploy
expect_eq "env add" "$rc" 0
expect_eq "in promotion order" "$(t env list -o json | jq -c '[.environments[].name]')" '["development","staging","production"]'
run promote --from staging
expect_eq "promoting from an environment with no deployment" "$rc" 4
expect_contains "says to deploy there first" "$err" "deploy it there first"
run env remove production
expect_eq "an environment with deployments stays" "$rc" 5
run env remove staging
expect_eq "an empty one goes" "$rc" 0
finish
