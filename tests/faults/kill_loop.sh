#!/usr/bin/env bash
# The kill loop: N random SIGKILLs of the agent (each followed at once by `task agent
# start`) over three deployments, one that succeeds quickly, one that outlasts its
# interval, one that fails and is retried. Then, from the store and the engine, the
# guarantees: no fire time lost, run twice or started early; no run stuck, falsely failed
# or missing its retry; no container left; no log line missing or duplicated; the
# database intact. Prints the figures.
#   usage: kill_loop.sh TASK_BIN [KILLS]        (default 20)
. "$(dirname "$0")/common.sh" "$1" fk-
kills=${2:-20}

project fk-quick 'echo "a $TASK_RUN_ID"; echo "b $TASK_RUN_ID"; echo "c $TASK_RUN_ID"'
project fk-long 'echo "start $TASK_RUN_ID"; sleep 3; echo "end $TASK_RUN_ID"'
project fk-flaky 'echo "fails $TASK_RUN_ID"; exit 1' retries=2
(cd "$work/fk-quick" && t -q deploy --interval "@every 2s" >/dev/null) || fail "deploy fk-quick"
(cd "$work/fk-long" && t -q deploy --interval "@every 2s" >/dev/null) || fail "deploy fk-long"
(cd "$work/fk-flaky" && t -q deploy --interval "@every 5s" >/dev/null) || fail "deploy fk-flaky"
t -q agent start >/dev/null 2>&1
begin=$SECONDS

# Kill at random instants: 0.2 to 2.2 s apart, so that kills fall while containers are
# made, started, followed and removed, and just after outcomes are stored.
not_started=0
for ((i = 1; i <= kills; i++)); do
  delay=$((200 + RANDOM % 2000))
  sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
  old=$(agent_pid)
  [[ -n $old ]] && kill -9 "$old"
  out=$(t agent start -o json 2>&1)
  new=$(jq -r '.pid // empty' <<<"$out" 2>/dev/null)
  if [[ -z $new || $new == "$old" ]] || ! kill -0 "$new" 2>/dev/null; then
    not_started=$((not_started + 1))
    printf 'kill %d (pid %s): agent start said: %s\n' "$i" "$old" "$out" >&2
    t -q agent start >/dev/null 2>&1
  fi
done
killing=$((SECONDS - begin))

# No new fire times; every run comes to an end (retries included).
for p in fk-quick fk-long fk-flaky; do (cd "$work/$p" && t -q suspend >/dev/null); done
wait_for 120 '[[ $(unfinished) -eq 0 ]]'
stuck=$(unfinished)
t -q agent stop

sched="trigger IN ('schedule', 'catch-up')"
# Consecutive fire times of each deployment, in order: a gap of more than its interval
# is a lost fire time, none at all a duplicate.
gaps() {  # TASK INTERVAL_MS → "lost duplicated"
  db "SELECT r.scheduled_at FROM runs r JOIN deployments d ON d.id = r.deployment_id
      WHERE d.task = '$1' AND r.$sched ORDER BY r.scheduled_at" |
    awk -v step="$2" 'NR > 1 { d = $1 - prev; if (d == 0) dup++; else if (d > step) lost += d / step - 1 } { prev = $1 }
                      END { printf "%d %d\n", lost, dup }'
}
read -r lost_q dup_q < <(gaps fk-quick 2000)
read -r lost_l dup_l < <(gaps fk-long 2000)
read -r lost_f dup_f < <(gaps fk-flaky 5000)
lost=$((lost_q + lost_l + lost_f))
duplicated=$((dup_q + dup_l + dup_f))
runs=$(db "SELECT count(*) FROM runs")
fire_times=$(db "SELECT count(*) FROM runs WHERE $sched")
early=$(db "SELECT count(*) FROM runs WHERE trigger = 'schedule' AND started_at IS NOT NULL AND started_at < scheduled_at")
max_early=$(db "SELECT coalesce(max(scheduled_at - started_at), 0) FROM runs WHERE trigger = 'schedule' AND started_at < scheduled_at")
# A task that always succeeds, or always fails, has no other outcome (skipped aside:
# fk-long outlasts its interval, and concurrency forbid skips what falls due meanwhile).
outcome_of() { db "SELECT r.outcome FROM runs r JOIN deployments d ON d.id = r.deployment_id WHERE d.task = '$1'"; }
false_q=$(outcome_of fk-quick | grep -cvE '^(succeeded|skipped)$')
false_l=$(outcome_of fk-long | grep -cvE '^(succeeded|skipped)$')
false_f=$(outcome_of fk-flaky | grep -cvE '^(failed|skipped)$')
falsely=$((false_q + false_l + false_f))
((falsely > 0)) && db "SELECT r.id, d.task, r.outcome, r.trigger, r.error FROM runs r JOIN deployments d ON d.id = r.deployment_id
  WHERE (d.task IN ('fk-quick', 'fk-long') AND r.outcome NOT IN ('succeeded', 'skipped'))
     OR (d.task = 'fk-flaky' AND r.outcome NOT IN ('failed', 'skipped'))" | sed 's/^/wrong outcome: /' >&2
