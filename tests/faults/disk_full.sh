#!/usr/bin/env bash
# TASK_HOME on a small tmpfs, filled while one run is going and others fall due, then
# freed: the agent keeps going, no outcome is lost (a container is never removed before
# its outcome is stored), every log is whole (no line cut or glued to the next), runs due
# meanwhile start late rather than never, and the outage is an event. Also commands whose
# standard output or error cannot be written end with an error, never an abort.
#   usage: disk_full.sh TASK_BIN [SECONDS_FULL]         (default 10)
. "$(dirname "$0")/common.sh" "$1" fd-
full_for=${2:-10}
mkdir -p "$TASK_HOME"
mount -t tmpfs -o size=16m,mode=0700 tmpfs "$TASK_HOME" 2>/dev/null || { echo "SKIP: cannot mount a tmpfs (not root?)"; exit 0; }
extra_cleanup() { umount -l "$TASK_HOME" 2>/dev/null; }

project fd-chatty 'i=0; while [ $i -lt 200 ]; do echo "line $i of $TASK_RUN_ID"; i=$((i + 1)); done'
project fd-slow 'echo "begin $TASK_RUN_ID"; sleep 6; i=0; while [ $i -lt 50 ]; do echo "after $i of $TASK_RUN_ID"; i=$((i + 1)); done'
(cd "$work/fd-chatty" && t -q deploy --interval "@every 2s" >/dev/null) || fail "deploy fd-chatty"
(cd "$work/fd-slow" && t -q deploy --interval "@every 1h" >/dev/null) || fail "deploy fd-slow"
pid=$(agent_pid)
outcome_count() { db "SELECT count(*) FROM runs r JOIN deployments d ON d.id = r.deployment_id WHERE d.task = '$1' AND r.outcome = '$2'"; }
wait_for 60 '[[ $(outcome_count fd-chatty succeeded) -ge 1 ]]'
(cd "$work/fd-slow" && t -q run >/dev/null) || fail "run fd-slow"
slow=$(db "SELECT max(r.id) FROM runs r JOIN deployments d ON d.id = r.deployment_id WHERE d.task = 'fd-slow'")
wait_for 60 '[[ $(db "SELECT outcome FROM runs WHERE id = '"$slow"'") == running ]]'
expect_eq "a slow run is going" "$(db "SELECT outcome FROM runs WHERE id = $slow")" running

# Fill the disk: the slow run ends (exit 0, 50 more lines) while nothing can be written.
full_from=$(($(date +%s%N) / 1000000))
dd if=/dev/zero of="$TASK_HOME/filler" bs=64k status=none 2>/dev/null
free_kb=$(df --output=avail -k "$TASK_HOME" | tail -1 | tr -d ' ')
before=$(db "SELECT count(*) FROM runs")
full_since=$SECONDS
sleep "$full_for"  # the fault's length, not a wait for anything
status_rc=0
t status >/dev/null 2>&1 || status_rc=$?
alive_full=$(kill -0 "$pid" 2>/dev/null && echo alive || echo dead)
rm -f "$TASK_HOME/filler"
full_until=$(($(date +%s%N) / 1000000))
events() { db "SELECT count(*) FROM events WHERE kind = 'store' AND message LIKE 'could not write to the state store%'"; }
wait_for 60 '[[ $(events) -ge 1 ]]'

