#!/usr/bin/env bash
# Installs every Debian package that building, running and testing `task` needs.
# Idempotent: packages already present are left as they are.
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config git ca-certificates
  libcli11-dev           # command-line flags
  libgit2-dev            # Git: init, commit, clone, fetch
  libyaml-cpp-dev        # task.yaml, template manifests
  libcurl4-openssl-dev   # Docker Engine API, webhooks
  libfmt-dev             # formatting
  doctest-dev            # unit tests
  libsqlite3-dev         # control-plane state
  libarchive-dev         # tar build contexts
  nlohmann-json3-dev     # API payloads, -o json
  libhowardhinnant-date-dev tzdata  # IANA time zones over the OS database
  libcpp-httplib-dev     # the dashboard's and the metrics' HTTP server
)
run_pkgs=(
  docker.io              # the local platform's engine
  busybox-static         # offline base images for tests and the demo
  iproute2 util-linux    # a private network namespace for the engine
  python3.11 nodejs      # offline python and node base images (scripts/base-images.sh)
  jq                     # the demo reads -o json
)
test_pkgs=(
  bash-completion zsh fish   # real shell completion tests
  clang libclang-rt-14-dev   # libFuzzer
  python3 curl hyperfine jq man-db
  sqlite3                    # tests and benchmarks read and alter stores directly
  docker-registry            # a real registry for `task build --push`
  prometheus                 # scrapes the agent's metrics in tests
  chromium                   # renders the HTML report of `task stats` in tests
  # Kubernetes 1.20 servers built from Debian's `kubernetes` source package, for two
  # real test clusters (scripts/kube-servers.sh, scripts/with-clusters.sh)
  golang-go make rsync gcc libc6-dev dpkg-dev xz-utils
  openssl                    # the test clusters' CAs, certificates and keys
  procps                     # pgrep/ps: the test clusters' processes
)

want=("${build_pkgs[@]}" "${run_pkgs[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The dashboard's chart library (uPlot, embedded at build time) and the browser driver of
# its tests, from npm at the versions web/package-lock.json pins.
if ! command -v npm >/dev/null; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm
fi
web="$(cd "$(dirname "$0")/.." && pwd)/web"
if ! cmp -s "$web/package-lock.json" "$web/node_modules/.installed-lock.json" 2>/dev/null; then
  npm ci --prefix "$web" --no-audit --no-fund --loglevel=error
  cp "$web/package-lock.json" "$web/node_modules/.installed-lock.json"
fi
