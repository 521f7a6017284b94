#!/usr/bin/env bash
# `task connect`, and `task build` of connected projects, against real Git servers on
# 127.0.0.1: smart HTTP (git http-backend behind tests/integration/git_http_server.py,
# with a private part behind basic auth), `git daemon`, file:// and local paths. Bad input,
# Ctrl-C mid-transfer, and a token that must never show up in any file or output.
# The builds need a Docker engine: they run when DOCKER_HOST is set (scripts/with-docker.sh).
set -u
task_bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
work=$(mktemp -d)
server_pids=()
cleanup() {
  local pid
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  if [[ -n ${DOCKER_HOST:-} ]]; then
    docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^task/(ops|health-check|secret)' | xargs -r docker rmi -f >/dev/null 2>&1
  fi
  rm -rf "$work"
}
trap cleanup EXIT
export HOME=$work/home TASK_HOME=$work/state XDG_CACHE_HOME=$work/cache
unset TASK_GIT_TOKEN GITHUB_TOKEN TASK_GIT_USER TASK_GIT_SSH_KEY SSH_AUTH_SOCK XDG_STATE_HOME
mkdir -p "$HOME" "$work/projects"
git config --global user.name "Test Author"
git config --global user.email test@example.org
git config --global init.defaultBranch trunk

