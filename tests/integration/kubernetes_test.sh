#!/usr/bin/env bash
# The kubernetes platform against two real clusters (development and production) and a
# registry, as scripts/with-clusters.sh starts them: deploy, scheduled and manual runs,
# logs followed live, configuration and secrets, suspend and resume, promotion of the very
# digest, rollback, history from another machine's TASK_HOME, outcomes of failing,
# timed-out and unpullable runs, refused schedules, refused rights, an unreachable server.
set -u
task_bin=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
if [[ -z ${TASK_K8S_KUBECONFIG:-} ]]; then
  echo "SKIP: no clusters (run under scripts/with-clusters.sh)"
  exit 0
fi
work=$(mktemp -d)
follower=""
registry2_pid=""
cleanup() {
  [[ -n $follower ]] && kill "$follower" 2>/dev/null
  [[ -n $registry2_pid ]] && kill "$registry2_pid" 2>/dev/null
  "$TASK_K8S_DEV_APISERVER_START" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
export TASK_HOME="$work/state" HOME="$work/home" KUBECONFIG="$TASK_K8S_KUBECONFIG"
mkdir -p "$HOME"
cd "$work" || exit 1
run() { out=$("$task_bin" "$@" 2>"$work/err"); rc=$?; err=$(cat "$work/err"); }
t() { "$task_bin" "$@"; }
kc() { "$TASK_K8S_KUBECTL" --kubeconfig "$TASK_K8S_KUBECONFIG" "$@"; }
registry="$TASK_K8S_REGISTRY/acme"
# Production pulls from a registry of its own: a promotion copies the image there.
port2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/registry2"
printf 'version: 0.1\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s}\n' "$work/registry2" "$port2" >"$work/registry2.yml"
docker-registry serve "$work/registry2.yml" >"$work/registry2.log" 2>&1 &
registry2_pid=$!
wait_for 20 'curl -sf "http://127.0.0.1:$port2/v2/" >/dev/null'
registry2="127.0.0.1:$port2/acme"
secret=s3cr3t-Value-0042
digest_of() { sed -n 's/.*@\(sha256:[0-9a-f]*\).*/\1/p' <<<"$1"; }
# The imageID of the newest Pod of a Job, by context.
pod_image() { kc --context "$1" get pods -l "job-name=$2" -o jsonpath='{.items[0].status.containerStatuses[0].imageID}'; }

# Environments on the two clusters.
run env set development --platform kubernetes --context development --registry "$registry"
expect_eq "env set development rc" "$rc" 0
expect_contains "says what it reached" "$out" "CronJobs batch/v1beta1"
run env set production --platform kubernetes --context production --registry "$registry2" -o json
expect_eq "env set production rc" "$rc" 0
expect_eq "the binding keeps the context" "$(jq -r .context <<<"$out")" production
run env add nowhere --platform kubernetes --context development --namespace no-such-ns --registry "$registry"
expect_eq "a namespace that does not exist" "$rc" 4
expect_contains "says how to make it" "$err" "--create-namespace"
run env add staging --platform kubernetes --context development --namespace staging --create-namespace --registry "$registry"
expect_eq "env add --create-namespace rc" "$rc" 0
expect_eq "the namespace was made" "$(kc --context development get namespace staging -o jsonpath='{.metadata.name}')" staging
run env remove staging
expect_eq "env remove rc" "$rc" 0
run env add missing --platform kubernetes --context nope
expect_eq "a context the kubeconfig lacks" "$rc" 4
expect_contains "lists the contexts" "$err" "there are: development, production"
tokens=$(sed -n 's/^ *token: *//p' "$TASK_K8S_KUBECONFIG")

# Every way a kubeconfig gives credentials reaches the cluster: a client certificate (the
# shared kubeconfig's development-cert), an exec plugin and a token file (a kubeconfig of
# our own, with relative paths).
run env add via-cert --platform kubernetes --context development-cert --registry "$registry"
expect_eq "a client certificate and key from files" "$rc" 0
dev_user=$(kc config view -o jsonpath='{.contexts[?(@.name=="development")].context.user}')
dev_cluster=$(kc config view -o jsonpath='{.contexts[?(@.name=="development")].context.cluster}')
mkdir -p "$work/kc"
kc config view --raw -o jsonpath="{.users[?(@.name==\"$dev_user\")].user.token}" >"$work/kc/token.txt"
cat >"$work/kc/token-plugin" <<SH
#!/bin/sh
printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"%s"}}' "\$(cat "$work/kc/token.txt")"
SH
chmod +x "$work/kc/token-plugin"
cat >"$work/kc/config" <<YAML
apiVersion: v1
kind: Config
current-context: dev-exec
clusters:
- name: dev
  cluster:
    server: $(kc config view -o jsonpath="{.clusters[?(@.name==\"$dev_cluster\")].cluster.server}")
    certificate-authority-data: $(kc config view --raw -o jsonpath="{.clusters[?(@.name==\"$dev_cluster\")].cluster.certificate-authority-data}")
