#!/usr/bin/env bash
# shellcheck disable=SC2317  # the functions that look unreachable run from traps
# Usage: scripts/with-clusters.sh CMD [ARGS...]
#
# Runs CMD next to two real single-node Kubernetes 1.20 clusters, `development` and
# `production`, and a Docker registry, and exits with CMD's status. Everything runs in
# the private namespaces of scripts/with-docker.sh (this script goes through it unless it
# is already inside), listens on 127.0.0.1 only, and is stopped and removed afterwards,
# on signals too.
#
# The servers come from scripts/kube-servers.sh (Debian's `kubernetes` source package,
# built once and cached; it needs the network, so a first build happens before entering
# the namespaces, or set TASK_K8S_SERVERS to a directory holding the binaries).
#
# Each cluster has its own etcd, kube-apiserver (TLS, static bearer tokens, client
# certificates, Node+RBAC authorization, NodeRestriction), kube-controller-manager (with
# the CronJob controller V2), kube-scheduler, and a kubelet (dockershim, node named
# 127.0.0.1) with a dockerd of its own: a kubelet removes pod sandboxes it does not own,
# so the clusters never share an engine, and the tests' engine at $DOCKER_HOST is no
# cluster's. Each cluster's kubelet and dockerd run in a mount namespace of its own (a
# holder process), where /var/lib/kubelet and /var/log are the cluster's directories and
# the kernel tunables the kubelet insists on are files holding the values it wants (so
# the machine's stay as they are). Without CAP_SYS_RESOURCE the cluster's dockerd runs
# containers through a runc wrapper that turns a negative oom_score_adj into 0. No CNI,
# kube-proxy or DNS: pods have a network namespace with only `lo`, or use hostNetwork.
#
# CMD sees:
#   TASK_K8S_DIR            the state directory: {development,production}/ with pki/,
#                           logs/<component>.log, ...; registry/; startup-seconds
#   TASK_K8S_KUBECONFIG     a kubeconfig with the contexts
#                             development, production   admin (bearer token, system:masters)
#                             development-cert          admin by client certificate
#                                                       (CN=task-admin, O=system:masters)
#                             development-limited       user task-limited: get/list/watch
#                                                       cronjobs, jobs, pods, pods/log,
#                                                       configmaps, secrets in `default`
#                           current-context: development
#   TASK_K8S_REGISTRY       127.0.0.1:PORT, a plain-HTTP registry (Docker treats
#                           127.0.0.0/8 as insecure), reachable from the tests' engine and
#                           from both clusters
#   TASK_K8S_KUBECTL        kubectl 1.20, built from the same tree
#   TASK_K8S_DEV_APISERVER_STOP, TASK_K8S_DEV_APISERVER_START
#                           executables that stop the development kube-apiserver (it
#                           refuses connections at once; SIGKILL after 3 s, as it would
#                           otherwise drain watches for 60 s), and start it again with the
#                           same flags and state, returning once /readyz answers (within
#                           TASK_K8S_TIMEOUT seconds, default 120)
#
# Environment knobs: TASK_K8S_TIMEOUT (seconds for the whole start-up, default 300),
# TASK_K8S_SERVERS (the binaries' directory), TASK_K8S_KEEP=1 (keep the state directory).
# Start-up takes 14-25 s on two cores once the servers are built (timings on stderr);
# the clusters take about 1.5 GiB of memory. On a failed start the log of the component
# that failed is shown. The only trace left on the machine is the empty directory
# /var/lib/kubelet (the mount point of the clusters' own).
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$script_dir/$(basename "${BASH_SOURCE[0]}")"
readonly script_dir self

die() { printf 'with-clusters: %s\n' "$*" >&2; exit 125; }
note() { printf 'with-clusters: %s\n' "$*" >&2; }

(($# > 0)) || die "usage: $0 CMD [ARGS...]"

# Microseconds since the epoch, and the seconds since $1 (microseconds) as 1.2.
now_us() { local t=${EPOCHREALTIME/./}; printf '%s\n' "$t"; }
since() { local d=$(($(now_us) - $1)); printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000)); }

# Removes state directories of runs that were killed with SIGKILL (their processes died
# with their PID namespace; only files remain).
sweep_stale_state() {
  local dir owner
  for dir in "${TMPDIR:-/tmp}"/task-k8s.*; do
    [[ -d $dir && -f $dir/owner ]] || continue
    owner=$(<"$dir/owner") || continue
    [[ $owner =~ ^[0-9]+$ ]] || continue
    kill -0 "$owner" 2>/dev/null && continue
    note "removing stale cluster state $dir"
    rm -rf --one-file-system "$dir" 2>/dev/null || true
  done
}

