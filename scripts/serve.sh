#!/usr/bin/env bash
# Builds Tin Can (release) and serves it on http://127.0.0.1:8080, rebuilding on changes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
# No autoreload: its injected inline script would be refused by the page's CSP.
exec trunk serve --release --offline --no-autoreload --address 127.0.0.1 --port 8080 "$@"
