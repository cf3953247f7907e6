// Trunk post-build hook: minifies the wasm-bindgen JS glue with terser, then updates the file's
// Subresource Integrity hash in index.html (trunk computed it for the unminified file). Trunk's
// own `minify` handles the HTML and CSS but leaves this file as wasm-bindgen wrote it: 57 KB raw,
// 9.9 KB gzipped; minified about 3 KB less gzipped, which the 250 KB budget needs.
//
// Runs before scripts/csp.mjs (one hook in Trunk.toml runs both, in order); the policy pins the
// inline loader, which this does not touch.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minify } from 'terser';

const dir = process.env.TRUNK_STAGING_DIR ?? process.argv[2];
if (!dir) {
  console.error('minify-js.mjs: no TRUNK_STAGING_DIR and no directory argument');
  process.exit(1);
}
const profile = process.env.TRUNK_PROFILE ?? 'release';
if (profile !== 'release') {
  console.log('minify-js.mjs: debug build, left as is');
  process.exit(0);
}

const indexFile = join(dir, 'index.html');
let html = readFileSync(indexFile, 'utf8');
const scripts = readdirSync(dir).filter((name) => name.endsWith('.js'));
if (scripts.length === 0) {
  console.error('minify-js.mjs: no .js file in the build; did trunk change its output?');
  process.exit(1);
}
for (const name of scripts) {
  const file = join(dir, name);
  const source = readFileSync(file, 'utf8');
  // An ES module: top-level names are the module's own, so they may be mangled too; exports
  // keep their names.
  const result = await minify(source, { module: true, compress: { passes: 2 }, mangle: true });
  if (!result.code) {
    console.error(`minify-js.mjs: terser produced nothing for ${name}`);
    process.exit(1);
  }
  const sri = (text) => `sha384-${createHash('sha384').update(text, 'utf8').digest('base64')}`;
  const before = sri(source);
  if (html.includes(before)) {
    html = html.replaceAll(before, sri(result.code));
  } else if (html.includes(name) && html.includes('integrity')) {
    // A file index.html does not name (the QR decoder worker's, started by the app) has no hash.
    console.error(`minify-js.mjs: index.html has no integrity hash for ${name} to update`);
    process.exit(1);
  }
  writeFileSync(file, result.code);
  console.log(`minify-js.mjs: ${name} ${source.length} -> ${result.code.length} bytes`);
}
writeFileSync(indexFile, html);