# ---------------------------------------------------------------------------------
# Outside the private namespaces: build (or find) the servers, then enter them.
# ---------------------------------------------------------------------------------
if [[ -z ${TASK_WITH_DOCKER_NETNS:-} || ${TASK_WITH_DOCKER_NETNS} != "$(readlink /proc/self/ns/net)" ]]; then
  [[ $(id -u) -eq 0 ]] || die "needs root (namespaces, dockerd, mounts); try: sudo $0 $*"
  if [[ -z ${TASK_K8S_SERVERS:-} ]]; then
    TASK_K8S_SERVERS=$(bash "$script_dir/kube-servers.sh" | tail -n 1) ||
      die "scripts/kube-servers.sh failed"
  fi
  export TASK_K8S_SERVERS
  # Inside another run (its PID namespace hides the owners outside): sweep nothing.
  [[ -n ${TASK_WITH_DOCKER_OWNER:-} ]] || sweep_stale_state
  exec bash "$script_dir/with-docker.sh" bash "$self" "$@"
fi

# ---------------------------------------------------------------------------------
# Inside: the network namespace has only `lo`; the tests' engine is at $DOCKER_HOST.
# ---------------------------------------------------------------------------------
[[ -n ${DOCKER_HOST:-} ]] || die "inside a private namespace but DOCKER_HOST is unset"
for tool in nsenter unshare openssl curl jq dockerd docker docker-registry; do
  command -v "$tool" >/dev/null || die "$tool not found (bash scripts/install-deps.sh --test)"
done

if [[ -z ${TASK_K8S_SERVERS:-} ]]; then
  # Only a cached build works here (no network for apt inside the namespace).
  TASK_K8S_SERVERS=$(bash "$script_dir/kube-servers.sh" | tail -n 1) ||
    die "no Kubernetes servers: run scripts/kube-servers.sh outside the namespace first"
fi
servers=$TASK_K8S_SERVERS
for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl etcd pause; do
  [[ -x $servers/$b ]] || die "$servers/$b is missing (scripts/kube-servers.sh builds it)"
done
kubectl_bin=$servers/kubectl

timeout_s=${TASK_K8S_TIMEOUT:-300}
[[ $timeout_s =~ ^[0-9]+$ ]] || die "TASK_K8S_TIMEOUT must be a number of seconds"

readonly clusters=(development production)
readonly components=(kubelet kube-scheduler kube-controller-manager kube-apiserver etcd)
declare -A service_cidr=([development]=198.18.0.0/24 [production]=198.18.1.0/24)
declare -A first_service_ip=([development]=198.18.0.1 [production]=198.18.1.1)
declare -A holder_pid=() holder_ns=() port=()

