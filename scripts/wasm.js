// The few parts of the wasm binary format that `make dist`'s post-link steps read and rewrite:
// the section list, the import (2) and export (7) entries, the function bodies (10) and the
// "name" section's function names; and wasm-opt run with the bundle's feature flags. Every read
// is checked: a module in a shape these functions do not know stops the build.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

function fail(why) {
  console.error(`${path.basename(process.argv[1] || 'dist')}: ${why}`);
  process.exit(1);
}

// An unsigned LEB128 number at `at`: [value, the offset after it].
function readLeb(buf, at) {
  let value = 0, shift = 0, byte;
  do {
    if (at >= buf.length) fail('the wasm ends inside a number');
    byte = buf[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

function leb(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return Buffer.from(out);
}

function encodeName(s) {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([leb(b.length), b]);
}

function readName(buf, at) {
  const [n, p] = readLeb(buf, at);
  return [buf.toString('utf8', p, p + n), p + n];
}

// The module's sections: { id, start (its id byte), body (its first content byte), end }.
function sections(wasm) {
  if (wasm.length < 8 || wasm.readUInt32LE(0) !== 0x6d736100) fail('not a wasm module');
  const list = [];
  let at = 8;
  while (at < wasm.length) {
    const [len, body] = readLeb(wasm, at + 1);
    list.push({ id: wasm[at], start: at, body, end: body + len });
    at = body + len;
  }
  if (at !== wasm.length) fail('the last section runs past the end of the module');
  return list;
}

function only(wasm, id, what) {
  const found = sections(wasm).filter((s) => s.id === id);
  if (found.length !== 1) fail(`the wasm has ${found.length} ${what} sections, expected one`);
  return found[0];
}

// Entries of a vector section, each read by `entry(buf, at) -> [value, next]`.
function readVector(wasm, section, entry, what) {
  let [count, p] = readLeb(wasm, section.body);
  const out = [];
  for (let i = 0; i < count; i++) {
    let value;
    [value, p] = entry(wasm, p);
    out.push(value);
  }
  if (p !== section.end) fail(`the ${what} section has bytes left over`);
  return out;
}

// Imports: { module, field, type } (functions only: anything else stops the build).
function readImports(wasm) {
  return readVector(wasm, only(wasm, 2, 'import'), (buf, at) => {
    let module, field, type;
    [module, at] = readName(buf, at);
    [field, at] = readName(buf, at);
    if (buf[at] !== 0) fail(`import ${module}.${field} is not a function`);
    [type, at] = readLeb(buf, at + 1);
    return [{ module, field, type }, at];
  }, 'import');
}

// Exports: { field, kind, index }.
function readExports(wasm) {
  return readVector(wasm, only(wasm, 7, 'export'), (buf, at) => {
    let field, index;
    [field, at] = readName(buf, at);
    const kind = buf[at];
    [index, at] = readLeb(buf, at + 1);
    return [{ field, kind, index }, at];
  }, 'export');
}

// The module with the section of `id` given new entries (encoded by `encode`).
function withSection(wasm, id, entries, encode, what) {
  const s = only(wasm, id, what);
  const body = Buffer.concat([leb(entries.length), ...entries.map(encode)]);
  return Buffer.concat([wasm.subarray(0, s.start), Buffer.from([id]), leb(body.length), body, wasm.subarray(s.end)]);
}

const withImports = (wasm, imports) => withSection(wasm, 2, imports, (e) =>
  Buffer.concat([encodeName(e.module), encodeName(e.field), Buffer.from([0]), leb(e.type)]), 'import');
const withExports = (wasm, exports) => withSection(wasm, 7, exports, (e) =>
  Buffer.concat([encodeName(e.field), Buffer.from([e.kind]), leb(e.index)]), 'export');

// The bodies of the module's own functions, in order (index = imported functions + position).
function functionBodies(wasm) {
  return readVector(wasm, only(wasm, 10, 'code'), (buf, at) => {
    const [len, body] = readLeb(buf, at);
    return [buf.subarray(body, body + len), body + len];
  }, 'code');
}

// Whether a section is the "name" custom section; its content starts after the title.
const isNames = (wasm, s) => s.id === 0 && readName(wasm, s.body)[0] === 'name';

// The "name" custom section's function names: a Map of function index to name (empty when the
// module has none).
function functionNames(wasm) {
  const names = new Map();
  for (const s of sections(wasm).filter((s) => isNames(wasm, s))) {
    let at = readName(wasm, s.body)[1];
    while (at < s.end) {
      const kind = wasm[at];
      const [len, body] = readLeb(wasm, at + 1);
      if (kind === 1) {
        readVector(wasm, { body, end: body + len }, (buf, p) => {
          let index, name;
          [index, p] = readLeb(buf, p);
          [name, p] = readName(buf, p);
          names.set(index, name);
          return [null, p];
        }, 'function names');
      }
      at = body + len;
    }
  }
  return names;
}

// The module with its "name" section replaced by one holding only these function names.
function withFunctionNames(wasm, names) {
  const kept = sections(wasm).filter((s) => !isNames(wasm, s));
  const entries = [...names].map(([index, name]) => Buffer.concat([leb(index), encodeName(name)]));
  const sub = Buffer.concat([leb(entries.length), ...entries]);
  const content = Buffer.concat([encodeName('name'), Buffer.from([1]), leb(sub.length), sub]);
  return Buffer.concat([
    wasm.subarray(0, 8), ...kept.map((s) => wasm.subarray(s.start, s.end)),
    Buffer.from([0]), leb(content.length), content,
  ]);
}

// Runs wasm-opt (binaryen's, first on PATH in `make dist`) on a file in place, with the
// feature flags trunk gives it (www/bundle.html) and these passes.
function wasmOpt(file, passes) {
  const entry = fs.readFileSync(path.join(__dirname, '..', 'www', 'bundle.html'), 'utf8');
  const params = entry.match(/data-wasm-opt-params="([^"]*)"/);
  if (!params) fail('www/bundle.html gives wasm-opt no parameters');
  const features = params[1].split(/\s+/).filter((f) => f.startsWith('--enable-'));
  execFileSync('wasm-opt', [...passes, ...features, file, '-o', file], { stdio: 'inherit' });
}

module.exports = {
  fail, readImports, readExports, withImports, withExports, functionBodies, functionNames,
  withFunctionNames, wasmOpt,
};
