#!/usr/bin/env bash
# Regenerates man/ and completions/ from the CLI's declarations (the docs_in_sync test
# fails until the committed copies match).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build >/dev/null
cmake --build build --target task -j"$(nproc)" >/dev/null
rm -f man/*.1
build/task __docs .
git status --short man completions
