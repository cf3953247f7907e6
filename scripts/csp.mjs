// Trunk post-build hook: adds a Content-Security-Policy to the built index.html.
//
// The policy allows only this origin's script, style and wasm, plus the one inline module script
// trunk writes to start the wasm, pinned by its SHA-256 (it changes with every build, so it is
// computed here rather than written by hand). No other origin can be reached: no fonts, no
// analytics, no CDNs. WebRTC traffic is not governed by CSP; the peer is whoever the links say.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR ?? process.argv[2];
if (!dir) {
  console.error('csp.mjs: no TRUNK_STAGING_DIR and no directory argument');
  process.exit(1);
}
const file = join(dir, 'index.html');
const html = readFileSync(file, 'utf8');

const inline = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)]
  .filter((match) => !/\bsrc=/.test(match[0]))
  .map((match) => `'sha256-${createHash('sha256').update(match[1], 'utf8').digest('base64')}'`);
if (inline.length === 0) {
  console.error('csp.mjs: found no inline script to pin; did trunk change its output?');
  process.exit(1);
}

const policy = [
  "default-src 'none'",
  `script-src 'self' 'wasm-unsafe-eval' ${inline.join(' ')}`,
  "style-src 'self'",
  // blob: for previews of received images (made from bytes checked to be PNG/JPEG/GIF/WebP).
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  // The service worker (public/sw.js) and the web app manifest, both from this origin.
  "worker-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const meta = `<meta http-equiv="Content-Security-Policy" content="${policy}" />`;
if (html.includes('http-equiv="Content-Security-Policy"')) {
  console.error('csp.mjs: index.html already has a policy');
  process.exit(1);
}
// The policy must come before anything it governs: right after the charset (minified or not).
const out = html.replace(/(<meta charset="?utf-8"?\s*\/?>)/i, `$1${meta}`);
if (out === html) {
  console.error('csp.mjs: no <meta charset="utf-8"> to anchor the policy');
  process.exit(1);
}
writeFileSync(file, out);
console.log(`csp.mjs: pinned ${inline.length} inline script(s)`);
