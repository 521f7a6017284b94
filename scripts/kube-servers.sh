#!/usr/bin/env bash
# Usage: scripts/kube-servers.sh [--force]
#
# Builds the Kubernetes servers that the integration tests' clusters run, and prints the
# directory holding them as the last line on stdout:
#
#   kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl
#                  from Debian bookworm's `kubernetes` source package (1.20.5+really1.20.2,
#                  with vendor/), built with Debian's golang-go, GOPATH mode, no network;
#                  its vendored reflect2 v1.0.1 is replaced by Debian's v1.0.2 (the servers
#                  crash on Go >= 1.18 otherwise, see below)
#   etcd           from Debian's etcd-server package (unpacked with dpkg -x, so no
#                  service is installed or started)
#   pause          the pod sandbox process, static, from the same tree's
#                  build/pause/linux/pause.c
#
# Debian ships these servers only as that source package (trixie and sid have kubectl
# alone), so this is Kubernetes 1.20: end of life, and fit for tests only.
#
# The source comes through apt: this script adds a deb-src line for bookworm main in
# /etc/apt/sources.list.d/task-kubernetes-src.sources (on the mirror the machine's
# bookworm line names) and runs apt-get update when the source index is missing.
#
# The result is cached in ${XDG_CACHE_HOME:-~/.cache}/task/kubernetes/<source version>-go<go
# version>/ (about 400 MB), so a later run prints it at once; --force builds again. The
# build tree (about 3 GB, with its own Go build cache) goes to a temp dir under
# ${TMPDIR:-/tmp} that is removed afterwards. A cold build takes 4 to 9 minutes on two
# cores, depending on what else runs (about 550 CPU-seconds, 1.4 GB of memory at its
# peak). Concurrent runs wait for each other (a lock in the cache directory). Progress
# notes go to stderr; make's output goes to a log whose tail is shown if it fails.
#
# Needs root for apt (see the Kubernetes line of scripts/install-deps.sh --test for the
# packages: golang-go make rsync gcc libc6-dev dpkg-dev xz-utils). The .debs of etcd-server
# and golang-github-modern-go-reflect2-dev are downloaded and unpacked, not installed.
set -euo pipefail

die() { printf 'kube-servers: %s\n' "$*" >&2; exit 1; }
note() { printf 'kube-servers: %s\n' "$*" >&2; }

force=0
case ${1:-} in
  --force) force=1 ;;
  "") ;;
  *) die "usage: $0 [--force]" ;;
esac

readonly binaries=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl etcd pause)
readonly kube_targets="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler cmd/kubelet cmd/kubectl"
readonly src_list=/etc/apt/sources.list.d/task-kubernetes-src.sources
cache_root=${TASK_KUBE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/task/kubernetes}

SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO=sudo

command -v go >/dev/null || die "go not found (bash scripts/install-deps.sh --test)"
for tool in make gcc dpkg-source apt-get; do
  command -v "$tool" >/dev/null || die "$tool not found (bash scripts/install-deps.sh --test)"
done

