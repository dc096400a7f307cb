#!/usr/bin/env bash
# `make bench`: Confab beside deep-chat, flowise-embed and Bot Framework Web Chat (pinned in
# benches/package.json), measured in headless Chromium by benches/bench.js against a devserver
# started here on :18090 (benches/pages, dist/, the emulators; browser caching allowed).
# Writes benches/results.md and benches/results.json. BENCH_RUNS=15 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d benches/node_modules/deep-chat ] || [ ! -d benches/node_modules/botframework-webchat ]; then
  echo "[bench] npm ci (the peers)"
  (cd benches && npm ci --no-audit --no-fund --silent)
fi
cargo build -q -p devserver
target/debug/devserver --port 18090 --www benches/pages --dist dist --cacheable > target/devserver-bench.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>/dev/tcp/127.0.0.1/18090) 2>/dev/null && break
  sleep 0.1
done
node benches/bench.js
