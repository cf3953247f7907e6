// Drives Tin Can (the release build in dist/) for bench/run.mjs.
//
// Setup goes through the UI like a person would (Settings dialog, via Playwright locators); the
// timed parts run inside the pages, so that Playwright's own round trips and actionability checks
// are not in the figures. Times are `performance.timeOrigin + performance.now()`, a clock the two
// browser contexts share.

import path from 'node:path';

/**
 * Installed in every Tin Can page before the app loads (context.addInitScript). Records every
 * RTCPeerConnection the app makes (to read the SDP that went into a link) and when chat frames
 * pass through the data channel, and adds small DOM helpers that find controls by their visible
 * names, as a person would.
 */
function probe() {
  const now = () => performance.timeOrigin + performance.now();
  // `trace`: when an array, every chat frame in and out is added to it ([time, 'in'|'out', kind]).
  const wire = { in: 0, out: 0, lastInAt: 0, lastOutAt: 0, openAt: 0, gatheredAt: 0, helloInAt: 0, turnaround: [], kinds: {}, trace: null };
  // Every wasm memory the page instantiates (Tin Can has one), for the memory rows.
  const memories = [];
  const keepMemory = (result) => {
    const exports = (result?.instance ?? result)?.exports;
    for (const value of Object.values(exports ?? {})) if (value instanceof WebAssembly.Memory) memories.push(value);
    return result;
  };
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const original = WebAssembly[name];
    if (typeof original !== 'function') continue;
    WebAssembly[name] = function (...args) {
      return original.apply(this, args).then(keepMemory);
    };
  }
  // Where the main thread's time goes while messages arrive (see burst()).
  const split = { handlerMs: 0, handlerCalls: 0, layoutMs: 0, layoutCalls: 0 };
  const pcs = [];
  // Files: when binary frames came in on the "files" channel, the longest wait between two of them
  // (a stall), and when files were chosen (the change event of a file input, seen before the
  // app's own handler).
  const files = { in: 0, firstInAt: 0, lastInAt: 0, maxGapMs: 0, chosenAt: 0 };
  document.addEventListener(
    'change',
    (event) => {
      if (event.target?.type === 'file') files.chosenAt = now();
    },
    true,
  );

  // Only the chat channel (label "chat") counts; the app may open others.
  // Reading `label` is a synchronous call to WebRTC's network thread, so it is read once, when the
  // channel is made, and not on every send (the files channel sends a thousand frames a file).
  const chats = new WeakSet();
  const isChat = (channel) => chats.has(channel);
  const createDataChannel = RTCPeerConnection.prototype.createDataChannel;
  RTCPeerConnection.prototype.createDataChannel = function (...args) {
    const channel = createDataChannel.apply(this, args);
    if (channel.label === 'files') {
      channel.addEventListener('message', (event) => {
        if (typeof event.data === 'string') return;
        const at = now();
        if (files.lastInAt) files.maxGapMs = Math.max(files.maxGapMs, at - files.lastInAt);
        files.lastInAt = at;
        if (!files.firstInAt) files.firstInAt = files.lastInAt;
        files.in += 1;
      });
    }
    if (channel.label !== 'chat') return channel;
    chats.add(channel);
    pcs.push(this);
    const pc = this;
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') wire.gatheredAt = now();
    });
    channel.addEventListener('open', () => (wire.openAt = now()));
    channel.addEventListener('message', (event) => {
      wire.in += 1;
      wire.lastInAt = now();
      let kind = '?';
      try {
        kind = String(JSON.parse(event.data).k);
      } catch {}
      wire.kinds[kind] = (wire.kinds[kind] ?? 0) + 1;
      wire.trace?.push([wire.lastInAt, 'in', kind]);
      if (kind === 'hello' && !wire.helloInAt) {
        wire.helloInAt = wire.lastInAt;
        // Conditions waiting on the hello are checked now (no DOM change may follow it).
        queueMicrotask(() => valueWatchers.forEach((watch) => watch()));
      }
    });
    return channel;
  };
  // The app's own message handler: frame decoding and the chat update. Leptos renders afterwards,
  // in microtasks, outside of this.
  const onmessage = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage');
  Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
    ...onmessage,
    set(handler) {
      const timed =
        typeof handler === 'function' && isChat(this)
          ? function (event) {
              const t = now();
              try {
                return handler.call(this, event);
              } finally {
                split.handlerMs += now() - t;
                split.handlerCalls += 1;
              }
            }
          : handler;
      onmessage.set.call(this, timed);
    },
  });
  // Reading scrollHeight forces a synchronous layout; Tin Can reads it to keep its log scrolled
  // to the end.
  const scrollHeight = Object.getOwnPropertyDescriptor(Element.prototype, 'scrollHeight');
  Object.defineProperty(Element.prototype, 'scrollHeight', {
    ...scrollHeight,
    get() {
      const t = now();
      try {
        return scrollHeight.get.call(this);
      } finally {
        split.layoutMs += now() - t;
        split.layoutCalls += 1;
      }
    },
  });
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (data) {
    if (isChat(this)) {
      wire.out += 1;
      wire.lastOutAt = now();
      if (wire.trace) {
        let kind = '?';
        try {
          kind = String(JSON.parse(data).k);
        } catch {}
        wire.trace.push([wire.lastOutAt, 'out', kind]);
      }
    }
    return send.call(this, data);
  };

  const text = (el) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
  const button = (name) => [...document.querySelectorAll('button')].find((b) => text(b) === name);
  const control = (label) => {
    const l = [...document.querySelectorAll('label')].find((el) => text(el) === label);
    return l ? l.control ?? document.getElementById(l.htmlFor) : null;
  };
  const status = () => text(document.querySelector('[data-testid="connection-status"]'));
  const log = () => document.querySelector('[role="log"][aria-label="Messages"]');

  // Values set as properties (the link boxes) change no attribute, so no MutationObserver sees
  // them: the setters are hooked to run the pending checks right after (a 20 ms poll here
  // added up to 20 ms to Tin Can's time to a link and to connect).
  const valueWatchers = new Set();
  for (const proto of [HTMLInputElement.prototype, HTMLTextAreaElement.prototype]) {
    const value = Object.getOwnPropertyDescriptor(proto, 'value');
    Object.defineProperty(proto, 'value', {
      ...value,
      set(v) {
        value.set.call(this, v);
        if (valueWatchers.size) queueMicrotask(() => valueWatchers.forEach((watch) => watch()));
      },
    });
  }

  /**
   * Resolves to { at, value } once check() returns something truthy (checked on every DOM change,
   * on every value set, and every 20 ms unless `poll` is false).
   */
  function when(check, timeoutMs = 60000, what = 'condition', poll = true) {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (value) => {
        done = true;
        valueWatchers.delete(test);
        observer.disconnect();
        clearInterval(poller);
        clearTimeout(timer);
        resolve({ at: now(), value });
      };
      const test = () => {
        if (done) return;
        const value = check();
        if (value) finish(value);
      };
      const observer = new MutationObserver(test);
      observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
      valueWatchers.add(test);
      // A fallback for anything else set as a property. Not while a file arrives: a check every
      // 20 ms on the receiving page is work the plain-JS receiver does not have.
      const poller = poll ? setInterval(test, 20) : undefined;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        valueWatchers.delete(test);
        observer.disconnect();
        clearInterval(poller);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      test();
    });
  }

  /** What a person typing does, as far as the app can tell: a new value and an input event. */
  function type(el, value) {
    el.value = value;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }

  /** Calls onAdded(li) for every message of `author` added to the log from now on. */
  function onMessages(author, onAdded) {
    const selector = `li[data-author="${author}"]`;
    const observer = new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node.nodeType !== 1) continue;
          if (node.matches(selector)) onAdded(node);
          else for (const li of node.querySelectorAll(selector)) onAdded(li);
        }
      }
    });
    observer.observe(log(), { childList: true, subtree: true });
    return observer;
  }

  const linkValue = (label) => {
    const box = control(label);
    return box && box.value.includes('#') ? box.value : null;
  };
  const latestSdp = () => pcs.at(-1)?.localDescription?.sdp ?? null;
  /**
   * Packets the connection's selected candidate pair could not hand on (`packetsDiscardedOnSend`):
   * Chromium's renderer drops a UDP packet when more than 64 KB are on their way to the network
   * process (IpcPacketSocket, kMaximumInFlightBytes). SCTP then has to retransmit it.
   */
  const sendDiscards = async (pc) => {
    if (!pc) return 0;
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((report) => {
      if (report.type === 'transport' && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
    });
    return pair?.packetsDiscardedOnSend ?? 0;
  };
  /** When ICE gathering completed, if it did after t0 (null: not complete when the link showed). */
  const gatheredSince = (t0) => (wire.gatheredAt >= t0 ? wire.gatheredAt - t0 : null);

  window.__bench = {
    now,
    // For other drivers' in-page code (bench/group.mjs).
    helpers: { when, type, text, button, control },
    wire,
    files,
    split,
    pcs,
    connected: null,

    /**
     * `connected`: "Connected" shows. `ready`: it shows, the peer's hello has arrived and the
     * "Message" box is there: both ways are open, the conversation can start.
     */
    watchConnected() {
      wire.helloInAt = 0;
      this.connected = when(() => /\bConnected\b/.test(status()), 30000, '"Connected"');
      this.ready = when(
        () => wire.helloInAt && control('Message') && /\bConnected\b/.test(status()),
        30000,
        '"Connected", the hello and the Message box',
      );
    },

    /** UDP packets this page's connection dropped before they left it (see sendDiscards). */
    discards: () => sendDiscards(pcs.at(-1)),

    /** Wasm memory of the page, bytes (0 for a page without wasm). */
    wasmBytes() {
      return memories.reduce((sum, memory) => sum + memory.buffer.byteLength, 0);
    },

    /** Inviter: "Create invite" until the "Invite link" box has the link. */
    async createInvite() {
      const t0 = now();
      button('Create invite').click();
      const { at, value } = await when(() => linkValue('Invite link'), 60000, 'the invite link');
      return { ms: at - t0, gatheredMs: gatheredSince(t0), link: value, sdp: latestSdp() };
    },

    /** Invitee: opens the invite link (same-document navigation) until the answer link shows. */
    async openInvite(link) {
      this.watchConnected();
      const t0 = now();
      location.href = link;
      const { at, value } = await when(() => linkValue('Answer link'), 60000, 'the answer link');
      return { t0, ms: at - t0, gatheredMs: gatheredSince(t0), link: value, sdp: latestSdp() };
    },

    /** Inviter: pastes the answer, presses Connect, waits for "Connected". */
    async acceptAnswer(link) {
      this.watchConnected();
      type(control('Paste the answer link'), link);
      button('Connect').click();
      return { connectedAt: (await this.connected).at, readyAt: (await this.ready).at };
    },

    /** Invitee: answers each "ping N" with "pong N" through the composer, as soon as it shows. */
    autoReply() {
      const box = control('Message');
      const sendButton = button('Send');
      wire.turnaround = [];
      onMessages('peer', (li) => {
        type(box, text(li.querySelector('p.text')).replace(/^ping/, 'pong'));
        sendButton.click();
        // From the ping's frame arriving to the pong's frame leaving (the last frame sent).
        wire.turnaround.push(wire.lastOutAt - wire.lastInAt);
      });
    },

    /** Inviter: `warmup + n` pings one after the other, each until its reply is in the log. */
    /**
     * With `gapMs`, each ping is typed that long after the previous reply showed, on pages that
     * are idle again (a person's pace); without, back to back.
     */
    async pings(n, warmup, gapMs = 0) {
      const box = control('Message');
      const sendButton = button('Send');
      let replied = null;
      const observer = onMessages('peer', () => replied?.(now()));
      // Per ping: until the frame left (sent), until the reply frame came in (channel), until
      // the reply was in the log (rtt); all from the click.
      const rtt = [];
      const sent = [];
      const channel = [];
      for (let i = 0; i < warmup + n; i++) {
        const reply = new Promise((resolve) => (replied = resolve));
        const t0 = now();
        type(box, `ping ${i}`);
        sendButton.click();
        const sentAt = wire.lastOutAt;
        const t1 = await reply;
        replied = null;
        if (i >= warmup) {
          rtt.push(t1 - t0);
          sent.push(sentAt - t0);
          channel.push(wire.lastInAt - t0);
        }
        if (gapMs) await new Promise((resolve) => setTimeout(resolve, gapMs));
      }
      observer.disconnect();
      return { rtt, sent, channel, visibility: document.visibilityState };
    },

    /**
     * Counts messages of `author` as they are added to the log; marks each 10 %. `expected`
     * resolves when all n are there. Progress also goes out as console messages every 1 %: a page
     * flooded with incoming frames runs nothing else (no timer, no page.evaluate) until it has
     * worked through all of them, so the runner enforces its time cap from outside.
     */
    expectMessages(author, n, last = null) {
      let count = 0;
      let sawLast = false;
      const marks = [];
      const framesBefore = wire.in;
      wire.kinds = {};
      for (const key of Object.keys(split)) split[key] = 0;
      const result = () => ({
        at: now(), count, complete: count >= n || sawLast, marks, lastWireAt: wire.lastInAt, wireIn: wire.in - framesBefore, kinds: wire.kinds,
        split: { ...split },
      });
      const report = () => console.debug(`__bench progress ${JSON.stringify(result())}`);
      this.expected = new Promise((resolve) => {
        const observer = onMessages(author, (li) => {
          count += 1;
          sawLast ||= last !== null && text(li.querySelector('p.text')) === last;
          if (count % Math.ceil(n / 10) === 0) marks.push(now());
          if (count % Math.ceil(n / 100) === 0 || count === n || sawLast) report();
          if (count === n || sawLast) {
            observer.disconnect();
            resolve(result());
          }
        });
      });
    },

    /**
     * Receiver: `fileDone` resolves once the transfer of `name` shows its "Download <name>" link
     * and "Verified" (the SHA-256 matched).
     */
    expectFile(name, timeoutMs) {
      Object.assign(files, { in: 0, firstInAt: 0, lastInAt: 0, maxGapMs: 0 });
      // Cheap first test: the download link is only there once the file arrived (the check runs
      // on every progress update while the file comes in).
      const done = () =>
        [...document.querySelectorAll('ul.transfers > li a')].some(
          (a) =>
            text(a) === `Download ${name}` &&
            text(a.closest('li').querySelector('[data-testid="file-name"]')) === name &&
            text(a.closest('li')).includes('Verified'),
        );
      this.fileDone = when(done, timeoutMs, `"Download ${name}" and "Verified"`, false).then(({ at }) => ({
        at,
        frames: files.in,
        firstFrameAt: files.firstInAt,
        lastFrameAt: files.lastInAt,
        maxGapMs: files.maxGapMs,
      }));
    },

    /** Sender: n messages typed and sent through the composer in one loop. */
    burst(n) {
      const box = control('Message');
      const sendButton = button('Send');
      const t0 = now();
      for (let i = 0; i < n; i++) {
        type(box, `burst ${i}`);
        sendButton.click();
      }
      return { t0, loopMs: now() - t0 };
    },
  };
}

