import { readFileSync, writeFileSync } from 'node:fs';
import { chromium, type Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { APP_URL, ORIGIN, TinCanPage, codeOf, connectPair } from './pages/tincan-page';

/**
 * Conversations in IndexedDB (issue #16): long histories survive a reload, the old localStorage
 * format moves over, two tabs never overwrite each other, a refused write is told and marked,
 * export → Delete all data → import, and the passphrase lock (nothing readable at rest).
 */

/**
 * Every value of every object store of Tin Can's database, read the way any page of the origin
 * could, as one text (the values themselves, one a line).
 */
async function dumpDatabase(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('tincan');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const out: Record<string, unknown[]> = {};
    for (const name of Array.from(db.objectStoreNames)) {
      out[name] = await new Promise<unknown[]>((resolve, reject) => {
        const request = db.transaction(name).objectStore(name).getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    db.close();
    return Object.values(out)
      .flat()
      .map((value) => (typeof value === 'string' ? value : JSON.stringify(value)))
      .join('\n');
  });
}

/** How many message records the database holds. */
async function storedMessages(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('tincan');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    if (!db.objectStoreNames.contains('messages')) return (db.close(), 0);
    const count = await new Promise<number>((resolve) => {
      const request = db.transaction('messages').objectStore('messages').count();
      request.onsuccess = () => resolve(request.result);
    });
    db.close();
    return count;
  });
}

/**
 * The other person sends `count` messages through the composer as fast as the page takes them
 * (the real send path and data channel). Message i is `#i ` then filler up to `size` characters.
 */
async function sendMany(app: TinCanPage, count: number, size = 0): Promise<void> {
  await app.page.evaluate(
    ({ count, size }) => {
      const box = document.querySelector<HTMLTextAreaElement>('#message')!;
      const send = Array.from(document.querySelectorAll('button')).find((b) => b.textContent === 'Send')!;
      for (let i = 1; i <= count; i++) {
        const head = `#${i} `;
        box.value = size ? head + String.fromCharCode(97 + (i % 26)).repeat(size - head.length) : `burst ${i}`;
        box.dispatchEvent(new Event('input', { bubbles: true }));
        send.click();
      }
    },
    { count, size },
  );
}

async function texts(app: TinCanPage): Promise<string[]> {
  return app.messages().evaluateAll((items) => items.map((li) => li.querySelector('.text')?.textContent ?? ''));
}

/** Clicks "Show N earlier messages" until every message is in the log. */
async function showAll(app: TinCanPage): Promise<void> {
  const earlier = app.page.getByRole('button', { name: /^Show \d+ earlier messages?$/ });
  while (await earlier.count()) await earlier.click();
}

test.describe('Long histories', () => {
  test('700 messages of 9,000 characters from the other person all survive a reload', async ({ browser }) => {
    test.setTimeout(120_000);
    const { inviter: ann, invitee: bob } = await connectPair(browser);
    const started = Date.now();
    await sendMany(bob, 700, 9000);
    await expect(ann.peerMessages().last()).toContainText('#700 ', { timeout: 60_000 });
    const shownAfter = Date.now() - started;
    // Stored as they arrive: by the time the last one shows, (nearly) all are in the database.
    await expect.poll(() => storedMessages(ann.page), { timeout: 10_000 }).toBe(700);
    test.info().annotations.push({ type: 'timing', description: `700 × 9,000 chars shown after ${shownAfter} ms` });

    await ann.page.reload();
    await ann.expectStatus('Disconnected');
    await expect(ann.messageLog).toHaveAttribute('data-total', '700');
    await showAll(ann);
    const all = await texts(ann);
    expect(all).toHaveLength(700);
    all.forEach((text, index) => {
      expect(text.length, `message ${index + 1}`).toBe(9000);
      expect(text.startsWith(`#${index + 1} `), `message ${index + 1} in order`).toBe(true);
    });
  });

  test('10,000 messages survive a reload', async ({ browser }) => {
    test.setTimeout(120_000);
    const { inviter: ann, invitee: bob } = await connectPair(browser);
    await sendMany(bob, 10_000);
    await expect(ann.peerMessages().last()).toContainText('burst 10000', { timeout: 60_000 });
    await expect.poll(() => storedMessages(ann.page), { timeout: 20_000 }).toBe(10_000);

    await ann.page.reload();
    await ann.expectStatus('Disconnected');
    await expect(ann.messageLog).toHaveAttribute('data-total', '10000');
    const shown = await texts(ann);
    expect(shown).toEqual(Array.from({ length: 200 }, (_, i) => `burst ${9801 + i}`));
    await ann.page.getByRole('button', { name: 'Show 200 earlier messages', exact: true }).click();
    await expect(ann.messages()).toHaveCount(400);
    await expect(ann.messages().first()).toContainText('burst 9601');
  });
});

