#!/usr/bin/env bash
# task against kubectl on a real cluster (scripts/with-clusters.sh), each pair in one
# hyperfine run, with the kubectl built from the same Kubernetes tree as the servers:
#   task deploy (nothing changed)   vs  kubectl apply -f of the same CronJob, ConfigMap, Secret
#   task status -o json             vs  kubectl get cronjobs,jobs -o json
#   task logs --run ID              vs  kubectl logs job/ID
# Target: each ratio task/kubectl at most 1.0. Usage: bench/kubernetes/run.sh [OUT_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -z ${TASK_K8S_KUBECONFIG:-} ]]; then
  command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine
  cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DTASK_TESTS=OFF >/dev/null
  cmake --build "$root/build-bench" --target task -j"$(nproc)" >/dev/null
  out=$(realpath -m "${1:-$root/build-bench/kubernetes}")
  mkdir -p "$out"
  exec bash "$root/scripts/with-clusters.sh" bash "$0" "$out"
fi
out=$1
task=$root/build-bench/task
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TASK_HOME=$work/state HOME=$work/home KUBECONFIG=$TASK_K8S_KUBECONFIG
mkdir -p "$HOME"
kubectl=$TASK_K8S_KUBECTL
cd "$work"
"$task" -q env set development --platform kubernetes --context development --registry "$TASK_K8S_REGISTRY/bench" >/dev/null
"$task" -q init bench-app --template shell >/dev/null
cd bench-app
"$task" -q config set GREETING=bench >/dev/null
"$task" -q config set API_TOKEN=bench-secret-1 --secret >/dev/null
"$task" -q deploy --interval "0 0 1 1 *" >/dev/null
run_id=$("$task" run --wait -o json | jq -r .run.id)

# The same objects for kubectl, as the server has them, without what the server sets.
strip='del(.metadata.uid, .metadata.resourceVersion, .metadata.creationTimestamp, .metadata.managedFields,
          .metadata.generation, .metadata.selfLink, .metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"], .status)'
{
  "$kubectl" --context development get cronjob bench-app -o json | jq "$strip"
  "$kubectl" --context development get configmap bench-app-r1 -o json | jq "$strip"
  "$kubectl" --context development get secret bench-app-r1 -o json | jq "$strip"
} | jq -s '{apiVersion: "v1", kind: "List", items: .}' >"$work/objects.json"
"$kubectl" --context development apply -f "$work/objects.json" >/dev/null 2>&1  # the first apply records its annotation

hyperfine -N --warmup 2 --runs 15 --export-json "$out/deploy.json" \
  -n "task deploy" "$task -q deploy --interval '0 0 1 1 *'" \
  -n "kubectl apply -f" "$kubectl --context development apply -f $work/objects.json"
hyperfine -N --warmup 3 --runs 30 --export-json "$out/status.json" \
  -n "task status -o json" "$task status -o json" \
  -n "kubectl get cronjobs,jobs -o json" "$kubectl --context development get cronjobs,jobs -o json"
hyperfine -N --warmup 3 --runs 30 --export-json "$out/logs.json" \
  -n "task logs --run" "$task logs --run $run_id" \
  -n "kubectl logs job/" "$kubectl --context development logs job/$run_id"

python3 - "$out" <<'PY'
import json, sys, os
for name in ("deploy", "status", "logs"):
    r = json.load(open(os.path.join(sys.argv[1], name + ".json")))["results"]
    t, k = r[0], r[1]
    print(f"{t['command']:22s} median {t['median']*1000:7.1f} ms | {k['command']:34s} median {k['median']*1000:7.1f} ms | task/kubectl {t['median']/k['median']:.2f}")
PY
