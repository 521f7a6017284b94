#!/usr/bin/env bash
# Fuzzes the schedule engine or the kubeconfig reader: builds fuzz/ with clang into
# build-fuzz/ and runs libFuzzer for a bounded time. Exits non-zero on any crash, hang (an
# input taking over 2 s), leak or sanitizer report; the input that caused it is left in
# build-fuzz/artifacts/.
#   usage: scripts/fuzz.sh [SECONDS] [schedule|kubeconfig]      (default 60 schedule)
set -euo pipefail

seconds="${1:-60}"
target="${2:-schedule}"
[[ "$seconds" =~ ^[0-9]+$ && "$target" =~ ^(schedule|kubeconfig)$ ]] || {
  echo "usage: $0 [SECONDS] [schedule|kubeconfig]" >&2
  exit 2
}
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-fuzz"

cmake -S "$root/fuzz" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${target}_fuzz"

# New inputs go to a working corpus under build-fuzz/; the committed seeds stay as they are.
if [[ $target == schedule ]]; then
  seeds="$root/fuzz/corpus" options=(-dict="$root/fuzz/schedule.dict" -max_len=256)
else
  seeds="$root/fuzz/corpus-kubeconfig" options=(-dict="$root/fuzz/kubeconfig.dict" -max_len=4096)
fi
mkdir -p "$build/corpus-$target" "$build/artifacts"
exec "$build/${target}_fuzz" "$build/corpus-$target" "$seeds" \
  "${options[@]}" \
  -max_total_time="$seconds" \
  -timeout=2 \
  -rss_limit_mb=2048 \
  -artifact_prefix="$build/artifacts/" \
  -print_final_stats=1