test.describe('Moving from localStorage', () => {
  test('a conversation stored in the previous format moves over once and shows after a reload', async ({ browser }) => {
    const ann = await TinCanPage.launch(browser);
    // What the previous version left in localStorage (its exact format).
    await ann.page.evaluate(() => {
      const conversation = {
        id: '0a1b2c3d4e5f',
        peer_id: 'peer-9',
        peer_name: 'Bea',
        created_ms: 1_760_000_000_000,
        updated_ms: 1_760_000_300_000,
        messages: [
          { id: 0, author: 'me', seq: 1, text: 'hello from before', at_ms: 1_760_000_100_000, delivery: 'delivered' },
          { id: 1, author: 'peer', seq: 1, text: 'hi, still here?', at_ms: 1_760_000_200_000, delivery: 'delivered' },
          { id: 2, author: 'me', seq: 2, text: 'written while away', at_ms: 1_760_000_300_000, delivery: 'pending' },
        ],
        last_own_seq: 2,
        received_upto: 1,
      };
      localStorage.setItem(`tincan.conversation.v1.${conversation.id}`, JSON.stringify(conversation));
      localStorage.setItem(
        'tincan.conversations.v1',
        JSON.stringify({ summaries: [{ id: conversation.id, title: 'Bea', preview: 'You: written while away', updated_ms: conversation.updated_ms }] }),
      );
    });
    await ann.page.reload();
    await ann.expectStatus('Disconnected');
    await expect(ann.page.getByRole('heading', { name: 'Chat with Bea' })).toBeVisible();
    await expect.poll(() => texts(ann)).toEqual(['hello from before', 'hi, still here?', 'written while away']);
    await expect(ann.myMessages().last()).toHaveAttribute('data-delivery', 'pending');
    // Moved, not copied: the old keys are gone, the database has the messages.
    expect(await ann.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('tincan.conversation')))).toEqual([]);
    expect(await storedMessages(ann.page)).toBe(3);
    await ann.page.reload();
    await expect.poll(() => texts(ann)).toEqual(['hello from before', 'hi, still here?', 'written while away']);
  });
});

test.describe('Two tabs', () => {
  test('two tabs writing to one conversation keep every message; the other tab follows without a reload', async ({ browser }) => {
    test.setTimeout(60_000);
    const { inviter: ann, invitee: bob } = await connectPair(browser);
    await ann.send('a1');
    await bob.send('b1');
    await expect(ann.myMessages().last()).toHaveAttribute('data-delivery', 'delivered');

    const other = await ann.newTab();
    await other.page.goto('./');
    await other.expectStatus('Disconnected');
    await expect.poll(() => texts(other)).toEqual(['a1', 'b1']);

    // Bob writes to the live tab; the other tab is told and shows it.
    await bob.send('b2');
    await expect(other.peerMessages().last().locator('.text')).toHaveText('b2');

    // Both tabs write at the same moment: the live one to Bob, the other offline (pending).
    const write = (tab: TinCanPage, text: string) =>
      tab.page.evaluate((text) => {
        const box = document.querySelector<HTMLTextAreaElement>('#message')!;
        box.value = text;
        box.dispatchEvent(new Event('input', { bubbles: true }));
        Array.from(document.querySelectorAll('button')).find((b) => b.textContent === 'Send')!.click();
      }, text);
    await Promise.all([write(ann, 'from the live tab'), write(other, 'from the other tab')]);
    const everything = ['a1', 'b1', 'b2', 'from the live tab', 'from the other tab'];
    for (const tab of [ann, other]) {
      await expect.poll(async () => (await texts(tab)).sort(), { timeout: 10_000 }).toEqual([...everything].sort());
    }
    // The live tab took the other tab's message over and delivered it: Bob has both.
    await expect.poll(async () => (await texts(bob)).sort(), { timeout: 10_000 }).toEqual([...everything].sort());

    const third = await ann.newTab();
    await third.page.goto('./');
    await third.expectStatus('Disconnected');
    await expect.poll(async () => (await texts(third)).sort()).toEqual([...everything].sort());
    expect(await storedMessages(third.page)).toBe(5);
  });
});

