#!/usr/bin/env node
// `make dist`, after terser: wasm-bindgen names each import the glue hands the wasm after the
// binding and a 16-digit hash (`__wbg_setAttribute_9bd1e4c3a0f2b5d7`), and writes that name
// twice: in the wasm's import section and as a key of the glue's import object. About 250 such
// names, 8 KB of text whose hashes gzip cannot shrink, cost 7.4 KB gzip on every page that
// chats (4.2 KB of wasm, 3.2 KB of glue). This renames them (and their module,
// `./confab_bg.js`) to the shortest free names in both files at once, and the exports the glue
// reaches only as properties of the instance.
//
// Checked, not assumed: every import must be a function of the one module, and every old import
// name must occur in the glue exactly once, as an object key. Otherwise the build stops, rather
// than shipping a glue and a wasm that no longer link.
'use strict';
const fs = require('fs');
const path = require('path');
const { fail, readImports, readExports, withImports, withExports } = require('./wasm.js');

const dist = process.argv[2] || 'dist';
const wasmPath = path.join(dist, 'confab_bg.wasm');
const gluePath = path.join(dist, 'confab.js');
const escape = (s) => s.replace(/\$/g, '\\$');

// Short names: a..z, A..Z, then two letters, skipping the two-letter JavaScript keywords.
const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
function* shortNames() {
  for (const a of letters) yield a;
  for (const a of letters) for (const b of letters) if (!['do', 'if', 'in'].includes(a + b)) yield a + b;
}
const names = shortNames();

const before = fs.readFileSync(wasmPath);
let glue = fs.readFileSync(gluePath, 'utf8');

const imports = readImports(before);
const modules = new Set(imports.map((e) => e.module));
if (modules.size !== 1) fail(`imports come from ${modules.size} modules, expected one`);
const [oldModule] = modules;
const moduleKey = JSON.stringify(oldModule);
if (glue.split(moduleKey).length !== 2) fail(`the glue names module ${oldModule} other than once`);
glue = glue.replace(moduleKey, '"w"');

// Each import is renamed where the glue defines it: `name:` in the import object.
const renamed = new Map();
for (const e of imports) {
  if (!renamed.has(e.field)) {
    const key = new RegExp(`(?<![\\w$])${escape(e.field)}(?=\\s*:)`, 'g');
    const occurrences = glue.split(e.field).length - 1;
    if (occurrences !== 1 || !key.test(glue)) fail(`import ${e.field} occurs in the glue ${occurrences} times, expected once, as a key`);
    const fresh = names.next().value;
    glue = glue.replace(key, fresh);
    renamed.set(e.field, fresh);
  }
  e.module = 'w';
  e.field = renamed.get(e.field);
}

// An export is renamed where the glue reaches it only as a property (`wasm.name`, the binding
// `wasm` itself having a name of terser's): wasm-bindgen's closure invokers, allocator and table
// functions, and the exported classes' methods. A name that occurs anywhere else in the glue
// (the boot functions, `memory`), or nowhere, keeps its name.
const exportList = readExports(before);
let exportsRenamed = 0;
for (const e of exportList) {
  if (e.field.length < 10 || !e.field.includes('_')) continue;
  const all = glue.split(e.field).length - 1;
  const asProperty = new RegExp(`\\.${escape(e.field)}(?![\\w$])`, 'g');
  if (all === 0 || (glue.match(asProperty) || []).length !== all) continue;
  e.field = names.next().value;
  glue = glue.replace(asProperty, `.${e.field}`);
  exportsRenamed++;
}

const after = withExports(withImports(before, imports), exportList);
fs.writeFileSync(wasmPath, after);
fs.writeFileSync(gluePath, glue);
console.log(`shortnames.js: ${renamed.size} imports and ${exportsRenamed} exports renamed; wasm ${before.length} -> ${after.length} B`);
