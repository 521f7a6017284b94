#!/usr/bin/env bash
# Installs what the tests need, builds with warnings as errors and ASan+UBSan, and runs
# every test: unit, CLI, docs, completions, the schedule fuzzer (bounded), the
# integration tests against a private Docker engine this script starts and stops, and the
# kubernetes platform's against two real clusters (their servers are built from Debian's
# source package once per machine and cached, see scripts/kube-servers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
build=${TASK_TEST_BUILD_DIR:-build-test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DTASK_WERROR=ON -DTASK_SANITIZE=ON
cmake --build "$build" -j"$(nproc)"
# Outside the tests' namespaces: the build needs Debian's mirrors.
bash scripts/kube-servers.sh >/dev/null
exec bash scripts/with-docker.sh ctest --test-dir "$build" --output-on-failure --timeout 1500