users:
- name: plugin
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ./token-plugin}
- name: file
  user: {tokenFile: token.txt}
- name: wrong
  user: {token: not-a-token-the-cluster-knows-0042}
contexts:
- {name: dev-exec, context: {cluster: dev, user: plugin}}
- {name: dev-file, context: {cluster: dev, user: file}}
- {name: dev-wrong, context: {cluster: dev, user: wrong}}
YAML
run env add via-exec --platform kubernetes --kubeconfig "$work/kc/config" --registry "$registry" -o json
expect_eq "an exec credential plugin (the file's current-context)" "$rc" 0
expect_eq "the binding names the file" "$(jq -r .kubeconfig <<<"$out")" "$work/kc/config"
run env add via-file --platform kubernetes --kubeconfig "$work/kc/config" --context dev-file --registry "$registry"
expect_eq "a token file" "$rc" 0
run env add wrong --platform kubernetes --kubeconfig "$work/kc/config" --context dev-wrong --registry "$registry"
expect_eq "credentials the server refuses: exit 9" "$rc" 9
expect_contains "saying so" "$err" "refused the credentials of context dev-wrong (401 Unauthorized)"
expect_not_contains "without quoting them" "$err" "not-a-token-the-cluster-knows-0042"
printf 'current-context: x\nclusters:\n  - name: [\n' >"$work/kc/broken"
run env add broken --platform kubernetes --kubeconfig "$work/kc/broken"
expect_eq "a malformed kubeconfig" "$rc" 3
expect_contains "is named with line and column" "$err" "$work/kc/broken:"
run doctor -o json
expect_contains "task doctor: every right, for a user who has them" "$out" "every right task needs in namespace default"
for e in via-cert via-exec via-file; do t -q env remove "$e" >/dev/null; done

t -q init kube-app --template shell >/dev/null
cd kube-app || exit 1
# A scheduled run holds after its first line until the test lets it go (a file made in
# its container), so that "live" and "still running" do not depend on timing; at most 30 s.
cat > run.sh <<'SH'
#!/bin/sh
echo "version=1 greeting=${GREETING:-none} token=${API_TOKEN:-none}"
case "$(hostname)" in
  *-m-*) ;;
  *) i=0; while [ ! -e /tmp/go ] && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done ;;
esac
echo "released"
SH
git add -A && git -c user.name=t -c user.email=t@t commit -qm v1

# Schedules a CronJob cannot honour exactly are refused, with the reason.
run deploy --interval "@every 10s"
expect_eq "@every 10s is refused" "$rc" 3
expect_contains "because a CronJob fires once a minute at most" "$err" "at most once a minute"
run deploy --interval "*/10 * * * * *"
expect_eq "a 6-field expression with seconds is refused" "$rc" 3
expect_contains "naming seconds" "$err" "names seconds"
run deploy --interval "0 0 L * *"
expect_eq "L is refused" "$rc" 3
expect_contains "by name" "$err" "\`L\` (the last day or weekday of the month) in \`L\` has no form in a CronJob's schedule"
run deploy --interval "0 9 * * 5#3"
expect_eq "# is refused" "$rc" 3
expect_contains "by name too" "$err" "\`#\` (the nth weekday of the month)"
run deploy --interval "0 9 * * 1-5" --timezone Europe/Berlin
expect_eq "a time zone on a server without timeZone is refused" "$rc" 3
expect_contains "saying so" "$err" "timeZone"
expect_eq "nothing was applied" "$(kc --context development get cronjobs -o name | wc -l)" 0

