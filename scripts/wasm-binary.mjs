// Reading and rewriting a wasm module's binary format, shared by the post-build scripts that edit
// a module's sections (scripts/short-imports.mjs: the import section; scripts/wasm-split-table.mjs:
// the export section). Malformed input throws: it stops the build.

const WASM_MAGIC = 0x6d736100;

/** Reads an unsigned LEB128 number at `at`; returns [value, next offset]. */
export function readLeb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (at >= bytes.length) throw new Error('wasm ends inside a number');
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

/** `value` as an unsigned LEB128 number. */
export function leb(value) {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
}

/** Reads a name (length, then UTF-8) at `at`; returns [text, next offset]. */
export function readName(bytes, at) {
  const [length, start] = readLeb(bytes, at);
  return [bytes.subarray(start, start + length).toString('utf8'), start + length];
}

/** `text` as a wasm name. */
export function name(text) {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([leb(bytes.length), bytes]);
}

/**
 * A vector section (`id`: 2 imports, 7 exports, …) rewritten entry by entry: `entry(bytes, at)`
 * reads the entry at `at` and returns [its new bytes, the offset after it]. Returns the new module
 * and how many sections of that id it had.
 */
export function rewriteVectorSection(wasm, id, entry) {
  if (wasm.length < 8 || wasm.readUInt32LE(0) !== WASM_MAGIC) throw new Error('not a wasm module');
  const parts = [wasm.subarray(0, 8)];
  let found = 0;
  let at = 8;
  while (at < wasm.length) {
    const [size, body] = readLeb(wasm, at + 1);
    const end = body + size;
    if (wasm[at] !== id) {
      parts.push(wasm.subarray(at, end));
      at = end;
      continue;
    }
    found += 1;
    let [count, cursor] = readLeb(wasm, body);
    const entries = [leb(count)];
    for (let i = 0; i < count; i++) {
      const [bytes, next] = entry(wasm, cursor);
      entries.push(bytes);
      cursor = next;
    }
    if (cursor !== end) throw new Error(`section ${id} has bytes past its last entry`);
    const section = Buffer.concat(entries);
    parts.push(Buffer.from([id]), leb(section.length), section);
    at = end;
  }
  return [Buffer.concat(parts), found];
}
