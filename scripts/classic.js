#!/usr/bin/env node
// `make dist`, last step: dist/confab-classic.js, the whole bundle as one classic script, for
// servers of dist/ that send no CORS headers.
//
// A page on another origin can load a module script or fetch a .wasm only through CORS; a
// classic <script> needs none. So when embed.js cannot import confab.js, it loads this file
// instead: wasm-bindgen's glue with its imports and exports resolved here, the page-actions
// module inlined, and the wasm's bytes as base64. It hands its exports and the bytes to the
// <script> element that embed.js made (`confabBundle`), so it defines no global.
//
// The transformations below are checked: if wasm-bindgen or terser ever write the glue in a
// shape this script does not know, the build stops instead of shipping a broken fallback.
'use strict';
const fs = require('fs');
const path = require('path');

const dist = process.argv[2] || 'dist';
const fail = (why) => { console.error(`classic.js: ${why}`); process.exit(1); };
const read = (f) => fs.readFileSync(path.join(dist, f), 'utf8');

// A module's code as the body of a function that returns its exports: `export function f`,
// `export async function f` and `export class C` become plain declarations, `export{a as b}`
// entries of the returned object. (Each module gets a function of its own, so terser's short
// top-level names cannot collide with each other or with the wrapper's.)
function unexport(code, what) {
  const names = [];
  code = code.replace(/\bexport\s+((?:async\s+)?function\*?|class)\s+([A-Za-z_$][\w$]*)/g, (_, kind, name) => {
    names.push(`${name}:${name}`);
    return `${kind} ${name}`;
  });
  code = code.replace(/\bexport\s*\{([^}]*)\};?/g, (_, list) => {
    for (const item of list.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [local, exported = local] = item.split(/\s+as\s+/);
      names.push(`${JSON.stringify(exported)}:${local}`);
    }
    return '';
  });
  if (/\bexport\b|\bimport\s*[{*"'(]|\bimport\.meta\b/.test(code)) fail(`${what}: an import or export is left`);
  return `${code};return{${names.join(',')}}`;
}

// The page-actions module, inlined as an object.
const actions = `var __confabActions=(function(){${unexport(read('page-actions.js'), 'page-actions.js')}})();`;

// wasm-bindgen's glue: its one import is the snippet that loads the page actions.
let glue = read('confab.js');
const snippet = /import\s*\{\s*loadTarget\s+as\s+([A-Za-z_$][\w$]*)\s*\}\s*from\s*"\.\/snippets\/[^"]+\/inline0\.js";?/;
const m = glue.match(snippet);
if (!m) fail('confab.js: the page-actions snippet import was not found');
glue = glue.replace(snippet, `var ${m[1]}=function(e,t,r){return Promise.resolve().then(function(){return __confabActions.createTarget(e,t,r)})};`);
glue = glue.replace(/\bimport\.meta\.url\b/g, '__confabBase');
glue = unexport(glue, 'confab.js');
const exported = glue.slice(glue.lastIndexOf('return{'));
for (const name of ['default', 'boot', 'bootInto']) {
  if (!new RegExp(`[{,]("${name}"|${name}):`).test(exported)) fail(`confab.js: no export named ${name}`);
}
glue = `var __confabGlue=(function(__confabBase){${glue}})(__confabMe&&__confabMe.src||location.href);`;

const wasm = fs.readFileSync(path.join(dist, 'confab_bg.wasm')).toString('base64');
const out = '(function(){"use strict";var __confabMe=document.currentScript;' +
  actions + glue +
  'function __confabBytes(w){if(Uint8Array.fromBase64)return Uint8Array.fromBase64(w);' +
  'var s=atob(w),b=new Uint8Array(s.length);for(var i=0;i<s.length;i++)b[i]=s.charCodeAt(i);return b}' +
  'if(__confabMe&&typeof __confabMe.confabBundle==="function")' +
  `__confabMe.confabBundle(__confabGlue,__confabBytes("${wasm}"))` +
  '})();\n';
fs.writeFileSync(path.join(dist, 'confab-classic.js'), out);
