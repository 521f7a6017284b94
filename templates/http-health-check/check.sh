#!/bin/sh
# {{name}}: checks an HTTP heartbeat URL once and logs one line:
#   <UTC time> Healthy <url> status=200 latency_ms=12
#   <UTC time> Unhealthy <url> status=503 latency_ms=40 error="..."
# Exit status: 0 healthy (2xx), 1 unhealthy (other status, no answer, time-out),
# 2 bad configuration.
set -u

url=${TARGET_URL:-}
timeout_seconds=${TIMEOUT_SECONDS:-10}

fail_config() {
  printf '%s {{name}}: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" >&2
  exit 2
}
[ -n "$url" ] || fail_config "TARGET_URL is not set: give the URL to check"
case $url in
  http://* | https://*) ;;
  *) fail_config "TARGET_URL must start with http:// or https://" ;;
esac
case $timeout_seconds in
  '' | *[!0-9]* | 0) fail_config "TIMEOUT_SECONDS must be a whole number of seconds above 0" ;;
esac

# Milliseconds from a monotonic-enough clock. busybox's date may lack %N; /proc/uptime
# then gives 10 ms resolution, which is enough to tell a slow endpoint from a fast one.
if date +%s%N 2>/dev/null | grep -q '^[0-9]*$'; then
  now_ms() { echo $(($(date +%s%N) / 1000000)); }
else
  now_ms() { awk '{ printf "%.0f\n", $1 * 1000 }' /proc/uptime; }
fi

headers=$(mktemp) || exit 1
trap 'rm -f "$headers"' EXIT

start=$(now_ms)
# `timeout` instead of wget's own -T: busybox 1.35's wget crashes when -T meets a
# refused connection. -S prints each response's status line to stderr.
timeout "$timeout_seconds" wget -q -S -O /dev/null -U "{{name}}-health-check" "$url" 2>"$headers"
rc=$?
end=$(now_ms)
latency=$((end - start))

# The last status line counts (redirects come first).
status=$(awk '$1 ~ /^HTTP\// { code = $2 } END { print code }' "$headers")

now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
case $status in
  2??)
    if [ "$rc" -eq 0 ]; then
      printf '%s Healthy %s status=%s latency_ms=%s\n' "$now" "$url" "$status" "$latency"
      exit 0
    fi
    ;;
esac

if [ "$rc" -eq 143 ] || [ "$rc" -eq 124 ]; then
  error="no answer within ${timeout_seconds}s"
else
  # wget's own words, e.g. "can't connect to remote host: Connection refused".
  error=$(sed -n 's/^wget: //p' "$headers" | tail -n 1)
  [ -n "$error" ] || error="wget exited with status $rc"
fi
printf '%s Unhealthy %s status=%s latency_ms=%s error="%s"\n' \
  "$now" "$url" "${status:-none}" "$latency" "$error"
exit 1
