#!/usr/bin/env bash
# Installs what the tests need, builds with warnings as errors and ASan+UBSan, and runs
# every test: unit, CLI, docs, completions, the schedule fuzzer (bounded) and the
# integration tests against a private Docker engine this script starts and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
build=${TASK_TEST_BUILD_DIR:-build-test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DTASK_WERROR=ON -DTASK_SANITIZE=ON
cmake --build "$build" -j"$(nproc)"
exec bash scripts/with-docker.sh ctest --test-dir "$build" --output-on-failure --timeout 1500