for p in fd-chatty; do (cd "$work/$p" && t -q suspend >/dev/null); done
wait_for 120 '[[ $(unfinished) -eq 0 ]]'
alive=$(kill -0 "$pid" 2>/dev/null && echo alive || echo dead)
slow_outcome=$(db "SELECT outcome FROM runs WHERE id = $slow")
slow_span=$(db "SELECT started_at < $full_from AND finished_at > $full_from FROM runs WHERE id = $slow")
# Scheduling goes on: a run due after the fill began, recorded once the store took writes.
due_while_full=$(db "SELECT count(*) FROM runs r JOIN deployments d ON d.id = r.deployment_id WHERE d.task = 'fd-chatty'
                     AND r.outcome = 'succeeded' AND r.scheduled_at >= $full_from")
slow_lines=$(cd "$work/fd-slow" && t logs --run "$slow" | grep -cE "after [0-9]+ of $slow\$")
lost=$(db "SELECT count(*) FROM runs WHERE outcome IN ('lost', 'failed', 'error')")
late=$(db "SELECT count(*) FROM runs WHERE trigger = 'schedule' AND started_at - scheduled_at > 1500")
# Every chatty run's log: its 200 lines, in order, each whole.
bad_logs=0
for id in $(db "SELECT r.id FROM runs r JOIN deployments d ON d.id = r.deployment_id WHERE d.task = 'fd-chatty' AND r.outcome = 'succeeded'"); do
  want=$(seq 0 199 | sed "s/.*/line & of $id/")
  got=$(cd "$work/fd-chatty" && t logs --run "$id" | grep -E "line [0-9]+ of" | sed -E 's/^.*(line [0-9]+ of [0-9]+)$/\1/')
  [[ $got == "$want" ]] || { bad_logs=$((bad_logs + 1)); echo "run $id: its log is not its 200 lines" >&2; }
done
# A line of the log file is "TIMESTAMP STREAM TEXT", never two glued together.
glued=$(cat "$TASK_HOME"/runs/*/*.log 2>/dev/null | grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+ (out|err|task) ' || true)
glued2=$(cat "$TASK_HOME"/runs/*/*.log 2>/dev/null | grep -cE ' of [0-9]+[0-9]{4}-[0-9]{2}-' || true)
events=$(events)
left=$(containers_left)

# Standard output or error that cannot be written: an error, never an abort (134).
rc_out=0 rc_err=0
t runs >/dev/full 2>/dev/null || rc_out=$?
t agent status 2>/dev/full >/dev/full || rc_err=$?

echo "disk full: TASK_HOME on a 16 MiB tmpfs, full ($free_kb KiB free) for $full_for s"
figure "agent while full / after" "$alive_full / $alive"
figure "task status while full (exit code)" "$status_rc"
figure "runs recorded before / after" "$before / $(db "SELECT count(*) FROM runs")"
figure "runs lost, failed or error" "$lost"
figure "the slow run (ended while full)" "$slow_outcome, $slow_lines of 50 lines after the fill"
figure "runs started over 1.5 s late (due while full)" "$late"
figure "logs not whole" "$bad_logs (lines glued: $glued2, malformed: $glued)"
figure "events of the store's outage" "$events"
figure "containers left" "$left"
figure "exit codes, stdout / stderr unwritable" "$rc_out / $rc_err"
figure "integrity_check" "$(integrity)"

expect_eq "the agent lived through it" "$alive_full/$alive" alive/alive
expect_eq "task status still answers while full" "$status_rc" 0
expect_eq "the slow run was going through the whole outage" "$slow_span" 1
expect_eq "the run that ended while full succeeded" "$slow_outcome" succeeded
expect_eq "scheduling goes on once the store takes writes" "$([[ $due_while_full -ge 1 ]] && echo yes || echo no)" yes
expect_eq "with all its lines" "$slow_lines" 50
expect_eq "no run lost, failed or error" "$lost" 0
expect_eq "every log whole" "$bad_logs" 0
expect_eq "no line glued to another" "$glued2" 0
expect_eq "no malformed line" "$glued" 0
expect_eq "the outage is an event" "$events" 1
expect_eq "no container left" "$left" 0
expect_eq "unwritable stdout: an error, not an abort" "$([[ $rc_out -ne 0 && $rc_out -lt 128 ]] && echo yes || echo "rc $rc_out")" yes
expect_eq "unwritable stderr: not an abort" "$([[ $rc_err -lt 128 ]] && echo yes || echo "rc $rc_err")" yes
expect_eq "the database is intact" "$(integrity)" ok
finish