test.describe('Refused writes', () => {
  test('when the browser refuses to store, the conversation says so and what to do; nothing stored is damaged', async ({ browser }, testInfo) => {
    test.setTimeout(60_000);
    // A small quota for Ann's browser. Chromium keeps the databases of Playwright's usual
    // (incognito-like) contexts in memory, where usage never grows and no quota applies, so Ann's
    // browser here has a profile on disk. The quota is the conversation's alone: no service
    // worker. The override is not in `navigator.storage.estimate()`, so the worker cannot see
    // that the build does not fit, and what an install stored before a put was refused stays
    // counted a while after its cache is deleted: 67–98 KB of the 100 KB, measured, leaving the
    // database room for no message at all in some runs (pwa.spec tests the worker).
    const annContext = await chromium.launchPersistentContext(testInfo.outputPath('ann-profile'), {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      baseURL: APP_URL,
      serviceWorkers: 'block',
    });
    try {
      const ann = new TinCanPage(annContext.pages()[0] ?? (await annContext.newPage()));
      const cdp = await annContext.newCDPSession(ann.page);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: ORIGIN, quotaSize: 100_000 });
      await ann.open();
      await ann.useNoIceServers();
      const bob = await TinCanPage.launch(browser);
      const answer = await bob.openInvite(await ann.createInvite());
      await ann.acceptAnswer(codeOf(answer));
      await ann.expectConnected();
      await bob.expectConnected();
      await bob.send('stored before the quota');
      await expect.poll(() => storedMessages(ann.page)).toBe(1);

      // Long messages until the quota is reached. Random letters: the database compresses its
      // files, and a run of one letter would take almost no room.
      const problem = ann.page.getByTestId('storage-problem');
      const sent: string[] = ['stored before the quota'];
      const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
      const noise = (n: number) => Array.from({ length: n }, () => letters[Math.floor(Math.random() * letters.length)]).join('');
      while (!(await problem.isVisible()) && sent.length < 30) {
        const text = `long ${sent.length} ${noise(9000)}`;
        await bob.send(text);
        sent.push(text);
        await expect(ann.peerMessages().last()).toContainText(`long ${sent.length - 1} `);
        await ann.page.waitForTimeout(300);
      }
      await expect(problem).toBeVisible();
      await expect(problem).toHaveAttribute('role', 'alert');
      await expect(problem).toContainText(/export/i);
      await expect(problem).toContainText(/delete old conversations/i);
      await expect(ann.peerMessages().last()).toHaveAttribute('data-saved', 'false');
      await expect(ann.peerMessages().last()).toContainText('Not saved');
      await expect(ann.peerMessages().first()).not.toHaveAttribute('data-saved', 'false');
      const storedAtRefusal = await storedMessages(ann.page);
      expect(storedAtRefusal).toBeLessThan(sent.length);
      await ann.send('also not stored');
      sent.push('also not stored');
      await expect(ann.myMessages().last()).toHaveAttribute('data-saved', 'false');
      // What was stored is intact: the refused writes changed nothing.
      expect(await storedMessages(ann.page)).toBe(storedAtRefusal);

      // Room again: the next write stores what waited, and the marks go.
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: ORIGIN });
      await bob.send('room again');
      sent.push('room again');
      await expect(ann.peerMessages().last()).toContainText('room again');
      await expect(problem).toBeHidden();
      await expect(ann.messageLog.locator('li[data-saved="false"]')).toHaveCount(0);
      await expect.poll(() => storedMessages(ann.page)).toBe(sent.length);
      await ann.page.reload();
      await expect.poll(() => texts(ann)).toEqual(sent);
    } finally {
      await annContext.close();
    }
  });
});

