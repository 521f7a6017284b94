#!/usr/bin/env bash
# `cmake --install` into a temporary prefix: the binary, its templates, the man pages and
# the completions land where their tools look, and the installed task finds its templates.
set -u
build=$1
. "$(dirname "$0")/integration/lib.sh"
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
expect_eq "install rc" "$?" 0
expect_eq "the binary" "$([[ -x $prefix/bin/task ]] && echo yes)" yes
expect_contains "man finds task-deploy there" "$(MANPAGER="cat" man -M "$prefix/share/man" task-deploy 2>&1 | head -20)" "task deploy"
expect_eq "bash completion" "$([[ -f $prefix/share/bash-completion/completions/task ]] && echo yes)" yes
expect_eq "zsh completion" "$([[ -f $prefix/share/zsh/vendor-completions/_task ]] && echo yes)" yes
expect_eq "fish completion" "$([[ -f $prefix/share/fish/vendor_completions.d/task.fish ]] && echo yes)" yes
home=$(mktemp -d)
out=$(env -u TASK_TEMPLATES HOME="$home" TASK_HOME="$home/state" "$prefix/bin/task" templates -o json 2>&1)
expect_contains "the installed task finds its installed templates" "$out" '"shell"'
# The web server module lands in <libdir>/task, where the installed task looks for it.
HOME="$home" TASK_HOME="$home/state" "$prefix/bin/task" dashboard -o json >"$home/dash.json" 2>"$home/dash.err" &
dash=$!
wait_for 20 '[[ -s $home/dash.json ]] || ! kill -0 $dash 2>/dev/null'
url=$(jq -r .url "$home/dash.json" 2>/dev/null)
expect_eq "the installed task serves a dashboard (its module found)" \
  "$(curl -s -o /dev/null -w '%{http_code}' "$url")" 302
kill "$dash" 2>/dev/null
wait "$dash" 2>/dev/null
expect_eq "no module error" "$(cat "$home/dash.err")" ""
rm -rf "$home"
finish
