#!/bin/sh
# {{name}}: logs, at each run, that a user's session timed out:
#   <UTC time> {{name}}: session of user "alice" timed out after 30 minutes of inactivity
# Exit status: 0 logged, 2 bad configuration.
set -eu

user=${SESSION_USER:-}
idle_minutes=${IDLE_MINUTES:-30}

now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

if [ -z "$user" ]; then
  printf '%s {{name}}: SESSION_USER is not set: give the user whose session times out\n' "$(now)" >&2
  exit 2
fi
case $idle_minutes in
  '' | *[!0-9]*)
    printf '%s {{name}}: IDLE_MINUTES must be a whole number of minutes, not "%s"\n' \
      "$(now)" "$idle_minutes" >&2
    exit 2
    ;;
esac

unit=minutes
[ "$idle_minutes" -eq 1 ] && unit=minute
printf '%s {{name}}: session of user "%s" timed out after %s %s of inactivity\n' \
  "$(now)" "$user" "$idle_minutes" "$unit"
