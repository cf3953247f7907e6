import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { Browser } from '@playwright/test';
import { test, expect } from './fixtures';
import type { Browser as FirefoxBrowser } from 'puppeteer-core';
import { CallPanel, mediaRecorderScript, mediaStatsInPage, recordMedia, type MediaStats } from './pages/call';
import { FIREFOX_FAKE_MEDIA_PREFS, FirefoxTinCanPage, launchFirefox } from './pages/firefox-page';
import { FilesPanel, hashList } from './pages/files';
import { TinCanPage, codeOf, connectPair } from './pages/tincan-page';
import config from '../playwright.config';

// Issue #20: voice and video calls inside the chat's connection, negotiated over the chat
// channel. Chromium's fake camera and microphone stand in for devices (a moving test pattern
// and a beep), and its fake UI grants every permission prompt. Everything is measured from the
// app's own RTCPeerConnection (getStats) and the tracks the page got from the browser.

const launchOptions = config.use?.launchOptions ?? {};
test.use({
  launchOptions: {
    ...launchOptions,
    args: [
      ...(launchOptions.args ?? []),
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      // getDisplayMedia picks this screen without a picker (headless has a fake one).
      '--auto-select-desktop-capture-source=Entire screen',
    ],
  },
});

const MiB = 1024 * 1024;

/** Two connected Chromium tabs whose peer connections and media tracks are recorded. */
async function callPair(
  browser: Browser,
  options: {
    refuseAtInvitee?: 'video' | 'audio';
    oldInvitee?: boolean;
    noServiceWorker?: boolean;
    /** Runs on the invitee's context before the two connect. */
    prepareInvitee?: (context: import('@playwright/test').BrowserContext) => Promise<void>;
  } = {},
): Promise<{ inviter: TinCanPage; invitee: TinCanPage; caller: CallPanel; callee: CallPanel }> {
  const contextOptions = options.noServiceWorker ? { serviceWorkers: 'block' as const } : {};
  const inviterContext = await TinCanPage.newContext(browser, { contextOptions });
  const inviteeContext = await TinCanPage.newContext(browser, { contextOptions });
  await recordMedia(inviterContext);
  await recordMedia(inviteeContext, { refuse: options.refuseAtInvitee });
  if (options.oldInvitee) await actAsOlderApp(inviteeContext);
  await options.prepareInvitee?.(inviteeContext);
  const { inviter, invitee } = await connectPair(browser, { inviterContext, inviteeContext });
  return { inviter, invitee, caller: new CallPanel(inviter), callee: new CallPanel(invitee) };
}

/** The tab's hello leaves out the call capability, as an app from before calls would. */
async function actAsOlderApp(context: import('@playwright/test').BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const send = RTCDataChannel.prototype.send;
    RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
      if (typeof data === 'string' && (data as string).startsWith('{"k":"hello"')) {
        const hello = JSON.parse(data);
        hello.caps = (hello.caps as string[]).filter((cap) => cap !== 'call');
        return send.call(this, JSON.stringify(hello) as never);
      }
      return send.call(this, data);
    } as typeof RTCDataChannel.prototype.send;
  });
}

/** The caller rings with `button`, the callee accepts: both in the call. */
async function startCall(caller: CallPanel, callee: CallPanel, button = 'Video call'): Promise<void> {
  await caller.button(button).click();
  await caller.expectState('outgoing');
  await callee.expectState('incoming');
  await callee.button('Accept').click();
  await caller.expectState('active');
  await callee.expectState('active');
}

const framesDecoded = (s: { videoFramesDecoded: number }) => s.videoFramesDecoded;
const audioPackets = (s: { audioPacketsReceived: number }) => s.audioPacketsReceived;
const audioEnergy = (s: { audioEnergyReceived: number }) => s.audioEnergyReceived;

