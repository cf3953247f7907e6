// Called by scripts/wasm-link.sh on the split's main module: renames its export of the function
// table, `__indirect_function_table`, to `__wasm_split_table`. The split-off chunks put their
// functions into that table and call the main module's functions through it, so the main module
// must keep exporting it; wasm-bindgen drops an export of that name (trunk gives it no
// --keep-lld-exports), and without the export wasm-opt would be free to shrink the table.
// scripts/wasm-split.mjs points the chunks' loader at the new name.
//
// Usage: node scripts/wasm-split-table.mjs main.wasm
import { readFileSync, writeFileSync } from 'node:fs';
import { name, readLeb, readName, rewriteVectorSection } from './wasm-binary.mjs';

const FROM = '__indirect_function_table';
const TO = '__wasm_split_table';

function fail(message) {
  console.error(`wasm-split-table.mjs: ${message}`);
  process.exit(1);
}


const file = process.argv[2];
if (!file) fail('no wasm file given');
let renamed = 0;
let rewritten;
try {
  [rewritten] = rewriteVectorSection(readFileSync(file), 7, (wasm, at) => {
    let [exported, cursor] = readName(wasm, at);
    const kind = wasm[cursor];
    const [, end] = readLeb(wasm, cursor + 1);
    // Kind 1: a table.
    if (exported === FROM && kind === 1) {
      exported = TO;
      renamed += 1;
    }
    return [Buffer.concat([name(exported), wasm.subarray(cursor, end)]), end];
  });
} catch (error) {
  fail(`${file}: ${error.message}`);
}
if (renamed !== 1) fail(`${file} exports ${renamed} tables named ${FROM}, not one`);
writeFileSync(file, rewritten);
