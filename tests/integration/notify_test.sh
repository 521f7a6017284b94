#!/usr/bin/env bash
# Failure notices end to end: a task whose run.on_failure.webhook points at a local HTTP
# server (tests/integration/webhook_server.py on 127.0.0.1). The task asks the same
# server whether to fail, succeed or hang, so each outcome is made on purpose. Checks the
# posted JSON field by field, the masking of secrets, one notice per failed run (not per
# attempt that a retry follows), the retry of a delivery the endpoint answered with 500,
# the recovery notice on the first success after failures only, a timed-out run, an
# endpoint that refuses the notice, and the event log of every delivery.
set -u
task_bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[[ -n ${DOCKER_HOST:-} ]] || { echo "SKIP: DOCKER_HOST is unset (run under scripts/with-docker.sh)"; exit 0; }
work=$(mktemp -d)
server_pid=
cleanup() {
  "$task_bin" agent stop >/dev/null 2>&1
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  docker ps -aq --filter label=task.run | xargs -r docker rm -f >/dev/null 2>&1
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^task/nf-' | xargs -r docker rmi -f >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
export TASK_HOME="$work/state" HOME="$work/home"
mkdir -p "$HOME" "$work/hook"
cd "$work"
t() { "$task_bin" "$@"; }

echo fail > "$work/hook/verdict"
python3 "$here/webhook_server.py" "$work/hook" &
server_pid=$!
wait_for 10 '[[ -s $work/hook/port ]]' || { echo "FAIL: the webhook server did not start"; exit 1; }
port=$(cat "$work/hook/port")
hook="http://127.0.0.1:$port/hooks/T0?key=hook-secret"
posts() { [[ -f $work/hook/requests.jsonl ]] && jq -s -c "[.[] | select(.method == \"POST\" and .path == \"${1:-/hooks/T0}\")]" "$work/hook/requests.jsonl" || echo '[]'; }
post_count() { posts "$@" | jq length; }
runs_json() { t runs -o json --limit 100; }
events_json() { t logs --events -o json; }

# The task: asks the server for its verdict and fails, hangs or succeeds accordingly.
t -q init nf-hook --template shell >/dev/null
cat > "$work/nf-hook/run.sh" <<SCRIPT
#!/bin/sh
verdict=\$(wget -qO- http://127.0.0.1:$port/verdict)
echo "verdict=\$verdict token=\$API_TOKEN"
case "\$verdict" in
  ok) echo "all good" ;;
  hang) echo "hanging"; sleep 60 ;;
  *) echo "broken: \$verdict" >&2; exit 3 ;;
esac
SCRIPT
chmod +x "$work/nf-hook/run.sh"
cat > "$work/nf-hook/task.yaml" <<YAML
name: nf-hook
build:
  dockerfile: Dockerfile
run:
  command: ["/app/run.sh"]
  timeout: 3s
  retries: 1
  on_failure: {webhook: "$hook"}
YAML
git -C "$work/nf-hook" add -A && git -C "$work/nf-hook" -c user.name=t -c user.email=t@t commit -qm nf-hook
cd "$work/nf-hook"
t -q config set API_TOKEN=s3cr3t-token-value --secret >/dev/null
t -q deploy --interval "@every 1h" >/dev/null || { echo "FAIL: deploy"; exit 1; }

# --- A failed run, retried once and failed again: one notice, for the last attempt.
# The endpoint answers the first POST with 500; the agent posts it again.
echo 500 > "$work/hook/statuses"
t run --wait >/dev/null 2>&1
wait_for 30 '[[ $(post_count) -ge 2 ]]'
expect_eq "the failure notice was posted twice (500, then 200)" "$(post_count)" 2
runs=$(runs_json)
expect_eq "two attempts failed" "$(jq -c '[.runs[] | select(.outcome == "failed") | .attempt] | sort' <<<"$runs")" '[1,2]'
last=$(jq -r '[.runs[] | select(.attempt == 2)][0].id' <<<"$runs")
body=$(posts | jq -r '.[1].body')
expect_eq "both posts carry the same message" "$(posts | jq -r '.[0].body')" "$body"
expect_eq "as JSON" "$(posts | jq -r '.[1].headers["Content-Type"]')" application/json
expect_eq "to the URL as configured" "$(posts | jq -c '.[1].query')" '{"key":["hook-secret"]}'
expect_eq "kind" "$(jq -r .kind <<<"$body")" failure
expect_eq "task and environment" "$(jq -r '.task + " " + .env' <<<"$body")" "nf-hook development"
expect_eq "for the last attempt, not the one a retry followed" "$(jq -r '.run_id' <<<"$body")" "$last"
expect_eq "attempt and trigger" "$(jq -r '"\(.attempt) \(.trigger)"' <<<"$body")" "2 retry"
expect_eq "outcome and exit code" "$(jq -r '"\(.outcome) \(.exit_code)"' <<<"$body")" "failed 3"
expect_eq "the error" "$(jq -r .error <<<"$body")" "exited with code 3"
expect_eq "times" "$(jq -r '[.scheduled_at, .started_at, .finished_at] | map(test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{3}Z$")) | all' <<<"$body")" true
expect_eq "the command for the whole log" "$(jq -r .logs_command <<<"$body")" "task logs --run $last"
# (sorted: the engine does not keep the order of lines between stdout and stderr)
expect_eq "the last lines of the log, stderr marked" \
  "$(jq -c '[.log_tail[] | select(.stream != "task") | [.stream, .text]] | sort' <<<"$body")" \
  '[["err","broken: fail"],["out","verdict=fail token=****"]]'
