#!/usr/bin/env bash
# Installs everything Tin Can needs to build, serve and test, on a Debian machine with Rust, Node
# and npm. Idempotent: each step checks first and is fast when the tool is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14           # trunk 0.22 needs rustc 1.96
BINARYEN_VERSION=132            # wasm-opt; Debian's binaryen is too old for current rustc output
WASM_SPLIT_VERSION=0.2.4        # wasm-split-cli (scripts/wasm-link.sh); reads wasm_split_helpers 0.2's marks

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (about 6 minutes, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: its lock file pins a webpki-roots that is no longer on crates.io.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# The wasm32 linker (scripts/wasm-link.sh) splits the app's lazily loaded parts off with it. It
# has no --version: cargo's own list of what it installed says which one is there.
if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:" || ! command -v wasm-split-cli >/dev/null; then
  log "installing wasm-split-cli $WASM_SPLIT_VERSION (about 2 minutes, once)"
  cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --locked --force
fi

missing_debs=()
command -v chromium >/dev/null || missing_debs+=(chromium)
command -v firefox-esr >/dev/null || missing_debs+=(firefox-esr)
# The NAT lab (scripts/natlab.sh, e2e/lab): namespaces and NAT routers, coturn as STUN/TURN.
command -v ip >/dev/null || missing_debs+=(iproute2)
command -v iptables >/dev/null || missing_debs+=(iptables)
command -v conntrack >/dev/null || missing_debs+=(conntrack)
command -v turnserver >/dev/null || missing_debs+=(coturn)
command -v curl >/dev/null || missing_debs+=(curl)
if [ ${#missing_debs[@]} -gt 0 ]; then
  log "installing ${missing_debs[*]} from Debian"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing_debs[@]}"
fi

# Playwright, puppeteer-core, terser and binaryen (wasm-opt) come from package-lock.json. Browsers are
# Debian's: nothing may download its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund
fi
if [ "$(node_modules/.bin/wasm-opt --version 2>/dev/null | awk '{print $3}')" != "$BINARYEN_VERSION" ]; then
  echo "node_modules/.bin/wasm-opt is not binaryen $BINARYEN_VERSION: check package.json" >&2
  exit 1
fi
log "ready"
