#!/usr/bin/env bash
# `task build` against `docker build` of the same context, cold (--no-cache) and with the
# cache warm, on a context of thousands of files plus a large ignored directory; and
# `task builds` over 100,000 stored builds. Runs inside its own private engine:
#   bash bench/build/run.sh
# Two peers: `docker build` as the CLI runs it by default with this engine (the classic
# builder), and `DOCKER_BUILDKIT=1 docker build` (BuildKit, as task uses it; with
# --network host, as task gives RUN steps on an engine without a bridge network).
# Targets: build ratio (task / docker) at most 1.05; `task builds` under 50 ms.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -z ${DOCKER_HOST:-} ]]; then
  cmake -S "$root" -B "$root/build-bench-build" -DCMAKE_BUILD_TYPE=Release -DTASK_TESTS=OFF >/dev/null
  cmake --build "$root/build-bench-build" --target task -j"$(nproc)" >/dev/null
  exec bash "$root/scripts/with-docker.sh" bash "$0" "$@"
fi
task=$root/build-bench-build/task
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export TASK_HOME=$work/state HOME=$work/home
mkdir -p "$HOME"
cd "$work"
"$task" -q init bench-ctx --template shell >/dev/null
cd bench-ctx
# 3,000 small files in 30 directories, and 200 MiB that .dockerignore keeps out.
for d in $(seq 30); do
  mkdir -p "src/d$d"
  for f in $(seq 100); do printf 'file %s/%s\n' "$d" "$f" > "src/d$d/f$f.txt"; done
done
mkdir -p data && head -c $((200 * 1024 * 1024)) /dev/zero > data/big.bin
echo "data/" >> .dockerignore
cat > Dockerfile <<'DOCKERFILE'
ARG BASE_IMAGE=busybox:1.36
FROM ${BASE_IMAGE}
COPY src /app/src
COPY run.sh /app/run.sh
RUN find /app/src -type f | wc -l
CMD ["/app/run.sh"]
DOCKERFILE
echo "data/" >> .gitignore
git add -A >/dev/null; git -c user.name=b -c user.email=b@b commit -qm bench
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine
echo "== cold (no cache)"
hyperfine -N --warmup 1 --runs 8 --export-json "$work/cold.json" \
  "$task -q build --no-cache" "docker build -q --no-cache -t bench/docker:cold ." \
  "env DOCKER_BUILDKIT=1 docker build -q --network host --no-cache -t bench/docker-buildkit:cold ."
echo "== warm (cache)"
hyperfine -N --warmup 2 --runs 15 --export-json "$work/warm.json" \
  "$task -q build" "docker build -q -t bench/docker:warm ." \
  "env DOCKER_BUILDKIT=1 docker build -q --network host -t bench/docker-buildkit:warm ."
python3 - "$work/state/task.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time() * 1000)
db.executemany(
    "INSERT INTO builds (task, project_dir, commit_id, dirty, image_ref, image_id, status, started_at, finished_at)"
    " VALUES (?, '/p', ?, 0, ?, 'sha256:x', 'succeeded', ?, ?)",
    ((f"t{i % 50}", f"{i:040x}", f"task/t{i % 50}:{i:012x}", now - i * 1000, now - i * 1000 + 900) for i in range(100000)))
db.commit()
PY
echo "== task builds over 100,000 builds"
cd "$work"
hyperfine -N --warmup 5 --runs 50 --export-json "$work/list.json" "$task builds" "$task builds -o json"
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
for phase in ("cold", "warm"):
    r = json.load(open(f"{w}/{phase}.json"))["results"]
    t, d, k = r[0]["median"], r[1]["median"], r[2]["median"]
    print(f"{phase:5s} task {t*1000:8.1f} ms  docker build {d*1000:8.1f} ms (ratio {t/d:5.2f})"
          f"  DOCKER_BUILDKIT=1 docker build {k*1000:8.1f} ms (ratio {t/k:5.2f})")
for r in json.load(open(f"{w}/list.json"))["results"]:
    print(f"{r['command'].split('/')[-1]:24s} median {r['median']*1000:6.2f} ms")
PY
