#!/usr/bin/env bash
# The NAT lab report (issue #13): time from the inviter taking the answer to a working chat, per
# path (direct through STUN-found addresses, and through a TURN relay), Tin Can driven through its
# UI next to a plain-JS page doing the same exchange, in one lab run (e2e/lab/report.bench.ts).
# Needs root (network namespaces). Builds dist/ first when it is missing.
#
#   bash scripts/lab-report.sh                      # 5 runs per path and side
#   LAB_REPORT_RUNS=9 bash scripts/lab-report.sh    # more runs
#
# Prints a Markdown table; timing never fails this command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
bash scripts/natlab.sh check
if [ ! -f dist/index.html ]; then
  trunk build --release --offline --locked --public-url /tincan/ --dist dist
fi
TINCAN_LAB_REPORT=1 exec npx playwright test --project=lab-report --reporter=list
