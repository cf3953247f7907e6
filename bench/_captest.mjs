import { chromium } from 'playwright';
import * as lib from './lib.mjs';
import * as tincan from './tincan.mjs';
const app = await lib.serve('/work/main', '/work/main/dist', '/tincan/');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const t = Date.now();
const r = await tincan.burst(browser, app.url, 10000, 10000);
console.log((Date.now() - t) / 1000, 's', r.got.count, r.got.timedOut, r.got.at - r.sent.t0, r.sent.loopMs);
await browser.close(); await app.stop();
