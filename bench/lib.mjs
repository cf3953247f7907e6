// Small helpers for bench/run.mjs: the static server, statistics, number formatting, sizes.

import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';

/** Starts e2e/serve.mjs on a free loopback port; resolves to { url, stop }. */
export function serve(repo, dir, base) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(repo, 'e2e/serve.mjs'), '--dir', dir, '--base', base, '--port', '0', '--host', '127.0.0.1'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    // Never leave a server behind, whatever way this process ends.
    const killChild = () => child.exitCode === null && child.kill('SIGTERM');
    process.once('exit', killChild);
    let out = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`serve.mjs did not start for ${dir}`));
    }, 10000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve.mjs exited (${code}) for ${dir}`));
    });
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/at (http:\/\/\S+)/);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout.resume();
      resolve({
        url: match[1],
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

export function median(values) {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values, p) {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1];
}

export const round = (x, digits = 1) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);

const group = (x, digits) =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** "12.3 ms", "1,234 ms", "40.0 s". */
export function ms(x) {
  if (!Number.isFinite(x)) return 'n/a';
  if (x >= 10000) return `${group(x / 1000, 1)} s`;
  return `${group(x, x < 10 ? 2 : x < 100 ? 1 : 0)} ms`;
}

export const kb = (bytes) => `${group(bytes / 1000, 1)} KB`;
export const int = (x) => (Number.isFinite(x) ? group(x, 0) : 'n/a');
export const ratio = (x) => (Number.isFinite(x) ? `${x >= 10 ? group(x, 0) : x >= 1 ? x.toFixed(2) : x.toFixed(3)}x` : '—');

/** Raw and `gzip -9` sizes of each file in dir whose name ends in one of exts. */
export function sizes(dir, exts) {
  const files = readdirSync(dir)
    .filter((name) => exts.some((ext) => name.endsWith(ext)))
    .sort();
  return files.map((name) => {
    const file = path.join(dir, name);
    const raw = statSync(file).size;
    const gzip = execFileSync('gzip', ['-9', '-c', file], { maxBuffer: 64 << 20 }).length;
    return { name, raw, gzip };
  });
}

export function sumSizes(list) {
  return list.reduce((t, f) => ({ raw: t.raw + f.raw, gzip: t.gzip + f.gzip }), { raw: 0, gzip: 0 });
}

export function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/**
 * Copies a trunk build to a temporary folder, so that a rebuild of dist/ during the run (others
 * work in the same tree) cannot mix two builds. Retries while the copy is not self-consistent
 * (every file index.html refers to is there). Returns { dir, remove }.
 */
export async function snapshot(dist, base) {
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tincan-bench-'));
    cpSync(dist, dir, { recursive: true, filter: (src) => src === dist || !path.basename(src).startsWith('.') });
    const remove = () => rmSync(dir, { recursive: true, force: true });
    const html = existsSync(path.join(dir, 'index.html')) ? readFileSync(path.join(dir, 'index.html'), 'utf8') : '';
    const refs = [...html.matchAll(new RegExp(`${base}([\\w.-]+\\.(?:js|wasm|css))`, 'g'))].map((m) => m[1]);
    if (html && refs.length && refs.every((f) => existsSync(path.join(dir, f)))) return { dir, remove };
    remove();
    if (attempt === 5) throw new Error(`${dist} is not a complete build (index.html refers to missing files)`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

/**
 * A static server in this process for the phone's first load: the files of `dir` under `base`,
 * gzipped (zlib's default level) when the browser accepts it, as GitHub Pages serves them.
 * e2e/serve.mjs sends files as they are, which on a 1.6 Mbit/s link would measure the server.
 * Resolves to { url, stop }.
 */
export function serveCompressed(dir, base) {
  const cache = new Map();
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    let rel = pathname.startsWith(base) ? pathname.slice(base.length) : null;
    if (rel === '') rel = 'index.html';
    const type = rel && MIME[path.extname(rel)];
    const file = rel && path.join(dir, rel);
    if (!type || rel.split('/').some((part) => part.startsWith('.')) || !file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    if (!cache.has(file)) {
      const raw = readFileSync(file);
      cache.set(file, { raw, gz: type.startsWith('image/png') ? null : gzipSync(raw) });
    }
    const { raw, gz } = cache.get(file);
    const zipped = gz && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    res.writeHead(200, {
      'content-type': type,
      'content-length': (zipped ? gz : raw).length,
      'cache-control': 'max-age=600',
      ...(zipped ? { 'content-encoding': 'gzip', vary: 'Accept-Encoding' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : zipped ? gz : raw);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}${base}`,
        stop: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections?.();
          }),
      });
    });
  });
}
export const group1 = (x) => group(x, 1);
