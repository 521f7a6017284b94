#!/usr/bin/env bash
# Benchmarks task::next_fire_after against the JavaScript libraries cron-parser and croner
# and the Go libraries robfig/cron and gorhill/cronexpr (from Debian's packages)
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

echo "== building the Go peers (Debian's packages)" >&2
go_pkgs=(golang-go golang-github-robfig-cron-dev golang-github-gorhill-cronexpr-dev)
for p in "${go_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${go_pkgs[@]}" >/dev/null; break; }
done
(cd "$here" && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$build/go-cache" go build -o "$build/peers-go" peers.go)

echo "== building the C++ harness" >&2
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null

echo "== task" >&2
"$build/next_fire" "$here/cases.tsv" > "$build/task.jsonl"
for peer in cron-parser croner; do
  echo "== $peer" >&2
  TZ=UTC node "$here/peers.mjs" "$peer" "$here/cases.tsv" > "$build/$peer.jsonl"
done

for peer in robfig-cron cronexpr; do
  echo "== $peer" >&2
  "$build/peers-go" "$peer" "$here/cases.tsv" > "$build/$peer.jsonl"
done

echo "node $(node --version), $(go version | cut -d' ' -f3), $(g++ --version | head -1), $(nproc) cores" >&2
node "$here/compare.mjs" "$here/cases.tsv" "$build/task.jsonl" "$build/cron-parser.jsonl" \
  "$build/croner.jsonl" "$build/robfig-cron.jsonl" "$build/cronexpr.jsonl"
