// Storage figures for bench/run.mjs (issue #16): Tin Can's IndexedDB storage next to the
// localStorage way of the previous version (bench/baseline/storage.js), with the same data.
//
// One conversation of n messages of about 100 characters. Tin Can gets it through its own
// "Import conversations" (one transaction); the baseline page gets the same object as JSON.
// - Reload → newest message shown: from navigation start until the newest message is in the
//   page (Tin Can: in the log, seen by a MutationObserver; baseline: appended by its script).
// - Storing one message: Tin Can from the click on Send (disconnected: the message is pending)
//   until its IndexedDB transaction completed; the baseline, push + JSON.stringify + setItem of
//   the whole conversation, which is what the previous version did for each save.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A browser profile on disk: Playwright's usual contexts are incognito-like, where Chromium keeps
 * IndexedDB and localStorage in memory, which is not what a person's browser does.
 */
async function onDisk(chromium, launch) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tincan-bench-profile-'));
  const context = await chromium.launchPersistentContext(dir, launch);
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function conversation(n) {
  const start = 1_760_000_000_000;
  const messages = [];
  for (let i = 0; i < n; i++) {
    const mine = i % 2 === 0;
    messages.push({
      id: i,
      author: mine ? 'me' : 'peer',
      seq: Math.floor(i / 2) + 1,
      text: `message ${i} ${'lorem ipsum dolor sit amet, consectetur adipiscing elit '.repeat(2)}`.slice(0, 100),
      at_ms: start + i * 1000,
      delivery: 'delivered',
    });
  }
  return {
    id: `bench${n}`,
    peer_id: 'peer-bench',
    peer_name: 'Bench',
    created_ms: start,
    updated_ms: start + n * 1000,
    messages,
    last_own_seq: Math.ceil(n / 2),
    received_upto: Math.floor(n / 2),
  };
}

/** An export file (Tin Can's format) with that conversation. */
export function exportFile(dir, n) {
  const file = path.join(dir, `tincan-bench-${n}.json`);
  writeFileSync(file, JSON.stringify({ tincan_export: 1, exported_ms: Date.now(), conversations: [conversation(n)] }));
  return file;
}

/** Installed before Tin Can loads: when the newest message shows, and IndexedDB write times. */
function probe(newest) {
  const now = () => performance.now();
  window.__storage = { writes: [] };
  window.__storage.shown = new Promise((resolve) => {
    const check = () => {
      const items = document.querySelectorAll('[role="log"] li .text');
      const last = items[items.length - 1];
      if (last && last.textContent.startsWith(newest)) {
        observer.disconnect();
        resolve(now());
      }
    };
    const observer = new MutationObserver(check);
    observer.observe(document, { subtree: true, childList: true, characterData: true });
  });
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (...args) {
    const tx = transaction.apply(this, args);
    if (args[1] === 'readwrite') {
      const write = { start: now(), end: null };
      window.__storage.writes.push(write);
      tx.addEventListener('complete', () => (write.end = now()));
    }
    return tx;
  };
  const waitFor = (test) =>
    new Promise((resolve) => {
      const poll = () => (test() ? resolve() : setTimeout(poll, 0));
      poll();
    });
  /** k messages, one at a time: from the click on Send until the write that stored it completed. */
  window.__storage.sendTimed = async (k) => {
    const box = document.querySelector('#message');
    const send = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Send');
    const out = { clickToStored: [], transaction: [] };
    for (let i = 0; i < k; i++) {
      const before = window.__storage.writes.length;
      const t0 = now();
      box.value = `one more message ${i}`;
      box.dispatchEvent(new Event('input', { bubbles: true }));
      send.click();
      await waitFor(() => window.__storage.writes.length > before && window.__storage.writes[before].end !== null);
      const write = window.__storage.writes[before];
      out.clickToStored.push(write.end - t0);
      out.transaction.push(write.end - write.start);
      // A person's pace: the app writes 50 ms after a change, and at most every 100 ms while
      // messages flow, so messages sent closer together than that are stored together.
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return out;
  };
}

/** Tin Can with n stored messages: import time, reloads until the newest shows, storing one more. */
export async function tincan(chromium, launch, appUrl, file, n, reloads, sends) {
  const { context, close } = await onDisk(chromium, launch);
  try {
    await context.addInitScript(probe, `message ${n - 1} `);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => console.error(`  [tincan page error] ${err.message}`));
    await page.goto(appUrl);
    await page.getByRole('button', { name: 'Create invite', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const dialog = page.getByRole('dialog');
    const t0 = Date.now();
    await dialog.getByLabel('Import conversations', { exact: true }).setInputFiles(file);
    await dialog.getByRole('status').filter({ hasText: 'Imported' }).waitFor({ timeout: 600_000 });
    const importMs = Date.now() - t0;
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.evaluate(() => window.__storage.shown);
    const reloadMs = [];
    for (let i = 0; i < reloads; i++) {
      await page.reload();
      reloadMs.push(await page.evaluate(() => window.__storage.shown));
    }
    const store = await page.evaluate((k) => window.__storage.sendTimed(k), sends);
    return { importMs, reloadMs, ...store };
  } finally {
    await close();
  }
}

/** The same conversation the localStorage way: whether it fits, reloads, storing one more. */
export async function localStorageWay(chromium, launch, baseUrl, n, reloads, sends) {
  const { context, close } = await onDisk(chromium, launch);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${baseUrl}storage.html`);
    const stored = await page.evaluate((c) => window.lsBench.store(c), conversation(n));
    if (!stored.ok) return { fits: false, ...stored };
    const reloadMs = [];
    await page.goto(`${baseUrl}storage.html#show`);
    for (let i = 0; i < reloads; i++) {
      await page.reload();
      reloadMs.push(await page.evaluate(() => window.__shown));
    }
    const clickToStored = await page.evaluate((k) => window.lsBench.storeOneByOne(k), sends);
    return { fits: true, chars: stored.chars, reloadMs, clickToStored };
  } finally {
    await close();
  }
}
