#!/usr/bin/env bash
# Installs what building and testing Confab needs, skipping whatever is already there.
# Idempotent; safe on a bare Debian machine with rustup, cargo, node and npm (TOOLCHAIN.md).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

# Debian's Chromium and ChromeDriver: the only browser that can be had here (no downloads).
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
# The release bundle builds the standard library itself (scripts/dist.sh), from its source.
if ! rustup component list --installed | grep -qx rust-src; then
  say "rustup component add rust-src"
  rustup component add rust-src
fi

# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock exactly; installed without
# --locked (its lockfile names a crate version the registry lacks: TOOLCHAIN.md).
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ -z "$wb_version" ]; then
  say "Cargo.lock has no wasm-bindgen yet; generating it"
  cargo generate-lockfile
  wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  say "cargo install wasm-bindgen-cli $wb_version (about 8 minutes on 2 cores)"
  cargo install wasm-bindgen-cli --version "$wb_version" --force
fi

# trunk 0.21.14 with --locked: 0.22 needs a newer rustc, and unlocked builds break (TOOLCHAIN.md).
if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "0.21.14" ]; then
  say "cargo install trunk 0.21.14 (about 12 minutes on 2 cores)"
  cargo install trunk --version 0.21.14 --locked --force
fi

# wasm-opt from npm's binaryen 132: Debian's (108) breaks the bundle at start-up.
if [ ! -x .tools/binaryen/node_modules/.bin/wasm-opt ]; then
  say "npm install binaryen@132"
  mkdir -p .tools/binaryen
  npm install --no-audit --no-fund --silent --prefix .tools/binaryen binaryen@132
fi

# terser minifies the loader (embed.js) in `make dist`: it is the one file every page pays for.
if [ ! -x .tools/terser/node_modules/.bin/terser ]; then
  say "npm install terser@5.51.2"
  mkdir -p .tools/terser
  npm install --no-audit --no-fund --silent --prefix .tools/terser terser@5.51.2
fi

# Playwright's test runner; the browser is Debian's, never downloaded.
if [ ! -d e2e/node_modules/@playwright/test ] || [ ! -f e2e/node_modules/axe-core/axe.min.js ]; then
  say "npm ci (Playwright, axe-core)"
  (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi
say "tools ready"
