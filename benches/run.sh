#!/usr/bin/env bash
# `make bench` (first part): what the bundle costs a host page, in bytes. Writes
# benches/results.md and benches/results.json. The in-browser timing benchmarks of issue 8
# (launcher/ready time, streaming, long history, idle cost, leaks, peers side by side) are not
# written yet.
set -euo pipefail
cd "$(dirname "$0")/.."
out_md=benches/results.md
out_json=benches/results.json
row() { local f=$1; printf '| %s | %s | %s |\n' "$f" "$(wc -c < "dist/$f")" "$(gzip -9c "dist/$f" | wc -c)"; }
total_raw=0; total_gz=0
for f in embed.js confab.js confab_bg.wasm; do
  total_raw=$((total_raw + $(wc -c < "dist/$f")))
  total_gz=$((total_gz + $(gzip -9c "dist/$f" | wc -c)))
done
{
  echo "## Bundle size ($(date -u +%Y-%m-%d), $(uname -m), rustc $(rustc --version | awk '{print $2}'))"
  echo
  echo "| file | bytes | gzip -9 bytes |"
  echo "|---|---:|---:|"
  for f in embed.js confab.js confab_bg.wasm; do row "$f"; done
  echo "| **total** | $total_raw | $total_gz |"
} > "$out_md"
printf '{"date":"%s","files":{' "$(date -u +%FT%TZ)" > "$out_json"
sep=""
for f in embed.js confab.js confab_bg.wasm; do
  printf '%s"%s":{"bytes":%s,"gzip":%s}' "$sep" "$f" "$(wc -c < "dist/$f")" "$(gzip -9c "dist/$f" | wc -c)" >> "$out_json"; sep=","
done
printf '},"total":{"bytes":%s,"gzip":%s}}\n' "$total_raw" "$total_gz" >> "$out_json"
cat "$out_md"
