#!/usr/bin/env bash
# The committed man pages and completions must be exactly what the CLI declares.
# Regenerate them with: scripts/update-docs.sh
set -u
task_bin=$1 source_dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$task_bin" __docs "$tmp" || { echo "task __docs failed"; exit 1; }
status=0
for sub in man completions; do
  if ! diff -ru "$source_dir/$sub" "$tmp/$sub"; then
    echo "$sub/ drifted from the CLI's declarations: run scripts/update-docs.sh and commit" >&2
    status=1
  fi
done
# `task completion SHELL` prints the same scripts that are installed.
for pair in bash:task.bash zsh:_task fish:task.fish; do
  if ! diff -u "$source_dir/completions/${pair#*:}" <("$task_bin" completion "${pair%%:*}"); then
    echo "task completion ${pair%%:*} differs from completions/${pair#*:}" >&2
    status=1
  fi
done
# Every command that runs has a man page, and every man page renders without warnings.
for page in "$source_dir"/man/*.1; do
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  if [[ -n "$warnings" ]]; then echo "$page: $warnings" >&2; status=1; fi
done
exit $status
