#!/usr/bin/env bash
# Usage: scripts/base-images.sh [--force]
#
# Builds offline stand-ins for the official base images that the templates name, into
# the engine at $DOCKER_HOST (scripts/with-docker.sh calls this):
#
#   busybox:1.36, busybox:latest   /bin/busybox from Debian's busybox-static, every applet
#                                  linked in /bin
#   python:3.11-slim               Debian's python3.11, its standard library (without
#                                  tests, IDLE, tkinter, ensurepip; zipped), the shared
#                                  libraries it and its extension modules load, CA
#                                  certificates, a busybox /bin/sh
#   node:20-slim                   the machine's /usr/bin/node and its libraries (its
#                                  version is whatever nodejs package is installed)
#
# These are NOT the official images: machines that build and test `task` reach no image
# registry, so the images are assembled from packages already installed (see
# scripts/install-deps.sh). They provide what the templates and tests rely on: the
# interpreter on PATH, /bin/sh (busybox) for RUN steps, /etc/passwd, /tmp, TLS roots.
# Versions are the machine's (e.g. busybox 1.35 under the tag busybox:1.36).
#
# Idempotent: an image whose tag exists is left alone (--force rebuilds). Each image
# is one `docker build` of a small generated context: FROM scratch + one COPY.
#
# Building takes ~20 s (the engine's vfs driver copies every layer); loading takes ~2 s.
# So the images are also saved to a cache, ${TASK_BASE_IMAGE_CACHE:-~/.cache/task/
# base-images}/<key>.tar, and a fresh engine loads them from there. The key covers this
# script and the files it copies (binaries, libraries, CA bundle, standard library's
# package version): a change to any of them rebuilds.
# TASK_BASE_IMAGE_CACHE=off disables the cache.
set -euo pipefail

die() { printf 'base-images: %s\n' "$*" >&2; exit 1; }
note() { printf 'base-images: %s\n' "$*" >&2; }

[[ -n ${DOCKER_HOST:-} ]] || die "DOCKER_HOST is not set (run through scripts/with-docker.sh)"
docker_cli=${DOCKER:-docker}
force=0
[[ ${1:-} == --force ]] && force=1

readonly loader=/lib64/ld-linux-x86-64.so.2
readonly busybox_bin=/bin/busybox
readonly python_bin=/usr/bin/python3.11
readonly python_lib=/usr/lib/python3.11
readonly node_bin=/usr/bin/node
readonly all_tags=(busybox:1.36 busybox:latest python:3.11-slim node:20-slim)
readonly offline_label=task.offline-base-image
cache_dir=${TASK_BASE_IMAGE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/task/base-images}

work=$(mktemp -d "${TMPDIR:-/tmp}/task-base-images.XXXXXX")
trap 'rm -rf --one-file-system "$work"' EXIT

image_exists() { "$docker_cli" image inspect "$1" >/dev/null 2>&1; }

need_build() {
  local tag
  ((force)) && return 0
  for tag in "$@"; do image_exists "$tag" || return 0; done
  return 1
}

# Copies a host file (following symlinks) to the same path, or to $3, under root $1.
add_file() {
  local root=$1 src=$2 dest=${3:-$2}
  [[ -e $src ]] || die "missing $src on this machine (see scripts/install-deps.sh)"
  mkdir -p "$root$(dirname "$dest")"
  cp -L --preserve=mode,timestamps "$src" "$root$dest"
}

