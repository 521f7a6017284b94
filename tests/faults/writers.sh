#!/usr/bin/env bash
# Many CLI writers at once while the agent runs: `config set` from four processes, suspend
# and resume, deploys changing the schedule, status readers. No write is lost, nothing is
# refused for a locked database, and every revision's configuration holds all that the
# revision before it held (the change and its revision are one transaction).
#   usage: writers.sh TASK_BIN [KEYS_PER_WRITER]       (default 10)
. "$(dirname "$0")/common.sh" "$1" fw-
per=${2:-10}

project fw-probe 'echo "config has $(env | grep -c ^W)"'
cd "$work/fw-probe"
t -q deploy --interval "@every 2s" >/dev/null || fail "deploy"
errors="$work/errors"
: >"$errors"
call() { "$task_bin" -q "$@" >/dev/null 2>>"$errors" || echo "exit $?: task $*" >>"$errors"; }
begin=$SECONDS
pids=()
for w in 1 2 3 4; do
  (for ((k = 1; k <= per; k++)); do call config set "W${w}_K${k}=v$w.$k"; done) &
  pids+=($!)
done
(for _ in 1 2 3 4 5; do call suspend; call resume; done) &
pids+=($!)
(for s in 3 4 5; do call deploy --interval "@every ${s}s"; done) &
pids+=($!)
(for _ in $(seq 20); do call status; done) &
pids+=($!)
wait "${pids[@]}"
took=$((SECONDS - begin))

keys=$(t config list -o json | jq '[.. | objects | select(has("key")) | .key | select(startswith("W"))] | unique | length')
deployment=$(db "SELECT id FROM deployments WHERE task = 'fw-probe'")
revisions=$(db "SELECT count(*) FROM revisions WHERE deployment_id = $deployment")
# Keys are only added: each revision's keys include the previous revision's.
shrunk=$(db -json "SELECT number, config FROM revisions WHERE deployment_id = $deployment ORDER BY number" |
  jq '[.[] | .config | fromjson | keys] as $k | [range(1; $k | length) | select(($k[. - 1] - $k[.]) | length > 0)] | length')
last_keys=$(db "SELECT config FROM revisions WHERE deployment_id = $deployment ORDER BY number DESC LIMIT 1" |
  jq '[keys[] | select(startswith("W"))] | length')
locked=$(grep -c "locked" "$errors")
failed_calls=$(grep -c "^exit" "$errors")
state=$(t status -o json | jq -r '.deployments[0].state')
# The agent goes on running what the last revision says.
wait_for 60 '[[ $(db "SELECT count(*) FROM runs WHERE outcome = '"'succeeded'"' AND revision = (SELECT max(number) FROM revisions WHERE deployment_id = '"$deployment"')") -ge 1 ]]'
newest_run=$(db "SELECT id FROM runs WHERE outcome = 'succeeded' ORDER BY revision DESC, id DESC LIMIT 1")
seen=$(t logs --run "$newest_run" | grep -oE 'config has [0-9]+' | grep -oE '[0-9]+$')

echo "concurrent writers: $((4 * per)) config set, 10 suspend/resume, 3 deploys, 20 status in $took s"
figure "keys stored / set" "$keys / $((4 * per))"
figure "revisions" "$revisions"
figure "revisions holding less than the one before" "$shrunk"
figure "calls refused (database locked)" "$locked"
figure "calls that failed" "$failed_calls"
figure "keys in the newest revision's run" "$seen"
figure "integrity_check" "$(integrity)"
[[ -s $errors ]] && sed 's/^/  | /' "$errors" | head -20

expect_eq "every key stored" "$keys" "$((4 * per))"
expect_eq "the newest revision has every key" "$last_keys" "$((4 * per))"
expect_eq "no revision holds less than the one before" "$shrunk" 0
expect_eq "no call refused for a locked database" "$locked" 0
expect_eq "no call failed" "$failed_calls" 0
expect_eq "the last word was resume" "$state" active
expect_eq "a run of the newest revision sees every key" "$seen" "$((4 * per))"
expect_eq "the database is intact" "$(integrity)" ok
finish