/**
 * Tin Can in one browser context: page, probe, ICE servers (and with `name`, the display name)
 * set in Settings.
 */
export async function openApp(browser, appUrl, iceServers, { name = null } = {}) {
  const context = await browser.newContext();
  await context.addInitScript(probe);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`  [tincan page error] ${err.message}`));
  await page.goto(appUrl);
  await page.getByRole('button', { name: 'Create invite', exact: true }).waitFor();
  // By keyboard, not by mouse: a page with a pointer over it tests what is under the pointer
  // after every layout change (Chromium's hover update), which the seed page, driven without
  // one, would not pay.
  await page.getByRole('button', { name: 'Settings', exact: true }).press('Enter');
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox', { name: 'ICE servers', exact: true }).fill(iceServers.join('\n'));
  if (name !== null) await dialog.getByRole('textbox', { name: 'Display name', exact: true }).fill(name);
  await dialog.getByRole('button', { name: 'Save', exact: true }).press('Enter');
  await dialog.waitFor({ state: 'hidden' });
  return { context, page };
}

/**
 * The seed-design page (bench/baseline/seed.html) in one browser context, with the same probe:
 * it has no settings (and no ICE servers).
 */
export async function openSeed(browser, seedUrl) {
  const context = await browser.newContext();
  await context.addInitScript(probe);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`  [seed page error] ${err.message}`));
  await page.goto(seedUrl);
  await page.getByRole('button', { name: 'Create invite', exact: true }).waitFor();
  return { context, page };
}

