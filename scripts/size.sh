#!/usr/bin/env bash
# Prints the shipped size of a build: each asset raw and gzipped (-9), and the totals.
# First load is index.html and what it names (among them the split parts' small JS loader, which
# index.html preloads); the rest (the QR decoder worker, fetched only when a browser without
# BarcodeDetector scans a code, and the app's split-off wasm parts, tincan-split-*.wasm, fetched
# when first used) is printed apart as "lazy".
set -euo pipefail
dist=${1:-dist}
total_raw=0; total_gz=0; lazy_raw=0; lazy_gz=0; lazy_rows=""
printf '%-44s %10s %10s\n' asset raw gzip
for file in "$dist"/*.wasm "$dist"/*.js "$dist"/*.css "$dist"/*.html; do
  [ -f "$file" ] || continue
  name=$(basename "$file")
  raw=$(stat -c %s "$file"); gz=$(gzip -9 -c "$file" | wc -c)
  if [ "$name" != index.html ] && ! grep -qF "$name" "$dist/index.html"; then
    lazy_raw=$((lazy_raw + raw)); lazy_gz=$((lazy_gz + gz))
    lazy_rows+=$(printf '%-44s %10d %10d' "lazy: $name" "$raw" "$gz")$'\n'
    continue
  fi
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  printf '%-44s %10d %10d\n' "$name" "$raw" "$gz"
done
printf '%-44s %10d %10d\n' total "$total_raw" "$total_gz"
if [ -n "$lazy_rows" ]; then
  printf '%s' "$lazy_rows"
  printf '%-44s %10d %10d\n' "lazy: total (not in the first load)" "$lazy_raw" "$lazy_gz"
fi
