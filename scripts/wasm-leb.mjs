// LEB128 numbers as the wasm binary format writes them: shared by the post-build scripts that
// edit a module's sections (scripts/short-imports.mjs, scripts/wasm-split-table.mjs).

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