/** How a page is opened: Tin Can (no ICE servers) unless `seed`. */
const opener = (seed) => (seed ? openSeed : (browser, url) => openApp(browser, url, []));

/** Inviter side only: time to a link. */
export async function timeToInvite(browser, appUrl, iceServers) {
  const a = await openApp(browser, appUrl, iceServers);
  try {
    return await a.page.evaluate(() => window.__bench.createInvite());
  } finally {
    await a.context.close();
  }
}

/**
 * Two contexts, invite → answer → connected. Returns the pages (caller closes the contexts)
 * and the figures: time to the invite link, and from opening the invite link in B until both
 * sides show "Connected" (connectMs), and until both also have the other's hello and a
 * "Message" box (readyMs). With `seed`, the seed-design page instead of Tin Can.
 */
export async function connectPair(browser, appUrl, { seed = false } = {}) {
  const open = opener(seed);
  const a = await open(browser, appUrl);
  const b = await open(browser, appUrl);
  const invite = await a.page.evaluate(() => window.__bench.createInvite());
  const answer = await b.page.evaluate((link) => window.__bench.openInvite(link), invite.link);
  const aDone = await a.page.evaluate((link) => window.__bench.acceptAnswer(link), answer.link);
  const bDone = await b.page.evaluate(async () => ({
    connectedAt: (await window.__bench.connected).at,
    readyAt: (await window.__bench.ready).at,
  }));
  const openAt = Math.max(
    await a.page.evaluate(() => window.__bench.wire.openAt),
    await b.page.evaluate(() => window.__bench.wire.openAt),
  );
  await a.page.getByRole('textbox', { name: 'Message', exact: true }).waitFor();
  await b.page.getByRole('textbox', { name: 'Message', exact: true }).waitFor();
  return {
    a,
    b,
    invite,
    answer,
    connectMs: Math.max(aDone.connectedAt, bDone.connectedAt) - answer.t0,
    readyMs: Math.max(aDone.readyAt, bDone.readyAt) - answer.t0,
    // From opening the invite until both data channels were open (before the UI said so).
    channelOpenMs: openAt - answer.t0,
    close: async () => {
      await a.context.close();
      await b.context.close();
    },
  };
}

