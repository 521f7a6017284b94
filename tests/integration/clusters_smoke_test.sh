#!/usr/bin/env bash
# The test clusters of scripts/with-clusters.sh work as the Kubernetes tests expect, seen
# through kubectl only:
#   - both nodes are Ready;
#   - /apis/batch serves v1 and v1beta1 only, CronJobs in v1beta1 (Kubernetes 1.20);
#   - an image built in the tests' engine and pushed to $TASK_K8S_REGISTRY runs in both
#     clusters by digest: a batch/v1beta1 CronJob every minute in development (a Job
#     completes, its pod's log holds the line), a batch/v1 Job in production;
#   - development-limited may read CronJobs but is refused creating one;
#   - development-cert (a client certificate) is an admin;
#   - with the development API server stopped, requests fail to connect; restarted,
#     they work again, and production was not affected.
#
# Run: bash scripts/with-clusters.sh bash tests/integration/clusters_smoke_test.sh
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
if [[ -z ${TASK_K8S_KUBECONFIG:-} || -z ${DOCKER_HOST:-} ]]; then
  echo "SKIP: TASK_K8S_KUBECONFIG or DOCKER_HOST is unset (run under scripts/with-clusters.sh)"
  exit 0
fi

k() { "$TASK_K8S_KUBECTL" --kubeconfig "$TASK_K8S_KUBECONFIG" "$@"; }
dev() { k --context development "$@"; }
prod() { k --context production "$@"; }
now_us() { local t=${EPOCHREALTIME/./}; printf '%s\n' "$t"; }
since() { local d=$(($(now_us) - $1)); printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000)); }

work=$(mktemp -d)
image_repo=$TASK_K8S_REGISTRY/smoke/busybox
cleanup() {
  dev delete cronjob smoke --ignore-not-found --wait=false >/dev/null 2>&1
  prod delete job smoke --ignore-not-found --wait=false >/dev/null 2>&1
  docker rmi -f "$image_repo:smoke" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

[[ -f $TASK_K8S_DIR/startup-seconds ]] &&
  printf 'timing: both clusters started in %ss\n' "$(cat "$TASK_K8S_DIR/startup-seconds")"

# Nodes.
for ctx in development production; do
  expect_eq "$ctx: node Ready" \
    "$(k --context "$ctx" get node 127.0.0.1 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" True
done

# What the batch group serves.
expect_eq "batch versions" \
  "$(dev get --raw /apis/batch | jq -c '[.versions[].version] | sort')" '["v1","v1beta1"]'
expect_eq "cronjobs in batch/v1beta1" \
  "$(dev get --raw /apis/batch/v1beta1 | jq -r '[.resources[].name] | index("cronjobs") != null')" true
expect_eq "no cronjobs in batch/v1" \
  "$(dev get --raw /apis/batch/v1 | jq -r '[.resources[].name] | index("cronjobs") != null')" false
expect_eq "jobs in batch/v1" \
  "$(dev get --raw /apis/batch/v1 | jq -r '[.resources[].name] | index("jobs") != null')" true

# An image from the tests' engine, through the registry, by digest.
mkdir -p "$work/image"
printf 'FROM busybox:latest\nLABEL task.smoke=1\n' >"$work/image/Dockerfile"
docker build --quiet --network none -t "$image_repo:smoke" "$work/image" >/dev/null ||
  fail "docker build of the smoke image"
docker push "$image_repo:smoke" >"$work/push.log" 2>&1 || { cat "$work/push.log" >&2; fail "docker push to $TASK_K8S_REGISTRY"; }
image=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$image_repo:smoke" |
  grep -m1 "^$image_repo@sha256:")
expect_contains "pushed image has a registry digest" "$image" "$image_repo@sha256:"

# A CronJob every minute in development.
t0=$(now_us)
dev apply -f - >/dev/null <<EOF || fail "apply the CronJob"
apiVersion: batch/v1beta1
kind: CronJob
metadata:
  name: smoke
spec:
  schedule: "* * * * *"
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 3
  jobTemplate:
    spec:
      backoffLimit: 0
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: smoke
            image: $image
            imagePullPolicy: IfNotPresent
            command: ["sh", "-c", "echo hello-from-dev"]
