#!/usr/bin/env bash
# `make dist`'s linker for the wasm (CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER in dist.sh):
# the toolchain's own rust-lld, given every argument rustc passes but the exports of
# wasm-streams' three `#[wasm_bindgen]` classes (IntoUnderlyingSource, -ByteSource, -Sink).
#
# Leptos 0.8 always brings wasm-streams (server_fn's `browser` feature) and the widget never
# makes one of its streams. rustc asks the linker to export every `#[wasm_bindgen]` function of
# every crate linked, so the classes' methods, the futures they start and the closures those
# futures hand to JavaScript all went into the module, the closures as entries of the function
# table that JavaScript calls through. Taking the exports out afterwards (what
# `unused-exports.js` did before) left those table entries, and the code they reach, behind:
# nothing can tell, after linking, that no one will call them. Left out here, the linker never
# takes them in. wasm-bindgen skips a described export whose function is missing; the classes
# it still writes into the glue are cut by `unused-exports.js`, which also checks that none of
# these exports reached the wasm.
set -euo pipefail
host=$(rustc -vV | sed -n 's/^host: //p')
lld="$(rustc --print sysroot)/lib/rustlib/$host/bin/rust-lld"
[ -x "$lld" ] || { echo "wasm-ld.sh: no rust-lld at $lld" >&2; exit 1; }
args=()
export_next=
for a in "$@"; do
  if [ -n "$export_next" ]; then
    export_next=
    case "$a" in
      intounderlying*|__wbg_intounderlying*|__wbindgen_describe_intounderlying*) continue ;;
    esac
    args+=(--export "$a")
  elif [ "$a" = --export ]; then
    export_next=1
  else
    args+=("$a")
  fi
done
exec "$lld" "${args[@]}"
