#!/usr/bin/env bash
# puppeteer's executablePath for a Firefox ESR inside a lab host's network namespace
# (scripts/natlab.sh). The namespace comes from the launch options' env, as TINCAN_NETNS.
# Firefox's WebDriver BiDi listens on the namespace's own 127.0.0.1, which the test process
# cannot reach: lab.ts forwards the same port from this machine's loopback into it.
set -euo pipefail
: "${TINCAN_NETNS:?TINCAN_NETNS must name the lab namespace (tcl-a or tcl-b)}"
exec ip netns exec "$TINCAN_NETNS" "${FIREFOX_PATH:-/usr/bin/firefox-esr}" "$@"
