#!/usr/bin/env node
// `make dist`, after trunk and before terser: Leptos 0.8 always turns on server_fn's `browser`
// feature, which brings wasm-streams, whose three `#[wasm_bindgen]` classes (IntoUnderlying-
// Source, -ByteSource, -Sink: adapters from Rust streams to JavaScript ones) the widget never
// makes. `scripts/wasm-ld.sh`, the build's linker, keeps their methods out of the wasm (see
// there); wasm-bindgen still writes the classes into the glue from their descriptions, each
// calling a destructor the wasm no longer has. This takes them out of the glue (0.3 KB gzip)
// and checks that the wasm exports none of their functions: if it does, the linker step did
// not run, and the bundle would carry them (4.3 KB gzip of wasm).
//
// Checked, not assumed: each class must be found in the glue in the shape wasm-bindgen writes,
// and nothing may name it afterwards; otherwise the build stops.
'use strict';
const fs = require('fs');
const path = require('path');
const { fail, readExports } = require('./wasm.js');

const dist = process.argv[2] || 'dist';
const wasmPath = path.join(dist, 'confab_bg.wasm');
const gluePath = path.join(dist, 'confab.js');
const classes = ['IntoUnderlyingByteSource', 'IntoUnderlyingSink', 'IntoUnderlyingSource'];

let glue = fs.readFileSync(gluePath, 'utf8');
function cut(pattern, what) {
  const before = glue.length;
  glue = glue.replace(pattern, '');
  if (glue.length === before) fail(`${what} was not found in the glue`);
}
for (const name of classes) {
  // The class body ends at the first `}` alone at the start of a line.
  cut(new RegExp(`^export class ${name} \\{\\n[\\s\\S]*?^\\}\\n`, 'm'), `class ${name}`);
  cut(new RegExp(`^if \\(Symbol\\.dispose\\) ${name}\\.prototype\\[Symbol\\.dispose\\] = ${name}\\.prototype\\.free;\\n`, 'm'), `${name}'s dispose`);
  cut(new RegExp(`^const ${name}Finalization = [^;]*;\\n`, 'm'), `${name}'s finalization registry`);
  if (glue.includes(name)) fail(`the glue still names ${name}`);
  if (glue.includes(name.toLowerCase())) fail(`the glue still calls a function of ${name}`);
}

// wasm-bindgen names a class's exports after it in lower case: `intounderlyingsink_write`,
// and `__wbg_intounderlyingsink_free` for its destructor.
const prefixes = classes.map((c) => c.toLowerCase() + '_');
const theirs = readExports(fs.readFileSync(wasmPath))
  .filter((e) => prefixes.some((p) => e.field.startsWith(p) || e.field.startsWith('__wbg_' + p)));
if (theirs.length) {
  fail(`the wasm exports ${theirs.map((e) => e.field).join(', ')}: scripts/wasm-ld.sh was not the linker`);
}
fs.writeFileSync(gluePath, glue);
console.log(`unused-exports.js: wasm-streams' ${classes.length} classes cut from the glue; the wasm exports none of their functions`);
