# Assertions for the shell-driven tests. Each failure is counted and printed; the
# script exits non-zero at the end if any failed.
failures=0
checks=0
fail() { failures=$((failures + 1)); printf 'FAIL: %s\n' "$*" >&2; }
expect_eq() {  # expect_eq WHAT ACTUAL EXPECTED
  checks=$((checks + 1))
  [[ "$2" == "$3" ]] || fail "$1: expected [$3], got [$2]"
}
expect_contains() {  # expect_contains WHAT HAYSTACK NEEDLE
  checks=$((checks + 1))
  [[ "$2" == *"$3"* ]] || fail "$1: [$2] does not contain [$3]"
}
expect_not_contains() {
  checks=$((checks + 1))
  [[ "$2" != *"$3"* ]] || fail "$1: [$2] contains [$3]"
}
wait_for() {  # wait_for SECONDS CONDITION: until the shell expression holds, or time is up
  local deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    eval "$2" && return 0
    sleep 0.2
  done
  return 1
}
finish() {
  printf '%d passed, %d failed\n' "$((checks - failures))" "$failures"
  ((failures == 0))
}