succeeded=$(db "SELECT count(*) FROM runs WHERE outcome = 'succeeded'")
skipped=$(db "SELECT count(*) FROM runs WHERE outcome = 'skipped'")
# Each failed attempt short of the last has its retry.
should_retry=$(db "SELECT count(*) FROM runs r JOIN deployments d ON d.id = r.deployment_id
                   WHERE d.task = 'fk-flaky' AND r.outcome = 'failed' AND r.attempt <= 2")
retries=$(db "SELECT count(*) FROM runs WHERE trigger = 'retry'")
missing_retries=$((should_retry - retries))
left=$(containers_left)
# The quick task's log: a, b and c, once each, for every run that succeeded.
bad_logs=0
for id in $(db "SELECT r.id FROM runs r JOIN deployments d ON d.id = r.deployment_id WHERE d.task = 'fk-quick' AND r.outcome = 'succeeded'"); do
  lines=$(cd "$work/fk-quick" && t logs --run "$id" 2>/dev/null | grep -cE "^(.* )?[abc] $id\$")
  distinct=$(cd "$work/fk-quick" && t logs --run "$id" 2>/dev/null | grep -oE "(^| )[abc] $id\$" | sort -u | wc -l)
  if [[ $lines != 3 || $distinct != 3 ]]; then
    bad_logs=$((bad_logs + 1))
    printf 'run %s: %s lines, %s distinct\n' "$id" "$lines" "$distinct" >&2
  fi
done
check=$(integrity)

echo "kill loop: $kills SIGKILLs of the agent in $killing s"
figure "runs recorded" "$runs ($fire_times fire times, $retries retries)"
figure "succeeded / skipped" "$succeeded / $skipped"
figure "agent start that started no agent" "$not_started"
figure "fire times lost" "$lost"
figure "fire times run twice" "$duplicated"
figure "runs started before their fire time" "$early (max $max_early ms)"
figure "runs stuck" "$stuck"
figure "runs falsely failed (or wrong outcome)" "$falsely"
figure "retries missing" "$missing_retries"
figure "containers left" "$left"
figure "runs with log lines missing or twice" "$bad_logs"
figure "integrity_check" "$check"

expect_eq "agent start after each kill started an agent" "$not_started" 0
expect_eq "no fire time lost" "$lost" 0
expect_eq "no fire time run twice" "$duplicated" 0
expect_eq "no run started early" "$early" 0
expect_eq "no run stuck" "$stuck" 0
expect_eq "no run falsely failed" "$falsely" 0
expect_eq "no retry missing" "$missing_retries" 0
expect_eq "no container left" "$left" 0
expect_eq "no log line missing or twice" "$bad_logs" 0
expect_eq "the database is intact" "$check" ok
expect_eq "runs happened (at least one success per 4 s of killing)" \
  "$([[ $succeeded -ge $((killing / 4)) && $succeeded -gt 0 ]] && echo yes || echo "only $succeeded in $killing s")" yes
finish
