#!/usr/bin/env bash
# `task build`, `task builds`, `task logs --build` and `task doctor` against the real
# Docker engine of scripts/with-docker.sh, a real registry on 127.0.0.1, and a stand-in for an
# old engine that refuses BuildKit (old_engine.py).
set -u
task_bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/lib.sh"
[[ -n ${DOCKER_HOST:-} ]] || { echo "SKIP: DOCKER_HOST is unset (run under scripts/with-docker.sh)"; exit 0; }
work=$(mktemp -d)
registry_pid=""
cleanup() {
  [[ -n $registry_pid ]] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^(task/build-|127\.0\.0\.1:)' | xargs -r docker rmi -f >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
export TASK_HOME="$work/state" HOME="$work/home"
mkdir -p "$HOME"
cd "$work"

run() { out=$("$task_bin" "$@" 2>"$work/err"); rc=$?; err=$(cat "$work/err"); }

# A scaffolded task builds; the record, the tag, the labels and the log agree with the engine.
"$task_bin" -q init build-ok --template shell >/dev/null
cd build-ok
commit=$(git rev-parse HEAD)
run build -o json
expect_eq "build rc" "$rc" 0
expect_eq "build status" "$(jq -r .status <<<"$out")" succeeded
expect_eq "image tag names the commit" "$(jq -r .image <<<"$out")" "task/build-ok:${commit:0:12}"
image_id=$(jq -r .image_id <<<"$out")
expect_eq "image id is what the engine has" "$(docker image inspect -f '{{.Id}}' "task/build-ok:${commit:0:12}")" "$image_id"
expect_eq "label task.commit" "$(docker image inspect -f '{{index .Config.Labels "task.commit"}}' "$image_id")" "$commit"
expect_eq "label task.name" "$(docker image inspect -f '{{index .Config.Labels "task.name"}}' "$image_id")" "build-ok"
expect_eq "label task.build" "$(docker image inspect -f '{{index .Config.Labels "task.build"}}' "$image_id")" "$(jq -r .id <<<"$out")"
expect_contains "the build log streams to stderr" "$err" "COPY run.sh /app/run.sh"
build_id=$(jq -r .id <<<"$out")
expect_eq "the build log is the owner's alone" "$(stat -c %a "$TASK_HOME/builds/$build_id.log")" 600
run logs --build "$build_id"
expect_contains "task logs --build shows the log" "$out" "COPY run.sh /app/run.sh"
expect_contains "the log names the builder" "$out" "builder: BuildKit (auto)"
run logs
expect_contains "task logs defaults to the latest build" "$out" "build 1 of build-ok"
expect_eq "the image runs" "$(docker run --rm --network none "$image_id" 2>&1 | grep -c build-ok)" 1

# A rebuild of the same commit: every step cached, the very same image, whose label names
# the build that made it. On another base image, the image is new and labelled as such.
run build -o json
expect_eq "rebuild: the very same image" "$(jq -r .image_id <<<"$out")" "$image_id"
expect_eq "rebuild: a record of its own" "$(jq -r .id <<<"$out")" "$((build_id + 1))"
expect_eq "rebuild: the label names the first build" \
  "$(docker image inspect -f '{{index .Config.Labels "task.build"}}' "$image_id")" "$build_id"
run logs --build "$((build_id + 1))"
expect_contains "rebuild: its log says so" "$out" "every step was cached: the image is build $build_id's"
printf 'FROM busybox:1.36\nLABEL variant=b\n' | docker build -q -t task/build-base:b - >/dev/null 2>&1
run build -o json --build-arg BASE_IMAGE=task/build-base:b
other=$(jq -r .image_id <<<"$out")
other_build=$(jq -r .id <<<"$out")
expect_eq "another base: a new image" "$([[ -n $other && $other != "$image_id" ]] && echo new)" new
expect_eq "another base: labelled with its own build" \
  "$(docker image inspect -f '{{index .Config.Labels "task.build"}} {{index .Config.Labels "variant"}}' "$other")" "$other_build b"
expect_eq "another base: the tag follows" "$(docker image inspect -f '{{.Id}}' "task/build-ok:${commit:0:12}")" "$other"

# A dirty tree gets a -dirty.N tag, counted per commit.
echo "# change" >> README.md
run build -o json
expect_eq "dirty tag" "$(jq -r .image <<<"$out")" "task/build-ok:${commit:0:12}-dirty.1"
expect_eq "dirty flag" "$(jq -r .dirty <<<"$out")" true
dirty_image=$(jq -r .image_id <<<"$out")
dirty_build=$(jq -r .id <<<"$out")
run build -o json
expect_eq "second dirty tag" "$(jq -r .image <<<"$out")" "task/build-ok:${commit:0:12}-dirty.2"
expect_eq "the same dirty tree again: the very same image" "$(jq -r .image_id <<<"$out")" "$dirty_image"
expect_eq "its label names the first dirty build" \
  "$(docker image inspect -f '{{index .Config.Labels "task.build"}}' "$dirty_image")" "$dirty_build"
run build -q --commit "${commit:0:10}" -o json
expect_eq "--commit builds that commit clean" "$(jq -r '.image + " " + (.dirty|tostring)' <<<"$out")" "task/build-ok:${commit:0:12} false"

# .dockerignore: ignored files never reach the engine.
mkdir -p big && head -c 1048576 /dev/urandom > big/blob && echo "do not send" > secret.txt
printf 'big/\nsecret.txt\n' >> .dockerignore
cat > Dockerfile.ctx <<'DOCKERFILE'
FROM busybox:1.36
COPY . /ctx
RUN test ! -e /ctx/secret.txt && test ! -e /ctx/big && test -e /ctx/run.sh
# The labels' generated Dockerfile never reaches the image; the real .dockerignore does.
RUN test ! -e /ctx/.task-build.Dockerfile && test -e /ctx/.dockerignore && test -e /ctx/Dockerfile.ctx
DOCKERFILE
printf 'name: build-ok\nbuild:\n  dockerfile: Dockerfile.ctx\n' > task.yaml
git add -A >/dev/null && git -c user.name=t -c user.email=t@t commit -qm ctx
run build
expect_eq ".dockerignore'd files are not in the context" "$rc" 0
[[ $rc == 0 ]] || echo "$err" | tail -5
expect_eq "BuildKit: the labels are no build step" "$(grep -c 'LABEL' <<<"$err")" 0
# The classic builder: the labels are one step, in a generated Dockerfile that the context
# carries but the image never sees.
run build --builder classic --no-cache -o json
expect_eq "classic builder: the same context builds" "$rc" 0
[[ $rc == 0 ]] || echo "$err" | tail -5
expect_eq "classic builder: the labels are one build step" "$(grep -c 'LABEL' <<<"$err")" 1
expect_contains "classic builder: its steps are in the log" "$err" "Step 3/"
expect_eq "classic builder: the image is labelled" \
  "$(docker image inspect -f '{{index .Config.Labels "task.build"}}' "$(jq -r .image_id <<<"$out")")" "$(jq -r .id <<<"$out")"
TASK_BUILDER=classic run build
expect_contains "TASK_BUILDER chooses the builder" "$err" "Step 3/"
TASK_BUILDER=kaniko run build
expect_eq "an unknown builder is bad input" "$rc" 3
expect_contains "an unknown builder is named" "$err" "unknown builder \`kaniko\`"
run build --builder kaniko
expect_eq "an unknown --builder is bad input" "$rc" 2
# Without a .dockerignore, none appears in the image either.
git rm -q .dockerignore && rm -rf big secret.txt
sed -i 's|test -e /ctx/.dockerignore|test ! -e /ctx/.dockerignore|' Dockerfile.ctx
git add -A >/dev/null && git -c user.name=t -c user.email=t@t commit -qm no-ignore
run build
expect_eq "no .dockerignore: nothing generated is left in the image" "$rc" 0
[[ $rc == 0 ]] || echo "$err" | tail -5

# A failing Dockerfile: the user sees the engine's error, the record and log are kept.
printf 'FROM busybox:1.36\nRUN echo about to fail && exit 3\n' > Dockerfile.ctx
run build
expect_eq "failing build exit code" "$rc" 8
expect_contains "the engine's message is shown" "$err" "code: 3"
expect_contains "the failing step's output is shown" "$err" "about to fail"
expect_contains "the hint names the log" "$err" "task logs --build"
run builds -o json
expect_eq "the failed build is recorded" "$(jq -r '.builds[0].status' <<<"$out")" failed
run logs
expect_contains "the failed build's log is kept" "$out" "about to fail"

# Missing Dockerfile, context outside the project.
printf 'name: build-ok\nbuild:\n  dockerfile: Nope\n' > task.yaml
run build
expect_eq "missing Dockerfile" "$rc" 4
expect_contains "missing Dockerfile message" "$err" "no Dockerfile at"
printf 'name: build-ok\nbuild:\n  context: ../..\n' > task.yaml
run build
expect_eq "context outside the project" "$rc" 3
git checkout -q -- . && git clean -qfd

# Ctrl-C during a build: the record says cancelled, the engine's build stops.
printf 'FROM busybox:1.36\nRUN echo sleeping && sleep 60\n' > Dockerfile.ctx
"$task_bin" build >"$work/cancel.out" 2>"$work/cancel.err" &
pid=$!
for _ in $(seq 300); do grep -q sleeping "$work/cancel.err" && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"; rc=$?
expect_eq "interrupted build exit code" "$rc" 130
run builds -o json
expect_eq "interrupted build recorded as cancelled" "$(jq -r '.builds[0].status' <<<"$out")" cancelled
for _ in $(seq 100); do [[ -z $(docker ps -q) ]] && break; sleep 0.1; done
expect_eq "the engine stopped the build's container" "$(docker ps -q)" ""
git checkout -q -- .

# Two builds at once are both recorded.
printf 'FROM busybox:1.36\nRUN echo concurrent\n' > Dockerfile.ctx
"$task_bin" -q build -o json > "$work/a.json" 2>"$work/a.err" &
a=$!
"$task_bin" -q build -o json > "$work/b.json" 2>"$work/b.err" &
b=$!
wait $a; ra=$?; wait $b; rb=$?
expect_eq "concurrent builds succeed" "$ra $rb" "0 0"
expect_eq "concurrent builds have distinct ids" "$(jq -s 'map(.id) | unique | length' "$work/a.json" "$work/b.json")" 2

# The engine unreachable: a clear error and exit code 8.
out=$(DOCKER_HOST=unix://$work/nope.sock "$task_bin" build 2>&1); rc=$?
expect_eq "engine down exit code" "$rc" 8
expect_contains "engine down hint" "$out" "task doctor"

# --push to a real registry on 127.0.0.1, then a pull proves the image is whole.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/registry"
cat > "$work/registry.yml" <<YAML
version: 0.1
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: 127.0.0.1:$port}
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
printf 'name: build-ok\nregistry: 127.0.0.1:%s/acme\n' "$port" > task.yaml
git -c user.name=t -c user.email=t@t commit -qam registry
run build --push -o json
expect_eq "push rc" "$rc" 0
pushed=$(jq -r .pushed <<<"$out")
expect_contains "pushed reference has a digest" "$pushed" "127.0.0.1:$port/acme/build-ok@sha256:"
docker rmi -f "127.0.0.1:$port/acme/build-ok:$(git rev-parse HEAD | cut -c1-12)" >/dev/null 2>&1
docker rmi -f "$(jq -r .image_id <<<"$out")" >/dev/null 2>&1
expect_eq "pull the pushed image" "$(docker pull -q "$pushed" >/dev/null 2>&1; echo $?)" 0
expect_eq "the pulled image runs" "$(docker run --rm --network none "$pushed" 2>&1 | grep -c build-ok)" 1
kill "$registry_pid"; wait "$registry_pid" 2>/dev/null; registry_pid=""
run build --push
expect_eq "a refused push fails" "$rc" 8
run builds -o json
expect_eq "a build whose push failed is still recorded as built" "$(jq -r '.builds[0].status' <<<"$out")" succeeded

# doctor
run doctor -o json
expect_eq "doctor passes" "$rc" 0
expect_eq "doctor checks the engine" "$(jq -r '.checks[] | select(.name=="docker") | .ok' <<<"$out")" true
out=$(DOCKER_HOST=unix://$work/nope.sock "$task_bin" doctor 2>&1); rc=$?
expect_eq "doctor with the engine down" "$rc" 1
expect_contains "doctor says how to fix" "$out" "fix:"

# An engine that refuses BuildKit builds (as Docker 18.09 did without experimental
# features): an automatic build is done again by the classic builder; an explicit
# --builder buildkit is not. A stand-in answers, since a current engine never refuses.
old_socket=$work/old-engine.sock
python3 "$here/old_engine.py" "$old_socket" "$work/old-engine.log" &
old_pid=$!
for _ in $(seq 100); do [[ -S $old_socket ]] && break; sleep 0.05; done
old() { TASK_HOME=$work/old-state DOCKER_HOST=unix://$old_socket run "$@"; }
old build -o json
expect_eq "old engine: the automatic build succeeds" "$rc" 0
expect_eq "old engine: the image is the classic build's" "$(jq -r .image_id <<<"$out")" "sha256:$(printf '0123456789abcdef%.0s' 1 2 3 4)"
expect_contains "old engine: the user is told why" "$err" "the engine does not build with BuildKit (buildkit not supported by daemon): using the classic builder"
expect_eq "old engine: BuildKit first, then classic" \
  "$(grep -o 'build?[^ ]*' "$work/old-engine.log" | grep -o 'version=[12]' | paste -sd,)" "version=2,version=1"
expect_eq "old engine: the classic build got the whole context" \
  "$(awk '/build\?.*version=1/ { print ($3 > 0) }' "$work/old-engine.log")" 1
: > "$work/old-engine.log"
old build --builder buildkit
expect_eq "old engine: --builder buildkit fails, not silently classic" "$rc" 3
expect_contains "old engine: with the engine's words" "$err" "buildkit not supported by daemon"
expect_eq "old engine: one request only" "$(grep -c 'build?' "$work/old-engine.log")" 1
kill "$old_pid"; wait "$old_pid" 2>/dev/null
finish
