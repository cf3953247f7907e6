// Trunk post-build hook: gives the wasm's imports short names. wasm-bindgen names each import
// after the JS function it calls plus a 16-digit hash (`__wbg_createElement_5f3a…`), and both the
// wasm's import section and the JS glue's import object carry every name: about 360 of them,
// whose hashes gzip cannot shrink. Renaming them `a`, `b`, … in both files keeps the pairing
// (each name is looked up by string when the module is instantiated) and takes about 9 KB off
// the gzipped first load. The import module `./tincan_bg.js` becomes `a` the same way.
//
// Every rename is checked: a name the JS does not hold exactly once stops the build, so a new
// wasm-bindgen layout fails loudly instead of shipping a module that cannot be instantiated.
// Runs first in the hook (before scripts/minify-js.mjs), and updates the integrity hashes
// index.html holds for the files it rewrites.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { name, readLeb, readName, rewriteVectorSection } from './wasm-binary.mjs';

const dir = process.env.TRUNK_STAGING_DIR ?? process.argv[2];
if (!dir) {
  console.error('short-imports.mjs: no TRUNK_STAGING_DIR and no directory argument');
  process.exit(1);
}
const profile = process.env.TRUNK_PROFILE ?? 'release';
if (profile !== 'release') {
  console.log('short-imports.mjs: debug build, left as is');
  process.exit(0);
}

function fail(message) {
  console.error(`short-imports.mjs: ${message}`);
  process.exit(1);
}


/** Skips one import's description (function, table, memory, global or tag). */
function skipImportDesc(bytes, at) {
  const kind = bytes[at++];
  const limits = (from) => {
    let [flags, next] = readLeb(bytes, from);
    [, next] = readLeb(bytes, next);
    if (flags & 1) [, next] = readLeb(bytes, next);
    return next;
  };
  switch (kind) {
    case 0x00: // function: type index
      return readLeb(bytes, at)[1];
    case 0x01: // table: reference type, limits
      return limits(at + 1);
    case 0x02: // memory: limits
      return limits(at);
    case 0x03: // global: value type, mutability
      return at + 2;
    case 0x04: // tag: attribute, type index
      return readLeb(bytes, at + 1)[1];
    default:
      return fail(`unknown import kind ${kind}`);
  }
}

/** The short names: a..z, A..Z, then two characters and more (never a JS keyword problem: they
 * are object keys). */
function* shortNames() {
  const first = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const rest = `${first}0123456789`;
  for (let length = 1; ; length++) {
    const count = first.length * rest.length ** (length - 1);
    for (let n = 0; n < count; n++) {
      let text = first[n % first.length];
      let left = Math.floor(n / first.length);
      for (let i = 1; i < length; i++) {
        text += rest[left % rest.length];
        left = Math.floor(left / rest.length);
      }
      yield text;
    }
  }
}

/** Rewrites the import section of `wasm` with `rename(module, field)`; returns the new bytes. */
function renameImports(wasm, rename) {
  let renamed;
  let sections;
  try {
    [renamed, sections] = rewriteVectorSection(wasm, 2, (bytes, at) => {
      const [module, afterModule] = readName(bytes, at);
      const [field, cursor] = readName(bytes, afterModule);
      const descEnd = skipImportDesc(bytes, cursor);
      const [newModule, newField] = rename(module, field);
      return [Buffer.concat([name(newModule), name(newField), bytes.subarray(cursor, descEnd)]), descEnd];
    });
  } catch (error) {
    fail(error.message);
  }
  if (sections === 0) fail('the wasm has no import section');
  return renamed;
}

const sri = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
const indexFile = join(dir, 'index.html');
let html = readFileSync(indexFile, 'utf8');

const modules = readdirSync(dir).filter((file) => file.endsWith('_bg.wasm'));
if (modules.length === 0) fail('no _bg.wasm in the build; did trunk change its output?');
for (const wasmName of modules) {
  const jsName = wasmName.replace(/_bg\.wasm$/, '.js');
  const jsFile = join(dir, jsName);
  if (!existsSync(jsFile)) fail(`${wasmName} has no ${jsName} beside it`);
  const wasmFile = join(dir, wasmName);
  const wasm = readFileSync(wasmFile);
  let js = readFileSync(jsFile, 'utf8');

  const names = shortNames();
  const fields = new Map();
  const moduleNames = new Map();
  const renamed = renameImports(wasm, (module, field) => {
    if (!moduleNames.has(module)) moduleNames.set(module, `${moduleNames.size}`);
    // The split chunks' loader (scripts/wasm-split.mjs): its imports are the named exports of an
    // ES module, not keys of an object in the glue, so they keep their names.
    if (module === './__wasm_split.js') return [moduleNames.get(module), field];
    // wasm-bindgen gives every import its own name; one imported twice keeps one short name.
    if (!fields.has(field)) fields.set(field, names.next().value);
    return [moduleNames.get(module), fields.get(field)];
  });

  // The JS names each import once, as a key of the object it passes for that module:
  // `__wbg_name_hash: function(` and `"./tincan_bg.js": import0`.
  const replaceOnce = (from, to, what) => {
    const count = js.split(from).length - 1;
    if (count !== 1) fail(`${jsName}: ${what} ${JSON.stringify(from)} found ${count} times, not once`);
    js = js.replace(from, () => to);
  };
  for (const [field, short] of fields) {
    const key = new RegExp(`(?<=[\\s,{])${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=\\s*:)`, 'g');
    const count = (js.match(key) ?? []).length;
    if (count !== 1) fail(`${jsName}: import ${field} is a key ${count} times, not once`);
    js = js.replace(key, short);
  }
  for (const [module, short] of moduleNames) {
    if (module === './__wasm_split.js') {
      // wasm-bindgen names the loader once per split function, each key the same module.
      if (!js.includes(`"${module}":`)) fail(`${jsName}: import module ${module} is not a key`);
      js = js.replaceAll(`"${module}":`, `"${short}":`);
    } else {
      replaceOnce(`"${module}":`, `"${short}":`, 'import module');
    }
  }

  for (const [file, before, after] of [
    [wasmName, wasm, renamed],
    [jsName, Buffer.from(readFileSync(jsFile)), Buffer.from(js, 'utf8')],
  ]) {
    const old = sri(before);
    if (html.includes(old)) html = html.replaceAll(old, sri(after));
    else if (html.includes(file) && html.includes('integrity')) {
      // The QR decoder worker's files are not named by index.html, so they have no hash there.
      fail(`index.html has no integrity hash for ${file} to update`);
    }
  }
  writeFileSync(wasmFile, renamed);
  writeFileSync(jsFile, js);
  console.log(
    `short-imports.mjs: ${wasmName} ${fields.size} imports renamed, ${wasm.length} -> ${renamed.length} bytes`,
  );
}
writeFileSync(indexFile, html);