export async function pingPong(browser, appUrl, n, warmup, { seed = false, gapMs = 0 } = {}) {
  const pair = await connectPair(browser, appUrl, { seed });
  try {
    await pair.b.page.evaluate(() => window.__bench.autoReply());
    const a = await pair.a.page.evaluate(([n, w, g]) => window.__bench.pings(n, w, g), [n, warmup, gapMs]);
    const turnaround = (await pair.b.page.evaluate(() => window.__bench.wire.turnaround)).slice(warmup);
    return { ...a, turnaround };
  } finally {
    await pair.close();
  }
}

/** Follows the progress reports (console messages) of expectMessages() in a page. */
function followProgress(page) {
  const follow = { latest: null };
  follow.complete = new Promise((resolve) => {
    page.on('console', (msg) => {
      const text = msg.text();
      if (!text.startsWith('__bench progress ')) return;
      follow.latest = JSON.parse(text.slice('__bench progress '.length));
      if (follow.latest.complete) resolve();
    });
  });
  return follow;
}

/**
 * A sends n messages in one loop; B counts them into its log, A into its own. Waits at most capMs
 * after the loop started (the page clock is performance.timeOrigin + performance.now(), close to
 * Date.now()), then takes how far each side got. Nothing after the loop waits on page.evaluate:
 * a page busy with incoming frames (B with the messages, A with whatever B sends back) would
 * answer only once it is through all of them.
 */
