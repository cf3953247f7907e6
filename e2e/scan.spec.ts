import { chromium, type Browser, type BrowserContext, type Locator, type Request } from '@playwright/test';
import { test, expect } from './fixtures';
import { mediaRecorderScript, recordMedia } from './pages/call';
import { FIREFOX_FAKE_MEDIA_PREFS, FirefoxTinCanPage, launchFirefox } from './pages/firefox-page';
import { APP_URL, LINK, TinCanPage } from './pages/tincan-page';
import { writeQrY4m } from './pages/y4m';
import config from '../playwright.config';

// Issue #19, "Scan QR code". The scanning browser's camera is Chromium's fake device playing a
// Y4M file the test renders from the app's own QR code (e2e/pages/y4m.ts). Headless Chromium on
// Linux has no BarcodeDetector, so these scans go through the Rust decoder in the `qrscan` web
// worker; the last test stands in a BarcodeDetector to cover the browser's own path.

const launchOptions = config.use?.launchOptions ?? {};

/** A Chromium whose camera plays `file` (written later, before Scan is pressed). */
async function launchWithCamera(file: string, options: { grant?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    ...launchOptions,
    args: [
      ...(launchOptions.args ?? []),
      '--use-fake-device-for-media-stream',
      // Without it the permission prompt is answered "no" (headless has nobody to ask).
      ...(options.grant === false ? [] : ['--use-fake-ui-for-media-stream']),
      `--use-file-for-fake-video-capture=${file}`,
    ],
  });
}

/** A context of `browser` that records every camera stream the page gets, to check release. */
async function cameraContext(browser: Browser): Promise<BrowserContext> {
  const context = await TinCanPage.newContext(browser, { contextOptions: { baseURL: APP_URL } });
  await context.addInitScript(() => {
    // The worker and its wasm must run under the page's Content-Security-Policy as it is.
    const violations: string[] = [];
    (window as unknown as { violations: string[] }).violations = violations;
    document.addEventListener('securitypolicyviolation', (event) =>
      violations.push(`${event.violatedDirective} ${event.blockedURI}`));
  });
  // Every track from getUserMedia, as the call tests record them (window.__tracks).
  await recordMedia(context);
  return context;
}

/** The ready states of every camera track the page opened. */
async function cameraTracks(app: TinCanPage): Promise<string[]> {
  return app.page.evaluate(() =>
    (window as unknown as { __tracks: MediaStreamTrack[] }).__tracks.map((track) => track.readyState));
}

/** Every camera track opened was stopped (the light is off), and there was at least one. */
async function expectCameraReleased(app: TinCanPage): Promise<void> {
  await expect.poll(() => cameraTracks(app)).toEqual(expect.arrayContaining(['ended']));
  expect(await cameraTracks(app)).not.toContain('live');
}

/** The scan controls of one screen. */
class Scanner {
  readonly button: Locator;
  readonly cancel: Locator;
  readonly video: Locator;
  readonly hint: Locator;
  readonly problem: Locator;
  constructor(readonly app: TinCanPage) {
    const page = app.page;
    this.button = page.getByRole('button', { name: 'Scan QR code', exact: true });
    this.cancel = page.getByRole('button', { name: 'Cancel', exact: true });
    this.video = page.getByTestId('scan-video');
    this.hint = page.getByTestId('scan-hint');
    this.problem = page.getByTestId('scan-problem');
  }
}

/** Requests for the decoder worker's files. */
function watchDecoder(context: BrowserContext): string[] {
  const fetched: string[] = [];
  context.on('request', (request: Request) => {
    if (/qrscan/.test(request.url())) fetched.push(new URL(request.url()).pathname);
  });
  return fetched;
}