test.describe('Backup', () => {
  test('export, Delete all data, import: the conversation is back; a damaged file changes nothing', async ({ browser }, testInfo) => {
    test.setTimeout(60_000);
    const { inviter: ann, invitee: bob } = await connectPair(browser);
    await ann.send('keep this');
    await bob.send('and this <b>as text</b>');
    await expect(ann.peerMessages()).toHaveCount(1);
    await bob.page.close();
    await ann.expectStatus('Disconnected', { timeout: 10_000 });

    await ann.openSettings();
    await expect(ann.page.getByTestId('storage-estimate')).toContainText(/used of about .* available/);
    const downloading = ann.page.waitForEvent('download');
    await ann.settingsDialog.getByRole('button', { name: 'Export all conversations', exact: true }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^tincan-all-\d{4}-\d{2}-\d{2}\.json$/);
    const file = testInfo.outputPath('export.json');
    await download.saveAs(file);
    const exported = JSON.parse(readFileSync(file, 'utf8'));
    expect(exported.tincan_export).toBe(1);
    expect(exported.conversations).toHaveLength(1);

    // Delete all data asks first.
    await ann.settingsDialog.getByRole('button', { name: 'Delete all data', exact: true }).click();
    await ann.settingsDialog.getByRole('button', { name: 'Keep my data', exact: true }).click();
    expect(await storedMessages(ann.page)).toBe(2);
    await ann.settingsDialog.getByRole('button', { name: 'Delete all data', exact: true }).click();
    await ann.settingsDialog.getByRole('button', { name: 'Delete everything', exact: true }).click();
    await expect(ann.settingsDialog.getByRole('status').filter({ hasText: 'deleted' })).toBeVisible();
    expect(await storedMessages(ann.page)).toBe(0);
    await ann.cancelButton.click();
    await ann.page.reload();
    await expect(ann.createInviteButton).toBeVisible();
    await expect(ann.page.locator('.conversation-list > li')).toHaveCount(0);

    // A damaged or hostile file: a clear message, nothing imported.
    const hostile = testInfo.outputPath('hostile.json');
    const bad = structuredClone(exported);
    bad.conversations[0].messages[0].script = '<img src=x onerror=alert(1)>';
    writeFileSync(hostile, JSON.stringify(bad));
    await ann.openSettings();
    const importBox = ann.settingsDialog.getByLabel('Import conversations', { exact: true });
    await importBox.setInputFiles(hostile);
    await expect(ann.settingsDialog.getByRole('alert')).toContainText(/damaged or was changed.*Nothing was imported/);
    const notAnExport = testInfo.outputPath('not-an-export.json');
    writeFileSync(notAnExport, '{"hello":');
    await importBox.setInputFiles(notAnExport);
    await expect(ann.settingsDialog.getByRole('alert')).toContainText('not a Tin Can export');
    expect(await storedMessages(ann.page)).toBe(0);

    await importBox.setInputFiles(file);
    await expect(ann.settingsDialog.getByRole('status').filter({ hasText: 'Imported 1 conversation' })).toBeVisible();
    await ann.cancelButton.click();
    await ann.expectStatus('Disconnected');
    await expect.poll(() => texts(ann)).toEqual(['keep this', 'and this <b>as text</b>']);
    await ann.page.reload();
    await expect.poll(() => texts(ann)).toEqual(['keep this', 'and this <b>as text</b>']);
  });
});