export async function burst(browser, appUrl, n, capMs, { seed = false, memory = null } = {}) {
  const pair = await connectPair(browser, appUrl, { seed });
  const got = followProgress(pair.b.page);
  const own = followProgress(pair.a.page);
  let timer;
  try {
    await pair.b.page.evaluate((n) => window.__bench.expectMessages('peer', n), n);
    // The sender's own log renders once its loop is done, so it only ever adds the newest (the
    // log shows 200): its figure is when the last one shows.
    await pair.a.page.evaluate((n) => window.__bench.expectMessages('me', n, `burst ${n - 1}`), n);
    const sent = await pair.a.page.evaluate((n) => window.__bench.burst(n), n);
    const deadline = new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, capMs - (Date.now() - sent.t0)))));
    await Promise.race([Promise.all([got.complete, own.complete]), deadline]);
    const final = (f) => {
      const latest = f.latest ?? { at: sent.t0, count: 0, complete: false, marks: [], split: {} };
      return { ...latest, timedOut: !latest.complete };
    };
    const result = { sent, got: final(got), own: final(own) };
    if (memory) {
      // Once the pages are idle again: the receiver shows the messages, the sender sent them.
      await new Promise((resolve) => setTimeout(resolve, memory.settleMs));
      result.memory = { receiver: await pageMemory(pair.b.page), sender: await pageMemory(pair.a.page) };
    }
    return result;
  } finally {
    clearTimeout(timer);
    await pair.close();
  }
}

