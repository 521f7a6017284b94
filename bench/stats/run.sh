#!/usr/bin/env bash
# `task stats` over 1,000,000 stored runs (two deployments), cold (the first call, which
# reads every run and stores hour summaries) and warm (hyperfine). Target: under 200 ms.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
task=${TASK_BIN:-$here/../../build-bench/task}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export TASK_HOME=$home
"$task" env list >/dev/null
python3 "$here/seed.py" "$home" "${RUNS:-1000000}" --every 0.5
/usr/bin/time -f "cold: %e s, %M KiB" "$task" stats --all -o json >/dev/null
hyperfine --warmup 2 --runs 20 "$task stats --all -o json" "$task stats --all --html $home/r.html"
