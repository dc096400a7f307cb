#!/usr/bin/env bash
# `make test`: native tests, the release bundle, browser unit tests and Playwright end to end,
# against devservers started here and stopped on exit.
set -euo pipefail
shopt -s lastpipe
cd "$(dirname "$0")/.."
step() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }

export CONFAB_TEST_PORT=${CONFAB_TEST_PORT:-18080}
export CONFAB_HOST_PORT=${CONFAB_HOST_PORT:-18081}

log=target/test-summary.log
mkdir -p target && : > "$log"

step "formatting (rustfmt --check)"
# A formatting slip would otherwise only show in `make lint`, which CI does not run.
if cargo fmt --version > /dev/null 2>&1; then
  cargo fmt --all -- --check
else
  echo "rustfmt is not installed: formatting not checked"
fi

step "native tests: config, codecs, engine, devserver"
cargo test --workspace 2>&1 | tee -a "$log"

step "release bundle (trunk)"
scripts/dist.sh

step "devservers on :$CONFAB_TEST_PORT (widget + emulators) and :$CONFAB_HOST_PORT (host pages, another origin)"
cargo build -p devserver
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
target/debug/devserver --port "$CONFAB_TEST_PORT" --www www --dist dist > target/devserver-test.log 2>&1 &
pids+=($!)
target/debug/devserver --port "$CONFAB_HOST_PORT" --www e2e/pages --dist dist --csp-origin "http://127.0.0.1:$CONFAB_TEST_PORT" > target/devserver-host.log 2>&1 &
pids+=($!)
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$CONFAB_TEST_PORT" "$CONFAB_HOST_PORT"; do
  for _ in $(seq 1 100); do listening "$port" && break; sleep 0.1; done
  listening "$port" || { echo "devserver on :$port did not start"; cat target/devserver-*.log; exit 1; }
done

step "browser unit tests (wasm-bindgen-test in headless Chromium)"
CHROMEDRIVER=/usr/bin/chromedriver \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
WASM_BINDGEN_TEST_TIMEOUT=60 \
  cargo test -p confab --target wasm32-unknown-unknown --test browser 2>&1 | tee -a "$log"

step "end to end (Playwright, Debian Chromium)"
(cd e2e && npx playwright test) 2>&1 | tee -a "$log"

# One closing line for the whole suite: cargo's and wasm-bindgen-test's "N passed; N failed"
# lines plus Playwright's "N passed" (any failure has already stopped the script).
passed=$(grep -oE '(test result: ok\. [0-9]+ passed|^ +[0-9]+ passed \()' "$log" | grep -oE '[0-9]+ passed' | awk '{s += $1} END {print s + 0}')
echo
# The reliability figures the fault suite recorded (README, "Reliability").
if [ -f e2e/test-results/reliability.json ]; then
  node -e '
    const r = require("./e2e/test-results/reliability.json");
    const sum = (k) => r.reduce((s, e) => s + (e[k] || 0), 0);
    console.log(`reliability: ${r.length} fault cases recorded; messages sent ${sum("sent")}, answers received ${sum("received")}, lost ${sum("lost")}, shown twice ${sum("duplicates")}; bad frames injected ${sum("injected")}, ignored and counted ${sum("ignored")}`);
  ' | tee -a "$log"
fi
echo "make test: $passed passed, 0 failed"
