import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { Browser as FirefoxBrowser } from 'puppeteer-core';
import { test, expect } from './fixtures';
import { FilesPanel, hashList } from './pages/files';
import { APP_URL, COMPACT_TAG, SAFETY_CODE, TinCanPage, codeOf } from './pages/tincan-page';
import { FirefoxTinCanPage, launchFirefox } from './pages/firefox-page';

// Issue #3: Chromium and Firefox connect through Tin Can's own links, in both
// directions, and chat. The links must be compact (`C` codes): the compact
// codec drops most of each SDP and rebuilds it on the other side, so this is
// where a rebuilt SDP that only the same browser accepts would show.
//
// Chromium is the Playwright-driven browser of the rest of the suite (page
// object tincan-page.ts; the crashGuard fixture checks it). Firefox ESR is
// driven with puppeteer-core over WebDriver BiDi (pages/firefox-page.ts):
// one Firefox per file, each test in fresh browser contexts. Both sides use
// host (mDNS) candidates only: no ICE servers, nothing leaves this machine.

/** The fragment of a link must stay well below this (a QR code and a chat message both stay small). */
const MAX_CODE_LENGTH = 160;

let firefox: FirefoxBrowser | undefined;
const firefoxPages: FirefoxTinCanPage[] = [];

test.beforeAll(async () => {
  firefox = await launchFirefox();
});

test.afterAll(async () => {
  await firefox?.close().catch(() => {});
  firefox = undefined;
});

/** A fresh Firefox tab (in its own browser context) on the start screen, without ICE servers. */
async function openFirefox(): Promise<FirefoxTinCanPage> {
  if (!firefox) throw new Error('Firefox is not running (beforeAll failed)');
  const app = await FirefoxTinCanPage.open(firefox, { iceServers: [] });
  firefoxPages.push(app);
  return app;
}

// Firefox's counterpart of the crashGuard fixture: no panic, no uncaught error.
test.afterEach(async ({}, testInfo) => {
  const pages = firefoxPages.splice(0);
  const problems = pages.flatMap((p) => p.crashes());
  const consoleErrors = pages.flatMap((p) => p.consoleErrors);
  if (consoleErrors.length) {
    await testInfo.attach('firefox-console-errors.txt', { body: consoleErrors.join('\n'), contentType: 'text/plain' });
  }
  await Promise.all(pages.map((p) => p.close()));
  expect(problems, 'the app in Firefox must not panic or throw uncaught errors').toEqual([]);
});

/** A link of the compact kind: this app's URL, a compact (`D`) code, short. */
function expectCompact(link: string, what: string): void {
  expect(link.startsWith(`${APP_URL}#`), `${what} is a link to this app`).toBe(true);
  const code = codeOf(link);
  expect(code[0], `${what} uses the compact codec (tag ${COMPACT_TAG}), not the lz-string fallback: ${code}`).toBe(COMPACT_TAG);
  expect(code.length, `${what}'s code is short: ${code}`).toBeLessThan(MAX_CODE_LENGTH);
}

test.describe('Chromium and Firefox connect through the links (issue #3)', () => {
  test('Chromium invites, Firefox answers; messages go both ways', async ({ browser }) => {
    const chromium = await TinCanPage.launch(browser);
    const ff = await openFirefox();

    const inviteLink = await chromium.createInvite();
    expectCompact(inviteLink, "Chromium's invite link");

    const answerLink = await ff.openInvite(inviteLink);
    expectCompact(answerLink, "Firefox's answer link");

    await chromium.acceptAnswer(codeOf(answerLink));
    await chromium.expectConnected();
    await ff.waitForConnected();

    const code = await chromium.safetyCode();
    expect(code).toMatch(SAFETY_CODE);
    expect(await ff.safetyCode(), 'both browsers show the same safety code').toBe(code);

    await chromium.sendWithEnter('hello Firefox, from Chromium');
    expect(await ff.waitForMessages('peer', 1)).toEqual(['hello Firefox, from Chromium']);

    await ff.sendWithEnter('hello Chromium, from Firefox');
    await expect(chromium.peerMessages()).toHaveCount(1);
    await expect(chromium.peerMessages().first().locator('p.text')).toHaveText('hello Chromium, from Firefox');

    await ff.send('second from Firefox ✓');
    await expect(chromium.peerMessages()).toHaveCount(2);
    await expect(chromium.peerMessages().nth(1).locator('p.text')).toHaveText('second from Firefox ✓');

    await ff.waitForStatus('Connected');
    await chromium.expectStatus('Connected');
  });

  test('Firefox invites, Chromium answers; messages go both ways', async ({ browser }) => {
    const ff = await openFirefox();
    const chromium = await TinCanPage.launch(browser);

    const inviteLink = await ff.createInvite();
    expectCompact(inviteLink, "Firefox's invite link");

    const answerLink = await chromium.openInvite(inviteLink);
    expectCompact(answerLink, "Chromium's answer link");

    await ff.acceptAnswer(codeOf(answerLink));
    await ff.waitForConnected();
    await chromium.expectConnected();

    const code = await ff.safetyCode();
    expect(code).toMatch(SAFETY_CODE);
    expect(await chromium.safetyCode(), 'both browsers show the same safety code').toBe(code);

    await ff.sendWithEnter('hello Chromium, from Firefox');
    await expect(chromium.peerMessages()).toHaveCount(1);
    await expect(chromium.peerMessages().first().locator('p.text')).toHaveText('hello Chromium, from Firefox');

    await chromium.send('hello Firefox, from Chromium ✓');
    expect(await ff.waitForMessages('peer', 1)).toEqual(['hello Firefox, from Chromium ✓']);

    await ff.waitForStatus('Connected');
    await chromium.expectStatus('Connected');
  });
});

test.describe('Files between Chromium and Firefox (issue #5)', () => {
  test('a file goes each way, verified by both browsers, byte-exact', async ({ browser }, testInfo) => {
    test.setTimeout(60_000);
    const chromium = await TinCanPage.launch(browser);
    const ff = await openFirefox();
    await chromium.acceptAnswer(codeOf(await ff.openInvite(await chromium.createInvite())));
    await chromium.expectConnected();
    await ff.waitForConnected();
    const chromiumFiles = new FilesPanel(chromium);

    // Chromium → Firefox: Firefox hashes each chunk with its own WebCrypto.
    const toFirefox = randomBytes(3 * 1024 * 1024 + 12_345);
    await writeFile(testInfo.outputPath('to-firefox.bin'), toFirefox);
    await chromiumFiles.attach(testInfo.outputPath('to-firefox.bin'));
    expect(await ff.receivedFile('to-firefox.bin')).toBe(hashList(toFirefox));
    await expect(chromiumFiles.transfer('to-firefox.bin')).toContainText('Verified by the other browser');
    await expect(chromiumFiles.checksum('to-firefox.bin')).toHaveText(hashList(toFirefox));

    // Firefox → Chromium.
    const toChromium = randomBytes(2 * 1024 * 1024 + 777);
    await writeFile(testInfo.outputPath('to-chromium.bin'), toChromium);
    await ff.attachFile(testInfo.outputPath('to-chromium.bin'));
    await chromiumFiles.expectReceived('to-chromium.bin', { timeout: 30_000 });
    const saved = await chromiumFiles.download('to-chromium.bin');
    expect(saved.sha256).toBe(createHash('sha256').update(toChromium).digest('hex'));
    await expect(chromiumFiles.checksum('to-chromium.bin')).toHaveText(hashList(toChromium));
    expect(await ff.checksum('to-chromium.bin')).toBe(hashList(toChromium));
  });
});
