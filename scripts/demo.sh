#!/usr/bin/env bash
# The main job: install, build, then on a private Docker engine scaffold a task from a
# template, build its image, deploy it to development with a short interval, follow its
# runs' logs for a few runs, and show the run history and the deployment's status.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${DOCKER_HOST:-} ]]; then
  bash scripts/install-deps.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)"
  exec bash scripts/with-docker.sh bash "$0" "$@"
fi
task=$PWD/build/task
work=$(mktemp -d)
export TASK_HOME=$work/state
trap '"$task" agent stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
set -x
"$task" templates
"$task" init hello --template shell --dir "$work/hello"
cd "$work/hello"
"$task" doctor
"$task" build
"$task" schedule explain "@every 5s"
"$task" deploy --interval "@every 5s"
# Follow every run's output as it happens, for three runs (about 15 seconds).
timeout -s INT 16 "$task" logs -f || true
"$task" runs
"$task" status
"$task" logs --events
