#!/usr/bin/env bash
# The main job, as far as task goes today: install, build, scaffold a task from a
# template, build its image on a private Docker engine, show the build record and its
# log, and show when a schedule would fire.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${DOCKER_HOST:-} ]]; then
  bash scripts/install-deps.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)"
  exec bash scripts/with-docker.sh bash "$0" "$@"
fi
task=$PWD/build/task
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export TASK_HOME=$work/state
set -x
"$task" templates
"$task" init health-check --template shell --dir "$work/health-check"
cd "$work/health-check"
"$task" doctor
"$task" build
"$task" builds
"$task" logs
docker run --rm --network none "$("$task" builds -o json | jq -r '.builds[0].image_id')"
"$task" schedule explain "*/5 * * * *"
"$task" schedule next "30 2 * * *" --timezone Europe/Berlin --from 2026-03-28T00:00:00Z --count 3