test.describe('Scan QR code (issue #19)', () => {
  test('the inviter scans the answer QR code: the two connect, the camera is released, the decoder was loaded only then', async ({ browser }, testInfo) => {
    test.setTimeout(60_000);
    const file = testInfo.outputPath('answer.y4m');
    const scanning = await launchWithCamera(file);
    try {
      const inviterContext = await cameraContext(scanning);
      const decoderFetches = watchDecoder(inviterContext);
      const inviter = await TinCanPage.openIn(inviterContext);
      const invite = await inviter.createInvite();
      const invitee = await TinCanPage.launch(browser);
      const answer = await invitee.openInvite(invite);
      expect(decoderFetches, 'the first load does not fetch the decoder').toEqual([]);

      await writeQrY4m(invitee.answerQr, invitee.page.context(), file);
      const scanner = new Scanner(inviter);
      await scanner.button.click();
      await expect(scanner.video).toBeVisible();
      await expect(scanner.cancel).toBeFocused();

      await inviter.expectConnected();
      await invitee.expectConnected();
      expect(await inviter.safetyCode()).toBe(await invitee.safetyCode());
      await expectCameraReleased(inviter);
      expect(decoderFetches).toEqual(expect.arrayContaining(['/tincan/qrscan_loader.js', '/tincan/qrscan_bg.wasm']));
      expect(await inviter.page.evaluate(() => (window as unknown as { violations: string[] }).violations)).toEqual([]);
      expect(answer).toMatch(LINK);

      await inviter.send('read from a QR code');
      await expect(invitee.peerMessages().last()).toContainText('read from a QR code');
    } finally {
      await scanning.close();
    }
  });

  test('on the start screen a scanned invite opens that invite', async ({ browser }, testInfo) => {
    test.setTimeout(60_000);
    const file = testInfo.outputPath('invite.y4m');
    const scanning = await launchWithCamera(file);
    try {
      const inviter = await TinCanPage.launch(browser);
      await inviter.createInvite();
      await writeQrY4m(inviter.inviteQr, inviter.page.context(), file);

      const invitee = await TinCanPage.openIn(await cameraContext(scanning));
      await new Scanner(invitee).button.click();
      await expect(invitee.answerLinkBox).toHaveValue(LINK);
      await expectCameraReleased(invitee);
      await inviter.acceptAnswer(await invitee.answerLinkBox.inputValue());
      await inviter.expectConnected();
      await invitee.expectConnected();
    } finally {
      await scanning.close();
    }
  });

  test('an invite where the answer is expected is named, scanning goes on, Cancel releases the camera', async ({ browser }, testInfo) => {
    const file = testInfo.outputPath('own-invite.y4m');
    const scanning = await launchWithCamera(file);
    try {
      const inviter = await TinCanPage.openIn(await cameraContext(scanning));
      await inviter.createInvite();
      // The inviter's own invite, held up to its camera.
      const helper = await browser.newContext();
      await writeQrY4m(inviter.inviteQr, helper, file);
      await helper.close();
      const scanner = new Scanner(inviter);
      await scanner.button.click();
      await expect(scanner.problem).toHaveText(/This QR code is an invite, not an answer/);
      await expect(scanner.problem).toHaveAttribute('role', 'alert');
      await expect(scanner.video, 'the camera keeps looking for the right code').toBeVisible();
      await expect(inviter.status).toContainText('Waiting');

      await scanner.cancel.click();
      await expect(scanner.video).toBeHidden();
      await expect(scanner.button).toBeFocused();
      await expectCameraReleased(inviter);
      // The paste path is still there.
      await expect(inviter.answerInputBox).toBeEditable();
    } finally {
      await scanning.close();
    }
  });

  test('a blurred code and a covered code get clear messages; Escape stops the camera', async ({ browser }, testInfo) => {
    test.setTimeout(60_000);
    const blurred = testInfo.outputPath('blurred.y4m');
    const covered = testInfo.outputPath('covered.y4m');
    const scanningBlurred = await launchWithCamera(blurred);
    const scanningCovered = await launchWithCamera(covered);
    try {
      const invitee = await TinCanPage.launch(browser);
      const answerFor = async (scanning: Browser, file: string, view: Parameters<typeof writeQrY4m>[3]) => {
        const inviter = await TinCanPage.openIn(await cameraContext(scanning));
        const answer = await invitee.openInvite(await inviter.createInvite());
        expect(answer).toMatch(LINK);
        await writeQrY4m(invitee.answerQr, invitee.page.context(), file, view);
        await invitee.startOver();
        return inviter;
      };

      // Out of focus: the decoder finds the code's corners but cannot read it.
      const first = await answerFor(scanningBlurred, blurred, { blurPx: 3 });
      const scanner = new Scanner(first);
      await scanner.button.click();
      await expect(scanner.hint).toHaveText(/A QR code is in view but cannot be read: hold it steady and closer/);
      await expect(scanner.hint).toHaveAttribute('role', 'status');
      await scanner.video.press('Escape');
      await expect(scanner.video).toBeHidden();
      await expectCameraReleased(first);
      await expect(first.status).toContainText('Waiting');

      // A thumb over a corner: no code read; after a few seconds, how to hold it.
      const second = await answerFor(scanningCovered, covered, { covered: 0.45 });
      const coveredScanner = new Scanner(second);
      await coveredScanner.button.click();
      await expect(coveredScanner.hint).toHaveText(/hold (the code|it) steady and closer/, { timeout: 8_000 });
      await second.page.keyboard.press('Escape');
      await expectCameraReleased(second);
      await expect(second.status).toContainText('Waiting');
    } finally {
      await scanningBlurred.close();
      await scanningCovered.close();
    }
  });

  test('camera refused: a clear message, and the paste path still works', async ({ browser }, testInfo) => {
    const file = testInfo.outputPath('refused.y4m');
    const refusing = await launchWithCamera(file, { grant: false });
    try {
      const inviter = await TinCanPage.openIn(await cameraContext(refusing));
      const invite = await inviter.createInvite();
      // A camera that works, so that only the refusal stands in the way.
      await writeQrY4m(inviter.inviteQr, inviter.page.context(), file);
      const scanner = new Scanner(inviter);
      await scanner.button.click();
      await expect(scanner.problem).toHaveText(/Camera access was refused.*paste the link instead/);
      await expect(scanner.video).toBeHidden();
      await expect(scanner.button).toBeVisible();

      const invitee = await TinCanPage.launch(browser);
      await inviter.acceptAnswer(await invitee.openInvite(invite));
      await inviter.expectConnected();
    } finally {
      await refusing.close();
    }
  });

  test('no camera at all: a clear message', async ({ browser }) => {
    // The suite's own Chromium has no fake camera, and this machine no real one.
    const inviter = await TinCanPage.launch(browser);
    await inviter.createInvite();
    await new Scanner(inviter).button.click();
    await expect(new Scanner(inviter).problem).toHaveText(/^No camera was found/);
  });

  test("the browser's BarcodeDetector is used where it exists: a foreign code is refused, the answer connects, no worker", async ({ browser }, testInfo) => {
    const file = testInfo.outputPath('any.y4m');
    const scanning = await launchWithCamera(file);
    try {
      const context = await cameraContext(scanning);
      const decoderFetches = watchDecoder(context);
      // A stand-in detector: it "sees" whatever the test puts in window.codeInView.
      await context.addInitScript(() => {
        const page = window as unknown as { codeInView: string | null; detectorFormats: string[] };
        page.codeInView = null;
        class BarcodeDetector {
          constructor(options: { formats: string[] }) {
            page.detectorFormats = options.formats;
          }
          async detect(source: HTMLVideoElement) {
            if (!(source instanceof HTMLVideoElement)) throw new TypeError('not a video');
            return page.codeInView ? [{ rawValue: page.codeInView, format: 'qr_code' }] : [];
          }
        }
        (window as unknown as { BarcodeDetector: unknown }).BarcodeDetector = BarcodeDetector;
      });
      const inviter = await TinCanPage.openIn(context);
      const invite = await inviter.createInvite();
      const invitee = await TinCanPage.launch(browser);
      const answer = await invitee.openInvite(invite);
      await writeQrY4m(invitee.answerQr, invitee.page.context(), file);

      const scanner = new Scanner(inviter);
      await scanner.button.click();
      await expect(scanner.video).toBeVisible();
      await expect(scanner.hint).toHaveText(/Point the camera at the QR code/);
      await inviter.page.evaluate(() => {
        (window as unknown as { codeInView: string }).codeInView = 'https://example.com/menu#D123';
      });
      await expect(scanner.problem).toHaveText('This QR code is not a Tin Can link. Scan the code on your contact’s Tin Can screen, or paste their link.');
      expect(await inviter.page.evaluate(() => (window as unknown as { detectorFormats: string[] }).detectorFormats)).toEqual(['qr_code']);
      await inviter.page.evaluate((link) => {
        (window as unknown as { codeInView: string }).codeInView = link;
      }, answer);
      await inviter.expectConnected();
      await invitee.expectConnected();
      await expectCameraReleased(inviter);
      expect(decoderFetches, 'the Rust decoder is not fetched when the browser has its own').toEqual([]);
    } finally {
      await scanning.close();
    }
  });
});

