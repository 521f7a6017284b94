#!/usr/bin/env bash
# Fuzzes one of the readers of outside input (the schedule engine, the kubeconfig reader,
# task.yaml, a template's manifest, the BuildKit trace decoder, the run-log line parser): builds fuzz/ with clang into
# build-fuzz/ and runs libFuzzer for a bounded time. Exits non-zero on any crash, hang (an
# input taking over 2 s), leak or sanitizer report; the input that caused it is left in
# build-fuzz/artifacts/.
#   usage: scripts/fuzz.sh [SECONDS] [TARGET]      (default 60 schedule)
#   TARGET: schedule, kubeconfig, project, template, buildkit_trace, run_log
set -euo pipefail

seconds="${1:-60}"
target="${2:-schedule}"
targets='schedule|kubeconfig|project|template|buildkit_trace|run_log'
[[ "$seconds" =~ ^[0-9]+$ && "$target" =~ ^($targets)$ ]] || {
  echo "usage: $0 [SECONDS] [$targets]" >&2
  exit 2
}
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-fuzz"

cmake -S "$root/fuzz" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${target}_fuzz"

# New inputs go to a working corpus under build-fuzz/; the committed seeds stay as they are.
case $target in
  schedule) seeds="$root/fuzz/corpus" options=(-dict="$root/fuzz/schedule.dict" -max_len=256) ;;
  kubeconfig) seeds="$root/fuzz/corpus-kubeconfig" options=(-dict="$root/fuzz/kubeconfig.dict" -max_len=4096) ;;
  project | template) seeds="$root/fuzz/corpus-$target" options=(-dict="$root/fuzz/yaml.dict" -max_len=4096) ;;
  buildkit_trace) seeds="$root/fuzz/corpus-buildkit" options=(-max_len=2048) ;;
  run_log) seeds="$root/fuzz/corpus-runlog" options=(-max_len=512) ;;
esac
mkdir -p "$build/corpus-$target" "$build/artifacts"
exec "$build/${target}_fuzz" "$build/corpus-$target" "$seeds" \
  "${options[@]}" \
  -max_total_time="$seconds" \
  -timeout=2 \
  -rss_limit_mb=2048 \
  -artifact_prefix="$build/artifacts/" \
  -print_final_stats=1