expect_not_contains "the secret is masked everywhere" "$body" "s3cr3t-token-value"
expect_eq "a line for chat" "$(jq -r .text <<<"$body")" "nf-hook in development: run $last failed (exit code 3). Its log: task logs --run $last"
run_log=$(t logs --run "$last" -o json | jq -c '[.lines[] | {time, stream, text}]')
expect_eq "the tail is the run's log, in its order" "$(jq -c '[.log_tail[] | {time, stream, text}]' <<<"$body")" "$run_log"
wait_for 10 '[[ $(events_json | jq "[.events[] | select(.kind == \"notice\")] | length") -ge 2 ]]'
notices=$(events_json | jq -c '[.events[] | select(.kind == "notice") | .message]')
expect_contains "the event log has the failed delivery" "$notices" "failure notice of run $last to http://127.0.0.1:$port not delivered: HTTP 500 (attempt 1 of 6; next at "
expect_contains "and the delivery" "$notices" "failure notice of run $last to http://127.0.0.1:$port delivered (HTTP 200, attempt 2)"
expect_not_contains "the event log never shows the URL's path or query" "$notices" "hook-secret"

# --- A timed-out run (twice: with its retry): a notice saying so.
echo hang > "$work/hook/verdict"
t run --wait >/dev/null 2>&1
wait_for 40 '[[ $(post_count) -ge 3 ]]'
expect_eq "one more notice" "$(post_count)" 3
body=$(posts | jq -r '.[2].body')
expect_eq "timed out" "$(jq -r '"\(.kind) \(.outcome) \(.attempt)"' <<<"$body")" "failure timed-out 2"
expect_eq "with why" "$(jq -r .error <<<"$body")" "killed after its timeout of 3s"
expect_contains "and what it printed" "$(jq -c '[.log_tail[].text]' <<<"$body")" '"hanging"'

# --- The first success after failures: a recovery notice; the next success: none.
echo ok > "$work/hook/verdict"
t run --wait >/dev/null 2>&1
wait_for 20 '[[ $(post_count) -ge 4 ]]'
expect_eq "a recovery notice" "$(post_count)" 4
body=$(posts | jq -r '.[3].body')
ok_run=$(runs_json | jq -r '[.runs[] | select(.outcome == "succeeded")][0].id')
expect_eq "recovery of the run that succeeded" "$(jq -r '"\(.kind) \(.outcome) \(.run_id) \(.exit_code)"' <<<"$body")" "recovery succeeded $ok_run 0"
expect_eq "its line" "$(jq -r .text <<<"$body")" "nf-hook in development: run $ok_run succeeded after failures. Its log: task logs --run $ok_run"
t run --wait >/dev/null 2>&1; t run --wait >/dev/null 2>&1
sleep 3
expect_eq "later successes post nothing" "$(post_count)" 4

# --- An endpoint that refuses the notice (404): given up at once, and said so.
cd "$work"
t -q init nf-gone --template shell >/dev/null
printf '#!/bin/sh\necho nope; exit 1\n' > "$work/nf-gone/run.sh"
printf 'name: nf-gone\nbuild:\n  dockerfile: Dockerfile\nrun:\n  command: ["/app/run.sh"]\n  on_failure: {webhook: "http://127.0.0.1:%s/hooks/gone"}\n' "$port" > "$work/nf-gone/task.yaml"
git -C "$work/nf-gone" add -A && git -C "$work/nf-gone" -c user.name=t -c user.email=t@t commit -qm nf-gone
cd "$work/nf-gone"
t -q deploy --interval "@every 1h" >/dev/null
echo 404 > "$work/hook/statuses"
t run --wait >/dev/null 2>&1
wait_for 20 '[[ $(events_json | jq "[.events[] | select(.kind == \"notice\")] | length") -ge 1 ]]'
expect_contains "a refused notice is given up at once" "$(events_json | jq -r '[.events[] | select(.kind == "notice")][0].message')" \
  "not delivered: HTTP 404 (attempt 1, given up: the endpoint refuses it)"
sleep 3
expect_eq "and not posted again" "$(post_count /hooks/gone)" 1

# --- The webhook named in task.yaml, its URL a secret of the environment's configuration.
cd "$work"
t -q init nf-named --template shell >/dev/null
printf '#!/bin/sh\necho nope; exit 1\n' > "$work/nf-named/run.sh"
printf 'name: nf-named\nbuild:\n  dockerfile: Dockerfile\nrun:\n  command: ["/app/run.sh"]\n  on_failure: {webhook: "${FAILURE_WEBHOOK}"}\n' > "$work/nf-named/task.yaml"
git -C "$work/nf-named" add -A && git -C "$work/nf-named" -c user.name=t -c user.email=t@t commit -qm nf-named
cd "$work/nf-named"
printf 'http://127.0.0.1:%s/hooks/named?key=named-secret' "$port" | t -q config set FAILURE_WEBHOOK --secret >/dev/null
t -q deploy --interval "@every 1h" >/dev/null
echo 200 > "$work/hook/statuses"
t run --wait >/dev/null 2>&1
wait_for 20 '[[ $(post_count /hooks/named) -ge 1 ]]'
expect_eq "a webhook named \${FAILURE_WEBHOOK} posts to the environment's value" "$(post_count /hooks/named)" 1
expect_not_contains "whose URL is in no output" "$(t logs --events; t status; t history)" "named-secret"

finish
