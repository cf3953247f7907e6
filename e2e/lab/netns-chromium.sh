#!/usr/bin/env bash
# Playwright's executablePath for a Chromium inside a lab host's network namespace
# (scripts/natlab.sh). Playwright talks to Chromium over a pipe, which crosses namespaces;
# every socket Chromium opens is the namespace's. The namespace comes from the launch options'
# env, as TINCAN_NETNS (tcl-a or tcl-b).
set -euo pipefail
: "${TINCAN_NETNS:?TINCAN_NETNS must name the lab namespace (tcl-a or tcl-b)}"
exec ip netns exec "$TINCAN_NETNS" "${CHROMIUM_PATH:-/usr/bin/chromium}" "$@"
