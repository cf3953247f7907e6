import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, expect } from './fixtures';
import { APP_URL } from './pages/tincan-page';

// e2e/serve.mjs: the static server the suite (and the README) uses.

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request: the path goes out byte for byte (no URL normalisation). */
function get(port: number, rawPath: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: rawPath, method }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test.describe('static server (e2e/serve.mjs) on a fixture folder', () => {
  let root: string;
  let server: ChildProcess;
  let port: number;

  test.beforeAll(async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'tincan-serve-'));
    root = path.join(tmp, 'dist');
    mkdirSync(path.join(root, 'assets'), { recursive: true });
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>fixture</title>');
    writeFileSync(path.join(root, 'app-123.js'), 'export {};');
    writeFileSync(path.join(root, 'app-123_bg.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    writeFileSync(path.join(root, 'style-123.css'), 'body{}');
    writeFileSync(path.join(root, 'assets', 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(path.join(root, 'assets', 'icon.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    writeFileSync(path.join(root, 'manifest.webmanifest'), '{}');
    writeFileSync(path.join(root, '.secret'), 'dot-file');
    writeFileSync(path.join(tmp, 'outside.txt'), 'outside the served folder');
    writeFileSync(path.join(root, 'unknown.xyz'), 'unknown type');
    symlinkSync(path.join(tmp, 'outside.txt'), path.join(root, 'link.txt'));

    server = spawn(process.execPath,
      [path.resolve('e2e/serve.mjs'), '--dir', root, '--base', '/tincan/', '--port', '0', '--host', '127.0.0.1'],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      server.stdout!.on('data', (chunk) => {
        out += chunk;
        const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\/tincan\//);
        if (m) resolve(Number(m[1]));
      });
      server.on('exit', (code) => reject(new Error(`serve.mjs exited with ${code}: ${out}`)));
    });
  });

  test.afterAll(async () => {
    server?.kill();
    if (root) rmSync(path.dirname(root), { recursive: true, force: true });
  });

  test('serves files under the base path with the right MIME types and no-store', async () => {
    const cases: [string, string][] = [
      ['/tincan/', 'text/html'],
      ['/tincan/index.html', 'text/html'],
      ['/tincan/app-123.js', 'text/javascript'],
      ['/tincan/app-123_bg.wasm', 'application/wasm'],
      ['/tincan/style-123.css', 'text/css'],
      ['/tincan/assets/icon.svg', 'image/svg+xml'],
      ['/tincan/assets/icon.png', 'image/png'],
      ['/tincan/manifest.webmanifest', 'application/manifest+json'],
      ['/tincan/app-123.js?v=2', 'text/javascript'],
    ];
    for (const [url, type] of cases) {
      const res = await get(port, url);
      expect(res.status, url).toBe(200);
      expect(String(res.headers['content-type']).split(';')[0], url).toBe(type);
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
    expect((await get(port, '/tincan/')).body).toContain('<title>fixture</title>');
    const wasm = await get(port, '/tincan/app-123_bg.wasm');
    expect(wasm.body.slice(0, 4)).toBe('\0asm');
    const head = await get(port, '/tincan/app-123.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  test('redirects the base without its slash to the base', async () => {
    const res = await get(port, '/tincan');
    expect([301, 302, 307, 308]).toContain(res.status);
    expect(res.headers.location).toBe('/tincan/');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  test('answers 404 outside the base, for missing files, dot-files and unknown types', async () => {
    for (const url of ['/', '/index.html', '/tincanx/', '/tincan/missing.js', '/tincan/.secret',
      '/tincan/unknown.xyz', '/tincan/assets/nope.png', '/tincan/%ZZ']) {
      const res = await get(port, url);
      expect(res.status, url).toBe(404);
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
    expect((await get(port, '/tincan/', 'POST')).status).toBe(405);
  });

  test('never serves anything outside the folder', async () => {
    for (const url of [
      '/tincan/../outside.txt',
      '/tincan/../../../../etc/passwd',
      '/tincan/%2e%2e/outside.txt',
      '/tincan/..%2foutside.txt',
      '/tincan/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/tincan/assets/..%2f..%2foutside.txt',
      '/tincan/..%5coutside.txt',
      '/tincan/%2fetc%2fpasswd',
      '/tincan//etc/passwd',
      '/tincan/index.html%00.js',
      '/tincan/link.txt',
    ]) {
      const res = await get(port, url);
      expect(res.status, url).toBe(404);
      expect(res.body, url).not.toContain('outside the served folder');
      expect(res.body, url).not.toContain('root:');
    }
  });
});

test('the release build is served with the right MIME types', async ({ request }) => {
  const index = await request.get(APP_URL);
  expect(index.status()).toBe(200);
  expect(index.headers()['content-type']).toMatch(/^text\/html/);
  expect(index.headers()['cache-control']).toBe('no-store');
  const html = await index.text();

  // Every local asset index.html refers to (trunk's script, wasm preload, stylesheet, icons).
  // Quoted or not: the release build's HTML is minified.
  const refs = [...html.matchAll(/(?:href|src)=(?:"([^"]+)"|([^\s">]+))/g)]
    .map((m) => m[1] ?? m[2])
    .filter((u) => !/^(?:[a-z]+:|#|\/\/)/i.test(u));
  const urls = [...new Set(refs.map((u) => new URL(u, APP_URL).href))];
  const expected: Record<string, RegExp> = {
    '.js': /^text\/javascript/,
    '.wasm': /^application\/wasm$/,
    '.css': /^text\/css/,
    '.svg': /^image\/svg\+xml$/,
    '.png': /^image\/png$/,
    '.webmanifest': /^application\/manifest\+json$/,
  };
  expect(urls.some((u) => u.endsWith('.wasm')), `index.html refers to the wasm: ${urls}`).toBe(true);
  expect(urls.some((u) => u.endsWith('.js')), `index.html refers to the js: ${urls}`).toBe(true);
  for (const url of urls) {
    expect(url.startsWith(APP_URL), `${url} is under /tincan/`).toBe(true);
    const res = await request.get(url);
    expect(res.status(), url).toBe(200);
    const ext = path.extname(new URL(url).pathname);
    if (expected[ext]) expect(res.headers()['content-type'], url).toMatch(expected[ext]);
  }
});