EOF
# The next minute starts within 60 s; the pull and the run take seconds.
completed_job() {
  dev get jobs -o json |
    jq -r '.items[] | select(.metadata.ownerReferences[]?.name == "smoke") |
           select((.status.succeeded // 0) >= 1) | .metadata.name' | head -n 1
}
job=""
deadline=$((SECONDS + 150))
while ((SECONDS < deadline)); do
  job=$(completed_job)
  [[ -n $job ]] && break
  sleep 0.5
done
checks=$((checks + 1))
if [[ -n $job ]]; then
  printf 'timing: the CronJob'"'"'s first Job completed %ss after the CronJob was created' "$(since "$t0")"
  # The controller names a Job after its scheduled time, in minutes since the epoch.
  scheduled=${job##*-}
  completed=$(date -d "$(dev get job "$job" -o jsonpath='{.status.completionTime}')" +%s 2>/dev/null)
  if [[ $scheduled =~ ^[0-9]+$ && -n $completed ]]; then
    printf ', %ss after its scheduled minute' "$((completed - scheduled * 60))"
  fi
  printf '\n'
  pod=$(dev get pods -l "job-name=$job" -o jsonpath='{.items[0].metadata.name}')
  expect_contains "the CronJob's pod log" "$(dev logs "$pod")" hello-from-dev
  expect_eq "the pod ran the image by digest" \
    "$(dev get pod "$pod" -o jsonpath='{.spec.containers[0].image}')" "$image"
else
  fail "no Job of the CronJob completed within 150 s"
  dev get cronjobs,jobs,pods -o wide >&2
  dev get events >&2
fi

# A plain Job in production.
t0=$(now_us)
prod apply -f - >/dev/null <<EOF || fail "apply the production Job"
apiVersion: batch/v1
kind: Job
metadata:
  name: smoke
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: smoke
        image: $image
        command: ["sh", "-c", "echo hello-from-prod"]
EOF
checks=$((checks + 1))
if prod wait --for=condition=complete job/smoke --timeout=120s >/dev/null; then
  printf 'timing: the production Job completed %ss after it was created\n' "$(since "$t0")"
  expect_contains "the production Job's log" "$(prod logs job/smoke)" hello-from-prod
else
  fail "the production Job did not complete within 120 s"
  prod get jobs,pods -o wide >&2
  prod get events >&2
fi

# A user with read rights only.
limited_list=$(k --context development-limited get cronjobs -o name 2>&1)
expect_eq "development-limited reads cronjobs" "$limited_list" cronjob.batch/smoke
limited_create=$(k --context development-limited create cronjob refused --image="$image" \
  --schedule='* * * * *' -- true 2>&1)
limited_rc=$?
checks=$((checks + 1))
[[ $limited_rc -ne 0 && ${limited_create,,} == *forbidden* ]] ||
  fail "development-limited create cronjob: expected Forbidden, got [$limited_create] (status $limited_rc)"
expect_eq "nothing was created" "$(dev get cronjob refused -o name --ignore-not-found)" ""

# A client certificate.
cert_pods=$(k --context development-cert get pods -o name 2>&1)
checks=$((checks + 1))
[[ $cert_pods == *pod/* ]] || fail "development-cert get pods: [$cert_pods]"

# The development API server stopped and started again.
t0=$(now_us)
"$TASK_K8S_DEV_APISERVER_STOP" || fail "TASK_K8S_DEV_APISERVER_STOP"
printf 'timing: the development API server stopped in %ss\n' "$(since "$t0")"
down=$(dev --request-timeout=5s get pods 2>&1)
down_rc=$?
checks=$((checks + 1))
[[ $down_rc -ne 0 ]] || fail "get pods with the API server stopped succeeded"
expect_contains "get pods with the API server stopped" "$down" "refused"
expect_eq "production unaffected" \
  "$(prod get node 127.0.0.1 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" True
t0=$(now_us)
"$TASK_K8S_DEV_APISERVER_START" || fail "TASK_K8S_DEV_APISERVER_START"
printf 'timing: the development API server served again %ss after the start\n' "$(since "$t0")"
up=$(dev get cronjob smoke -o name 2>&1)
expect_eq "get after the restart" "$up" cronjob.batch/smoke

finish
