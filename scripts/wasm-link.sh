#!/bin/sh
# The wasm32 linker (.cargo/config.toml): rust-lld, then, for the app, wasm-split (crates.io's
# wasm_split_cli_support, installed by scripts/setup.sh). Trunk runs wasm-bindgen right after
# cargo and has no hook in between, and wasm-split must see the module as the linker wrote it
# (with its relocations, hence --emit-relocs), before wasm-bindgen: so the split happens here.
# The linked module is replaced by the split's main module; the lazily loaded chunks and their JS
# loader (__wasm_split.js) go to wasm-split/ beside it, where scripts/wasm-split.mjs (a trunk
# post_build step) picks them up.
set -eu
host=$(rustc -vV | sed -n 's/^host: //p')
lld="$(rustc --print sysroot)/lib/rustlib/$host/bin/rust-lld"
out=""
prev=""
for arg in "$@"; do
  [ "$prev" = "-o" ] && out=$arg
  prev=$arg
done
[ "$1" = "-flavor" ] || set -- -flavor wasm "$@"
case "$(basename "$out")" in
  tincan-*.wasm) ;;
  *) exec "$lld" "$@" ;;
esac
"$lld" "$@" --emit-relocs
split_dir="$(dirname "$out")/../wasm-split"
rm -rf "$split_dir"
mkdir -p "$split_dir"
if ! command -v wasm-split-cli >/dev/null; then
  echo "wasm-link.sh: wasm-split-cli is missing; run scripts/setup.sh" >&2
  exit 1
fi
wasm-split-cli --target web --out-name tincan "$out" "$split_dir"
cp "$split_dir/tincan.wasm" "$out"
rm "$split_dir/tincan.wasm"
node "$(dirname "$0")/wasm-split-table.mjs" "$out"