# Copies the shared libraries that the given ELF files load (as ldd resolves them,
# transitively) and the dynamic loader. Each lands at the path ldd names, under the
# soname, so the loader finds it without an ld.so.cache.
add_shared_libs() {
  local root=$1 file lib
  shift
  add_file "$root" "$loader"
  for file in "$@"; do
    while read -r lib; do
      [[ -e $root$lib ]] || add_file "$root" "$lib"
    done < <(ldd "$file" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
  done
}

# busybox at /bin/busybox, with the applets named after the root (default: all of
# them, like `busybox --install -s /bin`) as symlinks in /bin, and /usr/bin/env for
# `#!/usr/bin/env` lines.
add_busybox() {
  local root=$1 applet
  shift
  [[ -x $busybox_bin ]] || die "missing $busybox_bin (apt-get install busybox-static)"
  add_file "$root" "$busybox_bin" /bin/busybox
  while read -r applet; do
    [[ -n $applet && ! -e $root/bin/$applet ]] || continue
    ln -s busybox "$root/bin/$applet"
  done < <(if (($#)); then printf '%s\n' "$@"; else "$busybox_bin" --list; fi)
  mkdir -p "$root/usr/bin"
  ln -sf /bin/busybox "$root/usr/bin/env"
}

# What RUN steps and a person poking around need in the interpreter images. Every file
# costs time whenever the engine's vfs driver copies a layer, so not all 270 applets.
readonly interpreter_image_applets=(
  sh ash '[' '[[' test true false echo printf env cat ls cp mv rm ln mkdir rmdir touch
  chmod chown chgrp id whoami pwd basename dirname readlink realpath mktemp stat
  head tail grep egrep sed awk cut tr sort uniq wc tee xargs find diff
  tar gzip gunzip zcat date sleep timeout kill ps uname hostname nproc du df which
  wget vi less
)

# /etc basics, /tmp, /root. Extra passwd lines come as arguments.
add_system_files() {
  local root=$1 line name gid
  shift
  mkdir -p "$root/etc" "$root/tmp" "$root/root" "$root/usr/local/bin" "$root/var/tmp"
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 0700 "$root/root"
  {
    echo 'root:x:0:0:root:/root:/bin/sh'
    for line in "$@"; do echo "$line"; done
    echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false'
  } >"$root/etc/passwd"
  {
    echo 'root:x:0:'
    for line in "$@"; do
      IFS=: read -r name _ _ gid _ <<<"$line"
      echo "$name:x:$gid:"
    done
    echo 'nogroup:x:65534:'
  } >"$root/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
}

# TLS roots where OpenSSL (and so Python's ssl) looks by default.
add_ca_certificates() {
  local root=$1 bundle=/etc/ssl/certs/ca-certificates.crt
  add_file "$root" "$bundle"
  [[ -e /etc/ssl/openssl.cnf ]] && add_file "$root" /etc/ssl/openssl.cnf
  mkdir -p "$root/usr/lib/ssl"
  ln -s /etc/ssl/certs "$root/usr/lib/ssl/certs"
  ln -s "$bundle" "$root/usr/lib/ssl/cert.pem"
  ln -s /etc/ssl/openssl.cnf "$root/usr/lib/ssl/openssl.cnf"
}

# Builds context directory $1 (holding rootfs/) as tag $2, then adds tags $3...
# The remaining lines of the Dockerfile come on stdin.
build_image() {
  local context=$1 tag=$2 extra
  shift 2
  {
    echo 'FROM scratch'
    echo 'COPY rootfs/ /'
    cat
  } >"$context/Dockerfile"
  note "building $tag ($(du -sh "$context/rootfs" | cut -f1))"
  # Labels as flags, not LABEL lines: each Dockerfile line is another vfs layer copy.
  "$docker_cli" build --quiet --network none --tag "$tag" \
    --label "$offline_label=1" \
    --label "org.opencontainers.image.description=offline stand-in for $tag, built by scripts/base-images.sh" \
    "$context" >/dev/null
  for extra in "$@"; do "$docker_cli" tag "$tag" "$extra"; done
}

build_busybox() {
  need_build busybox:1.36 busybox:latest || return 0
  local ctx=$work/busybox root=$work/busybox/rootfs
  mkdir -p "$root"
  add_busybox "$root"
  add_system_files "$root"
  build_image "$ctx" busybox:1.36 busybox:latest <<'EOF'
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["sh"]
EOF
}

build_python() {
  need_build python:3.11-slim || return 0
  [[ -x $python_bin && -d $python_lib ]] || die "missing $python_bin (apt-get install python3.11)"
  local ctx=$work/python root=$work/python/rootfs
  add_busybox "$root" "${interpreter_image_applets[@]}"
  add_system_files "$root"
  add_ca_certificates "$root"
  add_file "$root" "$python_bin"
  ln -s python3.11 "$root/usr/bin/python3"
  ln -s python3.11 "$root/usr/bin/python"
  # Where the official image has its interpreter, for Dockerfiles that name the path.
  ln -s /usr/bin/python3.11 "$root/usr/local/bin/python3"
  ln -s /usr/bin/python3.11 "$root/usr/local/bin/python"
  mkdir -p "$root$python_lib"
  # Extension modules stay files (they cannot be imported from a zip), minus tests.
  tar -C "$python_lib" -c --exclude='_test*' --exclude='_ctypes_test*' \
    --exclude='_xxtestfuzz*' --exclude='xxlimited*' --exclude='_tkinter*' lib-dynload |
    tar -C "$root$python_lib" -x
  # The pure-Python standard library goes into one zip, which is on the interpreter's
  # default sys.path: a few hundred files become one. Sources sit beside compiled
  # byte code, so imports need no compiling and tracebacks still show source lines.
  # os.py stays a file: it is the landmark by which the interpreter finds its prefix.
  "$python_bin" - "$python_lib" "$root/usr/lib/python311.zip" <<'PY'
import os, py_compile, sys, tempfile, zipfile
src, dest = sys.argv[1], sys.argv[2]
skip_dirs = {"__pycache__", "test", "idlelib", "tkinter", "turtledemo", "ensurepip",
             "lib2to3", "lib-dynload", "site-packages", "dist-packages"}
with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf, tempfile.TemporaryDirectory() as tmp:
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in skip_dirs and not d.startswith("config-"))
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, src)
            if name.endswith((".pyc", ".pyo")):
                continue
            zf.write(os.path.realpath(path), rel)
            if name.endswith(".py"):
                pyc = os.path.join(tmp, "m.pyc")
                py_compile.compile(path, cfile=pyc, dfile=path, doraise=True,
                    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
                zf.write(pyc, rel[:-3] + ".pyc")
PY
  add_file "$root" "$python_lib/os.py"
  add_shared_libs "$root" "$python_bin" "$root$python_lib"/lib-dynload/*.so
  build_image "$ctx" python:3.11-slim <<'EOF'
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
CMD ["python3"]
EOF
}

build_node() {
  need_build node:20-slim || return 0
  [[ -x $node_bin ]] || die "missing $node_bin (apt-get install nodejs)"
  local ctx=$work/node root=$work/node/rootfs
  mkdir -p "$root"
  add_busybox "$root" "${interpreter_image_applets[@]}"
  # The official image has a `node` user (uid 1000) too.
  add_system_files "$root" 'node:x:1000:1000:node:/home/node:/bin/sh'
  mkdir -p "$root/home/node"
  add_ca_certificates "$root"
  add_file "$root" "$node_bin"
  ln -s "$node_bin" "$root/usr/local/bin/node"   # the official image's path
  add_shared_libs "$root" "$node_bin"
  local version
  version=$("$node_bin" --version)
  build_image "$ctx" node:20-slim <<EOF
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin NODE_VERSION=${version#v}
CMD ["node"]
EOF
}

# ---------------------------------------------------------------------------------
# The cache of built images
# ---------------------------------------------------------------------------------

# What goes into the images: this script, the binaries, every library they load, the
# CA bundle, and the standard library's package version. (Not the whole dpkg database:
# unrelated installs would throw the cache away.)
cache_key() {
  local inputs=("$busybox_bin" "$python_bin" "$node_bin" /etc/ssl/certs/ca-certificates.crt)
  {
    sha256sum "${BASH_SOURCE[0]}"
    { printf '%s\n' "${inputs[@]}"
      ldd "$python_bin" "$node_bin" "$python_lib"/lib-dynload/*.so 2>/dev/null |
        awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
    } | sort -u | xargs -r stat -L -c '%n %s %Y' 2>/dev/null
    dpkg-query -W -f '${Package} ${Version}\n' libpython3.11-stdlib libpython3.11-minimal \
      2>/dev/null || true
  } | sha256sum | cut -c1-16
}

cache_enabled() { [[ $cache_dir != off && -n $cache_dir ]]; }

# Loads the cached images into a fresh engine, i.e. only when none of the tags exists:
# an engine that already has some of them (maybe the official ones) is not retagged.
load_from_cache() {
  local file=$1 tag
  ((force)) && return 1
  cache_enabled && [[ -f $file ]] || return 1
  for tag in "${all_tags[@]}"; do image_exists "$tag" && return 1; done
  note "loading ${all_tags[*]} from $file"
  if ! "$docker_cli" load --quiet --input "$file" >/dev/null; then
    note "the cache $file is unreadable; removing it and building instead"
    rm -f "$file"
    return 1
  fi
  for tag in "${all_tags[@]}"; do image_exists "$tag" || return 1; done
}

save_to_cache() {
  local file=$1 tag
  cache_enabled && [[ ! -f $file ]] || return 0
  # Only images this script built (an engine's own busybox:latest stays out).
  for tag in "${all_tags[@]}"; do
    [[ $("$docker_cli" image inspect --format "{{ index .Config.Labels \"$offline_label\" }}" \
         "$tag" 2>/dev/null) == 1 ]] || return 0
  done
  mkdir -p "$cache_dir" 2>/dev/null || return 0
  if "$docker_cli" save --output "$file.tmp.$$" "${all_tags[@]}" 2>/dev/null; then
    mv -f "$file.tmp.$$" "$file"
    # Older keys are dead weight.
    find "$cache_dir" -maxdepth 1 -name '*.tar' ! -path "$file" -delete 2>/dev/null || true
  else
    rm -f "$file.tmp.$$"
    note "could not save the images to $cache_dir (the next run builds them again)"
  fi
}

cache_file=$cache_dir/$(cache_key).tar
if ! load_from_cache "$cache_file"; then
  build_busybox
  build_python
  build_node
  save_to_cache "$cache_file"
fi