# Configuration and a secret, then the deploy.
t -q config set GREETING=hello-dev >/dev/null
t -q config set "API_TOKEN=$secret" --secret >/dev/null
run deploy --interval "* * * * *" -o json
expect_eq "deploy rc" "$rc" 0
dev_image=$(jq -r .deployment.image <<<"$out")
dev_digest=$(digest_of "$dev_image")
expect_contains "deployed by digest from the registry" "$dev_image" "$registry/kube-app@sha256:"
cronjob=$(kc --context development get cronjob kube-app -o json)
expect_eq "a v1beta1 CronJob" "$(jq -r .apiVersion <<<"$cronjob")" batch/v1beta1
expect_eq "its schedule" "$(jq -r .spec.schedule <<<"$cronjob")" "* * * * *"
expect_eq "its image, by digest" "$(jq -r '.spec.jobTemplate.spec.template.spec.containers[0].image' <<<"$cronjob")" "$dev_image"
expect_eq "labelled with the revision" "$(jq -r '.metadata.labels["task.revision"]' <<<"$cronjob")" 1
expect_eq "the policy: forbid" "$(jq -r .spec.concurrencyPolicy <<<"$cronjob")" Forbid
expect_eq "the timeout" "$(jq -r .spec.jobTemplate.spec.activeDeadlineSeconds <<<"$cronjob")" 60
expect_eq "no secret in the CronJob" "$(grep -c -- "$secret" <<<"$cronjob")" 0

# The next minute's run, followed live.
"$task_bin" logs -f >"$work/follow.log" 2>&1 &
follower=$!
wait_for 150 'grep -q "greeting=hello-dev" "$work/follow.log"'
follow=$(cat "$work/follow.log")
expect_contains "logs -f shows the scheduled run's output" "$follow" "version=1 greeting=hello-dev token=****"
expect_not_contains "the secret is masked while following" "$follow" "$secret"
held=$(kc --context development get pods -l task.name=kube-app --field-selector=status.phase=Running -o jsonpath='{.items[0].metadata.name}')
expect_eq "while the run is still going" "$(t runs -o json | jq -r '[.runs[] | select(.trigger == "schedule")] | .[0].outcome')" running
run run
expect_eq "the concurrency policy forbids a second run meanwhile" "$rc" 5
expect_contains "and says how to run anyway" "$err" "--force"
kc --context development exec "$held" -c task -- touch /tmp/go
wait_for 60 'grep -q released "$work/follow.log"'
expect_contains "and the rest as it comes" "$(cat "$work/follow.log")" "released"
kill "$follower" 2>/dev/null
wait "$follower" 2>/dev/null
follower=""
wait_for 60 '[[ $(t runs -o json | jq "[.runs[] | select(.outcome == \"succeeded\" and .trigger == \"schedule\")] | length") -ge 1 ]]'
run runs -o json
first=$(jq '[.runs[] | select(.trigger == "schedule")] | last' <<<"$out")
expect_eq "task runs: the scheduled run succeeded" "$(jq -r .outcome <<<"$first")" succeeded
expect_eq "at a whole minute" "$(( $(jq .scheduled_ms <<<"$first") % 60000 ))" 0
expect_eq "with its lateness" "$(jq '.lateness_ms >= 0 and .lateness_ms < 30000' <<<"$first")" true
run status -o json
expect_eq "task status names revision 1" "$(jq '.deployments[] | select(.env == "development") | .revision' <<<"$out")" 1
expect_eq "and its last run" "$(jq -r '.deployments[] | select(.env == "development") | .last_run.outcome' <<<"$out")" succeeded
run stats -o json
expect_eq "task stats counts it" "$(jq '[.deployments[] | select(.env == "development") | .succeeded] | .[0] >= 1' <<<"$out")" true
expect_contains "and says what the cluster keeps" "$(jq -r '.notes[]' <<<"$out")" "the cluster keeps only the newest Jobs"

