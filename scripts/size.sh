#!/usr/bin/env bash
# Prints the shipped size of a build: each asset raw and gzipped (-9), and the totals.
set -euo pipefail
dist=${1:-dist}
total_raw=0; total_gz=0
printf '%-44s %10s %10s\n' asset raw gzip
for file in "$dist"/*.wasm "$dist"/*.js "$dist"/*.css "$dist"/*.html; do
  [ -f "$file" ] || continue
  raw=$(stat -c %s "$file"); gz=$(gzip -9 -c "$file" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
  printf '%-44s %10d %10d\n' "$(basename "$file")" "$raw" "$gz"
done
printf '%-44s %10d %10d\n' total "$total_raw" "$total_gz"
