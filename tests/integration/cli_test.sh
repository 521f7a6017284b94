#!/usr/bin/env bash
# The real binary, from the outside: exit codes, output formats, colour rules, init.
set -u
task_bin=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d); trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cd "$work"
export HOME="$work/home" NO_COLOR= ; unset NO_COLOR
mkdir -p "$HOME"

run() { out=$("$task_bin" "$@" 2>"$work/err"); rc=$?; err=$(cat "$work/err"); }

run version
expect_eq "version rc" "$rc" 0
expect_contains "version text" "$out" "task 0."
run version -o json
expect_eq "version -o json is an object with .version" "$(jq -r '.version | type' <<<"$out")" "string"
expect_eq "version -o json names libgit2" "$(jq -r '.components.libgit2 | type' <<<"$out")" "string"
run -o yaml version
expect_contains "global flag before the command" "$out" "version: "
# Start-up: the platform libraries are loaded on first use (cmake/lazy_libs.cmake), so
# version and help load none of them, while commands that need them still work.
if ! ldd "$task_bin" | grep -q libgit2; then
  loaded=$(LD_DEBUG=files "$task_bin" version 2>&1 >/dev/null | grep -cE 'file=lib(git2|curl|sqlite3|archive)')
  expect_eq "task version loads no platform library" "$loaded" 0
  loaded=$(LD_DEBUG=files "$task_bin" --help 2>&1 >/dev/null | grep -cE 'file=lib(git2|curl|sqlite3|archive)')
  expect_eq "task --help loads no platform library" "$loaded" 0
  loaded=$(LD_DEBUG=files "$task_bin" version -v 2>&1 >/dev/null | grep -oE 'file=lib(git2|sqlite3|archive)[^ ]* +\[0\]; +dynamically loaded' | sort -u | wc -l)
  expect_eq "task version -v loads libgit2, SQLite and libarchive on demand" "$loaded" 3
fi
# The HTTP server is a module (lib/src/observe/http.hpp): task itself needs neither
# cpp-httplib nor the TLS, zlib and brotli libraries behind it, and loads them only for a
# dashboard or metrics.
expect_eq "task does not link cpp-httplib, libssl or brotli" \
  "$(ldd "$task_bin" | grep -cE 'lib(cpp-httplib|ssl|brotli)')" 0
loaded=$(LD_DEBUG=files "$task_bin" version 2>&1 >/dev/null | grep -cE 'file=(lib(cpp-httplib|ssl|crypto|brotli)|task-http)')
expect_eq "task version loads no HTTP server library" "$loaded" 0
run --version
expect_contains "--version" "$out" "task 0."
run
expect_eq "no command prints help" "$rc" 0
expect_contains "help lists init" "$out" "init"
run bogus
expect_eq "unknown command is a usage error" "$rc" 2
expect_contains "unknown command message" "$err" "error: unknown command \`bogus\` for \`task\`"
run dashbaord --help
expect_eq "an unknown command is an error even with --help" "$rc" 2
expect_contains "named as such" "$err" "unknown command \`dashbaord\`"
run deploi --help
expect_contains "with the nearest command" "$err" "did you mean \`task deploy\`?"
run runs --limt 3
expect_eq "an unknown flag is a usage error" "$rc" 2
expect_contains "with the nearest flag" "$err" "did you mean --limit?"
run initt
expect_contains "did you mean" "$err" "did you mean \`task init\`?"
run init
expect_eq "missing NAME" "$rc" 2
expect_contains "missing NAME hint" "$err" "hint: run \`task init --help\`"
run -o xml version
expect_eq "bad -o value" "$rc" 2
run init --help
expect_eq "help rc" "$rc" 0
expect_contains "help shows examples" "$out" "task init health-check --template http-health-check"

# init: success, then every kind of bad input with its exit code, nothing left behind.
run init hello --template shell
expect_eq "init rc" "$rc" 0
expect_contains "init says what it made" "$out" "Created hello from the shell template"
expect_contains "init next steps on stderr" "$err" "task build"
expect_eq "init commits" "$(git -C hello log --format=%s)" "Scaffold hello from the shell template"
expect_eq "init leaves a clean tree" "$(git -C hello status --porcelain)" ""
expect_contains "task.yaml has the name" "$(cat hello/task.yaml)" "name: hello"
run init hello
expect_eq "existing non-empty dir" "$rc" 5
expect_contains "names what is in the way" "$err" "task.yaml"
run init Bad_Name
expect_eq "invalid name" "$rc" 3
expect_contains "invalid name suggestion" "$err" "bad-name"
run init ok --template nope
expect_eq "unknown template" "$rc" 4
expect_contains "unknown template lists" "$err" "known templates:"
mkdir ro && chmod 555 ro
run init ok --dir ro/ok
if [[ $(id -u) != 0 ]]; then expect_eq "unwritable" "$rc" 6; fi
run init json-task -o json --dir nested/deeper/json-task
expect_eq "init -o json rc" "$rc" 0
expect_eq "init -o json commit id" "$(jq -r '.commit.id | length' <<<"$out")" 40
expect_eq "init -o json files" "$(jq -r '.files | index("task.yaml") != null' <<<"$out")" true
expect_eq "-o json prints nothing for people on stderr" "$err" ""
expect_eq "no staging leftovers" "$(find . -name '.*.init-*' | wc -l)" 0
run -C nested/deeper templates
expect_eq "-C works" "$rc" 0
run -C does-not-exist templates
expect_eq "-C missing dir" "$rc" 4