test.describe('Passphrase lock', () => {
  test('locked: nothing readable at rest; a reload asks; a wrong passphrase is refused; change and remove re-encrypt', async ({ browser }) => {
    test.setTimeout(90_000);
    // Bob's display name travels to Ann and is stored with the conversation (its title).
    const bobContext = await TinCanPage.newContext(browser);
    await bobContext.addInitScript(() =>
      localStorage.setItem('tincan.settings.v1', JSON.stringify({ ice_servers: [], display_name: 'Bea' })),
    );
    const { inviter: ann, invitee: bob } = await connectPair(browser, { inviteeContext: bobContext });
    await expect(ann.page.getByRole('heading', { name: 'Chat with Bea' })).toBeVisible();
    await bob.send('the secret word is heliotrope');
    await ann.send('noted: heliotrope');
    await expect.poll(() => storedMessages(ann.page)).toBe(2);
    expect(await dumpDatabase(ann.page)).toContain('heliotrope');

    const lockWith = async (app: TinCanPage, fields: Record<string, string>, button: string) => {
      await app.openSettings();
      for (const [label, value] of Object.entries(fields)) {
        await app.settingsDialog.getByLabel(label, { exact: true }).fill(value);
      }
      await app.settingsDialog.getByRole('button', { name: button, exact: true }).click();
    };
    // Too short, or typed differently: refused before anything happens.
    await lockWith(ann, { 'New passphrase': 'short', 'Repeat the new passphrase': 'short' }, 'Set passphrase');
    await expect(ann.settingsDialog.getByRole('alert')).toContainText('at least 8');
    await ann.cancelButton.click();
    await lockWith(ann, { 'New passphrase': 'correct horse', 'Repeat the new passphrase': 'correct horse' }, 'Set passphrase');
    await expect(ann.settingsDialog.getByRole('status').filter({ hasText: 'Locked:' })).toBeVisible({ timeout: 20_000 });
    await ann.cancelButton.click();

    // At rest: neither the messages, nor the name, nor the preview.
    const atRest = await dumpDatabase(ann.page);
    for (const secret of ['heliotrope', 'the secret word', 'noted', 'Bea', '"preview"', '"text"']) {
      expect(atRest, `"${secret}" at rest`).not.toContain(secret);
    }
    expect(atRest).toContain('"sealed"');
    // The chat goes on, and new messages are sealed too.
    await bob.send('another secret: marjoram');
    await expect(ann.peerMessages().last()).toContainText('marjoram');
    await expect.poll(() => storedMessages(ann.page)).toBe(3);
    expect(await dumpDatabase(ann.page)).not.toContain('marjoram');

    // A reload asks for the passphrase and shows nothing without it.
    await ann.page.reload();
    const passphrase = ann.page.getByLabel('Passphrase', { exact: true });
    await expect(passphrase).toBeVisible();
    await expect(ann.page.locator('body')).not.toContainText('heliotrope');
    await expect(ann.messageLog).toHaveCount(0);
    await expect(ann.page.locator('.conversation-list')).toHaveCount(0);
    await passphrase.fill('wrong horse');
    await ann.page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await expect(ann.page.getByRole('alert')).toContainText('wrong');
    await expect(ann.messageLog).toHaveCount(0);
    await passphrase.fill('correct horse');
    await ann.page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await ann.expectStatus('Disconnected');
    await expect.poll(() => texts(ann)).toEqual(['the secret word is heliotrope', 'noted: heliotrope', 'another secret: marjoram']);

    // Change: the old passphrase no longer opens it, the new one does.
    await lockWith(ann, { 'Current passphrase': 'correct horse', 'New passphrase': 'battery staple', 'Repeat the new passphrase': 'battery staple' }, 'Change passphrase');
    await expect(ann.settingsDialog.getByRole('status').filter({ hasText: 'Passphrase changed' })).toBeVisible({ timeout: 20_000 });
    await ann.cancelButton.click();
    await ann.page.reload();
    await passphrase.fill('correct horse');
    await ann.page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await expect(ann.page.getByRole('alert')).toContainText('wrong');
    await passphrase.fill('battery staple');
    await ann.page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await expect.poll(() => texts(ann)).toEqual(['the secret word is heliotrope', 'noted: heliotrope', 'another secret: marjoram']);

    // Remove: stored plain again, and no question at load.
    await lockWith(ann, { 'Current passphrase': 'battery staple' }, 'Remove passphrase');
    await expect(ann.settingsDialog.getByRole('status').filter({ hasText: 'Passphrase removed' })).toBeVisible({ timeout: 20_000 });
    await ann.cancelButton.click();
    expect(await dumpDatabase(ann.page)).toContain('heliotrope');
    await ann.page.reload();
    await ann.expectStatus('Disconnected');
    await expect.poll(() => texts(ann)).toEqual(['the secret word is heliotrope', 'noted: heliotrope', 'another secret: marjoram']);
  });
});
