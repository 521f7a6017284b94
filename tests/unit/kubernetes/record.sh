#!/usr/bin/env bash
# Records the Jobs and Pods that tests/unit/kubernetes/test_jobs.cpp reads, from a real
# cluster: bash scripts/with-clusters.sh bash tests/unit/kubernetes/record.sh
# Each file holds {"job": <Job>, "pods": <PodList of its Pods>} as the API server sent them.
set -euo pipefail
[[ -n ${TASK_K8S_KUBECONFIG:-} ]] || { echo "run under scripts/with-clusters.sh" >&2; exit 2; }
out=$(cd "$(dirname "$0")" && pwd)/recorded
kc() { "$TASK_K8S_KUBECTL" --kubeconfig "$TASK_K8S_KUBECONFIG" --context development "$@"; }
image=$TASK_K8S_REGISTRY/record/busybox:latest
docker tag busybox:latest "$image" >/dev/null
docker push "$image" >/dev/null
digest=$(docker image inspect -f '{{index .RepoDigests 0}}' "$image")

# A Job as task makes them: labels, backoffLimit, activeDeadlineSeconds, restartPolicy Never.
job() {  # NAME BACKOFF DEADLINE IMAGE COMMAND [MANUAL]
  local manual=${6:-}
  jq -n --arg name "$1" --argjson backoff "$2" --argjson deadline "$3" --arg image "$4" --arg cmd "$5" --arg manual "$manual" '
    {apiVersion: "batch/v1", kind: "Job",
     metadata: ({name: $name,
                 labels: ({"app.kubernetes.io/managed-by": "task", "task.name": "probe", "task.env": "development", "task.revision": "1"}
                          + (if $manual == "" then {} else {"task.trigger": "manual"} end))}
                + (if $manual == "" then {} else {annotations: {"cronjob.kubernetes.io/instantiate": "manual",
                                                                 "task.scheduled-at": $manual, "task.forced": "true"}} end)),
     spec: {backoffLimit: $backoff, activeDeadlineSeconds: $deadline,
            template: {metadata: {labels: {"task.name": "probe", "task.env": "development", "task.revision": "1"}},
                       spec: {restartPolicy: "Never",
                              containers: [{name: "task", image: $image, command: ["sh", "-c", $cmd]}]}}}}' | kc apply -f - >/dev/null
}
condition() {  # NAME JSONPATH-EXPRESSION: waits (bounded) until it holds
  local deadline=$((SECONDS + 120))
  until [[ $(kc get job "$1" -o json | jq -r "$2") == true ]]; do
    ((SECONDS < deadline)) || { echo "timed out waiting for $1" >&2; exit 1; }
    sleep 0.5
  done
}
save() {  # NAME FILE
  jq -n --argjson job "$(kc get job "$1" -o json)" --argjson pods "$(kc get pods -l "job-name=$1" -o json)" \
    '{job: $job, pods: $pods} | del(.job.metadata.managedFields) | del(.pods.items[].metadata.managedFields)' >"$out/$2"
  echo "recorded $2"
}
minute=$(( $(date +%s) / 60 ))

job "probe-$minute" 0 60 "$digest" 'echo ok'
job "probe-$((minute + 1))" 1 60 "$digest" 'echo failing; exit 3'
job probe-m-manual1 0 5 "$digest" 'echo sleeping; sleep 60' 2026-12-01T23:07:12.345Z
job "probe-$((minute + 2))" 0 300 "$TASK_K8S_REGISTRY/record/gone@sha256:$(printf '0%.0s' {1..64})" 'true'
job "probe-$((minute + 3))" 0 300 "$digest" 'echo running; sleep 300'
condition "probe-$minute" '[.status.conditions[]? | select(.type == "Complete" and .status == "True")] | length > 0'
save "probe-$minute" succeeded.json
condition "probe-$((minute + 1))" '[.status.conditions[]? | select(.type == "Failed" and .status == "True")] | length > 0'
save "probe-$((minute + 1))" failed.json
condition probe-m-manual1 '[.status.conditions[]? | select(.reason == "DeadlineExceeded")] | length > 0'
save probe-m-manual1 timed-out.json
deadline=$((SECONDS + 120))
until kc get pods -l "job-name=probe-$((minute + 2))" -o json | jq -e '.items[0].status.containerStatuses[0].state.waiting.reason == "ImagePullBackOff"' >/dev/null; do
  ((SECONDS < deadline)) || { echo "timed out waiting for ImagePullBackOff" >&2; exit 1; }
  sleep 0.5
done
save "probe-$((minute + 2))" image-pull.json
until kc get pods -l "job-name=probe-$((minute + 3))" -o json | jq -e '.items[0].status.containerStatuses[0].state.running' >/dev/null; do
  ((SECONDS < deadline)) || { echo "timed out waiting for a running Pod" >&2; exit 1; }
  sleep 0.5
done
save "probe-$((minute + 3))" running.json
