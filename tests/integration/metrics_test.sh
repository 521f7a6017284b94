#!/usr/bin/env bash
# Prometheus metrics from the agent, scraped by a real Prometheus while tasks run: the
# counts a PromQL query gives are the counts `task runs` shows, and the families follow
# the exposition format (promtool checks them).
set -u
task_bin=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
[[ -n ${DOCKER_HOST:-} ]] || { echo "SKIP: DOCKER_HOST is unset (run under scripts/with-docker.sh)"; exit 0; }
command -v prometheus >/dev/null || { echo "FAIL: prometheus is not installed (scripts/install-deps.sh --test)"; exit 1; }
work=$(mktemp -d)
prom_pid=
cleanup() {
  [[ -n $prom_pid ]] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
  "$task_bin" agent stop >/dev/null 2>&1
  docker ps -aq --filter label=task.name=mx-probe | xargs -r docker rm -f >/dev/null 2>&1
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^task(-revision)?/mx-' | xargs -r docker rmi -f >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
export TASK_HOME="$work/state" HOME="$work/home"
mkdir -p "$HOME"
t() { "$task_bin" "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Off by default.
t agent start >/dev/null
expect_eq "no metrics unless asked for" "$(t agent status -o json | jq -r .metrics)" null
t agent stop >/dev/null
out=$(t agent start --metrics 127.0.0.1:99999 2>&1)
expect_eq "a malformed address is refused" "$?" 2
expect_contains "saying what works" "$out" "HOST:PORT"
t agent start --metrics 127.0.0.1:0 >/dev/null
url=$(t agent status -o json | jq -r .metrics)
expect_contains "the setting takes: the agent serves metrics" "$url" "http://127.0.0.1:"
om='Accept: application/openmetrics-text;version=1.0.0'
expect_contains "OpenMetrics for who asks for it, ending in # EOF" "$(curl -s -H "$om" "$url" | tail -1)" "# EOF"
expect_contains "its media type" "$(curl -s -H "$om" -o /dev/null -w '%{content_type}' "$url")" "application/openmetrics-text"
expect_contains "else the classic text format" "$(curl -s -o /dev/null -w '%{content_type}' "$url")" "text/plain; version=0.0.4"

cd "$work"
t -q init mx-probe --template shell >/dev/null
cd mx-probe
# Runs with an even id succeed, the others fail.
printf '#!/bin/sh\necho "run $TASK_RUN_ID"\n[ $((TASK_RUN_ID %% 2)) -eq 0 ]\n' >run.sh
git -c user.name=t -c user.email=t@t commit -qam parity
t -q deploy --interval "@every 2s" >/dev/null

prom_port=$(free_port)
target=${url#http://}
target=${target%/metrics}
cat >"$work/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: task
    static_configs:
      - targets: ["$target"]
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
prom_pid=$!
q() { curl -s --get "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1"; }
wait_for 60 '[[ $(q "up{job=\"task\"}" | jq -r ".data.result[0].value[1]" 2>/dev/null) == 1 ]]'
expect_eq "Prometheus scrapes the agent" "$(q 'up{job="task"}' | jq -r '.data.result[0].value[1]')" 1

# Four runs or more, then no more: the counts stand still to be compared.
wait_for 60 '(( $(t runs -o json | jq "[.runs[] | select(.outcome == \"succeeded\" or .outcome == \"failed\")] | length") >= 4 ))'
t -q suspend >/dev/null
wait_for 30 '[[ $(t runs -o json | jq "[.runs[] | select(.finished_at == null)] | length") == 0 ]]'
t runs --limit 1000 -o json >"$work/runs.json"
succeeded=$(jq '[.runs[] | select(.outcome == "succeeded")] | length' "$work/runs.json")
failed=$(jq '[.runs[] | select(.outcome == "failed")] | length' "$work/runs.json")
expect_eq "some runs failed and some succeeded" "$((succeeded > 0 && failed > 0))" 1
# Every outcome task runs shows (a run the concurrency policy skipped too).
want=$(jq -r '[.runs | group_by(.outcome)[] | "\(.[0].outcome | gsub("-"; "_"))=\(length)"] | sort | join(" ")' "$work/runs.json")
promql='sum by (outcome) (task_runs_total{task="mx-probe",env="development"})'
counts() { q "$promql" | jq -r '[.data.result[] | select(.value[1] != "0") | "\(.metric.outcome)=\(.value[1])"] | sort | join(" ")'; }
wait_for 30 '[[ $(counts) == "$want" ]]'
expect_eq "PromQL counts runs by outcome as task runs does" "$(counts)" "$want"
expect_eq "durations: one observation per run that ran" \
  "$(q 'task_run_duration_seconds_count{task="mx-probe"}' | jq -r '.data.result[0].value[1]')" "$((succeeded + failed))"
expect_eq "lateness of the scheduled runs" \
  "$(q 'task_run_lateness_seconds_count{task="mx-probe"}' | jq -r '.data.result[0].value[1]')" "$((succeeded + failed))"
expect_eq "a quantile from the buckets" \
  "$(q 'histogram_quantile(0.5, sum by (le) (task_run_duration_seconds_bucket{task="mx-probe"})) < 10' | jq -r '.data.result | length')" 1
# Scraped each second: the suspend shows in the next scrape.
wait_for 30 '[[ $(q "task_deployment_suspended{task=\"mx-probe\"}" | jq -r ".data.result[0].value[1]") == 1 ]]'
expect_eq "the deployment is suspended" \
  "$(q 'task_deployment_suspended{task="mx-probe"}' | jq -r '.data.result[0].value[1]')" 1
expect_eq "its revision" \
  "$(q 'task_deployment_info{task="mx-probe"}' | jq -r '.data.result[0].metric.revision')" 1
last_ok=$(q 'task_last_success_timestamp_seconds{task="mx-probe"}' | jq -r '.data.result[0].value[1] | tonumber | floor')
expect_eq "the last success, in Unix time" "$(( $(date +%s) - last_ok < 120 ))" 1
expect_eq "the platform is up" "$(q 'task_platform_up{platform="local"}' | jq -r '.data.result[0].value[1]')" 1
if command -v promtool >/dev/null; then
  lint=$(curl -s "$url" | promtool check metrics 2>&1)
  expect_eq "promtool finds nothing to say of the names" "$lint" ""
fi
finish