# The mirror of the machine's bookworm main lines (deb822 or one-line style).
bookworm_mirror() {
  local uri
  uri=$(awk '
    /^URIs:/ { uris = $2 } /^Suites:/ { suites = $0 }
    /^$/ { if (suites ~ /[ \t]bookworm([ \t]|$)/ && uris != "") { print uris; exit } uris = ""; suites = "" }
    END { if (suites ~ /[ \t]bookworm([ \t]|$)/ && uris != "") print uris }
  ' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
  if [[ -z $uri ]]; then
    uri=$(awk '$1 == "deb" && $0 ~ / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
      /etc/apt/sources.list 2>/dev/null | head -n 1)
  fi
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

ensure_source_index() {
  if [[ ! -f $src_list ]]; then
    note "adding a deb-src line for bookworm main ($src_list)"
    printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$(bookworm_mirror)" | $SUDO tee "$src_list" >/dev/null
  fi
  if ! apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Version:'; then
    note "apt-get update (for the source index)"
    $SUDO apt-get update -qq || die "apt-get update failed"
  fi
}

# The newest bookworm source version of kubernetes, e.g. 1.20.5+really1.20.2-1.
source_version() {
  apt-cache showsrc kubernetes 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -V | tail -n 1
}

ensure_source_index
src_version=$(source_version)
[[ -n $src_version ]] || die "no kubernetes source package in the apt source index"
go_version=$(go env GOVERSION)
go_version=${go_version#go}
out=$cache_root/$src_version-go$go_version

complete() {
  local b
  for b in "${binaries[@]}"; do [[ -x $1/$b ]] || return 1; done
}

if ((!force)) && complete "$out"; then
  note "cached: $out"
  printf '%s\n' "$out"
  exit 0
fi

mkdir -p "$cache_root"
exec 8>"$cache_root/.lock"
if ! flock -n 8; then
  note "another build holds $cache_root/.lock; waiting for it"
  flock 8
fi
if ((!force)) && complete "$out"; then
  note "cached (built by the other run): $out"
  printf '%s\n' "$out"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/task-kube-build.XXXXXX")
chmod 0755 "$work"
cleanup() { rm -rf --one-file-system "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

started=$SECONDS
note "building Kubernetes $src_version with Go $go_version in $work (about 9 minutes)"

mkdir -p "$work/src" "$work/etcd" "$work/out"
# apt-get source and download run as the _apt user when they can; the dir must be theirs.
chmod 0777 "$work/src" "$work/etcd"
(cd "$work/src" && apt-get source --download-only -qq "kubernetes=$src_version" >&2) ||
  die "apt-get source kubernetes=$src_version failed"
dsc=$(find "$work/src" -maxdepth 1 -name 'kubernetes_*.dsc' | head -n 1)
[[ -n $dsc ]] || die "no .dsc downloaded"
note "unpacking $(basename "$dsc")"
dpkg-source --no-check -x "$dsc" "$work/src/tree" >/dev/null || die "dpkg-source -x failed"
rm -f "$work"/src/kubernetes_*

tree=$work/src/tree

# The vendored github.com/modern-go/reflect2 v1.0.1 reaches into the Go runtime's map
# iterator with go:linkname, which changed in Go 1.18: built with bookworm's Go 1.19,
# every server crashes the first time it JSON-encodes a map (a nil pointer in
# reflect.mapiterinit, then SIGSEGV). v1.0.2 fixes exactly that and is API-compatible;
# Debian packages it (golang-github-modern-go-reflect2-dev), so its sources replace the
# vendored ones.
(cd "$work/etcd" && apt-get download -qq golang-github-modern-go-reflect2-dev >&2) ||
  die "apt-get download golang-github-modern-go-reflect2-dev failed"
reflect2_deb=$(find "$work/etcd" -maxdepth 1 -name 'golang-github-modern-go-reflect2-dev_*.deb' | head -n 1)
[[ -n $reflect2_deb ]] || die "no golang-github-modern-go-reflect2-dev .deb downloaded"
dpkg -x "$reflect2_deb" "$work/etcd/reflect2"
reflect2_src=$work/etcd/reflect2/usr/share/gocode/src/github.com/modern-go/reflect2
reflect2_dst=$tree/vendor/github.com/modern-go/reflect2
[[ -f $reflect2_src/go_above_118.go && -d $reflect2_dst ]] ||
  die "unexpected layout of reflect2 (package or vendor tree)"
find "$reflect2_dst" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) -delete
cp "$reflect2_src"/*.go "$reflect2_dst/"
sed -i 's|^# github.com/modern-go/reflect2 v1.0.1 => github.com/modern-go/reflect2 v1.0.1$|# github.com/modern-go/reflect2 v1.0.1 => github.com/modern-go/reflect2 v1.0.2|' \
  "$tree/vendor/modules.txt"
note "vendor/github.com/modern-go/reflect2 replaced by $(dpkg-deb -f "$reflect2_deb" Package) $(dpkg-deb -f "$reflect2_deb" Version)"
# The version (v1.20.2 and its commit) comes from hack/lib/version.sh, which the
# upstream archive filled in; no Git checkout is needed.
export GO111MODULE=off GOPROXY=off GOFLAGS="" CGO_ENABLED=0
export GOCACHE=$work/gocache GOPATH=$work/gopath
note "make WHAT=\"$kube_targets\" (log: $work/make.log)"
if ! (cd "$tree" && make WHAT="$kube_targets" >"$work/make.log" 2>&1); then
  tail -n 40 "$work/make.log" >&2 || true
  die "the Kubernetes build failed (the last lines of its log are above)"
fi
bin=$tree/_output/local/bin/linux/amd64
for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl; do
  [[ -x $bin/$b ]] || die "the build did not produce $b"
  cp "$bin/$b" "$work/out/$b"
done
note "built the Kubernetes binaries in $((SECONDS - started))s"

gcc -Os -static -DVERSION=3.2 -o "$work/out/pause" "$tree/build/pause/linux/pause.c" ||
  die "building pause failed"
strip "$work/out/pause" 2>/dev/null || true

(cd "$work/etcd" && apt-get download -qq etcd-server >&2) || die "apt-get download etcd-server failed"
etcd_deb=$(find "$work/etcd" -maxdepth 1 -name 'etcd-server_*.deb' | head -n 1)
[[ -n $etcd_deb ]] || die "no etcd-server .deb downloaded"
dpkg -x "$etcd_deb" "$work/etcd/root"
cp "$work/etcd/root/usr/bin/etcd" "$work/out/etcd"

{
  printf 'kubernetes source package %s\n' "$src_version"
  printf 'go %s\n' "$go_version"
  printf 'etcd-server package %s\n' "$(dpkg-deb -f "$etcd_deb" Version)"
  printf 'vendor/github.com/modern-go/reflect2 from golang-github-modern-go-reflect2-dev %s\n' \
    "$(dpkg-deb -f "$reflect2_deb" Version)"
  printf 'kubectl %s\n' "$("$work/out/kubectl" version --client --short 2>/dev/null || true)"
} >"$work/out/VERSIONS"

complete "$work/out" || die "the result is incomplete"
# Into place in one rename, so a reader never sees half a directory.
rm -rf "$out.tmp"
mv "$work/out" "$out.tmp"
rm -rf "$out"
mv "$out.tmp" "$out"
find "$cache_root" -mindepth 1 -maxdepth 1 -type d ! -path "$out" -name '*-go*' -exec rm -rf {} + 2>/dev/null || true
note "done in $((SECONDS - started))s: $out"
printf '%s\n' "$out"
