#!/usr/bin/env bash
# Hostile input, refused well or carried whole, never an abort: a NUL byte in task.yaml,
# YAML nested 100,000 deep, aliases that would expand to 10^11 nodes, bytes that are not
# UTF-8 in a configuration value, a run that prints a 10 MB line without a newline, and
# one that prints a million lines.
#   usage: hostile.sh TASK_BIN
. "$(dirname "$0")/common.sh" "$1" fh-
aborts=0
# rc_of CMD…: its exit code, counting any death by a signal (128+) as an abort.
rc_of() {
  local rc=0
  timeout 60 "$@" >"$work/out" 2>"$work/err" || rc=$?
  ((rc >= 124)) && { aborts=$((aborts + 1)); echo "abort ($rc): $*" >&2; cat "$work/err" >&2; }
  echo "$rc"
}

project fh-probe 'echo probe'
cd "$work/fh-probe"
cp task.yaml "$work/good.yaml"
dry() { rc_of "$task_bin" deploy --dry-run --interval "@every 1h"; }

python3 -c "import sys; sys.stdout.buffer.write(b'name: fh\\x00evil\\n')" >task.yaml
expect_eq "a NUL byte in task.yaml: refused as input" "$(dry)" 3
expect_contains "shown escaped" "$(<"$work/err")" '\x'
expect_eq "no control character reaches the terminal raw" "$(tr -d '\n' <"$work/err" | tr -d -c '\000-\037\177' | wc -c)" 0

python3 -c "print('name: fh-probe\nrun: ' + '[' * 100000 + ']' * 100000)" >task.yaml
expect_eq "YAML nested 100,000 deep: refused" "$(dry)" 3
expect_contains "naming the file" "$(<"$work/err")" "task.yaml"

python3 - >task.yaml <<'PY'
print("name: fh-probe")
print("run:")
print("  env:")
print("    A: &a0 [x, x, x, x, x, x, x, x, x, x]")
for i in range(1, 12):
    print(f"    A{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
PY
expect_eq "aliases expanding to 10^11 nodes: refused" "$(dry)" 3
expect_contains "saying what is wrong" "$(<"$work/err")" "env"
cp "$work/good.yaml" task.yaml
expect_eq "the good task.yaml again" "$(dry)" 0

expect_eq "a value that is not UTF-8: refused" "$(rc_of "$task_bin" config set BAD=$'\xff\xfe')" 3
expect_eq "nothing stored" "$(t config list -o json | jq '[.. | objects | select(.key? == "BAD")] | length')" 0
expect_eq "config list still answers" "$(rc_of "$task_bin" config list -o json)" 0

# Output no log format expects: a 10 MB line with no newline, a million lines.
project fh-wide 'head -c 10000000 /dev/zero | tr "\0" "w"'
project fh-many 'seq 1000000'
for p in fh-wide fh-many; do
  (cd "$work/$p" && t -q deploy --interval "@every 1h" >/dev/null && t -q run --wait >/dev/null) || fail "run $p"
done
wide_log=$(cd "$work/fh-wide" && t logs | grep -c '^')
wide_len=$(cd "$work/fh-wide" && t logs | awk '{ if (length($0) > m) m = length($0) } END { print m }')
expect_eq "the 10 MB line: the run succeeded" "$(cd "$work/fh-wide" && t runs -o json | jq -r '.runs[0].outcome')" succeeded
expect_eq "and its log holds it whole" "$([[ $wide_len -ge 10000000 ]] && echo yes || echo "longest line $wide_len")" yes
many=$(cd "$work/fh-many" && t logs | grep -cE '^(.* )?[0-9]+$')
expect_eq "a million lines: the run succeeded" "$(cd "$work/fh-many" && t runs -o json | jq -r '.runs[0].outcome')" succeeded
expect_eq "and its log has all of them" "$many" 1000000
expect_eq "the last of them" "$(cd "$work/fh-many" && t logs --tail 1 | grep -oE '[0-9]+$')" 1000000
mem=$( (cd "$work/fh-many" && /usr/bin/time -o "$work/time" -f %M "$task_bin" logs -o json >"$work/many.json") && cat "$work/time")
expect_eq "task logs -o json of them: one document with every line" "$(jq '.lines | length' "$work/many.json")" 1000000
# Written as it is read: no more memory than the text form, which prints line by line
# (measured, not fixed: a sanitizer build takes far more than a release build).
text_mem=$( (cd "$work/fh-many" && /usr/bin/time -o "$work/time" -f %M "$task_bin" logs >/dev/null) && cat "$work/time")
expect_eq "task logs -o json streams: at most twice the memory of the text form" \
  "$([[ $mem -le $((2 * text_mem + 65536)) ]] && echo yes || echo "$mem KiB against $text_mem KiB")" yes
expect_eq "no abort anywhere" "$aborts" 0
expect_eq "the database is intact" "$(integrity)" ok

echo "hostile input"
figure "aborts" "$aborts"
figure "10 MB line: lines in its log, longest" "$wide_log, $wide_len bytes"
figure "million lines: lines in its log" "$many"
figure "task logs of them: resident KiB, -o json / text" "$mem / $text_mem"
finish
