#!/usr/bin/env bash
# The main job, end to end as far as task goes today: install, build, scaffold a task
# from a template, and show when its schedule would fire.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
task=$PWD/build/task
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
set -x
"$task" templates
"$task" init health-check --template http-health-check --dir "$work/health-check"
git -C "$work/health-check" log --oneline
"$task" -C "$work/health-check" schedule explain "*/5 * * * *"
"$task" schedule next "30 2 * * *" --timezone Europe/Berlin --from 2026-03-28T00:00:00Z --count 3
