#!/usr/bin/env node
// Dependency-free static file server for Tin Can's trunk build.
//
//   node e2e/serve.mjs --dir dist --base /tincan/ --port 4173 --host 127.0.0.1
//   node e2e/serve.mjs --dir dist --base / --port 8080
//
// Serves the files of --dir under the URL sub-path --base. The base without
// its trailing slash ("/tincan") redirects to the base ("/tincan/"); a
// directory path serves its index.html. Everything else is 404, including
// paths outside the base, unknown file types, dot-files and any attempt to
// leave --dir (../, encoded or not, backslashes, NUL, symlinks out of it).
// Only GET and HEAD are allowed. Every response carries Cache-Control:
// no-store so a rebuilt app is never served stale.

import { createServer } from 'node:http';
import { createReadStream, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

const USAGE = `usage: node e2e/serve.mjs [--dir DIR] [--base /PATH/] [--port N] [--host ADDR]
  --dir   folder to serve (default: dist)
  --base  URL sub-path the folder is served under (default: /)
  --port  TCP port (default: 8080; 0 picks a free one)
  --host  address to listen on (default: 127.0.0.1)`;

function fail(message) {
  console.error(`serve.mjs: ${message}\n${USAGE}`);
  process.exit(2);
}

export function parseArgs(argv) {
  const opts = { dir: 'dist', base: '/', port: 8080, host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    }
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const name = arg.replace(/^--/, '');
    if (!arg.startsWith('--') || !(name in opts)) fail(`unknown argument ${argv[i]}`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) fail(`${arg} needs a value`);
    }
    opts[name] = value;
  }
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad --port ${opts.port}`);
  opts.port = port;
  opts.base = normalizeBase(opts.base);
  return opts;
}

/** "/tincan" and "tincan/" become "/tincan/"; "" and "/" become "/". */
export function normalizeBase(base) {
  const parts = String(base).split('/').filter(Boolean);
  if (parts.some((p) => p === '.' || p === '..')) fail(`bad --base ${base}`);
  return parts.length ? `/${parts.join('/')}/` : '/';
}

/**
 * Maps a raw request target to a file inside root, or to a redirect.
 * Returns { redirect } | { file } | null (404).
 */
export function resolveRequest(rawUrl, base, root) {
  if (typeof rawUrl !== 'string' || !rawUrl.startsWith('/')) return null;
  const q = rawUrl.search(/[?#]/);
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = q === -1 ? '' : rawUrl.slice(q).replace(/#.*$/, '');

  if (base !== '/' && rawPath === base.slice(0, -1)) return { redirect: base + query };
  if (!rawPath.startsWith(base)) return null;

  let rel;
  try {
    rel = decodeURIComponent(rawPath.slice(base.length));
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\')) return null;
  const segments = rel.split('/');
  // No traversal, no dot-files (".git", ".env", ...), no empty segments ("a//b").
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (s.startsWith('.')) return null;
    if (s === '' && i !== segments.length - 1) return null;
  }
  if (rel === '' || rel.endsWith('/')) rel += 'index.html';

  const file = path.resolve(root, ...rel.split('/'));
  if (!file.startsWith(root + path.sep)) return null;
  return { file };
}

function send(res, status, headers, body) {
  res.writeHead(status, { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(body);
}

function notFound(req, res) {
  const body = '404 Not Found\n';
  send(res, 404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) },
    req.method === 'HEAD' ? undefined : body);
}

export function createHandler({ dir, base }) {
  const root = realpathSync(dir);
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' },
        '405 Method Not Allowed\n');
      return;
    }
    const target = resolveRequest(req.url, base, root);
    if (!target) return notFound(req, res);
    if (target.redirect) {
      send(res, 301, { Location: target.redirect, 'Content-Length': 0 });
      return;
    }
    const type = MIME[path.extname(target.file).toLowerCase()];
    if (!type) return notFound(req, res);
    let real;
    let stat;
    try {
      real = realpathSync(target.file); // a symlink must not lead out of the root
      stat = statSync(real);
    } catch {
      return notFound(req, res);
    }
    if (!real.startsWith(root + path.sep) || !stat.isFile()) return notFound(req, res);
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': stat.size,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') return res.end();
    const stream = createReadStream(real);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  let stat;
  try {
    stat = statSync(opts.dir);
  } catch {
    stat = null;
  }
  if (!stat || !stat.isDirectory()) {
    console.error(`serve.mjs: folder ${path.resolve(opts.dir)} does not exist; build the app first ` +
      '(trunk build --release --public-url /tincan/ --dist dist)');
    process.exit(1);
  }
  try {
    statSync(path.join(opts.dir, 'index.html'));
  } catch {
    console.error(`serve.mjs: ${path.resolve(opts.dir)} has no index.html; build the app first`);
    process.exit(1);
  }
  const server = createServer(createHandler(opts));
  server.on('error', (err) => {
    console.error(`serve.mjs: ${err.message}`);
    process.exit(1);
  });
  server.listen(opts.port, opts.host, () => {
    const { port } = server.address();
    const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
    console.log(`Serving ${path.resolve(opts.dir)} at http://${host}:${port}${opts.base}`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main();