started_us=$(now_us)
state=$(mktemp -d "${TMPDIR:-/tmp}/task-k8s.XXXXXX")
chmod 0755 "$state"
printf '%s\n' "${TASK_WITH_DOCKER_OWNER:-$$}" >"$state/owner"
# Unix sockets (dockerd, containerd, dockershim) live below; their paths must stay short.
((${#state} < 40)) || die "state directory path too long for sockets: $state"

cmd_pid=""
cmd_status=""
stop_signal=""
registry_pid=""

# A process that exists and is not a zombie.
alive() {
  local pid=$1 st
  [[ -n $pid && -r /proc/$pid/stat ]] || return 1
  st=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ ${st%% *} != Z ]]
}

pid_of() { [[ -f $state/$1/pids/$2 ]] && cat "$state/$1/pids/$2"; }

# Sends SIGTERM to every PID given, waits up to $1 tenths of a second for all of them,
# then sends SIGKILL to those left.
terminate_all() {
  local tenths=$1 pid i left
  shift
  for pid in "$@"; do alive "$pid" && kill -TERM "$pid" 2>/dev/null; done
  for ((i = 0; i < tenths; i++)); do
    left=0
    for pid in "$@"; do alive "$pid" && left=1; done
    ((left)) || break
    sleep 0.1
  done
  for pid in "$@"; do
    if alive "$pid"; then
      note "process $pid ($(cat "/proc/$pid/comm" 2>/dev/null)) did not stop after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}

# Every process in the mount namespace $1 (an inode like mnt:[4026532...]).
pids_in_mount_ns() {
  local p
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/ns/mnt" 2>/dev/null) == "$1" ]] && printf '%s\n' "${p#/proc/}"
  done
  return 0
}

stop_clusters() {
  local c pids=() pid sock
  # The Kubernetes components first (the kubelet would restart containers).
  for c in "${clusters[@]}"; do
    for comp in "${components[@]}"; do
      pid=$(pid_of "$c" "$comp" 2>/dev/null) && pids+=("$pid")
    done
  done
  ((${#pids[@]})) && terminate_all 100 "${pids[@]}"
  # Containers at once (PID 1 of a container may ignore SIGTERM), then the engines.
  pids=()
  for c in "${clusters[@]}"; do
    sock=$state/$c/docker.sock
    if [[ -S $sock ]]; then
      timeout 10 docker -H "unix://$sock" ps -q 2>/dev/null |
        xargs -r timeout 10 docker -H "unix://$sock" kill >/dev/null 2>&1 || true
    fi
    pid=$(pid_of "$c" dockerd 2>/dev/null) && pids+=("$pid")
  done
  ((${#pids[@]})) && terminate_all 150 "${pids[@]}"
  # What is left in a cluster's mount namespace (containerd, shims, the holder).
  for c in "${clusters[@]}"; do
    [[ -n ${holder_ns[$c]:-} ]] || continue
    pids=()
    while read -r pid; do pids+=("$pid"); done < <(pids_in_mount_ns "${holder_ns[$c]}")
    ((${#pids[@]})) && terminate_all 30 "${pids[@]}"
  done
  [[ -z $registry_pid ]] || terminate_all 50 "$registry_pid"
  return 0
}

cleanup() {
  local rc=$? t
  trap - EXIT INT TERM HUP
  [[ -n $cmd_status ]] && rc=$cmd_status
  [[ -z $cmd_pid ]] || terminate_all 100 "$cmd_pid"
  t=$(now_us)
  stop_clusters
  note "clusters stopped in $(since "$t")s"
  if [[ -n ${TASK_K8S_KEEP:-} ]]; then
    rm -f "$state/owner"
    note "kept $state"
  else
    rm -rf --one-file-system "$state" || note "could not remove $state completely"
  fi
  exit "$rc"
}
on_signal() {
  stop_signal=$1
  if [[ -n $cmd_pid ]]; then
    kill -TERM "$cmd_pid" 2>/dev/null || true
  else
    exit $((128 + $2))
  fi
}
trap cleanup EXIT
trap 'on_signal INT 2' INT
trap 'on_signal TERM 15' TERM
trap 'on_signal HUP 1' HUP

# ---------------------------------------------------------------------------------
# Ports: free ones on 127.0.0.1, below the ephemeral range (so that no outgoing
# connection takes one before its server binds it).
# ---------------------------------------------------------------------------------
listening_ports() {
  local _ local_addr _ st _
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
    while read -r _ local_addr _ st _; do
      [[ $st == 0A ]] && printf '%d\n' "0x${local_addr##*:}"
    done
  return 0
}
declare -A taken=()
while read -r p; do taken[$p]=1; done < <(listening_ports)
# Sets port[$1] (not in a subshell: `taken` must remember every pick).
pick_port() {
  local p i
  for ((i = 0; i < 1000; i++)); do
    p=$((20000 + RANDOM % 12000))
    [[ -z ${taken[$p]:-} ]] || continue
    taken[$p]=1
    port[$1]=$p
    return 0
  done
  die "no free port found"
}
for c in "${clusters[@]}"; do
  for what in etcd-client etcd-peer apiserver controller-manager scheduler kubelet kubelet-healthz; do
    pick_port "$c/$what"
  done
done
pick_port registry
registry_port=${port[registry]}

# ---------------------------------------------------------------------------------
# Files: PKI, tokens, kubeconfigs, engine configuration (both clusters in parallel).
# ---------------------------------------------------------------------------------
new_token() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

# new_ca DIR NAME CN
new_ca() {
  openssl ecparam -name prime256v1 -genkey -noout -out "$1/$2.key" 2>/dev/null
  openssl req -x509 -new -key "$1/$2.key" -subj "/CN=$3" -days 30 -sha256 \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" -out "$1/$2.crt"
}

# new_cert DIR NAME SUBJECT CA EXTENSIONS...
new_cert() {
  local dir=$1 name=$2 subj=$3 ca=$4
  shift 4
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$name.key" 2>/dev/null
  openssl req -new -key "$dir/$name.key" -subj "$subj" -out "$dir/$name.csr"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.crt" -CAkey "$dir/$ca.key" \
    -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" -days 30 -sha256 \
    -extfile <(printf '%s\n' basicConstraints=critical,CA:FALSE "$@") \
    -out "$dir/$name.crt" 2>/dev/null
  rm -f "$dir/$name.csr"
}

# write_kubeconfig FILE SERVER CA-FILE TOKEN
write_kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: $2
    certificate-authority: $3
users:
- name: local
  user:
    token: $4
contexts:
- name: local
  context:
    cluster: local
    user: local
current-context: local
EOF
}

# Writes an executable that starts a component: in the cluster's mount namespace, its
# output appended to logs/NAME.log. The same file restarts it.
write_run_script() {
  local c=$1 name=$2 dir=$state/$1
  shift 2
  {
    printf '#!/usr/bin/env bash\n'
    printf '# Starts %s of the %s cluster (written by scripts/with-clusters.sh).\n' "$name" "$c"
    printf 'exec </dev/null >>%q 2>&1\n' "$dir/logs/$name.log"
    # shellcheck disable=SC2016  # expanded when the run script runs
    printf 'exec nsenter --target "$(cat %q)" --mount --net --' "$dir/pids/holder"
    printf ' %q' "$@"
    printf '\n'
  } >"$dir/run/$name"
  chmod +x "$dir/run/$name"
}

prepare_cluster() {
  local c=$1 dir=$state/$1 pki=$state/$1/pki server
  mkdir -p "$dir"/{pki,logs,pids,run,bin,etcd,kubelet,varlog,sysctl,dockershim,volume-plugins} \
    "$dir/docker/data" "$dir/x"
  server=https://127.0.0.1:${port[$c/apiserver]}

  # Serving CA (the apiserver, the kubelet), client CA (users), service-account keys.
  new_ca "$pki" ca "task-$c-ca"
  new_ca "$pki" client-ca "task-$c-client-ca"
  new_cert "$pki" apiserver "/CN=kube-apiserver" ca \
    "subjectAltName=IP:127.0.0.1,IP:${first_service_ip[$c]},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" \
    keyUsage=critical,digitalSignature,keyEncipherment extendedKeyUsage=serverAuth
  new_cert "$pki" kubelet "/CN=127.0.0.1" ca "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    keyUsage=critical,digitalSignature,keyEncipherment extendedKeyUsage=serverAuth
  new_cert "$pki" task-admin "/O=system:masters/CN=task-admin" client-ca \
    keyUsage=critical,digitalSignature,keyEncipherment extendedKeyUsage=clientAuth
  openssl genrsa -traditional -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  chmod 0600 "$pki"/*.key

  local admin kcm sched kubelet limited
  admin=$(new_token) kcm=$(new_token) sched=$(new_token) kubelet=$(new_token) limited=$(new_token)
  {
    printf '%s,admin,admin,"system:masters"\n' "$admin"
    printf '%s,system:kube-controller-manager,system:kube-controller-manager\n' "$kcm"
    printf '%s,system:kube-scheduler,system:kube-scheduler\n' "$sched"
    printf '%s,system:node:127.0.0.1,system:node:127.0.0.1,"system:nodes"\n' "$kubelet"
    printf '%s,task-limited,task-limited\n' "$limited"
  } >"$pki/tokens.csv"
  chmod 0600 "$pki/tokens.csv"
  printf '%s\n' "$admin" >"$pki/admin.token"
  printf '%s\n' "$limited" >"$pki/limited.token"
  write_kubeconfig "$dir/controller-manager.kubeconfig" "$server" "$pki/ca.crt" "$kcm"
  write_kubeconfig "$dir/scheduler.kubeconfig" "$server" "$pki/ca.crt" "$sched"
  write_kubeconfig "$dir/kubelet.kubeconfig" "$server" "$pki/ca.crt" "$kubelet"
  write_kubeconfig "$dir/admin.kubeconfig" "$server" "$pki/ca.crt" "$admin"

  # The kernel tunables the kubelet sets, as it wants them (bound over /proc/sys).
  printf '1\n' >"$dir/sysctl/vm.overcommit_memory"
  printf '0\n' >"$dir/sysctl/vm.panic_on_oom"
  printf '10\n' >"$dir/sysctl/kernel.panic"
  printf '1\n' >"$dir/sysctl/kernel.panic_on_oops"
  printf '1000000\n' >"$dir/sysctl/kernel.keys.root_maxkeys"
  printf '25000000\n' >"$dir/sysctl/kernel.keys.root_maxbytes"

  # The cluster's engine: no networking of its own; without CAP_SYS_RESOURCE, a runc
  # that never asks for a negative oom_score_adj (dockershim asks -998 for sandboxes).
  local runtime_json="" runc_bin
  if ! has_cap_sys_resource; then
    runc_bin=$(command -v runc) || die "runc not found (apt-get install runc)"
    cat >"$dir/bin/runc" <<EOF
#!/bin/sh
# runc, with a negative oomScoreAdj in the bundle's config.json raised to 0: this
# machine refuses negative OOM scores (no CAP_SYS_RESOURCE).
bundle=
prev=
for arg in "\$@"; do
  case \$prev in --bundle|-b) bundle=\$arg ;; esac
  case \$arg in --bundle=*) bundle=\${arg#--bundle=} ;; esac
  prev=\$arg
done
if [ -n "\$bundle" ] && [ -f "\$bundle/config.json" ]; then
  sed -i -E 's/"oomScoreAdj":[[:space:]]*-[0-9]+/"oomScoreAdj":0/' "\$bundle/config.json"
fi
exec $runc_bin "\$@"
EOF
    chmod +x "$dir/bin/runc"
    runtime_json=$(printf ',\n  "runtimes": {"task-runc": {"path": "%s"}},\n  "default-runtime": "task-runc"' "$dir/bin/runc")
  fi
  printf '{\n  "log-driver": "json-file"%s\n}\n' "$runtime_json" >"$dir/docker/daemon.json"

  write_run_script "$c" dockerd dockerd \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false --userland-proxy=false \
    --storage-driver=vfs --host "unix://$dir/docker.sock" --data-root "$dir/docker/data" \
    --exec-root "$dir/x" --pidfile "$dir/docker.pid" --config-file "$dir/docker/daemon.json"

  write_run_script "$c" etcd "$servers/etcd" \
    --name "$c" --data-dir "$dir/etcd" --logger=zap --log-outputs=stderr \
    --listen-client-urls "http://127.0.0.1:${port[$c/etcd-client]}" \
    --advertise-client-urls "http://127.0.0.1:${port[$c/etcd-client]}" \
    --listen-peer-urls "http://127.0.0.1:${port[$c/etcd-peer]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${port[$c/etcd-peer]}" \
    --initial-cluster "$c=http://127.0.0.1:${port[$c/etcd-peer]}" \
    --initial-cluster-state new --initial-cluster-token "task-$c"

  write_run_script "$c" kube-apiserver "$servers/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:${port[$c/etcd-client]}" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
    --secure-port "${port[$c/apiserver]}" --insecure-port 0 \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/client-ca.crt" --token-auth-file "$pki/tokens.csv" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --allow-privileged=true \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range "${service_cidr[$c]}" --endpoint-reconciler-type none \
    --kubelet-preferred-address-types InternalIP,Hostname \
    --kubelet-certificate-authority "$pki/ca.crt"

  write_run_script "$c" kube-controller-manager "$servers/kube-controller-manager" \
    --kubeconfig "$dir/controller-manager.kubeconfig" --controllers '*' \
    --use-service-account-credentials --service-account-private-key-file "$pki/sa.key" \
    --root-ca-file "$pki/ca.crt" \
    --cluster-signing-cert-file "$pki/client-ca.crt" --cluster-signing-key-file "$pki/client-ca.key" \
    --leader-elect=false --port 0 --bind-address 127.0.0.1 \
    --secure-port "${port[$c/controller-manager]}" \
    --flex-volume-plugin-dir "$dir/volume-plugins" \
    --feature-gates CronJobControllerV2=true

  write_run_script "$c" kube-scheduler "$servers/kube-scheduler" \
    --kubeconfig "$dir/scheduler.kubeconfig" --leader-elect=false --port 0 \
    --bind-address 127.0.0.1 --secure-port "${port[$c/scheduler]}"

  write_run_script "$c" kubelet "$servers/kubelet" \
    --kubeconfig "$dir/kubelet.kubeconfig" --hostname-override 127.0.0.1 \
    --container-runtime docker --docker-endpoint "unix://$dir/docker.sock" \
    --container-runtime-endpoint "unix://$dir/dockershim.sock" \
    --experimental-dockershim-root-directory "$dir/dockershim" \
    --pod-infra-container-image k8s.gcr.io/pause:3.2 \
    --root-dir /var/lib/kubelet --volume-plugin-dir "$dir/volume-plugins" \
    --fail-swap-on=false --cgroups-per-qos=false --enforce-node-allocatable= \
    --cgroup-driver cgroupfs --make-iptables-util-chains=false \
    --read-only-port 0 --address 127.0.0.1 --port "${port[$c/kubelet]}" \
    --node-status-update-frequency 3s --oom-score-adj 0 \
    --healthz-bind-address 127.0.0.1 --healthz-port "${port[$c/kubelet-healthz]}" \
    --tls-cert-file "$pki/kubelet.crt" --tls-private-key-file "$pki/kubelet.key" \
    --authorization-mode AlwaysAllow --anonymous-auth=true
}

has_cap_sys_resource() {
  local eff
  eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
  (( (16#$eff >> 24) & 1 ))
}

# ---------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------

# start_component CLUSTER NAME: runs its run script in the background, notes its PID.
start_component() {
  local dir=$state/$1
  "$dir/run/$2" </dev/null >/dev/null 2>&1 &
  printf '%s\n' "$!" >"$dir/pids/$2"
  # Stopped by PID (the pidfile) like a restarted one; no job notices from this shell.
  disown "$!" 2>/dev/null || true
}

# The log's tail and an error, for a component that failed to start.
fail_component() {
  local c=$1 name=$2 why=$3 log=$state/$1/logs/$2.log
  local first
  if [[ -f $log ]]; then
    # A Go panic or a fatal klog line says more than the goroutine dump after it.
    first=$(grep -n -m 1 -E '^(panic: |fatal error: |F[0-9]{4} )' "$log" | cut -d: -f1 || true)
    if [[ -n $first ]]; then
      printf '%s\n' "--- $log, from line $first:" >&2
      sed -n "${first},$((first + 24))p" "$log" >&2
    else
      printf '%s\n' "--- the last lines of $log:" >&2
      grep -v '^Flag --' "$log" | tail -n 40 >&2 || true
    fi
    printf '%s\n' "---" >&2
  fi
  die "$c: $name $why"
}

deadline=$(( $(date +%s) + timeout_s ))

# wait_until CLUSTER COMPONENT WHAT CHECK...: polls CHECK until it succeeds; fails
# (with the component's log) if the component dies or the deadline passes.
wait_until() {
  local c=$1 name=$2 what=$3 pid
  shift 3
  pid=$(pid_of "$c" "$name" 2>/dev/null || true)
  until "$@" >/dev/null 2>&1; do
    if [[ -n $pid ]] && ! alive "$pid"; then
      fail_component "$c" "$name" "exited before $what"
    fi
    if (($(date +%s) >= deadline)); then
      fail_component "$c" "$name" "did not get to $what within ${timeout_s}s (TASK_K8S_TIMEOUT)"
    fi
    sleep 0.2
  done
}

start_holder() {
  local c=$1 dir=$state/$1 self_ns i
  # A process whose only job is to keep the cluster's mount namespace.
  unshare --mount --propagation private sleep infinity </dev/null >/dev/null 2>&1 &
  holder_pid[$c]=$!
  printf '%s\n' "${holder_pid[$c]}" >"$dir/pids/holder"
  self_ns=$(readlink /proc/self/ns/mnt)
  for ((i = 0; i < 100; i++)); do
    [[ $(cat "/proc/${holder_pid[$c]}/comm" 2>/dev/null) == sleep &&
       $(readlink "/proc/${holder_pid[$c]}/ns/mnt" 2>/dev/null) != "$self_ns" ]] && break
    alive "${holder_pid[$c]}" || die "$c: the mount namespace holder exited"
    sleep 0.05
  done
  holder_ns[$c]=$(readlink "/proc/${holder_pid[$c]}/ns/mnt")
  [[ ${holder_ns[$c]} != "$self_ns" ]] || die "$c: the mount namespace holder did not start"
  # The kubelet's fixed paths, and the tunables. The mount point /var/lib/kubelet is made
  # here (an empty directory; the machine's filesystem is not changed otherwise).
  mkdir -p /var/lib/kubelet
  # shellcheck disable=SC2016  # expanded by that shell
  nsenter --target "${holder_pid[$c]}" --mount -- sh -ec '
    dir=$1
    mount --bind "$dir/kubelet" /var/lib/kubelet
    mount --bind "$dir/varlog" /var/log
    for f in "$dir"/sysctl/*; do
      name=${f##*/}
      mount --bind "$f" "/proc/sys/$(printf %s "$name" | tr . /)"
    done
  ' sh "$dir" || die "$c: could not set up the cluster's mount namespace"
}

engine_ready() { curl -fsS --max-time 2 --unix-socket "$state/$1/docker.sock" http://localhost/_ping; }
etcd_ready() { curl -fsS --max-time 2 "http://127.0.0.1:${port[$1/etcd-client]}/health" | grep -q '"health":"true"'; }
api() {
  local c=$1 path=$2
  curl -fsS --max-time 5 --cacert "$state/$c/pki/ca.crt" \
    -H "Authorization: Bearer $(cat "$state/$c/pki/admin.token")" \
    "https://127.0.0.1:${port[$c/apiserver]}$path"
}
apiserver_ready() { [[ $(api "$1" /readyz) == ok ]]; }
node_ready() {
  [[ $(api "$1" /api/v1/nodes/127.0.0.1 |
       jq -r '.status.conditions[] | select(.type == "Ready") | .status') == True ]]
}
default_sa_ready() {
  [[ $(api "$1" /api/v1/namespaces/default/serviceaccounts/default | jq '.secrets | length') -gt 0 ]]
}
registry_ready() { curl -fsS --max-time 2 "http://127.0.0.1:$registry_port/v2/" >/dev/null; }

import_pause() {
  local c=$1 ctx
  ctx=$(mktemp -d "$state/pause.XXXXXX")
  cp "$servers/pause" "$ctx/pause"
  tar -C "$ctx" -c pause |
    docker -H "unix://$state/$c/docker.sock" import --change 'ENTRYPOINT ["/pause"]' - \
      k8s.gcr.io/pause:3.2 >/dev/null
  rm -rf "$ctx"
}

apply_rbac() {
  local c=$1
  [[ $c == development ]] || return 0
  "$kubectl_bin" --kubeconfig "$state/$c/admin.kubeconfig" apply -f - >/dev/null <<'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: task-limited-reader
  namespace: default
rules:
- apiGroups: ["batch"]
  resources: ["cronjobs", "jobs"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["pods", "pods/log", "configmaps", "secrets"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: task-limited-reader
  namespace: default
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: task-limited
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: task-limited-reader
EOF
}

# Runs "FUNCTION CLUSTER" for every cluster at once; fails if any fails.
for_each_cluster() {
  local fn=$1 c pids=() failed=0 i=0
  for c in "${clusters[@]}"; do
    "$fn" "$c" &
    pids+=($!)
  done
  for c in "${clusters[@]}"; do
    wait "${pids[$i]}" || { note "$c: $fn failed"; failed=1; }
    i=$((i + 1))
  done
  ((failed == 0)) || die "starting the clusters failed"
}

write_test_kubeconfig() {
  local d=$state/development p=$state/production
  cat >"$state/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: development
  cluster:
    server: https://127.0.0.1:${port[development/apiserver]}
    certificate-authority-data: $(base64 -w0 "$d/pki/ca.crt")
- name: production
  cluster:
    server: https://127.0.0.1:${port[production/apiserver]}
    certificate-authority-data: $(base64 -w0 "$p/pki/ca.crt")
users:
- name: development-admin
  user:
    token: $(cat "$d/pki/admin.token")
- name: production-admin
  user:
    token: $(cat "$p/pki/admin.token")
- name: development-cert
  user:
    client-certificate: $d/pki/task-admin.crt
    client-key: $d/pki/task-admin.key
- name: development-limited
  user:
    token: $(cat "$d/pki/limited.token")
contexts:
- name: development
  context:
    cluster: development
    user: development-admin
- name: production
  context:
    cluster: production
    user: production-admin
- name: development-cert
  context:
    cluster: development
    user: development-cert
- name: development-limited
  context:
    cluster: development
    user: development-limited
current-context: development
EOF
  chmod 0600 "$state/kubeconfig"
}

write_apiserver_scripts() {
  local c=development dir=$state/development
  cat >"$state/dev-apiserver-stop" <<EOF
#!/usr/bin/env bash
# Stops the development cluster's kube-apiserver and returns once it is gone. On SIGTERM
# it stops listening at once, but then waits up to 60 s for open watches to end, so
# after 3 s it gets SIGKILL.
set -euo pipefail
pid=\$(cat $(printf %q "$dir/pids/kube-apiserver"))
gone() { [[ ! -r /proc/\$pid/stat ]] || [[ \$(sed 's/.*) //' /proc/\$pid/stat 2>/dev/null | cut -d' ' -f1) == Z ]]; }
gone && exit 0
kill -TERM "\$pid" 2>/dev/null || true
for ((i = 0; i < 30; i++)); do gone && exit 0; sleep 0.1; done
kill -KILL "\$pid" 2>/dev/null || true
for ((i = 0; i < 50; i++)); do gone && exit 0; sleep 0.1; done
echo "dev-apiserver-stop: kube-apiserver (\$pid) did not stop" >&2
exit 1
EOF
  cat >"$state/dev-apiserver-start" <<EOF
#!/usr/bin/env bash
# Starts the development cluster's kube-apiserver again and returns once it serves
# (/readyz); fails after \${TASK_K8S_TIMEOUT:-120} seconds.
set -euo pipefail
pidfile=$(printf %q "$dir/pids/kube-apiserver")
pid=\$(cat "\$pidfile")
gone() { [[ ! -r /proc/\$pid/stat ]] || [[ \$(sed 's/.*) //' /proc/\$pid/stat 2>/dev/null | cut -d' ' -f1) == Z ]]; }
if ! gone; then
  echo "dev-apiserver-start: kube-apiserver (\$pid) is running already" >&2
else
  $(printf %q "$dir/run/kube-apiserver") </dev/null >/dev/null 2>&1 &
  pid=\$!
  printf '%s\n' "\$pid" >"\$pidfile"
fi
deadline=\$((SECONDS + \${TASK_K8S_TIMEOUT:-120}))
until [[ \$(curl -fsS --max-time 2 --cacert $(printf %q "$dir/pki/ca.crt") \\
          -H "Authorization: Bearer $(cat "$dir/pki/admin.token")" \\
          https://127.0.0.1:${port[$c/apiserver]}/readyz 2>/dev/null) == ok ]]; do
  if gone; then
    tail -n 30 $(printf %q "$dir/logs/kube-apiserver.log") >&2 || true
    echo "dev-apiserver-start: kube-apiserver exited" >&2
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    echo "dev-apiserver-start: kube-apiserver not ready in time" >&2
    exit 1
  fi
  sleep 0.2
done
EOF
  chmod +x "$state/dev-apiserver-stop" "$state/dev-apiserver-start"
}

# ---------------------------------------------------------------------------------
# Start-up
# ---------------------------------------------------------------------------------
note "starting the development and production clusters in $state"
t=$(now_us)
for_each_cluster prepare_cluster
note "PKI and configuration: $(since "$t")s"

# The registry.
mkdir -p "$state/registry/data" "$state/registry/logs"
cat >"$state/registry/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $state/registry/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$registry_port
EOF
docker-registry serve "$state/registry/config.yml" </dev/null >"$state/registry/logs/registry.log" 2>&1 &
registry_pid=$!

for c in "${clusters[@]}"; do
  start_holder "$c"
  start_component "$c" dockerd
  start_component "$c" etcd
done
for c in "${clusters[@]}"; do wait_until "$c" etcd "serving" etcd_ready "$c"; done
for c in "${clusters[@]}"; do start_component "$c" kube-apiserver; done
note "etcd: $(since "$t")s"
for c in "${clusters[@]}"; do wait_until "$c" dockerd "serving" engine_ready "$c"; done
for_each_cluster import_pause
note "dockerd and the pause image: $(since "$t")s"
for c in "${clusters[@]}"; do wait_until "$c" kube-apiserver "ready" apiserver_ready "$c"; done
note "kube-apiserver ready: $(since "$t")s"
for c in "${clusters[@]}"; do
  start_component "$c" kube-controller-manager
  start_component "$c" kube-scheduler
  start_component "$c" kubelet
done
for_each_cluster apply_rbac
until registry_ready; do
  alive "$registry_pid" || { tail -n 30 "$state/registry/logs/registry.log" >&2; die "the registry exited"; }
  (($(date +%s) < deadline)) || { tail -n 30 "$state/registry/logs/registry.log" >&2; die "the registry did not answer"; }
  sleep 0.2
done
for c in "${clusters[@]}"; do wait_until "$c" kubelet "a Ready node" node_ready "$c"; done
note "nodes Ready: $(since "$t")s"
for c in "${clusters[@]}"; do
  wait_until "$c" kube-controller-manager "the default ServiceAccount's token" default_sa_ready "$c"
done
# Nothing died on the way (the scheduler, say, is not waited for above).
for c in "${clusters[@]}"; do
  for comp in dockerd "${components[@]}"; do
    alive "$(pid_of "$c" "$comp")" || fail_component "$c" "$comp" "exited during start-up"
  done
done
write_test_kubeconfig
write_apiserver_scripts
since "$started_us" >"$state/startup-seconds"
note "both clusters up in $(cat "$state/startup-seconds")s (development :${port[development/apiserver]}, production :${port[production/apiserver]}, registry :$registry_port)"

export TASK_K8S_DIR=$state
export TASK_K8S_KUBECONFIG=$state/kubeconfig
export TASK_K8S_REGISTRY=127.0.0.1:$registry_port
export TASK_K8S_KUBECTL=$kubectl_bin
export TASK_K8S_DEV_APISERVER_STOP=$state/dev-apiserver-stop
export TASK_K8S_DEV_APISERVER_START=$state/dev-apiserver-start

# CMD runs in the background with this script's stdin, so that a signal reaches the
# handler above at once instead of after CMD ends.
exec 3<&0
"$@" <&3 3<&- &
cmd_pid=$!
exec 3<&-
set +e
while :; do
  wait "$cmd_pid"
  cmd_status=$?
  kill -0 "$cmd_pid" 2>/dev/null || break
  if [[ -n $stop_signal ]]; then
    terminate_all 100 "$cmd_pid"
  fi
done
set -e
cmd_pid=""
exit "$cmd_status"