# A run now.
run run --wait --force -o json
expect_eq "task run --wait rc" "$rc" 0
expect_eq "it succeeded" "$(jq -r .run.outcome <<<"$out")" succeeded
expect_eq "marked manual" "$(jq -r .run.trigger <<<"$out")" manual
manual=$(jq -r .run.id <<<"$out")
expect_eq "its Pod ran the deployed digest" "$(digest_of "$(pod_image development "$manual")")" "$dev_digest"
run logs --run "$manual"
expect_contains "its log through the API server" "$out" "greeting=hello-dev token=****"
expect_eq "the Pod got the secret as a variable" \
  "$(kc --context development get pods -l "job-name=$manual" -o json | jq -r '.items[0].spec.containers[0].env[] | select(.name == "API_TOKEN") | .valueFrom.secretKeyRef.name')" \
  kube-app-r1

# Suspend and resume.
run suspend
expect_eq "suspend rc" "$rc" 0
expect_eq "spec.suspend" "$(kc --context development get cronjob kube-app -o jsonpath='{.spec.suspend}')" true
run suspend
expect_eq "suspending twice changes nothing, and succeeds" "$rc" 0
expect_contains "saying so" "$out" "suspended already"
run resume
expect_eq "resume rc" "$rc" 0
expect_eq "spec.suspend again false" "$(kc --context development get cronjob kube-app -o jsonpath='{.spec.suspend}')" false

# Promotion to production: the very digest, production's own schedule, copied to its
# registry (through this machine's engine, which no longer has the image: pulled first).
docker rmi -f "$(docker image inspect -f '{{.Id}}' "$dev_image")" >/dev/null
run promote --interval "*/2 * * * *" --force -o json
expect_eq "promote rc" "$rc" 0
prod_image=$(jq -r .deployment.image <<<"$out")
expect_eq "the same digest, in production's registry" "$prod_image" "$registry2/kube-app@$dev_digest"
expect_eq "production's CronJob has its own schedule" \
  "$(kc --context production get cronjob kube-app -o jsonpath='{.spec.schedule}')" "*/2 * * * *"
run run --env production --wait --force -o json
expect_eq "a run in production" "$(jq -r .run.outcome <<<"$out")" succeeded
prod_run=$(jq -r .run.id <<<"$out")
expect_eq "production's Pod ran the very digest" "$(digest_of "$(pod_image production "$prod_run")")" "$dev_digest"
run logs --env production --run "$prod_run"
expect_contains "production has no configuration of development's" "$out" "greeting=Hello"

# A second revision, then back.
sed -i 's/version=1/version=2/' run.sh
git -c user.name=t -c user.email=t@t commit -qam v2
run deploy --interval "* * * * *" -o json
expect_eq "deploy v2 rc" "$rc" 0
v2_image=$(jq -r .deployment.image <<<"$out")
expect_eq "revision 2" "$(jq .deployment.revision <<<"$out")" 2
run rollback -o json
expect_eq "rollback rc" "$rc" 0
expect_eq "revision 3" "$(jq .deployment.revision <<<"$out")" 3
expect_eq "runs revision 1's image again" \
  "$(kc --context development get cronjob kube-app -o jsonpath='{.spec.jobTemplate.spec.template.spec.containers[0].image}')" "$dev_image"
[[ $v2_image != "$dev_image" ]] && expect_eq "v2 was another image" yes yes

# The same history from an empty TASK_HOME with the same kubeconfig.
history=$(t history -o json | jq -c '[.revisions[] | {revision, image}]')
TASK_HOME="$work/other" "$task_bin" -q env set development --platform kubernetes --context development --registry "$registry" >/dev/null
other=$(TASK_HOME="$work/other" "$task_bin" history -o json | jq -c '[.revisions[] | {revision, image}]')
expect_eq "task history from another TASK_HOME" "$other" "$history"
expect_eq "three revisions" "$(jq length <<<"$history")" 3
# A revision whose image the registry no longer has: a rollback to it is refused, with the
# fix, and nothing changes.
v2_ref=${v2_image%@*}
curl -fsS -X DELETE "http://${v2_ref%%/*}/v2/${v2_ref#*/}/manifests/${v2_image#*@}" >/dev/null
run rollback --to 2
expect_eq "a rollback to an image gone from the registry is refused" "$rc" 4
expect_contains "saying where it is gone from" "$err" "is no longer in the registry ${v2_ref%%/*}"
expect_contains "and how to rebuild it" "$err" "task build --commit"
expect_eq "nothing changed" "$(t history -o json | jq '.revisions | length')" 3

