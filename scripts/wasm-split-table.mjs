// Called by scripts/wasm-link.sh on the split's main module: renames its export of the function
// table, `__indirect_function_table`, to `__wasm_split_table`. The split-off chunks put their
// functions into that table and call the main module's functions through it, so the main module
// must keep exporting it; wasm-bindgen drops an export of that name (trunk gives it no
// --keep-lld-exports), and without the export wasm-opt would be free to shrink the table.
// scripts/wasm-split.mjs points the chunks' loader at the new name.
//
// Usage: node scripts/wasm-split-table.mjs main.wasm
import { readFileSync, writeFileSync } from 'node:fs';
import { leb, readLeb } from './wasm-leb.mjs';

const FROM = '__indirect_function_table';
const TO = '__wasm_split_table';

function fail(message) {
  console.error(`wasm-split-table.mjs: ${message}`);
  process.exit(1);
}


const file = process.argv[2];
if (!file) fail('no wasm file given');
const wasm = readFileSync(file);
if (wasm.readUInt32LE(0) !== 0x6d736100) fail(`${file} is not a wasm module`);
const parts = [wasm.subarray(0, 8)];
let renamed = 0;
let at = 8;
while (at < wasm.length) {
  const id = wasm[at];
  const [size, body] = readLeb(wasm, at + 1);
  const end = body + size;
  if (id !== 7) {
    parts.push(wasm.subarray(at, end));
    at = end;
    continue;
  }
  let [count, cursor] = readLeb(wasm, body);
  const entries = [leb(count)];
  for (let i = 0; i < count; i++) {
    let length;
    [length, cursor] = readLeb(wasm, cursor);
    let name = wasm.subarray(cursor, cursor + length).toString('utf8');
    cursor += length;
    const kind = wasm[cursor];
    const [, indexEnd] = readLeb(wasm, cursor + 1);
    // Kind 1: a table.
    if (name === FROM && kind === 1) {
      name = TO;
      renamed += 1;
    }
    const bytes = Buffer.from(name, 'utf8');
    entries.push(leb(bytes.length), bytes, wasm.subarray(cursor, indexEnd));
    cursor = indexEnd;
  }
  if (cursor !== end) fail('export section has bytes past its last export');
  const section = Buffer.concat(entries);
  parts.push(Buffer.from([7]), leb(section.length), section);
  at = end;
}
if (renamed !== 1) fail(`${file} exports ${renamed} tables named ${FROM}, not one`);
writeFileSync(file, Buffer.concat(parts));
