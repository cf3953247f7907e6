#!/usr/bin/env bash
# Tin Can's benchmark (issues #7, #18): builds the release app into dist-bench/ (public URL
# /tincan/; $BENCH_DIST to change the folder) when it is missing, older than its sources or built
# for another URL, then measures it next to plain-JS baselines in headless Chromium on loopback
# (bench/run.mjs). Prints a Markdown table and writes bench/results.json. Takes 3-5 minutes.
#
#   bash scripts/bench.sh            # the full run
#   bash scripts/bench.sh --quick    # fewer runs and messages, for trying changes to bench/
#
# Targets in the table are informational: missing one never fails this command.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

log() { printf '\033[1;34m[bench]\033[0m %s\n' "$*" >&2; }

if [ ! -d node_modules/playwright ]; then
  echo "bench.sh: node_modules/playwright is missing: run 'bash scripts/setup.sh' first" >&2
  exit 1
fi

# lz-string (the link-size baseline) belongs in package.json's devDependencies; until it is there,
# it is installed on the side, outside the repo.
if ! node -e "require.resolve('lz-string')" 2>/dev/null; then
  side=${BENCH_DEPS:-/tmp/benchdeps}
  if [ ! -f "$side/node_modules/lz-string/package.json" ]; then
    log "installing lz-string 1.5.0 into $side (add it to package.json's devDependencies)"
    mkdir -p "$side"
    npm install --prefix "$side" --no-audit --no-fund --no-save lz-string@1.5.0 >&2
  fi
  export NODE_PATH="$side/node_modules${NODE_PATH:+:$NODE_PATH}"
fi

# The benchmark serves the app under /tincan/ (as GitHub Pages does), so it has a build of its own
# in dist-bench/ made with that public URL: dist/ belongs to `scripts/serve.sh` and `trunk serve`,
# which build it for /. dist-bench/ is stale when any input of the build is newer than its
# index.html (written last), or when that index.html was built for another URL.
out=${BENCH_DIST:-dist-bench}
sources=(src index.html public Cargo.toml Cargo.lock Trunk.toml)
for f in build.rs scripts/*.mjs; do [ -e "$f" ] && sources+=("$f"); done
stale=""
if [ ! -f "$out/index.html" ]; then
  stale="$out/ is missing"
elif ! grep -q '/tincan/[^ ]*_bg\.wasm' "$out/index.html"; then
  stale="$out/ was built for another public URL"
elif newer=$(find "${sources[@]}" -newer "$out/index.html" -print -quit 2>/dev/null) && [ -n "$newer" ]; then
  stale="$newer is newer than $out/"
fi
export BENCH_DIST_STALE=0
if [ -n "$stale" ]; then
  log "building the release app into $out/ ($stale)"
  if ! trunk build --release --offline --public-url /tincan/ --dist "$out" >&2; then
    if [ -f "$out/index.html" ]; then
      log "WARNING: the build failed; measuring the old $out/ (results.json says distStale: true)"
      BENCH_DIST_STALE=1
    else
      echo "bench.sh: the build failed and there is no $out/ to measure" >&2
      exit 1
    fi
  fi
fi

exec node bench/run.mjs --dist "$out" "$@"