# Every stdout and stderr of task lands in $all_output too, for the leak check at the end.
all_output=$work/all-output
run() {
  out=$("$task_bin" "$@" 2>"$work/err")
  rc=$?
  err=$(cat "$work/err")
  printf '%s\n%s\n' "$out" "$err" >>"$all_output"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
commit_all() { git -C "$1" add -A && git -C "$1" commit -qm "$2" && git -C "$1" push -q origin HEAD; }

# --- The repositories -------------------------------------------------------------------
srv=$work/srv
mkdir -p "$srv/private"
git init -q --bare "$srv/ops.git"
git clone -q "$srv/ops.git" "$work/ops" 2>/dev/null
w=$work/ops
printf 'FROM busybox:1.36\nCOPY VERSION /VERSION\nCMD ["cat", "/VERSION"]\n' >"$w/Dockerfile"
echo one >"$w/VERSION"
mkdir -p "$w/health" "$w/api"
printf 'name: health-check\nbuild:\n  context: .\nrun:\n  timeout: 5m\n  env: {TARGET_URL: "https://example.org/health"}\n' >"$w/health/task.yaml"
printf 'FROM busybox:1.36\nCOPY check.sh /check.sh\nCMD ["sh", "/check.sh"]\n' >"$w/health/Dockerfile"
echo 'echo healthy' >"$w/health/check.sh"
echo 'FROM busybox:1.36' >"$w/api/Containerfile"
echo 'echo api' >"$w/api/main.sh"
commit_all "$w" "first"
git -C "$w" push -q origin HEAD:dev
first=$(git -C "$srv/ops.git" rev-parse trunk)
git clone -q --bare "$srv/ops.git" "$srv/private/secret.git"
# A repository large enough that an interrupted transfer is caught mid-way.
git init -q "$work/big"
head -c 3000000 /dev/urandom >"$work/big/blob"
echo 'FROM busybox:1.36' >"$work/big/Dockerfile"
git -C "$work/big" add -A && git -C "$work/big" commit -qm big
git clone -q --bare "$work/big" "$srv/big.git"

# --- The servers ------------------------------------------------------------------------
token="tok-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$token" >"$work/token"
python3 "$here/git_http_server.py" --root "$srv" --port-file "$work/http.port" --token-file "$work/token" \
  --slow-flag "$work/slow" --log "$work/http.log" >"$work/http.out" 2>&1 &
server_pids+=($!)
for _ in $(seq 200); do [[ -s $work/http.port ]] && break; sleep 0.05; done
http_port=$(cat "$work/http.port" 2>/dev/null)
[[ -n $http_port ]] || { cat "$work/http.out"; echo "FAIL: the HTTP server did not start"; exit 1; }
http=http://127.0.0.1:$http_port

daemon_port=""
for _ in 1 2 3 4 5; do  # a port picked free may be taken before the daemon binds it
  port=$(free_port)
  git daemon --reuseaddr --listen=127.0.0.1 --port="$port" --base-path="$srv" --export-all "$srv" \
    >"$work/daemon.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    git ls-remote "git://127.0.0.1:$port/ops.git" >/dev/null 2>&1 && { daemon_port=$port; break; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -n $daemon_port ]]; then server_pids+=("$pid"); break; fi
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
done
[[ -n $daemon_port ]] || { cat "$work/daemon.log"; echo "FAIL: git daemon did not start"; exit 1; }

cd "$work/projects"

# --- Smart HTTP: the default branch, the cache, the repository's own task.yaml ----------
run connect "$http/ops.git" -o json
expect_eq "connect over HTTP" "$rc" 0
expect_eq "name from the URL" "$(jq -r .name <<<"$out")" ops
expect_eq "the remote's default branch" "$(jq -r .source.branch <<<"$out")" trunk
expect_eq "the branch head" "$(jq -r .commit.id <<<"$out")" "$first"
expect_eq "commit summary and author" "$(jq -r '.commit.summary + " / " + .commit.author' <<<"$out")" \
  "first / Test Author <test@example.org>"
expect_eq "a fresh clone" "$(jq -r .cached <<<"$out")" false
yaml=$(cat ops/task.yaml)
expect_contains "task.yaml names the repository" "$yaml" "  git: $http/ops.git"
expect_contains "task.yaml names the branch" "$yaml" "  branch: trunk"
expect_contains "task.yaml names the Dockerfile" "$yaml" "  dockerfile: Dockerfile"
expect_eq "the clone is in the cache" "$(ls -d "$XDG_CACHE_HOME"/task/repos/127.0.0.1-ops-* | grep -vc lock)" 1
expect_eq "no progress drawn when stderr is not a terminal" "$(grep -c 'Receiving objects' <<<"$err")" 0

run connect "$http/ops.git" --dir ops-again -o json
expect_eq "connect again" "$rc" 0
expect_eq "the second connect fetches into the cached clone" "$(jq -r .cached <<<"$out")" true

run connect "$http/ops.git" --path ./health/ -o json
expect_eq "connect a directory with its own task.yaml" "$rc" 0
expect_eq "its name is the repository's" "$(jq -r .name <<<"$out")" health-check
expect_eq "its settings are used" "$(jq -r .repository_config <<<"$out")" true
expect_eq "the Dockerfile is found in the directory" "$(jq -r .dockerfile <<<"$out")" health/Dockerfile
expect_contains "run settings kept" "$(cat health-check/task.yaml)" "timeout: 5m"
expect_contains "source path recorded" "$(cat health-check/task.yaml)" "path: health"

run connect "$http/ops.git" --branch dev --path api --dockerfile Containerfile --name api-dev -o json
expect_eq "--branch --path --dockerfile --name" "$rc 0" "0 0"
expect_eq "the branch given" "$(jq -r '.source.branch + " " + .name + " " + .dockerfile' <<<"$out")" "dev api-dev api/Containerfile"

# A terminal gets a progress line on stderr.
tty_out=$(TERM=xterm XDG_CACHE_HOME=$work/cache-tty script -qefc "$task_bin connect $http/big.git --dir tty-big" /dev/null 2>&1)
printf '%s\n' "$tty_out" >>"$all_output"
expect_contains "progress on a terminal" "$tty_out" "Receiving objects: 100% (4/4)"
expect_contains "progress shows the speed" "$tty_out" "/s"

# --- git://, file:// and local paths ---------------------------------------------------
run connect "git://127.0.0.1:$daemon_port/ops.git" --dir via-daemon -o json
expect_eq "connect over git://" "$rc" 0
expect_eq "git:// head" "$(jq -r .commit.id <<<"$out")" "$first"
run connect "file://$srv/ops.git" --dir via-file -o json
expect_eq "connect over file://" "$(jq -r .commit.id <<<"$out")" "$first"
run connect "../srv/ops.git" --name local-ops -o json
expect_eq "connect a relative local path" "$rc" 0
expect_eq "a local path is stored absolute" "$(jq -r .source.git <<<"$out")" "$srv/ops.git"

# --- Private repository: a token from TASK_GIT_TOKEN, never anywhere else ---------------
run connect "$http/private/secret.git" --dir secret-none
expect_eq "private without a token" "$rc" 9
expect_contains "says which variable to set" "$err" "set TASK_GIT_TOKEN"
TASK_GIT_TOKEN="wrong-$token" run connect "$http/private/secret.git" --dir secret-wrong
expect_eq "private with a wrong token" "$rc" 9
expect_contains "says the token was refused" "$err" "refused the credentials from TASK_GIT_TOKEN"
GITHUB_TOKEN=$token run connect "$http/private/secret.git" --dir secret-gh
expect_eq "GITHUB_TOKEN is for github.com only" "$rc" 9
TASK_GIT_TOKEN=$token run connect "$http/private/secret.git" --dir secret -o json
expect_eq "private with the token" "$rc" 0
expect_eq "private head" "$(jq -r .commit.id <<<"$out")" "$first"
expect_contains "the token went as x-access-token" "$(cat "$work/http.log")" "/private/secret.git/git-upload-pack x-access-token 200"
TASK_GIT_TOKEN=$token run connect "http://$token@127.0.0.1:$http_port/private/secret.git" --dir secret-user -o json
expect_eq "a user name in an HTTP URL is dropped" "$rc $(jq -r .source.git <<<"$out")" "0 $http/private/secret.git"
run connect "http://x-access-token:$token@127.0.0.1:$http_port/private/secret.git" --dir secret-pw
expect_eq "a password in the URL is refused" "$rc" 3
expect_contains "with a hint to use TASK_GIT_TOKEN" "$err" "TASK_GIT_TOKEN"
expect_contains "and the URL shown redacted" "$err" "http://***@127.0.0.1:$http_port/private/secret.git"

# --- Bad input: each a clear error, its own exit code, nothing created -------------------
closed=$(free_port)
run connect "http://127.0.0.1:$closed/ops.git" --dir bad
expect_eq "unreachable host" "$rc" 7
expect_contains "unreachable host message" "$err" "cannot reach http://127.0.0.1:$closed/ops.git"
run connect "$http/nope.git" --dir bad
expect_eq "no repository at the URL (HTTP)" "$rc" 4
expect_contains "no repository message" "$err" "there is no Git repository at $http/nope.git"
run connect "git://127.0.0.1:$daemon_port/nope.git" --dir bad
expect_eq "no repository at the URL (git://)" "$rc" 4
run connect "$work/nowhere" --dir bad
expect_eq "no repository at the path" "$rc" 4
run connect "ftp://example.org/ops.git" --dir bad
expect_eq "unsupported scheme" "$rc" 3
expect_contains "unsupported scheme message" "$err" "cannot fetch over \`ftp://\`"
run connect "$http/ops.git" --branch nope --dir bad
expect_eq "missing branch" "$rc" 4
expect_contains "missing branch lists the branches" "$err" "its branches: dev, trunk"
run connect "$http/ops.git" --path services/nope --dir bad
expect_eq "missing path" "$rc" 4
expect_contains "missing path says what is there" "$err" "the repository's root holds: Dockerfile, VERSION, api/, health/"
run connect "$http/ops.git" --path api --dir bad
expect_eq "missing Dockerfile" "$rc" 4
expect_contains "missing Dockerfile says what is there" "$err" "\`api/\` holds: Containerfile, main.sh"
expect_contains "and names the likely one" "$err" "--dockerfile Containerfile"
run connect "$http/ops.git" --path ../x --dir bad
expect_eq "a path leaving the repository" "$rc" 3
run connect "$http/ops.git" --name Not_A_Label --dir bad
expect_eq "an invalid name" "$rc" 3
mkdir busy && echo mine >busy/keep.txt
run connect "$http/ops.git" --dir busy
expect_eq "a directory in the way" "$rc" 5
expect_contains "a directory in the way message" "$err" "busy is not empty: keep.txt in the way"
expect_eq "the directory in the way is untouched" "$(ls -A busy)" keep.txt
expect_eq "nothing half-created" "$(ls -A | grep -cE '^(bad|secret-(none|wrong|gh|pw))$|\.connect-')" 0

# --- Ctrl-C mid-transfer leaves nothing, and the next attempt recovers --------------------
interrupt_connect() {  # interrupt_connect URL DIR: starts a slowed transfer and presses Ctrl-C in it
  touch "$work/slow"
  local before pid
  before=$(wc -l <"$work/http.log")
  "$task_bin" connect "$1" --dir "$2" >"$work/int.out" 2>"$work/int.err" &
  pid=$!
  for _ in $(seq 200); do
    tail -n +$((before + 1)) "$work/http.log" | grep -q "POST /big.git/git-upload-pack" && break
    sleep 0.05
  done
  sleep 0.3  # some of the pack is on its way (the server sends 80 KiB/s)
  kill -INT "$pid"
  wait "$pid"
  rc=$?
  cat "$work/int.out" "$work/int.err" >>"$all_output"
  err=$(cat "$work/int.err")
  rm -f "$work/slow"
}
interrupt_connect "$http/big.git" big
expect_eq "Ctrl-C during a clone" "$rc" 130
expect_contains "Ctrl-C message" "$err" "interrupted while fetching"
expect_eq "no project after Ctrl-C" "$(ls -A | grep -cE '^big$|\.big\.connect-')" 0
expect_eq "no clone and no temporary clone after Ctrl-C" \
  "$(ls -A "$XDG_CACHE_HOME/task/repos" | grep -E '127\.0\.0\.1-big-' | grep -vc '\.lock$')" 0
run connect "$http/big.git" --dir big -o json
expect_eq "the next attempt clones" "$rc $(jq -r .cached <<<"$out")" "0 false"
# Ctrl-C while fetching new commits into an existing clone.
head -c 3000000 /dev/urandom >"$work/big/blob2"
git -C "$work/big" add -A && git -C "$work/big" commit -qm big2 && git -C "$work/big" push -q "$srv/big.git" HEAD
interrupt_connect "$http/big.git" big2
expect_eq "Ctrl-C during a fetch" "$rc" 130
run connect "$http/big.git" --dir big2 -o json
expect_eq "the next fetch works on the same clone" "$rc $(jq -r .cached <<<"$out")" "0 true"
expect_eq "and gets the new head" "$(jq -r .commit.id <<<"$out")" "$(git -C "$work/big" rev-parse HEAD)"
# A clone broken by hand is noticed and made again.
clone=$(ls -d "$XDG_CACHE_HOME"/task/repos/127.0.0.1-big-* | grep -v '\.lock$')
rm -rf "$clone/objects" && mkdir "$clone/objects"
run connect "$http/big.git" --dir big3 -o json
expect_eq "a broken clone is made again" "$rc $(jq -r .cached <<<"$out")" "0 false"

# --- Builds of connected projects -------------------------------------------------------
if [[ -n ${DOCKER_HOST:-} ]]; then
  cd "$work/projects/ops"
  run build -o json
  expect_eq "build a connected project" "$rc" 0
  [[ $rc == 0 ]] || echo "$err" | tail -5
  image=$(jq -r .image_id <<<"$out")
  expect_eq "label task.commit" "$(docker image inspect -f '{{index .Config.Labels "task.commit"}}' "$image")" "$first"
  expect_eq "label task.source" "$(docker image inspect -f '{{index .Config.Labels "task.source"}}' "$image")" "$http/ops.git"
  expect_eq "the image holds the branch's files" "$(docker run --rm --network none "$image")" one
  expect_eq "the build is not dirty" "$(jq -r .dirty <<<"$out")" false

  echo two >"$w/VERSION"
  commit_all "$w" "second"
  second=$(git -C "$srv/ops.git" rev-parse trunk)
  run build -o json
  expect_eq "build after a push" "$rc" 0
  image=$(jq -r .image_id <<<"$out")
  expect_eq "the build picks up the pushed commit" "$(docker image inspect -f '{{index .Config.Labels "task.commit"}}' "$image")" "$second"
  expect_eq "its files" "$(docker run --rm --network none "$image")" two
  expect_eq "tagged with the new commit" "$(jq -r .image <<<"$out")" "task/ops:${second:0:12}"
  run logs
  expect_contains "the build log names the source" "$out" "source $http/ops.git branch trunk: second (Test Author <test@example.org>)"

  run build --commit "${first:0:10}" -o json
  expect_eq "--commit builds an earlier commit" \
    "$(docker image inspect -f '{{index .Config.Labels "task.commit"}}' "$(jq -r .image_id <<<"$out")")" "$first"
  run build --commit 0123456789abcdef
  expect_eq "--commit of an unknown commit" "$rc" 4

  cd "$work/projects/health-check"
  run build -o json
  expect_eq "build a connected sub-directory with the repository's task.yaml" "$rc" 0
  expect_eq "it runs" "$(docker run --rm --network none "$(jq -r .image_id <<<"$out")")" healthy

  cd "$work/projects/secret"
  run build
  expect_eq "a private source without the token" "$rc" 9
  TASK_GIT_TOKEN=$token run build -o json
  expect_eq "a private source with the token" "$rc" 0
  expect_eq "private build commit" "$(docker image inspect -f '{{index .Config.Labels "task.commit"}}' "$(jq -r .image_id <<<"$out")")" "$first"

  # A deploy of a connected project deploys its branch's head, and builds it when the
  # source moved, saying so, instead of "nothing to do".
  cd "$work/projects/ops"
  deployed_commit() { docker image inspect -f '{{index .Config.Labels "task.commit"}}' "$("$task_bin" history -o json | jq -r '.revisions[-1].image_id')"; }
  run deploy --interval "@every 1h"
  expect_eq "deploy a connected project" "$rc" 0
  expect_eq "its branch's head, not the newest build (of --commit)" "$(deployed_commit)" "$second"
  echo three >"$w/VERSION"
  commit_all "$w" "third"
  third=$(git -C "$srv/ops.git" rev-parse trunk)
  run deploy
  expect_eq "deploy after a push" "$rc" 0
  expect_contains "says the source moved" "$err" "the source moved: branch trunk of $http/ops.git is at ${third:0:12} (third)"
  expect_eq "and deploys the new head, built" "$(deployed_commit)" "$third"
  run deploy
  expect_contains "then there is nothing to do" "$out" "nothing to do"
  t -q undeploy >/dev/null
  "$task_bin" agent stop >/dev/null 2>&1
  cd "$work/projects"
else
  echo "SKIP: builds of connected projects (DOCKER_HOST is unset; run under scripts/with-docker.sh)"
fi

# --- The token is nowhere: no file task wrote, no output it printed ----------------------
leaks=$(grep -rlF -- "$token" "$work/projects" "$XDG_CACHE_HOME" "$TASK_HOME" "$all_output" 2>/dev/null)
expect_eq "the token is in no file and no output" "$leaks" ""
expect_contains "the leak check saw the failures' outputs" "$(cat "$all_output")" "refused the credentials from TASK_GIT_TOKEN"
finish
