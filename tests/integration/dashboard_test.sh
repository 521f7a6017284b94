#!/usr/bin/env bash
# `task dashboard` against a platform with a known history: who it refuses (no token, a
# wrong one, a foreign Host header, an address it was not told to listen on), what it
# serves as JSON, and, in headless Chromium, what a person sees (dashboard_browser.cjs;
# screenshots kept in ARTEFACTS).
set -u
task_bin=$(realpath "$1")
artefacts=${2:-$(mktemp -d)}
. "$(dirname "$0")/lib.sh"
[[ -n ${DOCKER_HOST:-} ]] || { echo "SKIP: DOCKER_HOST is unset (run under scripts/with-docker.sh)"; exit 0; }
mkdir -p "$artefacts"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  "$task_bin" agent stop >/dev/null 2>&1
  docker ps -aq --filter label=task.name | xargs -r docker rm -f >/dev/null 2>&1
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^task(-revision)?/db-' | xargs -r docker rmi -f >/dev/null 2>&1
  ip addr del 203.0.113.7/32 dev lo 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export TASK_HOME="$work/state" HOME="$work/home"
mkdir -p "$HOME"
t() { "$task_bin" "$@"; }

# db-good always succeeds, db-bad every other time, db-slow takes its time.
project() {  # project NAME SCRIPT
  (cd "$work" && t -q init "$1" --template shell >/dev/null && cd "$1" && printf '%s\n' "#!/bin/sh" "$2" >run.sh &&
   git -c user.name=t -c user.email=t@t commit -qam script && t -q deploy --interval "0 0 29 2 *" >/dev/null)
}
project db-good 'echo good'
project db-bad 'echo "bad $TASK_RUN_ID"; [ $((TASK_RUN_ID % 2)) -eq 0 ]'
project db-slow 'for i in 1 2 3 4 5 6; do echo "line $i"; sleep 0.5; done'
for i in 1 2 3 4; do t run --task db-bad --wait -q >/dev/null 2>&1; done
for i in 1 2; do t run --task db-good --wait -q >/dev/null; done
t run --task db-slow --wait -q >/dev/null

serve() {  # serve FLAGS…: starts a dashboard; sets url, base, token
  "$task_bin" dashboard -o json "$@" >"$work/dash.json" 2>"$work/dash.err" &
  pids+=($!)
  wait_for 20 '[[ -s $work/dash.json ]]'
  url=$(jq -r .url "$work/dash.json")
  base=${url%%/\?token=*}
  token=${url##*token=}
  : >"$work/dash.json"
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
serve
expect_contains "it listens on the loopback address" "$url" "http://127.0.0.1:"
expect_eq "a request without the token is refused" "$(code "$base/api/overview")" 401
expect_eq "and one with a wrong token" "$(code "$base/api/overview?token=${token//[0-9a-f]/0}")" 401
expect_eq "the page itself too" "$(code "$base/")" 401
expect_eq "a foreign Host header is refused (DNS rebinding)" \
  "$(code -H "Host: rebind.example:${base##*:}" -H "Authorization: Bearer $token" "$base/api/overview")" 403
expect_eq "the token as a bearer header" "$(code -H "Authorization: Bearer $token" "$base/api/overview")" 200
# What a browser asks for: brotli (at cpp-httplib's quality, seconds for a large overview)
# is never chosen; gzip is.
expect_eq "a browser's Accept-Encoding gets gzip, not brotli" \
  "$(curl -s -o /dev/null -D - -H "Accept-Encoding: gzip, deflate, br" -H "Authorization: Bearer $token" "$base/api/overview" |
     tr -d '\r' | awk -F': ' 'tolower($1) == "content-encoding" {print $2}')" gzip
expect_eq "the URL's token sets a cookie and leaves the URL" \
  "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -c "$work/cookies" "$url")" "302 $base/"
expect_eq "the cookie lets the page in" "$(code -b "$work/cookies" "$base/")" 200
expect_eq "run now is off unless allowed" \
  "$(code -X POST -d "" -H "X-Task-Token: $token" -b "$work/cookies" "$base/api/run-now?task=db-good&env=development")" 403
api() { curl -s -H "Authorization: Bearer $token" "$base/api/$1"; }
expect_eq "the overview: worst first" "$(api overview | jq -r '[.deployments[].task] | join(" ")')" "db-bad db-good db-slow"
expect_eq "with their success rates" "$(api overview | jq -r '[.deployments[].counts.success_rate] | join(" ")')" "0.5 1 1"
expect_eq "a deployment's runs" "$(api 'deployment?task=db-bad&env=development' | jq '.runs | length')" 4
expect_eq "its failures" "$(api 'deployment?task=db-bad&env=development' | jq '.recent_failures | length')" 2
expect_eq "an unknown one" "$(code -H "Authorization: Bearer $token" "$base/api/deployment?task=nope&env=development")" 404
t config set --task db-good --secret DB_PASSWORD=hunter2-very-secret >/dev/null
expect_not_contains "no secret is ever served" "$(api 'deployment?task=db-good&env=development'; api overview)" hunter2
expect_eq "uPlot is served from task itself" "$(code -b "$work/cookies" "$base/assets/uPlot.js")" 200

# An address it was not told to listen on: a second address of this machine (in the
# test's own network namespace), outside 127.0.0.0/8.
if ip addr add 203.0.113.7/32 dev lo; then
  port=${base##*:}
  curl -s -m 5 -o /dev/null "http://203.0.113.7:$port/api/overview?token=$token"
  expect_eq "it cannot be reached on another address of the machine" "$?" 7
  kill "${pids[-1]}"
  serve --listen 203.0.113.7:0 --allow-run
  expect_eq "told to listen there, it answers there" "$(code "$url")" 302
  expect_eq "and not on loopback" "$(curl -s -m 5 -o /dev/null "http://127.0.0.1:${base##*:}/"; echo $?)" 7
  expect_eq "run now with --allow-run, the token in its header" \
    "$(code -X POST -d "" -H "X-Task-Token: $token" "$base/api/run-now?task=db-good&env=development&token=$token")" 200
  expect_eq "and without it, refused" \
    "$(code -X POST -d "" "$base/api/run-now?task=db-good&env=development&token=$token")" 403
  kill "${pids[-1]}"
  wait_for 30 '[[ $(t runs --task db-good -o json | jq "[.runs[] | select(.finished_at == null)] | length") == 0 ]]'
else
  fail "cannot add a second address to the test's network namespace"
fi

serve
node "$(dirname "$0")/dashboard_browser.cjs" "$url" "$task_bin" "$artefacts" >"$work/browser.out" 2>&1
status=$?
cat "$work/browser.out"
expect_eq "the browser checks pass" "$status" 0
expect_eq "they ran" "$(grep -c '^PASS' "$work/browser.out")" 13
kill -TERM "${pids[-1]}"
wait "${pids[-1]}"
expect_eq "SIGTERM stops it cleanly" "$?" 0
cat "$work/dash.err"
pids=()
finish
