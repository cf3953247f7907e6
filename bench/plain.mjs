// Drives the plain-JS baseline (bench/baseline/rtc.html, window.rtc) for bench/run.mjs, with the
// same steps and the same number of Playwright round trips as bench/tincan.mjs.

async function openPlain(browser, rtcUrl) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`  [baseline page error] ${err.message}`));
  await page.goto(rtcUrl);
  await page.waitForFunction(() => window.rtc);
  return { context, page };
}

/** createOffer + setLocalDescription + gathering complete (capped at capMs). */
export async function timeToOffer(browser, rtcUrl, iceServers, capMs) {
  const a = await openPlain(browser, rtcUrl);
  try {
    return await a.page.evaluate(([ice, cap]) => window.rtc.makeOffer(ice, cap), [iceServers, capMs]);
  } finally {
    await a.context.close();
  }
}

/** Offer in A, answer in B, until both chat channels are open (timed from B getting the offer). */
export async function connectPair(browser, rtcUrl) {
  const a = await openPlain(browser, rtcUrl);
  const b = await openPlain(browser, rtcUrl);
  const offer = await a.page.evaluate(() => window.rtc.makeOffer([]));
  const answer = await b.page.evaluate((sdp) => window.rtc.acceptOffer(sdp, []), offer.sdp);
  const aOpenAt = await a.page.evaluate(async (sdp) => {
    await window.rtc.acceptAnswer(sdp);
    return window.rtc.chatOpen;
  }, answer.sdp);
  const bOpenAt = await b.page.evaluate(() => window.rtc.chatOpen);
  return {
    a,
    b,
    offer,
    answer,
    connectMs: Math.max(aOpenAt, bOpenAt) - answer.t0,
    close: async () => {
      await a.context.close();
      await b.context.close();
    },
  };
}

export async function pingPong(browser, rtcUrl, n, warmup, gapMs = 0) {
  const pair = await connectPair(browser, rtcUrl);
  try {
    await pair.b.page.evaluate(() => window.rtc.echo());
    return await pair.a.page.evaluate(([n, w, g]) => window.rtc.pings(n, w, g), [n, warmup, gapMs]);
  } finally {
    await pair.close();
  }
}

export async function burst(browser, rtcUrl, n) {
  const pair = await connectPair(browser, rtcUrl);
  try {
    await pair.b.page.evaluate((n) => {
      window.expected = window.rtc.expectBurst(n);
    }, n);
    const sent = await pair.a.page.evaluate((n) => window.rtc.burst(n), n);
    const got = await pair.b.page.evaluate(() => window.expected);
    return { sent, got };
  } finally {
    await pair.close();
  }
}

/** Arms B to count `bytes`, runs `send` (in A, resolving to { t0 }), waits until B has them all. */
async function timedTransfer(pair, bytes, send, expect = 'expectFile') {
  await pair.b.page.evaluate(([n, fn]) => {
    window.expected = window.rtc[fn](n);
  }, [bytes, expect]);
  const discardsBefore = await pair.a.page.evaluate(() => window.rtc.discards());
  const sent = await send();
  const got = await pair.b.page.evaluate(() => window.expected);
  const discards = (await pair.a.page.evaluate(() => window.rtc.discards())) - discardsBefore;
  return { ms: got.at - sent.t0, received: got.received, maxGapMs: got.maxGapMs, discards };
}

/**
 * `bytes` from A to B on the pair's second channel, in `chunk`-byte messages, sending paused above
 * `high` buffered until `bufferedamountlow` (`low`). From the first send until B has every byte.
 */
export function sendFile(pair, bytes, chunk, low, high) {
  return timedTransfer(pair, bytes, () =>
    pair.a.page.evaluate((args) => window.rtc.sendFile(...args), [bytes, chunk, low, high]));
}

/** Like sendFile, but A reads `filePath` (set in its file input) as Tin Can does. */
export async function sendChosenFile(pair, filePath, bytes, chunk, low, high, readBytes) {
  await pair.a.page.locator('input[type="file"]').setInputFiles(filePath);
  return timedTransfer(pair, bytes, () =>
    pair.a.page.evaluate((args) => window.rtc.sendChosenFile(...args), [chunk, low, high, readBytes]));
}

/**
 * Like sendChosenFile, with the work Tin Can adds done in plain JS: a header per chunk, a SHA-256
 * of every chunk on both sides, and the receiver keeping the file as a Blob.
 */
export async function sendChosenFileVerified(pair, filePath, bytes, chunk, low, high, readBytes) {
  await pair.a.page.locator('input[type="file"]').setInputFiles(filePath);
  return timedTransfer(
    pair,
    bytes,
    () => pair.a.page.evaluate((args) => window.rtc.sendChosenFileVerified(...args), [chunk, low, high, readBytes]),
    'expectFileVerified',
  );
}
