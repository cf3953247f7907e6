// The call row of Tin Can's benchmark (issue #20): from pressing "Video call" until the caller's
// page shows the first frame of the other side's video (requestVideoFrameCallback on the remote
// <video>), next to a plain-JS page doing the same in-band call over its data channel
// (bench/baseline/call.html). Both in the same headless Chromium with fake devices, taking
// turns; the callee accepts from inside its page the moment the call rings, so no Playwright
// round trip is in the figure.
//
// bench/run.mjs wiring: `import { measureCall } from './call.mjs'` and
// `const call = await measureCall(chromium, { origin: appOrigin, distBase: '/tincan/' })`, where
// the app is served at origin + distBase. It launches its own Chromium (fake camera and
// microphone are launch flags) and serves bench/baseline/ itself.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lib from './lib.mjs';
import { connectPair } from './tincan.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(HERE);

const FAKE_MEDIA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

/** Tin Can: a connected pair, then Video call → Accept → first remote frame at the caller. */
async function tincanCall(browser, appUrl) {
  const pair = await connectPair(browser, appUrl);
  try {
    const caller = pair.a.page;
    const callee = pair.b.page;
    await caller.getByRole('button', { name: 'Video call', exact: true }).waitFor();
    // The callee presses Accept as soon as it shows.
    await callee.evaluate(() => {
      const accept = () => {
        const button = [...document.querySelectorAll('[data-testid="call-panel"] button')]
          .find((b) => b.textContent.trim() === 'Accept');
        if (!button) return false;
        button.click();
        return true;
      };
      const observer = new MutationObserver(() => accept() && observer.disconnect());
      observer.observe(document.body, { subtree: true, childList: true });
    });
    return await caller.evaluate(() => new Promise((resolve) => {
      const now = () => performance.timeOrigin + performance.now();
      let t0 = 0;
      const watch = () => {
        const video = document.querySelector('[data-testid="remote-video"]');
        if (!video) return false;
        video.requestVideoFrameCallback(() => resolve(now() - t0));
        return true;
      };
      const observer = new MutationObserver(() => watch() && observer.disconnect());
      observer.observe(document.body, { subtree: true, childList: true });
      const button = [...document.querySelectorAll('[data-testid="call-panel"] button')]
        .find((b) => b.textContent.trim() === 'Video call');
      t0 = now();
      button.click();
    }));
  } finally {
    await pair.close();
  }
}

/** The plain page: connected by the runner, then call() on one side. */
async function plainCall(browser, pageUrl) {
  const a = await browser.newContext();
  const b = await browser.newContext();
  try {
    const pa = await a.newPage();
    const pb = await b.newPage();
    await pa.goto(pageUrl);
    await pb.goto(pageUrl);
    const offer = await pa.evaluate(() => window.call.offer());
    const answer = await pb.evaluate((sdp) => window.call.answer(sdp), offer);
    await pa.evaluate((sdp) => window.call.accept(sdp), answer);
    await pb.evaluate(() => window.call.open);
    const ms = await pa.evaluate(() => window.call.call());
    await pa.evaluate(() => window.call.hangUp());
    await pb.evaluate(() => window.call.hangUp());
    return ms;
  } finally {
    await a.close();
    await b.close();
  }
}

/**
 * Median of `runs` calls each, Tin Can and plain JS taking turns.
 * Returns { tincanMs, plainMs, runs }.
 */
export async function measureCall(browserOrType, { origin, distBase, runs = 5 }) {
  const type = typeof browserOrType.browserType === 'function' ? browserOrType.browserType() : browserOrType;
  const browser = await type.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', ...FAKE_MEDIA],
  });
  const baseline = await lib.serve(REPO, path.join(HERE, 'baseline'), '/baseline/');
  try {
    const appUrl = new URL(distBase, origin).href;
    const pageUrl = new URL('call.html', baseline.url).href;
    const tincan = [];
    const plain = [];
    for (let i = 0; i < runs; i++) {
      tincan.push(await tincanCall(browser, appUrl));
      plain.push(await plainCall(browser, pageUrl));
    }
    return { tincanMs: lib.median(tincan), plainMs: lib.median(plain), runs, all: { tincan, plain } };
  } finally {
    await baseline.stop();
    await browser.close();
  }
}

// Run on its own: node bench/call.mjs http://127.0.0.1:4173 /tincan/ [runs]
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { chromium } = await import('playwright');
  const [origin = 'http://127.0.0.1:4173', distBase = '/tincan/', runs = '5'] = process.argv.slice(2);
  console.log(JSON.stringify(await measureCall(chromium, { origin, distBase, runs: Number(runs) })));
}
