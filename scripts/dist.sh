#!/usr/bin/env bash
# `make dist`: the release bundle in dist/ (embed.js, confab.js, confab_bg.wasm).
set -euo pipefail
cd "$(dirname "$0")/.."
# wasm-opt from npm's binaryen first on PATH (TOOLCHAIN.md); trunk runs it with -Oz.
export PATH="$PWD/.tools/binaryen/node_modules/.bin:$PATH"
# wasm-bindgen's output directory is reused between builds: a snippet the code no longer
# imports would stay in it, and trunk would ship it.
rm -rf target/wasm-bindgen/release/snippets
# The standard library is built with the bundle (from rustup's rust-src), at the bundle's own
# `opt-level = "z"` and with its size-first variants, and a panic aborts on the spot: no panic
# message is formatted, so the formatting code, the messages and their file paths all leave the
# wasm (about 16 KB gzip). These are unstable Cargo and rustc options, unlocked on the stable
# toolchain for this one build (RUSTC_BOOTSTRAP); tests and lint build as usual. With
# CONFAB_PANIC_MESSAGES=1 the bundle keeps the usual abort and its "internal error" message.
if [ "${CONFAB_PANIC_MESSAGES:-}" != 1 ]; then
  export RUSTC_BOOTSTRAP=1
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  export CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size
  export CARGO_UNSTABLE_PANIC_IMMEDIATE_ABORT=true
  export CARGO_PROFILE_RELEASE_PANIC=immediate-abort
  # Unlocked, rustc mangles symbols the nightly way, whose long names wasm-bindgen copies into
  # the glue's closure shims (+1 KB of JS); keep stable's. No code location (file, line,
  # column) is kept for the panics that can no longer report one: the source paths and the
  # location records they fill go (1.7 KB gzip).
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Csymbol-mangling-version=legacy -Zlocation-detail=none"
fi
# The linker: rust-lld without the exports of wasm-streams' classes, so that their code never
# enters the wasm (see the script; 4.3 KB gzip).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$PWD/scripts/wasm-ld.sh"
trunk build --release --offline
# The entry html is only trunk's build recipe; pages embed dist/embed.js.
rm -f dist/bundle.html dist/index.html
# wasm-streams' classes, which wasm-bindgen still writes, out of the glue; and a check that the
# linker above kept their functions out of the wasm.
node scripts/unused-exports.js dist
# The wasm's functions in an order that gzip compresses better (families side by side), and
# the function names trunk's wasm-opt kept for it (`-g` in www/bundle.html) stripped.
node scripts/order-functions.js dist
# The loader is the one file every page pays for, before anyone chats: minified.
.tools/terser/node_modules/.bin/terser www/embed.js --compress --mangle --output dist/embed.js
# The modules the bundle imports before anyone can chat (wasm-bindgen's glue and the page
# actions snippet), and the demo frame's script: minified too (ES modules: exports keep their
# names). About 4.6 KB gzip less on the way to a chat.
find dist -name '*.js' ! -name embed.js -print0 | while IFS= read -r -d '' f; do
  .tools/terser/node_modules/.bin/terser "$f" --module --compress --mangle --output "$f.min"
  mv "$f.min" "$f"
done
# The glue's import names to the wasm, wasm-bindgen's binding names with a hash, shortened in
# both files (7.4 KB gzip less to chat; see the script).
node scripts/shortnames.js dist
# The same bundle as one classic script, for servers of dist/ without CORS headers (the loader
# falls back to it when it cannot import confab.js).
node scripts/classic.js dist
for f in embed.js confab.js confab_bg.wasm confab-classic.js; do
  [ -s "dist/$f" ] || { echo "dist/$f is missing"; exit 1; }
done
printf 'dist/: '; for f in embed.js confab.js confab_bg.wasm confab-classic.js; do printf '%s %s B (%s B gzip)  ' "$f" "$(wc -c < "dist/$f")" "$(gzip -9c "dist/$f" | wc -c)"; done; echo