# templates
run templates -o json
expect_eq "templates -o json" "$(jq -r '.templates | map(.name) | index("shell") != null' <<<"$out")" true
run templates
expect_contains "templates table" "$out" "NAME"

# Colour: never when not a terminal, NO_COLOR, TERM=dumb or --no-color.
run init Bad_Name
expect_not_contains "no escape codes off a terminal" "$err" $'\e['
if command -v script >/dev/null; then
  tty_out=$(TERM=xterm script -qc "$task_bin init Bad_Name" /dev/null)
  expect_contains "colour on a terminal" "$tty_out" $'\e[31merror:'
  tty_out=$(NO_COLOR=1 TERM=xterm script -qc "$task_bin init Bad_Name" /dev/null)
  expect_not_contains "NO_COLOR" "$tty_out" $'\e['
  tty_out=$(TERM=dumb script -qc "$task_bin init Bad_Name" /dev/null)
  expect_not_contains "TERM=dumb" "$tty_out" $'\e['
  tty_out=$(TERM=xterm script -qc "$task_bin --no-color init Bad_Name" /dev/null)
  expect_not_contains "--no-color" "$tty_out" $'\e['
fi
run -q init quiet-task
expect_eq "-q silences notes" "$err" ""
run init hostile --template shell --var greeting=$'x"\nevil: 1'
expect_eq "a --var value with a quote and a line break" "$rc" 0
expect_eq "goes into task.yaml escaped, adding no key" "$(grep -c '^evil' hostile/task.yaml)" 0
expect_contains "and reads back as itself" "$(cat hostile/task.yaml)" 'GREETING: "x\"\nevil: 1"'

# Configuration that is not UTF-8 text is refused before anything is stored, and nothing
# that prints JSON aborts on it.
export TASK_HOME="$work/state"
run -C quiet-task config set BAD=$'\xff\xfe' GOOD=yes
expect_eq "a value that is not UTF-8 is refused" "$rc" 3
expect_contains "and says which" "$err" "the value of BAD is not valid UTF-8 text"
run -C quiet-task config list -o json
expect_eq "config list -o json still works" "$rc $(jq -c '.config' <<<"$out")" "0 []"

# The agent never aborts for want of a place to write: its stderr on a full device.
if [[ -w /dev/full ]]; then
  TASK_HOME="$work/agent-full" "$task_bin" agent run 2>/dev/full &
  agent=$!
  wait_for 20 '[[ -S $work/agent-full/agent.sock ]] && TASK_HOME=$work/agent-full "$task_bin" logs --events -o json | grep -q "agent started"'
  kill -TERM "$agent" 2>/dev/null
  wait "$agent"
  expect_eq "an agent whose stderr is full runs and stops cleanly on SIGTERM" "$?" 0
fi
# `@every 7s` typed unquoted, as people do: one schedule, not a stray argument.
run schedule next @every 7s --count 2 --from 2026-01-01T00:00:00Z -o json
expect_eq "schedule next @every 7s, unquoted" "$rc" 0
expect_eq "gives the fire times of every 7 seconds" "$(jq -r 'length' <<<"$out")" 2
run schedule next --count 1 every 7s
expect_eq "a lone every without @ is not joined outside --interval" "$rc" 2
# gh and kubectl conventions: `task help CMD`, the global flags in every command's help,
# one --tz everywhere, -q prints the one datum.
run help deploy
expect_eq "task help deploy is task deploy --help" "$out" "$("$task_bin" deploy --help)"
expect_contains "each command's help lists the global flags" "$out" "Global flags:"
expect_contains "among them --task" "$out" "--task NAME"
run help env add
expect_eq "task help env add" "$out" "$("$task_bin" env add --help)"
run help
expect_eq "task help alone is the main help" "$out" "$("$task_bin" --help)"
run help dashbaord
expect_eq "task help of what is no command" "$rc" 2
expect_contains "says so, with a suggestion" "$err" "unknown command \`dashbaord\`"
for cmd in "deploy" "promote" "schedule set" "schedule next" "schedule explain"; do
  # shellcheck disable=SC2086
  expect_contains "$cmd takes --tz and --timezone" "$("$task_bin" $cmd --help)" "--timezone,--tz"
done
run -q version
expect_eq "-q version: the version alone" "$out" "$("$task_bin" version -o json | jq -r .version)"
run -q templates
expect_eq "-q templates: the names alone" "$out" "$("$task_bin" templates -o json | jq -r '.templates[].name')"
run -q env list
expect_eq "-q env list: the names alone" "$out" "$(printf 'development\nproduction')"
finish
