import { chromium } from '@playwright/test';
import * as lib from '/work/main/bench/lib.mjs';
import * as tincan from '/work/main/bench/tincan.mjs';
const N = Number(process.argv[2] || 3000);
const snap = await lib.snapshot('/work/main/dist', '/tincan/');
const app = await lib.serve('/work/main', snap.dir, '/tincan/');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
const t = await tincan.connectPair(browser, app.url);
const sa = await t.a.context.newCDPSession(t.a.page);
const sb = await t.b.context.newCDPSession(t.b.page);
for (const s of [sa, sb]) { await s.send('Profiler.enable'); await s.send('Profiler.setSamplingInterval', { interval: 500 }); await s.send('Profiler.start'); }
await t.b.page.evaluate((n) => window.__bench.expectMessages('peer', n), N);
const sent = await t.a.page.evaluate((n) => window.__bench.burst(n), N);
const got = await t.b.page.evaluate(() => window.__bench.expected);
console.log('loopMs', sent.loopMs.toFixed(0), 'all shown after', (got.at - sent.t0).toFixed(0));
await new Promise((r) => setTimeout(r, 500));
for (const [name, s] of [['sender', sa], ['receiver', sb]]) {
  const { profile } = await s.send('Profiler.stop');
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map(); for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const count = new Map(); for (const id of profile.samples) count.set(id, (count.get(id) || 0) + 1);
  const self = new Map(), total = new Map(); let all = 0;
  const key = (n) => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
  for (const [id, c] of count) { all += c; const n = byId.get(id); self.set(key(n), (self.get(key(n)) || 0) + c);
    const seen = new Set(); for (let x = id; x; x = parent.get(x)) { const k = key(byId.get(x)); if (!seen.has(k)) { seen.add(k); total.set(k, (total.get(k) || 0) + c); } } }
  console.log(`--- ${name}: ${all} samples; self:`);
  for (const [k, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 22)) console.log(`${(c * 0.5).toFixed(0).padStart(7)} ms  ${k}`);
  console.log(`--- ${name}: total (inclusive):`);
  for (const [k, c] of [...total].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${(c * 0.5).toFixed(0).padStart(7)} ms  ${k}`);
}
await t.close(); await browser.close(); await app.stop(); snap.remove();
