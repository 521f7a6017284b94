#!/usr/bin/env bash
# `task connect` against `git clone` of the same repository over the same local smart-HTTP
# server (git http-backend behind tests/integration/git_http_server.py on 127.0.0.1), in
# one hyperfine run; `git clone --bare` too, since the cache holds a bare clone. The
# repository is generated here: 3,000 commits over 3,000 files.
#   bash bench/connect/run.sh [RESULT.json]
# Target: task connect / git clone at most 1.2 (mean). TASK_BENCH_BUILD picks the build
# directory (default build-bench).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${TASK_BENCH_BUILD:-$root/build-bench}
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTASK_TESTS=OFF >/dev/null
cmake --build "$build" --target task -j"$(nproc)" >/dev/null
task=$build/task
out=${1:-$build/connect.json}

work=$(mktemp -d)
server=""
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export HOME=$work/home
mkdir -p "$HOME" "$work/srv"
git config --global user.name bench && git config --global user.email bench@example.org

# The repository, written by git fast-import: a first commit of 3,000 files of source-like
# text in 60 directories, then 2,999 commits that each change three of them.
python3 - "$work/stream" <<'PY'
import random, sys
random.seed(7)
words = "task schedule build deploy promote image commit branch fetch clone revision log".split()
def text(n):
    return "\n".join(" ".join(random.choice(words) for _ in range(12)) for _ in range(n)) + "\n"
files = [f"src/d{d:02}/f{f:03}.txt" for d in range(60) for f in range(50)]
content = {p: text(20) for p in files}
with open(sys.argv[1], "w") as s:
    def commit(n, changed):
        s.write(f"commit refs/heads/main\ncommitter bench <bench@example.org> {1700000000 + n} +0000\n")
        msg = f"change {n}\n"
        s.write(f"data {len(msg)}\n{msg}")
        for p in changed:
            data = content[p].encode()
            s.write(f"M 644 inline {p}\ndata {len(data)}\n")
            s.write(data.decode() + "\n")
    content["Dockerfile"] = "FROM busybox:1.36\nCOPY src /src\n"
    commit(1, list(content))
    for n in range(2, 3001):
        changed = random.sample(files, 3)
        for p in changed:
            content[p] += text(1)
        commit(n, changed)
PY
git init -q --bare -b main "$work/srv/bench.git"
git -C "$work/srv/bench.git" fast-import --quiet <"$work/stream"
git -C "$work/srv/bench.git" repack -adq
echo "repository: $(git -C "$work/srv/bench.git" rev-list --count main) commits, $(git -C "$work/srv/bench.git" ls-tree -r main | wc -l) files, pack $(du -sh "$work/srv/bench.git/objects/pack" | cut -f1)"

python3 "$root/tests/integration/git_http_server.py" --root "$work/srv" --port-file "$work/port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 200); do [[ -s $work/port ]] && break; sleep 0.05; done
url=http://127.0.0.1:$(cat "$work/port")/bench.git
git ls-remote "$url" >/dev/null

# Each run starts with an empty cache and no checkout: a first connect is a full clone.
hyperfine --warmup 2 --runs 15 --export-json "$out" \
  --prepare "rm -rf $work/cache $work/project $work/clone $work/bare" \
  -n "task connect" "XDG_CACHE_HOME=$work/cache $task -q connect $url --dir $work/project" \
  -n "git clone" "git clone -q $url $work/clone" \
  -n "git clone --bare" "git clone -q --bare $url $work/bare"
python3 - "$out" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
task, git, bare = r["task connect"], r["git clone"], r["git clone --bare"]
for name, v in r.items():
    print(f"{name:18s} mean {v['mean']*1000:8.1f} ms  median {v['median']*1000:8.1f} ms  stddev {v['stddev']*1000:6.1f} ms")
ratio = task["mean"] / git["mean"]
print(f"task connect / git clone:        {ratio:.2f} (target <= 1.2)")
print(f"task connect / git clone --bare: {task['mean'] / bare['mean']:.2f}")
sys.exit(0 if ratio <= 1.2 else 1)
PY
