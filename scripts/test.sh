#!/usr/bin/env bash
# Runs every check Tin Can has: format, clippy (host and wasm32), host unit tests, a release build
# served under a sub-path, and the Playwright end-to-end suite. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"

step() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (host)"
cargo clippy --all-targets --locked -- -D warnings
step "clippy (wasm32)"
cargo clippy --all-targets --locked --target wasm32-unknown-unknown -- -D warnings

step "cargo test (host)"
cargo test --locked

step "release build under /tincan/"
trunk build --release --offline --locked --public-url /tincan/ --dist dist
bash scripts/size.sh dist

step "end-to-end (Playwright, headless Chromium and Firefox ESR)"
npx playwright test "$@"