/**
 * What a page holds: the JS heap after a full garbage collection (CDP Runtime.getHeapUsage) and
 * its wasm memories (ArrayBuffers outside the JS heap), bytes.
 */
export async function pageMemory(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    const wasm = await page.evaluate(() => window.__bench?.wasmBytes() ?? 0);
    return { jsHeap: usedSize, wasm, total: usedSize + wasm };
  } finally {
    await cdp.detach();
  }
}

/** A cold load in a fresh context: navigation until "Create invite" is there and enabled. */
export const interactiveProbe = () => {
  const found = () =>
    [...document.querySelectorAll('button')].some(
      (b) => b.textContent.trim() === 'Create invite' && !b.disabled,
    );
  window.__interactive = new Promise((resolve) => {
    const check = () => {
      if (!found()) return false;
      observer.disconnect();
      resolve(performance.now());
      return true;
    };
    const observer = new MutationObserver(check);
    observer.observe(document, { subtree: true, childList: true, attributes: true });
  });
};

export async function coldLoad(browser, url) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(interactiveProbe);
    const page = await context.newPage();
    await page.goto(url);
    return await page.evaluate(() => window.__interactive);
  } finally {
    await context.close();
  }
}

/**
 * A phone's first load: a cold load in a fresh context (empty cache) with the main thread slowed
 * `cpuSlowdown` times and the network cut to `downKbit`/`upKbit` with `latencyMs` per request
 * (CDP Emulation.setCPUThrottlingRate, Network.emulateNetworkConditions), from navigation until
 * "Create invite" is there and enabled. Also: when the HTML, the last script and the wasm had
 * arrived, and the bytes that came over the network.
 */
export async function phoneLoad(browser, url, phone) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(interactiveProbe);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: phone.latencyMs,
      downloadThroughput: (phone.downKbit * 1000) / 8,
      uploadThroughput: (phone.upKbit * 1000) / 8,
    });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: phone.cpuSlowdown });
    let bytes = 0;
    cdp.on('Network.loadingFinished', (event) => (bytes += event.encodedDataLength));
    await page.goto(url, { waitUntil: 'commit', timeout: 60000 });
    const ms = await page.evaluate(() => window.__interactive);
    const arrived = await page.evaluate(() => {
      const entries = performance.getEntriesByType('resource');
      const last = (suffix) => Math.max(0, ...entries.filter((e) => e.name.endsWith(suffix)).map((e) => e.responseEnd));
      return { html: performance.getEntriesByType('navigation')[0]?.responseEnd ?? null, js: last('.js'), wasm: last('.wasm'), css: last('.css') };
    });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    return { ms, arrived, bytes };
  } finally {
    await context.close();
  }
}

/**
 * One file from A to B through the app's UI: `filePath` goes into A's "Attach file" input (its
 * name on disk is the name shown). Timed from the input's change event in A until B shows the
 * "Download <name>" link and "Verified"; also when B's first and last chunk frames came in.
 */
export async function sendFile(pair, filePath, timeoutMs) {
  const name = path.basename(filePath);
  // The control is disabled until the files channel exists.
  await pair.a.page.waitForFunction(
    () => document.querySelector('input[type="file"][aria-label="Attach file"]')?.disabled === false,
  );
  await pair.b.page.evaluate(([n, t]) => window.__bench.expectFile(n, t), [name, timeoutMs]);
  const discardsBefore = await pair.a.page.evaluate(() => window.__bench.discards());
  await pair.a.page.getByLabel('Attach file', { exact: true }).setInputFiles(filePath);
  const got = await pair.b.page.evaluate(() => window.__bench.fileDone);
  const t0 = await pair.a.page.evaluate(() => window.__bench.files.chosenAt);
  const discards = (await pair.a.page.evaluate(() => window.__bench.discards())) - discardsBefore;
  return {
    ms: got.at - t0,
    firstFrameMs: got.firstFrameAt - t0,
    lastFrameMs: got.lastFrameAt - t0,
    frames: got.frames,
    maxGapMs: got.maxGapMs,
    discards,
  };
}
