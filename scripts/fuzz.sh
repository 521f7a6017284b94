#!/usr/bin/env bash
# Fuzzes the schedule engine: builds fuzz/ with clang into build-fuzz/ and runs libFuzzer for
# a bounded time. Exits non-zero on any crash, hang (an input taking over 2 s), leak or
# sanitizer report; the input that caused it is left in build-fuzz/artifacts/.
#   usage: scripts/fuzz.sh [SECONDS]      (default 60)
set -euo pipefail

seconds="${1:-60}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS]" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-fuzz"

cmake -S "$root/fuzz" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"

# New inputs go to a working corpus under build-fuzz/; the committed seeds stay as they are.
mkdir -p "$build/corpus" "$build/artifacts"
exec "$build/schedule_fuzz" "$build/corpus" "$root/fuzz/corpus" \
  -dict="$root/fuzz/schedule.dict" \
  -max_total_time="$seconds" \
  -timeout=2 \
  -max_len=256 \
  -rss_limit_mb=2048 \
  -artifact_prefix="$build/artifacts/" \
  -print_final_stats=1
