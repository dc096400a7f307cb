#!/usr/bin/env node
// `make dist`, the wasm's last optimization: the order of its functions, for gzip. gzip finds
// repeats only within the last 32 KB, and wasm-opt lays functions out in no order that helps
// it: the copies of one generic function (each `drop_in_place`, each `Owner::with`), which are
// nearly the same bytes, lie far apart. This sorts the functions by the first two parts of
// their Rust path (`core::ptr`, `reactive_graph::owner`, `confab::engine`), then by their first
// bytes, which puts each family side by side; binaryen renumbers every call and table entry
// (`--reorder-functions-by-name`, given the sort keys as names), then the names are stripped.
// The code is the same; only its place in the file moves: 179.7 -> 176.9 KB gzip.
//
// Tried and left, on the finished wasm (gzip; 172.7 KB with this order, 174.4 KB with none,
// before the sections were stripped): one part of the path instead of two, 173.1 KB; three,
// 173.0 KB; the full name without its hash, 173.2 KB; the path up to its first generic
// argument, 173.1 KB; the first bytes alone, 173.1 KB; within each family, a greedy chain of
// the most alike functions by MinHash over 4-byte shingles instead of the first bytes, 0.2 KB
// worse; the same chain over the whole module (an earlier build), worse than the full name.
'use strict';
const fs = require('fs');
const path = require('path');
const { fail, readImports, functionBodies, functionNames, withFunctionNames, wasmOpt } = require('./wasm.js');

const dist = process.argv[2] || 'dist';
const wasmPath = path.join(dist, 'confab_bg.wasm');
const wasm = fs.readFileSync(wasmPath);
const imported = readImports(wasm).length;
const bodies = functionBodies(wasm);
const names = functionNames(wasm);
const named = bodies.filter((_, i) => names.has(imported + i)).length;
if (named < bodies.length / 2) {
  fail(`only ${named} of ${bodies.length} functions have names: wasm-opt must keep them (-g)`);
}

// `<alloc::rc::Rc<T> as core::ops::drop::Drop>::drop::h0123…` → `alloc::rc`.
function family(name) {
  return name.replace(/^[<&_ ]+/, '').replace(/::h[0-9a-f]{16}$/, '').split('::').slice(0, 2).join('::');
}
const keys = new Map();
bodies.forEach((body, i) => {
  const index = imported + i;
  const head = body.subarray(0, 32).toString('hex');
  keys.set(index, `${family(names.get(index) || '')}|${head}|${String(index).padStart(6, '0')}`);
});
const before = fs.statSync(wasmPath).size;
fs.writeFileSync(wasmPath, withFunctionNames(wasm, keys));
// The toolchain's own custom sections go too: the browser reads neither (0.2 KB gzip).
wasmOpt(wasmPath, ['--reorder-functions-by-name', '--strip-debug', '--strip-producers', '--strip-target-features']);
console.log(`order-functions.js: ${bodies.length} functions ordered by family; wasm ${before} -> ${fs.statSync(wasmPath).size} B (names, producers and target features stripped)`);
