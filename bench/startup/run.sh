#!/usr/bin/env bash
# Start-up time of `task version` and `task --help` against `kubectl version --client`,
# in one hyperfine run. Target: under 5 ms median, at least 10x faster than kubectl.
# kubectl comes from Debian's kubernetes-client when it is not on the machine already.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine
command -v kubectl >/dev/null || apt-get install -y -qq kubernetes-client
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DTASK_TESTS=OFF >/dev/null
cmake --build "$root/build-bench" --target task -j"$(nproc)" >/dev/null
task=$root/build-bench/task
out=${1:-$root/build-bench/startup.json}
hyperfine -N --warmup 20 --runs 300 --export-json "$out" \
  "$task version" "$task --help" "kubectl version --client"
python3 - "$out" <<'PY'
import json, sys
r = {x["command"].split("/")[-1]: x for x in json.load(open(sys.argv[1]))["results"]}
kube = next(v for k, v in r.items() if k.startswith("kubectl"))["median"]
for name, v in r.items():
    print(f"{name:28s} median {v['median']*1000:7.2f} ms  mean {v['mean']*1000:7.2f} ms  kubectl/this {kube / v['median']:6.1f}x")
PY
