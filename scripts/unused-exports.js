#!/usr/bin/env node
// `make dist`, after trunk and before terser: Leptos 0.8 always turns on server_fn's `browser`
// feature, which brings wasm-streams, whose three `#[wasm_bindgen]` classes (IntoUnderlying-
// Source, -ByteSource, -Sink: adapters from Rust streams to JavaScript ones) are exports of the
// module. Link-time optimization keeps whatever is exported, so they and what they reach (their
// futures, `future_to_promise`) ship in every bundle, with their classes in the glue, though
// the widget never makes one. This takes them out of both files and lets wasm-opt drop the code
// only they reached (1.4 KB gzip of wasm, 0.3 KB of glue).
//
// Checked, not assumed: each class must be found in the glue in the shape wasm-bindgen writes,
// and nothing may name it afterwards; otherwise the build stops.
'use strict';
const fs = require('fs');
const path = require('path');
const { fail, readExports, withExports, wasmOpt } = require('./wasm.js');

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
}

const wasm = fs.readFileSync(wasmPath);
const exportList = readExports(wasm);
// wasm-bindgen names a class's exports after it in lower case: `intounderlyingsink_write`,
// and `__wbg_intounderlyingsink_free` for its destructor.
const prefixes = classes.map((c) => c.toLowerCase() + '_');
const dropped = (e) => prefixes.some((p) => e.field.startsWith(p) || e.field.startsWith('__wbg_' + p));
const kept = exportList.filter((e) => !dropped(e));
if (kept.length === exportList.length) fail('the wasm exports no wasm-streams class');
for (const e of exportList.filter(dropped)) {
  if (glue.includes(e.field)) fail(`the glue still calls ${e.field}`);
}
fs.writeFileSync(wasmPath, withExports(wasm, kept));
fs.writeFileSync(gluePath, glue);

// wasm-opt again, to drop what only those exports reached; keeping the function names, which
// the next step orders the functions by.
wasmOpt(wasmPath, ['-Oz', '-g']);
const after = fs.statSync(wasmPath).size;
console.log(`unused-exports.js: ${exportList.length - kept.length} exports of wasm-streams' classes dropped; wasm ${wasm.length} -> ${after} B`);
