// Trunk post-build hook, the first step (Trunk.toml): brings the app's lazily loaded wasm chunks
// into the build. scripts/wasm-link.sh (the wasm32 linker) split the module before trunk ran
// wasm-bindgen on its main part, and left the chunks and their JS loader (`__wasm_split.js`, from
// wasm-split) in target/wasm32-unknown-unknown/<profile>/wasm-split/. Here each chunk is
// optimized with wasm-opt and gets a content-hashed name, as trunk names its own files (a
// deploy's stale copy in an HTTP cache must never meet a newer main module), the loader is
// pointed at those names and at the hashed main JS glue, and the glue's import of the loader is
// renamed too. index.html gets a modulepreload of the loader, so the browser fetches it with the
// glue instead of after it, and updated integrity hashes for the glue.
//
// Chunks are named `tincan-split-*.wasm`: scripts/sw-precache.mjs has the service worker fetch
// them at install, so a part not opened yet still opens offline.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR ?? process.argv[2];
if (!dir) {
  console.error('wasm-split.mjs: no TRUNK_STAGING_DIR and no directory argument');
  process.exit(1);
}
const profile = process.env.TRUNK_PROFILE ?? 'release';
const release = profile === 'release';
const root = new URL('..', import.meta.url).pathname;
const splitDir = join(root, 'target', 'wasm32-unknown-unknown', release ? 'release' : 'debug', 'wasm-split');
const LOADER = '__wasm_split.js';

function fail(message) {
  console.error(`wasm-split.mjs: ${message}`);
  process.exit(1);
}

const hashOf = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);
const sri = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;

if (!existsSync(join(splitDir, LOADER))) fail(`no ${LOADER} in ${splitDir}; did scripts/wasm-link.sh run?`);
const glueName = readdirSync(dir).find((name) => /^tincan-[0-9a-f]+\.js$/.test(name));
if (!glueName) fail('no tincan-<hash>.js in the build; did trunk change its output?');

let loader = readFileSync(join(splitDir, LOADER), 'utf8');
const replaceOnce = (text, from, to, what) => {
  const count = text.split(from).length - 1;
  if (count !== 1) fail(`${what} ${JSON.stringify(from)} found ${count} times, not once`);
  return text.replace(from, () => to);
};
loader = replaceOnce(loader, 'from "./tincan.js"', `from "./${glueName}"`, `${LOADER}: import`);
// The main module exports its function table under this name (scripts/wasm-split-table.mjs).
loader = replaceOnce(loader, 'const { __indirect_function_table,', 'const { __wasm_split_table: __indirect_function_table,', `${LOADER}: table`);

let chunks = 0;
for (const name of readdirSync(splitDir).filter((file) => file.endsWith('.wasm')).sort()) {
  const source = join(splitDir, name);
  const optimized = join(dir, `.${name}`);
  if (release) {
    execFileSync(
      join(root, 'node_modules', '.bin', 'wasm-opt'),
      ['-Oz', '--low-memory-unused', '--strip-producers', '--strip-target-features', '--enable-bulk-memory',
        '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals',
        '--enable-reference-types', '--enable-multivalue', source, '-o', optimized],
      { stdio: 'inherit' },
    );
  } else {
    copyFileSync(source, optimized);
  }
  const bytes = readFileSync(optimized);
  const hashed = `tincan-split-${name.replace(/^split_/, '').replace(/\.wasm$/, '')}-${hashOf(bytes)}.wasm`;
  writeFileSync(join(dir, hashed), bytes);
  rmSync(optimized);
  loader = replaceOnce(loader, `"./${name}"`, `"./${hashed}"`, `${LOADER}: chunk`);
  chunks += 1;
}

const loaderName = `tincan-split-${hashOf(loader)}.js`;
writeFileSync(join(dir, loaderName), loader);

const glueFile = join(dir, glueName);
const glueBefore = readFileSync(glueFile);
// Only the ES imports (wasm-bindgen writes one per split function, each the same module): the
// import object's keys stay the module name the wasm asks for.
const glueText = glueBefore.toString('utf8');
if (!glueText.includes(`from "./${LOADER}"`)) fail(`${glueName} does not import ${LOADER}`);
const glue = glueText.replaceAll(`from "./${LOADER}"`, `from "./${loaderName}"`);
writeFileSync(glueFile, glue);

const indexFile = join(dir, 'index.html');
let html = readFileSync(indexFile, 'utf8');
const oldSri = sri(glueBefore);
if (!html.includes(oldSri)) fail(`index.html has no integrity hash for ${glueName} to update`);
html = html.replaceAll(oldSri, sri(Buffer.from(glue, 'utf8')));
// Like trunk's modulepreload of the glue (scripts/minify-js.mjs updates both hashes).
const preload = `<link rel="modulepreload" href="${process.env.TRUNK_PUBLIC_URL ?? '/'}${loaderName}" crossorigin="anonymous" integrity="${sri(Buffer.from(loader, 'utf8'))}">`;
html = replaceOnce(html, '</head>', `${preload}</head>`, 'index.html:');
writeFileSync(indexFile, html);
console.log(`wasm-split.mjs: ${chunks} lazily loaded chunk(s), loader ${loaderName}`);