# Outcomes: a failing task, a timed-out task, an image that cannot be pulled.
cd "$work" || exit 1
t -q init kube-fail --template shell >/dev/null
cd kube-fail || exit 1
printf '#!/bin/sh\necho failing\nexit 3\n' >run.sh
sed -i 's/timeout: 1m/timeout: 4s/' task.yaml
git add -A && git -c user.name=t -c user.email=t@t commit -qm fail
t -q deploy --interval "0 0 1 1 *" >/dev/null
run run --wait -o json
expect_eq "a failing task failed" "$(jq -r .run.outcome <<<"$out")" failed
expect_eq "with its exit code" "$(jq -r .run.exit_code <<<"$out")" 3
printf '#!/bin/sh\necho sleeping\nsleep 60\n' >run.sh
git -c user.name=t -c user.email=t@t commit -qam slow
t -q deploy --interval "0 0 1 1 *" >/dev/null
run run --wait -o json
expect_eq "a task past its timeout timed out" "$(jq -r .run.outcome <<<"$out")" timed-out
run deploy --interval "0 0 1 1 *" --image "$registry/kube-fail@sha256:$(printf '0%.0s' {1..64})"
expect_eq "deploy of a digest the registry does not have is refused" "$rc" 4
expect_contains "saying so" "$err" "is no longer in the registry"
# An image gone from the registry after it was deployed (and never pulled by the node):
# its run cannot start.
printf '#!/bin/sh\necho never\n' >run.sh
git -c user.name=t -c user.email=t@t commit -qam gone
run deploy --interval "0 0 1 1 *" -o json
expect_eq "deploy of an image about to go" "$rc" 0
gone=$(jq -r .deployment.image <<<"$out")
gone_ref=${gone%@*}
curl -fsS -X DELETE "http://${gone_ref%%/*}/v2/${gone_ref#*/}/manifests/${gone#*@}" >/dev/null
run run --wait -o json
expect_eq "an image that cannot be pulled is the platform's fault" "$(jq -r .run.outcome <<<"$out")" error
expect_eq "task run --wait says so with exit 8" "$rc" 8
expect_contains "saying why" "$(jq -r .run.error <<<"$out")" "could not start"

# A token whose role may not write (a task of its own: the namespace is development's).
cd "$work" || exit 1
t -q init kube-ro --template shell >/dev/null
cd kube-ro || exit 1
run env add limited --platform kubernetes --context development-limited --registry "$registry" --allow-direct-deploy
expect_eq "env add with a read-only token" "$rc" 0
run deploy --interval "* * * * *" --env limited
expect_eq "a refused write is exit 9" "$rc" 9
expect_contains "naming the verb and resource" "$err" "configmaps in namespace default"
expect_contains "and the verb" "$err" "may not "
run doctor -o json
expect_contains "task doctor lists the rights refused" "$out" "refused in namespace default"

cd "$work/kube-app" || exit 1

# The API server stopped.
"$TASK_K8S_DEV_APISERVER_STOP"
run runs --env development
expect_eq "an unreachable API server is exit 8" "$rc" 8
expect_contains "naming the server" "$err" "cannot reach the API server https://127.0.0.1:"
"$TASK_K8S_DEV_APISERVER_START"

# Undeploy: the CronJob goes, the history stays.
run undeploy
expect_eq "undeploy rc" "$rc" 0
expect_eq "the CronJob is gone" "$(kc --context development get cronjobs -o name | grep -c kube-app)" 0
run history -o json
expect_eq "the history stays" "$(jq '.revisions | length' <<<"$out")" 3

all="$(t status -o json 2>&1) $(t history -o json 2>&1) $(t logs --events -o json 2>&1) $(t runs -o json 2>&1) $(t env list -o json 2>&1)"
expect_not_contains "the secret is in no output" "$all" "$secret"
for token in $tokens; do
  expect_eq "no credential is kept in TASK_HOME" "$(grep -rl -- "$token" "$TASK_HOME" "$work/other" 2>/dev/null | wc -l)" 0
  expect_not_contains "no credential in any output" "$all$err" "$token"
done
finish
