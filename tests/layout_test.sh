#!/usr/bin/env bash
# The shape of the house: the CLI is thin. No file under cli/ includes the local
# platform's store or agent internals, the state database or the Docker client (it talks
# to task/platform.hpp through the use cases), and none passes 200 lines.
set -u
root=${1:?usage: layout_test.sh SOURCE_DIR}
failed=0
while IFS= read -r hit; do
  echo "FAIL: $hit: cli/ includes a platform internal, the store, the agent or the Docker client"
  failed=1
done < <(grep -nE '#include "(platform/|state/|store/|agent/|docker/|task/docker\.hpp|task/store\.hpp|task/agent\.hpp)' "$root"/cli/*.cpp "$root"/cli/*.hpp)
for f in "$root"/cli/*.cpp "$root"/cli/*.hpp; do
  n=$(wc -l <"$f")
  if (( n > 200 )); then
    echo "FAIL: ${f#"$root"/} has $n lines (at most 200: move logic into lib/ or split the file)"
    failed=1
  fi
done
# The check itself must be able to fail.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
mkdir -p "$probe/cli"
echo '#include "platform/local/store.hpp"' >"$probe/cli/bad.cpp"
if ! grep -qE '#include "(platform/|state/)' "$probe/cli/bad.cpp"; then
  echo "FAIL: the include check does not see a forbidden include"
  failed=1
fi
if (( failed )); then exit 1; fi
echo "layout: cli/ is $(cat "$root"/cli/*.cpp "$root"/cli/*.hpp | wc -l) lines in $(ls "$root"/cli/*.cpp "$root"/cli/*.hpp | wc -l) files, none over 200, no platform internals"
echo "2 passed, 0 failed"
