#!/usr/bin/env bash
# Benchmarks task::next_fire_after against the JavaScript libraries cron-parser and croner
# on the same expressions, zones and start instants (cases.tsv); prints ns per call, the
# peer/task ratios, and every fire time on which a peer disagrees with task.
#   usage: bench/schedule/run.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$root/build-bench/schedule"
mkdir -p "$build"

echo "== installing the peers (npm)" >&2
(cd "$here" && if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund --silent;
  else npm install --no-audit --no-fund --silent; fi)

echo "== building the C++ harness" >&2
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null

echo "== task" >&2
"$build/next_fire" "$here/cases.tsv" > "$build/task.jsonl"
for peer in cron-parser croner; do
  echo "== $peer" >&2
  TZ=UTC node "$here/peers.mjs" "$peer" "$here/cases.tsv" > "$build/$peer.jsonl"
done

echo "node $(node --version), $(g++ --version | head -1), $(nproc) cores" >&2
node "$here/compare.mjs" "$here/cases.tsv" "$build/task.jsonl" "$build/cron-parser.jsonl" \
  "$build/croner.jsonl"