test.describe('Calls (issue #20)', () => {
  // One failure in 15 runs of the video-call test, the first test of a freshly built run, not
  // reproduced since; one retry until it is understood (closing note of this stop).
  test.describe.configure({ retries: 1 });
  test('a video call: media both ways, mute, camera off, screen share, hang up; the chat stays', async ({ browser }) => {
    test.setTimeout(60_000);
    const { inviter, invitee, caller, callee } = await callPair(browser);
    await expect(caller.button('Call')).toBeVisible();
    await startCall(caller, callee);
    await expect(callee.status).toHaveText('In a video call');
    await expect(caller.duration).toHaveText(/^\d\d:\d\d$/);

    // Video frames decoded and audio packets received rise on both sides.
    for (const side of [caller, callee]) {
      await side.rises(framesDecoded, 10);
      await side.rises(audioPackets, 10);
    }
    // The fake microphone beeps: sound energy arrives.
    expect(await callee.rises(audioEnergy)).toBeGreaterThan(0);
    expect(await caller.mediaSections(), 'one audio and one video section').toBe(2);

    // Chat during the call, both ways.
    await inviter.send('talking and typing');
    await expect(invitee.peerMessages().last()).toContainText('talking and typing');

    // Mute: measured, Chromium keeps sending 50 packets a second (a disabled track sends
    // silence), each with a payload of about 3 bytes instead of about 60, and the sound's energy
    // at the other side stops growing.
    await caller.button('Mute').click();
    await expect(caller.button('Unmute')).toBeVisible();
    await expect(callee.peerMedia).toHaveText(/They muted their microphone/);
    await inviter.page.waitForTimeout(500);
    const before = await callee.stats();
    await inviter.page.waitForTimeout(1_500);
    const after = await callee.stats();
    const mutedPackets = after.audioPacketsReceived - before.audioPacketsReceived;
    const mutedBytes = after.audioBytesReceived - before.audioBytesReceived;
    expect(mutedPackets, 'muted audio still flows, as silence').toBeGreaterThan(30);
    expect(mutedBytes / mutedPackets, 'silence: a few bytes a packet').toBeLessThan(10);
    expect(after.audioEnergyReceived - before.audioEnergyReceived, 'no sound while muted').toBeLessThan(1e-6);
    await caller.button('Unmute').click();
    await expect(callee.peerMedia).not.toHaveText(/muted/);
    expect(await callee.rises(audioEnergy)).toBeGreaterThan(0);

    // Camera off: no more video frames, the camera track stopped, the other side told.
    await caller.button('Camera off').click();
    await expect(callee.peerMedia).toHaveText(/Their camera is off/);
    await inviter.page.waitForTimeout(500);
    expect(await callee.change(framesDecoded), 'no frames with the camera off').toBe(0);
    expect(await caller.sentVideoLabel()).toBeNull();
    expect(await caller.trackStates()).toContain('ended');
    await caller.button('Camera on').click();
    await expect(callee.peerMedia).not.toHaveText(/camera is off/);
    await callee.rises(framesDecoded, 10);

    // Share screen replaces the camera's track on the same sender, without a new section.
    const cameraLabel = await caller.sentVideoLabel();
    expect(cameraLabel).not.toBeNull();
    await caller.button('Share screen').click();
    await expect(caller.button('Stop sharing')).toBeVisible();
    await expect.poll(() => caller.sentVideoLabel()).not.toBe(cameraLabel);
    await expect(callee.peerMedia).toHaveText(/sharing their screen/);
    await callee.rises(framesDecoded, 5);
    expect(await caller.mediaSections()).toBe(2);
    await caller.button('Stop sharing').click();
    await expect.poll(() => caller.sentVideoLabel()).toBe(cameraLabel);

    // Hang up: every track the pages got is ended, on both sides; the chat is still connected.
    await callee.button('Hang up').click();
    await caller.expectState('idle');
    await callee.expectState('idle');
    await expect(caller.status).toHaveText('The other person ended the call.');
    for (const side of [caller, callee]) {
      await expect.poll(() => side.trackStates()).not.toContain('live');
      expect((await side.trackStates()).length).toBeGreaterThan(0);
    }
    await inviter.expectStatus('Connected');
    await invitee.send('still here after the call');
    await expect(inviter.peerMessages().last()).toContainText('still here after the call');

    // A second call on the same connection reuses the media sections.
    await startCall(callee, caller, 'Call');
    await caller.rises(audioPackets, 10);
    expect(await caller.mediaSections()).toBe(2);
    await caller.button('Hang up').click();
    await callee.expectState('idle');
  });

  test('both press Video call in the same tick: one call', async ({ browser }) => {
    const { caller, callee } = await callPair(browser);
    await Promise.all([caller.holdRings(500), callee.holdRings(500)]);
    await Promise.all([caller.button('Video call').click(), callee.button('Video call').click()]);
    // Both rang: each side's ring is still on its way when the other presses.
    await caller.expectState('outgoing');
    await callee.expectState('outgoing');
    await caller.expectState('active');
    await callee.expectState('active');
    for (const side of [caller, callee]) {
      await side.rises(framesDecoded, 10);
      await side.rises(audioPackets, 10);
      expect(await side.mediaSections(), 'one call: one audio and one video section').toBe(2);
    }
    // Whoever hangs up ends it for both.
    await callee.button('Hang up').click();
    await caller.expectState('idle');
    await expect.poll(() => caller.trackStates()).not.toContain('live');
  });

  test('Decline: the caller is told, its devices are released, and a next call works', async ({ browser }) => {
    const { caller, callee } = await callPair(browser);
    await caller.button('Video call').click();
    await expect(callee.status).toHaveText('Incoming video call');
    await callee.button('Decline').click();
    await expect(caller.status).toHaveText('The other person declined the call.');
    await caller.expectState('idle');
    await expect.poll(() => caller.trackStates()).not.toContain('live');
    expect(await callee.trackStates(), 'the callee never opened a device').toEqual([]);
    await startCall(caller, callee, 'Call');
    await callee.rises(audioPackets, 10);
  });

  test("the call's part of the app cannot be fetched: a clear message, and Hang up still ends the call", async ({
    browser,
  }) => {
    // No worker (it would serve the part from its cache): the caller's fetch of it fails.
    const { inviter, caller, callee } = await callPair(browser, { noServiceWorker: true });
    await inviter.page.route(/\/tincan-split-call-[^/]*\.wasm$/, (route) => route.abort('internetdisconnected'));
    await startCall(caller, callee, 'Call');
    await expect(inviter.page.getByTestId('call-panel').getByRole('alert')).toContainText(
      "The call's controls could not be loaded",
    );
    await expect(callee.button('Mute')).toBeVisible();
    await caller.button('Hang up').click();
    await caller.expectState('idle');
    await callee.expectState('idle');
    await expect.poll(() => caller.trackStates()).not.toContain('live');
  });

  test("the call signals' part arrives late at the callee: the ring waits for it, then rings, and the call runs", async ({
    browser,
  }) => {
    // What carries out a call is a part of the wasm of its own (README, "Shipped size"), fetched
    // when the other side's hello says it can call. No worker: it would serve it from its cache.
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let asked = 0;
    const { caller, callee } = await callPair(browser, {
      noServiceWorker: true,
      prepareInvitee: (context) =>
        context.route(/\/tincan-split-call_signals-[^/]*\.wasm$/, async (route) => {
          asked += 1;
          await released;
          await route.continue();
        }),
    });
    await expect.poll(() => asked, "the callee asks for it once the caller's hello says it can call").toBe(1);
    await caller.button('Call').click();
    await caller.expectState('outgoing');
    await callee.expectState('idle');
    release();
    await callee.expectState('incoming');
    await callee.button('Accept').click();
    await caller.expectState('active');
    await callee.expectState('active');
    await callee.rises(audioPackets, 10);
  });

  test('a call while a 24 MiB file transfers: the file is still verified', async ({ browser }, testInfo) => {
    test.setTimeout(60_000);
    const { inviter, invitee, caller, callee } = await callPair(browser);
    const data = randomBytes(24 * MiB);
    const path = testInfo.outputPath('during-call.bin');
    await writeFile(path, data);
    const sender = new FilesPanel(inviter);
    const receiver = new FilesPanel(invitee);
    await startCall(callee, caller);
    await caller.rises(framesDecoded, 10);
    // The file crosses while the video flows both ways, on the same connection.
    const before = [await caller.stats(), await callee.stats()];
    await sender.attach(path);
    await receiver.expectReceived('during-call.bin', { timeout: 45_000 });
    const after = [await caller.stats(), await callee.stats()];
    await expect(sender.transfer('during-call.bin')).toContainText('Verified by the other browser');
    const saved = await receiver.download('during-call.bin');
    expect(saved.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    await expect(receiver.checksum('during-call.bin')).toHaveText(hashList(data));
    for (const side of [0, 1]) {
      expect(after[side].videoFramesDecoded, 'video kept coming during the transfer').toBeGreaterThan(before[side].videoFramesDecoded);
      expect(after[side].audioPacketsReceived).toBeGreaterThan(before[side].audioPacketsReceived);
    }
    await caller.expectState('active');
    await callee.rises(framesDecoded, 10);
  });

  test('camera refused and a device unplugged: a specific message, the call goes on', async ({ browser }) => {
    const { caller, callee } = await callPair(browser, { refuseAtInvitee: 'video' });
    await startCall(caller, callee);
    await expect(callee.problem).toHaveText(/Permission for the camera was refused: the call goes on without it/);
    await expect(caller.peerMedia).toHaveText(/Their camera is off/);
    // Voice still goes both ways, and the caller's video reaches the callee.
    await caller.rises(audioPackets, 10);
    await callee.rises(audioPackets, 10);
    await callee.rises(framesDecoded, 10);
    // The caller's microphone is unplugged mid-call (the browser ends the track).
    await caller.page.evaluate(() => {
      const tracks = (window as unknown as { __tracks: MediaStreamTrack[] }).__tracks;
      tracks.find((track) => track.kind === 'audio')?.dispatchEvent(new Event('ended'));
    });
    await expect(caller.problem).toHaveText(/Your microphone stopped .* the call goes on without it/);
    await caller.expectState('active');
    await callee.rises(framesDecoded, 10);
  });

  test('Start over in a call: every track released on both sides', async ({ browser }) => {
    const { inviter, invitee, caller, callee } = await callPair(browser);
    await startCall(caller, callee);
    await callee.rises(framesDecoded, 5);
    await inviter.startOver();
    await invitee.expectStatus('Disconnected');
    for (const side of [caller, callee]) {
      await expect.poll(() => side.trackStates()).not.toContain('live');
      expect((await side.trackStates()).length).toBe(2);
    }
    await expect(callee.panel).toHaveCount(0);
  });

  test("the other side's app cannot take calls: said so, not a dead button", async ({ browser }) => {
    const { caller, callee } = await callPair(browser, { oldInvitee: true });
    await expect(caller.panel).toContainText("The other side's app cannot take calls.");
    await caller.button('Video call').click();
    await expect(caller.problem).toHaveText(/The other side's app cannot take calls/);
    await caller.expectState('idle');
    await callee.expectState('idle');
    expect(await caller.trackStates(), 'no device opened').toEqual([]);
  });
});

// Firefox ESR, driven as in cross-browser.spec.ts (puppeteer-core over WebDriver BiDi), with
// its fake camera and microphone and no permission prompt.
test.describe('Calls between Chromium and Firefox ESR (issue #20)', () => {
  let firefox: FirefoxBrowser | undefined;
  const firefoxPages: FirefoxTinCanPage[] = [];

  test.beforeAll(async () => {
    firefox = await launchFirefox(FIREFOX_FAKE_MEDIA_PREFS);
  });

  test.afterAll(async () => {
    await firefox?.close().catch(() => {});
    firefox = undefined;
  });

  test.afterEach(async () => {
    const pages = firefoxPages.splice(0);
    const problems = pages.flatMap((p) => p.crashes());
    await Promise.all(pages.map((p) => p.close()));
    expect(problems, 'the app in Firefox must not panic or throw uncaught errors').toEqual([]);
  });

  /** A Firefox tab whose peer connections and tracks are recorded. */
  async function openFirefox(): Promise<FirefoxTinCanPage> {
    if (!firefox) throw new Error('Firefox is not running (beforeAll failed)');
    const app = await FirefoxTinCanPage.open(firefox, { iceServers: [] });
    firefoxPages.push(app);
    await app.page.evaluateOnNewDocument(mediaRecorderScript, null);
    await app.reload();
    return app;
  }

  const ffButton = (ff: FirefoxTinCanPage, name: string) =>
    ff.page.locator(`::-p-aria([name=${JSON.stringify(name)}][role="button"])`).setTimeout(10_000);
  const ffState = (ff: FirefoxTinCanPage, state: string) =>
    ff.page.waitForSelector(`[data-testid="call-panel"][data-state="${state}"]`, { timeout: 10_000 });
  const ffStats = (ff: FirefoxTinCanPage) => ff.page.evaluate(mediaStatsInPage) as Promise<MediaStats>;
  /** Waits until Firefox's figure `pick` rises by more than `by`. */
  async function ffRises(ff: FirefoxTinCanPage, pick: (s: MediaStats) => number, by: number): Promise<void> {
    const before = pick(await ffStats(ff));
    await expect.poll(async () => pick(await ffStats(ff)) - before, { timeout: 10_000, intervals: [250] }).toBeGreaterThan(by);
  }

  for (const chromiumCalls of [true, false]) {
    const title = chromiumCalls
      ? 'Chromium invites and calls, Firefox accepts: video and sound both ways, hang up'
      : 'Firefox invites and calls, Chromium accepts: video and sound both ways, hang up';
    test(title, async ({ browser }) => {
      test.setTimeout(60_000);
      const context = await TinCanPage.newContext(browser);
      await recordMedia(context);
      const chromium = await TinCanPage.openIn(context);
      const ff = await openFirefox();
      if (chromiumCalls) {
        await chromium.acceptAnswer(codeOf(await ff.openInvite(await chromium.createInvite())));
      } else {
        await ff.acceptAnswer(codeOf(await chromium.openInvite(await ff.createInvite())));
      }
      await chromium.expectConnected();
      await ff.waitForConnected();
      const panel = new CallPanel(chromium);

      if (chromiumCalls) {
        await panel.button('Video call').click();
        await ffState(ff, 'incoming');
        await ffButton(ff, 'Accept').click();
      } else {
        await ffButton(ff, 'Video call').click();
        await panel.expectState('incoming');
        await panel.button('Accept').click();
      }
      await panel.expectState('active');
      await ffState(ff, 'active');

      await panel.rises(framesDecoded, 10);
      await panel.rises(audioPackets, 10);
      await ffRises(ff, framesDecoded, 10);
      await ffRises(ff, audioPackets, 10);

      // Mute from Firefox shows on Chromium.
      await ffButton(ff, 'Mute').click();
      await expect(panel.peerMedia).toHaveText(/They muted their microphone/);

      // Hang up from the side that did not call; every track released on both.
      if (chromiumCalls) await ffButton(ff, 'Hang up').click();
      else await panel.button('Hang up').click();
      await panel.expectState('idle');
      await ffState(ff, 'idle');
      await expect.poll(() => panel.trackStates()).not.toContain('live');
      await expect
        .poll(() => ff.page.evaluate(() => (window as unknown as { __tracks: MediaStreamTrack[] }).__tracks.map((t) => t.readyState)))
        .not.toContain('live');
      await chromium.expectStatus('Connected');
      await ff.waitForStatus('Connected');
    });
  }
});
