// Trunk post-build hook, the last step (Trunk.toml): writes the service worker, dist/sw.js, from
// its template public/sw.js with this build's file list and each file's SHA-256 in it. It runs
// after scripts/minify-js.mjs and scripts/csp.mjs because both still change files (the JS glue,
// index.html) and the digests must be of the files as shipped.
//
// The worker's version is a digest of the list, so any changed file makes a new worker and a new
// cache. The worker itself is not in the list (the browser fetches and updates it).
//
// A debug build gets a worker that removes earlier workers and their caches instead: a
// development server must always serve the files just built.
//
// Also runs by hand on a built folder: node scripts/sw-precache.mjs dist
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { minify } from 'terser';

const WORKER = 'sw.js';
const PLACEHOLDER = '/* BUILD */ null';

const dir = process.env.TRUNK_STAGING_DIR ?? process.argv[2];
if (!dir) {
  console.error('sw-precache.mjs: no TRUNK_STAGING_DIR and no directory argument');
  process.exit(1);
}
const profile = process.env.TRUNK_PROFILE ?? 'release';

if (profile !== 'release') {
  writeFileSync(
    join(dir, WORKER),
    `// A debug build's worker: removes Tin Can's caches and itself (scripts/sw-precache.mjs).
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil((async () => {
  for (const name of await caches.keys()) if (name.startsWith('tincan-')) await caches.delete(name);
  await self.registration.unregister();
})()));
`,
  );
  console.log('sw-precache.mjs: debug build, a worker that removes itself');
  process.exit(0);
}

function filesUnder(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

// Fetched at install: the page, what it names, what the manifest names, and the app's split-off
// wasm chunks. The rest (the QR decoder's worker and wasm, loaded only when someone scans) is
// `lazy`: fetched, checked and kept when first asked for.
const named = readFileSync(join(dir, 'index.html'), 'utf8') + readFileSync(join(dir, 'manifest.webmanifest'), 'utf8');
const files = filesUnder(dir)
  .map((path) => relative(dir, path).split(sep).join('/'))
  .filter((name) => name !== WORKER && !name.split('/').some((part) => part.startsWith('.')))
  .sort()
  .map((name) => ({
    // The page is cached under the app's address, where it is opened.
    url: name === 'index.html' ? './' : `./${name.split('/').map(encodeURIComponent).join('/')}`,
    sha256: createHash('sha256').update(readFileSync(join(dir, name))).digest('base64'),
    // The app's split-off wasm chunks (scripts/wasm-split.mjs) are fetched at install too: each
    // part must open offline even if it was never opened online.
    ...(name === 'index.html' || named.includes(name) || /^tincan-split-.*\.wasm$/.test(name) ? {} : { lazy: true }),
  }));
if (!files.some((file) => file.url === './')) {
  console.error('sw-precache.mjs: the build has no index.html');
  process.exit(1);
}

const version = createHash('sha256')
  .update(files.map((file) => `${file.url} ${file.sha256}\n`).join(''))
  .digest('hex')
  .slice(0, 16);

const template = readFileSync(new URL('../public/sw.js', import.meta.url), 'utf8');
if (!template.includes(PLACEHOLDER)) {
  console.error(`sw-precache.mjs: public/sw.js has no ${PLACEHOLDER} to fill`);
  process.exit(1);
}
const source = template.replace(PLACEHOLDER, JSON.stringify({ version, files }));
// A classic worker script (module workers are not in every browser this app supports).
const result = await minify(source, { compress: { passes: 2 }, mangle: true });
if (!result.code) {
  console.error('sw-precache.mjs: terser produced nothing');
  process.exit(1);
}
writeFileSync(join(dir, WORKER), result.code);
const lazy = files.filter((file) => file.lazy).length;
console.log(`sw-precache.mjs: ${WORKER} version ${version}, ${files.length} files (${lazy} lazy), ${result.code.length} bytes`);
