#!/usr/bin/env bash
# What IndexedDB glue costs in shipped wasm (issue #16): the same small piece of IndexedDB work
# (src/lib.rs) built three ways with Tin Can's release settings (opt-level z, LTO, wasm-opt -Oz):
# nothing (the floor), thin web-sys glue as in src/web/idb.rs, and the indexed_db_futures crate.
# Prints raw and gzip -9 sizes of each .wasm. Needs network once (crates.io) for the crate.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PWD/../../node_modules/.bin:$HOME/.cargo/bin:$PATH"
for variant in none thin crate; do
  features=()
  [ "$variant" != none ] && features=(--features "$variant")
  CARGO_TARGET_DIR="target-$variant" cargo build --quiet --release --target wasm32-unknown-unknown "${features[@]}"
  rm -rf "out-$variant"
  wasm-bindgen --target web --no-typescript --out-dir "out-$variant" "target-$variant/wasm32-unknown-unknown/release/idbsize.wasm"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "out-$variant/idbsize_bg.wasm" -o "out-$variant/opt.wasm"
  printf '%-6s wasm raw %7d  gzip -9 %7d\n' "$variant" "$(stat -c %s "out-$variant/opt.wasm")" "$(gzip -9 -c "out-$variant/opt.wasm" | wc -c)"
done
