import type { Browser } from '@playwright/test';
import { APP_URL, TinCanPage, codeOf } from '../pages/tincan-page';
import {
  test,
  expect,
  openPlainPage,
  plainExchange,
  rtcConfiguration,
  saveIceSettings,
  CAPTURE_PEERS_PATH,
  STUN_AND_TURN,
  STUN_ONLY,
  type IceSettings,
  type Lab,
  type NatMode,
} from './lab';

// The lab report (issue #13): time from the inviter taking the answer to a working chat, per
// path, for Tin Can driven through its UI and for a plain-JS page doing the same exchange (full
// gathering, every candidate in the offer and the answer, as Tin Can's links carry them) in the
// same lab run. Not part of the test suite: `bash scripts/lab-report.sh` runs it and prints the
// table. Figures only, never a pass/fail on time.

const RUNS = Number(process.env.LAB_REPORT_RUNS ?? 5);

interface PathCase {
  name: string;
  nat: NatMode;
  ice: IceSettings;
}

const PATHS: PathCase[] = [
  { name: 'direct (cone NATs, STUN: srflx)', nat: 'cone', ice: STUN_ONLY },
  { name: 'relay (symmetric NATs, TURN over UDP)', nat: 'symmetric', ice: STUN_AND_TURN },
];

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * One Tin Can connection through the UI: A creates the invite, B opens it, A pastes the answer
 * and presses Connect. Measured inside A's page: from the Connect click to the status saying
 * Connected (B's status is checked after).
 */
async function tinCanConnectMs(browsers: Record<'a' | 'b', Browser>, ice: IceSettings): Promise<number> {
  const open = async (browser: Browser) => {
    const context = await TinCanPage.newContext(browser, { contextOptions: { baseURL: APP_URL } });
    await context.addInitScript({ path: CAPTURE_PEERS_PATH });
    const app = await TinCanPage.openIn(context);
    await saveIceSettings(app, ice);
    return app;
  };
  const a = await open(browsers.a);
  const b = await open(browsers.b);
  try {
    const answer = await b.openInvite(await a.createInvite());
    await a.pasteAnswer(codeOf(answer));
    const measured = a.page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          let clickedAt = 0;
          const button = [...document.querySelectorAll('button')].find((el) => el.textContent?.trim() === 'Connect');
          button?.addEventListener('click', () => (clickedAt = performance.now()), { capture: true, once: true });
          const status = document.querySelector('[data-testid="connection-status"]');
          const check = () => {
            if (clickedAt && /\bConnected\b/.test(status?.textContent ?? '')) {
              observer.disconnect();
              resolve(performance.now() - clickedAt);
            }
          };
          const observer = new MutationObserver(check);
          observer.observe(document.body, { subtree: true, childList: true, characterData: true });
        }),
    );
    // Let the observer be installed before the click.
    await a.page.waitForTimeout(50);
    await a.connect();
    const ms = await Promise.race([measured, a.page.waitForTimeout(30_000).then(() => Number.NaN)]);
    await b.expectStatus('Connected', { timeout: 20_000 });
    return ms;
  } finally {
    await Promise.all([a.page.context().close(), b.page.context().close()]);
  }
}

async function plainConnectMs(browsers: Record<'a' | 'b', Browser>, ice: IceSettings): Promise<number> {
  const a = await openPlainPage(browsers.a);
  const b = await openPlainPage(browsers.b);
  try {
    const result = await plainExchange(a, b, rtcConfiguration(ice), 30_000);
    return result.connectMs ?? Number.NaN;
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

async function measure(lab: Lab, path: PathCase): Promise<{ tincan: number[]; plain: number[] }> {
  await lab.reset();
  await lab.nat(path.nat);
  const browsers = { a: await lab.launchChromium('a'), b: await lab.launchChromium('b') };
  const tincan: number[] = [];
  const plain: number[] = [];
  // Interleaved, so a slow moment of the machine falls on both.
  for (let run = 0; run < RUNS; run++) {
    tincan.push(await tinCanConnectMs(browsers, path.ice));
    plain.push(await plainConnectMs(browsers, path.ice));
  }
  await lab.closeBrowsers();
  return { tincan, plain };
}

test('lab report: time from the answer to a working chat, per path, Tin Can next to plain JS', async ({ lab }) => {
  test.setTimeout(RUNS * 2 * PATHS.length * 40_000 + 60_000);
  const rows: string[] = [];
  for (const path of PATHS) {
    const { tincan, plain } = await measure(lab, path);
    expect(tincan.filter(Number.isNaN), `Tin Can connected every time on the ${path.name} path`).toEqual([]);
    expect(plain.filter(Number.isNaN), `plain JS connected every time on the ${path.name} path`).toEqual([]);
    const t = median(tincan);
    const p = median(plain);
    rows.push(
      `| ${path.name} | ${t.toFixed(0)} ms | ${p.toFixed(0)} ms | ${(t / p).toFixed(2)}x | ` +
        `${tincan.map((v) => v.toFixed(0)).join(', ')} / ${plain.map((v) => v.toFixed(0)).join(', ')} |`,
    );
  }
  const table = [
    `Lab report (${new Date().toISOString().slice(0, 10)}, median of ${RUNS}, Chromium in both host namespaces):`,
    'Tin Can: Connect click to "Connected" on the inviter. Plain JS: setRemoteDescription(answer) to both channels open.',
    '',
    '| path | Tin Can | plain JS | ratio | every run (Tin Can / plain) |',
    '| --- | ---: | ---: | ---: | --- |',
    ...rows,
  ].join('\n');
  console.log(`\n${table}\n`);
});
