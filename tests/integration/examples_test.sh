#!/usr/bin/env bash
# Every example in the man pages (the same ones `--help` shows), run as written, in an
# order in which each makes sense: a project made by `task init`, built and deployed on a
# private engine, its checks pointed at an HTTP server here. Each example must end as
# listed: 0, or the exit status it has for a named reason (no network beyond this machine,
# no terminal to ask on). An example that is not listed here, or listed and gone from the
# pages, fails the test: a new example is run from the day it is written.
set -u
task_bin=$(realpath "$1") source_dir=$(realpath "$2")
. "$(dirname "$0")/lib.sh"
[[ -n ${DOCKER_HOST:-} ]] || { echo "SKIP: DOCKER_HOST is unset (run under scripts/with-docker.sh)"; exit 0; }
work=$(mktemp -d)
server=
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null
  "$task_bin" agent stop >/dev/null 2>&1
  docker ps -aq --filter label=task.name=health-check | xargs -r docker rm -f >/dev/null 2>&1
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^task(-revision)?/(health-check|probe|nightly-report|report)' |
    xargs -r docker rmi -f >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
export TASK_HOME="$work/state" HOME="$work/home" PATH="$(dirname "$task_bin"):$PATH" TOKEN=example-token
mkdir -p "$HOME/.config/fish/completions" "$HOME/zfunc"
echo not-a-real-token >"$HOME/.token"
mkdir -p "$work/www" && echo ok >"$work/www/health"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>&1 &
server=$!
# A repository beside the project for `task connect ../report`.
mkdir -p "$work/report/docker"
printf 'FROM busybox:1.36\nCMD ["echo", "report"]\n' >"$work/report/docker/Dockerfile.prod"
git -C "$work/report" init -q && git -C "$work/report" add -A &&
  git -C "$work/report" -c user.name=t -c user.email=t@t commit -qm report

# The examples as the man pages write them.
examples=$(grep -h '^\$ ' "$source_dir"/man/*.1 | sed -e 's/^\$ //' -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\&//g' | sort -u)

# EXIT <tab> HOW <tab> COMMAND. HOW: example (bash -c, in the current directory), zsh,
# interrupt (Ctrl-C once it has printed), term (SIGTERM once the agent runs), setup (not an
# example: what the next ones need), cd (a directory under $work).
plan=$(cat <<'PLAN'
0	example	task templates
0	example	task templates -o json | jq -r '.templates[].name'
0	example	task version
0	example	task version -o json | jq -r .version
0	example	task help deploy
0	example	task help env add
0	example	task schedule next "*/5 * * * *"
0	example	task schedule next "30 2 * * *" --timezone Europe/Berlin --from 2026-03-28T00:00:00Z -n 3
0	example	task schedule next @hourly -o json
0	example	task schedule explain "0 */2 * * *"
0	example	task schedule explain "CRON_TZ=Europe/Berlin 30 9 * * 1-5"
0	example	task schedule explain "0 18 * * 5L"
0	example	source <(task completion bash)
0	zsh	task completion zsh > "${fpath[1]}/_task"
0	example	task completion fish > ~/.config/fish/completions/task.fish
0	example	task init probe -t http-health-check --var target_url=https://example.org/health
0	example	task init nightly-report --template python --dir ops/nightly-report
0	example	task init health-check --template http-health-check
0	cd	health-check
0	example	task doctor
0	example	task doctor -o json | jq '.checks[] | select(.ok | not)'
0	example	task env list
0	example	task env list -o json | jq -r '.environments[].name'
0	example	task env add staging --after development --allow-direct-deploy
0	example	task env remove staging
0	example	task build
0	example	task build --no-cache --build-arg BASE_IMAGE=busybox:1.36
0	example	task build -o json | jq -r .image_id
0	example	task builds
0	example	task builds -o json | jq '.builds[0].status'
0	example	task config set TARGET_URL=https://example.org/health
0	example	task config unset TARGET_URL
0	setup	task -q config set TARGET_URL=http://127.0.0.1:$port/health
0	example	task deploy --interval "@every 2s" --dry-run
0	example	task deploy --interval "*/5 * * * *"
0	example	task deploy --interval "0 9 * * 1-5" --timezone Europe/Berlin
0	example	task run --wait -o json | jq -r .run.outcome
0	example	task run --follow
0	setup	for i in $(seq 10); do task -q run --wait >/dev/null || exit 1; done
0	example	task runs
0	example	task runs --status failed --since 24h
0	example	task runs -o json | jq '.runs[] | {id, outcome, lateness_ms}'
0	example	task logs
0	example	task logs --run 12 --tail 20
0	example	task logs --grep 'error|timeout' --tail 5
0	example	task logs --events
0	example	task logs --build 3
130	interrupt	task logs -f
0	example	task status
130	interrupt	task status --watch
0	interrupt	task dashboard
0	interrupt	task dashboard --listen 127.0.0.1:8080 --open
0	interrupt	task dashboard --allow-run
0	example	task status -o json | jq '.deployments[] | {task, env, next_run}'
0	example	task suspend
0	example	task resume
0	example	task promote
0	example	task promote --interval "0 * * * *"
0	example	task history --env production
0	example	task config list --env production
0	example	printf %s "$TOKEN" | task config set API_TOKEN --secret
0	example	task config set GITHUB_TOKEN --secret --env production <<<"$TOKEN"
0	example	task schedule set "*/10 * * * *" --env production
0	example	task suspend --env production
0	example	task resume --env production
0	example	task rollback --env production
0	setup	task -q schedule set "*/15 * * * *"
0	example	task rollback --to 3 --dry-run
0	example	task stats
0	example	task stats --since 24h --env production
0	example	task stats -o json | jq '.deployments[] | {task, env, success_rate}'
0	example	task stats --all --html report.html
2	example	task undeploy --env production
0	setup	task undeploy --env production --yes
0	example	task undeploy
0	example	task agent status
0	example	task agent status -o json | jq .running
0	example	task agent stop
0	term	task agent run
0	term	task agent run --metrics 127.0.0.1:9464
0	example	task agent start --metrics 127.0.0.1:9464
0	example	task agent status -o json | jq -r .metrics
0	example	task agent start
0	cd	.
0	example	task connect ../report --dockerfile docker/Dockerfile.prod
7	example	task connect https://github.com/acme/ops-tasks.git --path health-check
7	example	task connect git@github.com:acme/backup.git --branch release --name nightly-backup
7	example	TASK_GIT_TOKEN=$(cat ~/.token) task connect https://git.example.com/acme/private.git
4	example	task env add production-eu --platform kubernetes --context prod-eu --namespace tasks --registry registry.example.com/team
4	example	task env set development --platform kubernetes --context dev --registry 127.0.0.1:5000/acme
PLAN
)