// Firefox ESR has no BarcodeDetector either: the worker (a module worker) must load and read
// frames there too. Its fake camera shows a moving colour pattern, no QR code, so the guidance
// moving past "Point the camera…" shows that frames went through the decoder.
test.describe('Scan QR code in Firefox ESR (issue #19)', () => {
  test('the decoder worker loads and reads frames; Cancel releases the camera', async () => {
    test.setTimeout(60_000);
    const firefox = await launchFirefox(FIREFOX_FAKE_MEDIA_PREFS);
    let app: FirefoxTinCanPage | undefined;
    try {
      app = await FirefoxTinCanPage.open(firefox, { iceServers: [] });
      const page = app.page;
      await page.evaluateOnNewDocument(mediaRecorderScript, null);
      await app.reload();
      await app.createInvite();
      await page.locator('::-p-aria([name="Scan QR code"][role="button"])').click();
      await page.waitForSelector('[data-testid="scan-video"]', { visible: true });
      await page.waitForFunction(
        () => /No code read yet|cannot be read/.test(document.querySelector('[data-testid="scan-hint"]')?.textContent ?? ''),
        { timeout: 15_000 },
      );
      expect(await page.$('[data-testid="scan-problem"]'), 'no problem: camera and reader work').toBeNull();
      await page.locator('::-p-aria([name="Cancel"][role="button"])').click();
      await page.waitForSelector('[data-testid="scan-video"]', { hidden: true });
      const tracks = await page.evaluate(() =>
        (window as unknown as { __tracks: MediaStreamTrack[] }).__tracks.map((track) => track.readyState));
      expect(tracks.length).toBeGreaterThan(0);
      expect(tracks).not.toContain('live');
      expect(app.crashes()).toEqual([]);
    } finally {
      await app?.close();
      await firefox.close().catch(() => {});
    }
  });
});
