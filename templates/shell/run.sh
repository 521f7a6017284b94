#!/bin/sh
# {{name}}: logs one line per run, "<UTC time> {{name}}: <greeting>".
# Exit status: 0 on success; anything else marks the run as failed.
set -eu

greeting=${GREETING:-Hello from a scheduled task}

printf '%s {{name}}: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$greeting"