listed=$(awk -F'\t' '$2 != "setup" && $2 != "cd" { print $3 }' <<<"$plan" |
  sed 's/ <<<"$TOKEN"$//' | sort -u)
expect_eq "every example in the man pages is in the plan, and only those" \
  "$(diff <(echo "$examples") <(echo "$listed") | grep '^[<>]' | tr '\n' ' ')" ""
expect_eq "the man pages have examples to run" "$(( $(wc -l <<<"$examples") > 60 ))" 1

# signalled SIGNAL CONDITION COMMAND: COMMAND in the background, SIGNAL once CONDITION
# holds (its output is $work/out, empty at the start); rc is how it ended.
signalled() {
  : >"$work/out"
  bash -c "exec $3" >"$work/out" 2>&1 &
  local pid=$!
  wait_for 20 "$2"
  kill -"$1" "$pid"
  wait "$pid"
  rc=$?
}

cd "$work/x" 2>/dev/null || mkdir -p "$work/x" && cd "$work/x"
while IFS=$'\t' read -r want how command; do
  [[ -z $want ]] && continue
  case $how in
    cd) cd "$work/x/$command" || fail "cd $command"; continue ;;
    zsh) zsh -f -c "fpath=(\$HOME/zfunc \$fpath); $command" >"$work/out" 2>&1; rc=$? ;;
    interrupt) signalled INT '[[ -s $work/out ]]' "$command" ;;
    term) signalled TERM '"$task_bin" agent status -o json 2>/dev/null | jq -e .running >/dev/null' "$command" ;;
    *) port=$port bash -c "$command" >"$work/out" 2>&1 </dev/null; rc=$? ;;
  esac
  if [[ $how == setup ]]; then
    [[ $rc == 0 ]] || fail "setup \`$command\` exited $rc: $(tail -3 "$work/out")"
  else
    expect_eq "\`$command\` exits $want" "$rc" "$want"
    [[ $rc == "$want" ]] || sed 's/^/    /' "$work/out" | tail -5 >&2
  fi
done <<<"$plan"
finish
