import { chromium } from '@playwright/test';
import { test, expect } from './fixtures';
import { APP_URL, SAFETY_CODE, TinCanPage, codeOf, connectPair, reconnectPair } from './pages/tincan-page';
import { FirefoxTinCanPage, launchFirefox } from './pages/firefox-page';

/**
 * Verify once (issue #17): each browser proves one stable identity (a stored RTCCertificate), so
 * the safety code of a pair of browsers stays the same across reconnects; "Mark as verified"
 * lasts; a peer that comes back with another certificate is held and loudly reported.
 */

/** The known-peers record as stored in the `meta` store of Tin Can's database (`null`: none). */
async function storedKnownPeers(app: TinCanPage): Promise<string | null> {
  return app.page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('tincan');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const value = await new Promise<unknown>((resolve, reject) => {
      const request = db.transaction('meta').objectStore('meta').get('known-peers');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    db.close();
    return typeof value === 'string' ? value : null;
  });
}

/** The SHA-256 fingerprint of the certificate this browser keeps (`null`: none stored). */
async function storedCertificate(app: TinCanPage): Promise<string | null> {
  return app.page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('tincan-identity');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    if (!db.objectStoreNames.contains('certificates')) return (db.close(), null);
    const certificate = await new Promise<RTCCertificate | undefined>((resolve, reject) => {
      const request = db.transaction('certificates').objectStore('certificates').get('current');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    db.close();
    return certificate?.getFingerprints().find((f) => f.algorithm === 'sha-256')?.value?.toUpperCase() ?? null;
  });
}

/**
 * Puts a new certificate that expires in `expiresMs` into this browser's identity database as
 * its current one (the next one, if any, stays), as if it had been made long ago.
 */
async function ageCertificate(app: TinCanPage, expiresMs: number): Promise<void> {
  await app.page.evaluate(async (expires) => {
    const certificate = await RTCPeerConnection.generateCertificate({
      name: 'ECDSA',
      namedCurve: 'P-256',
      expires,
    } as EcKeyGenParams & { expires: number });
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('tincan-identity');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    await new Promise<void>((resolve, reject) => {
      const transaction = db.transaction('certificates', 'readwrite');
      transaction.objectStore('certificates').put(certificate, 'current');
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
    });
    db.close();
  }, expiresMs);
}

/** The delivery states of one's own messages, oldest first. */
async function deliveries(app: TinCanPage): Promise<string[]> {
  return app.myMessages().evaluateAll((items) => items.map((li) => li.getAttribute('data-delivery') ?? ''));
}

test.describe('A stable identity per browser', () => {
  test('verified once: the invitee reloads, the pair reconnects with new links, same code, still verified, no warning', async ({
    browser,
  }) => {
    test.setTimeout(60_000);
    const { inviter: ann, invitee: bob } = await connectPair(browser);
    const code = await ann.safetyCode();
    expect(code).toMatch(SAFETY_CODE);
    expect(await bob.safetyCode()).toBe(code);
    await expect(ann.verifiedBadge).toHaveCount(0);
    await ann.markVerified();
    await bob.markVerified();

    // Bob reloads: the connection is gone, his verification is not.
    await bob.reload();
    await bob.expectStatus('Disconnected');
    await expect(bob.verifiedBadge).toBeVisible();
    await ann.expectStatus('Disconnected', { timeout: 10_000 });
    await expect(ann.verifiedBadge).toBeVisible();

    await reconnectPair(ann, bob);
    expect(await ann.safetyCode(), 'the same code on the new connection').toBe(code);
    expect(await bob.safetyCode()).toBe(code);
    for (const app of [ann, bob]) {
      await expect(app.verifiedBadge).toBeVisible();
      await expect(app.identityWarning).toHaveCount(0);
      await expect(app.markVerifiedButton).toHaveCount(0);
    }
    await ann.send('still us');
    await expect(bob.peerMessages().last()).toContainText('still us');
    await expect(ann.myMessages().last()).toHaveAttribute('data-delivery', 'delivered');

    // Taking the verification back removes the badge; marking again brings it back.
    await bob.unmarkVerifiedButton.click();
    await expect(bob.verifiedBadge).toHaveCount(0);
    await expect(bob.markVerifiedButton).toBeVisible();
    await bob.markVerified();
  });

  test('a relay that answers the reconnect with its own certificate: blocking warning, nothing reaches it, Decline keeps it pending', async ({
    browser,
  }) => {
    test.setTimeout(60_000);
    const { inviter: alice, invitee: bob } = await connectPair(browser);
    const code = await alice.safetyCode();
    await alice.markVerified();
    await bob.markVerified();
    await alice.send('before the relay');
    await expect(bob.peerMessages()).toHaveCount(1);

    // Mallory learned Bob's browser id from the first connection's hello, and uses it as hers.
    const bobId = await bob.page.evaluate(() => localStorage.getItem('tincan.peer-id.v1'));
    expect(bobId).toBeTruthy();
    const malloryContext = await TinCanPage.newContext(browser);
    await malloryContext.addInitScript((id) => localStorage.setItem('tincan.peer-id.v1', id), bobId!);
    const mallory = await TinCanPage.openIn(malloryContext);

    // Bob goes away; Alice writes meanwhile and reconnects, but her invite reaches Mallory.
    await bob.page.close();
    await alice.expectStatus('Disconnected', { timeout: 10_000 });
    await alice.send('written while apart');
    const malloryAnswer = await mallory.openInvite(await alice.reconnect());
    await alice.acceptAnswer(codeOf(malloryAnswer));
    await alice.expectConnected();
    await mallory.expectConnected();

    // The warning: blocking, with the new code, and the badge gone.
    await expect(alice.identityWarning).toBeVisible();
    await expect(alice.identityWarning).toHaveAttribute('data-alert', 'blocking');
    await expect(alice.identityWarning).toHaveAttribute('role', 'alertdialog');
    await expect(alice.identityWarning).toContainText('not the browser you verified');
    const relayCode = await mallory.safetyCode();
    expect(relayCode).not.toBe(code);
    await expect(alice.newSafetyCode).toHaveText(relayCode);
    await expect(alice.verifiedBadge).toHaveCount(0);
    await expect(alice.markVerifiedButton).toHaveCount(0);
    await expect(alice.acceptIdentityButton).toBeVisible();

    // A message typed now stays pending; nothing reaches Mallory (not even the conversation).
    await alice.send('typed under the warning');
    await alice.page.waitForTimeout(1_500);
    expect(await deliveries(alice)).toEqual(['delivered', 'pending', 'pending']);
    await expect(mallory.messages()).toHaveCount(0);

    // Decline: disconnected, both messages still pending and undelivered.
    await alice.declineIdentityButton.click();
    await alice.expectStatus('Disconnected');
    await alice.expectNotice(/declined the new identity/);
    await expect(alice.identityWarning).toHaveCount(0);
    expect(await deliveries(alice)).toEqual(['delivered', 'pending', 'pending']);
    await mallory.expectStatus('Disconnected', { timeout: 10_000 });
    await expect(mallory.messages()).toHaveCount(0);
    // Bob's identity stays the verified one.
    await expect(alice.verifiedBadge).toBeVisible();
  });

  test('Reset identity: the peer sees a clear notice, accepts, and what waited is delivered; no warning after that', async ({
    browser,
  }) => {
    test.setTimeout(60_000);
    const { inviter: ann, invitee: bob } = await connectPair(browser);
    const oldCode = await ann.safetyCode();

    // Bob makes a new identity (Settings warns first).
    await bob.openSettings();
    await bob.settingsDialog.getByRole('button', { name: 'Reset identity', exact: true }).click();
    await expect(bob.settingsDialog.getByRole('alertdialog')).toContainText('changed identity');
    await bob.settingsDialog.getByRole('button', { name: 'Keep my identity', exact: true }).click();
    await bob.settingsDialog.getByRole('button', { name: 'Reset identity', exact: true }).click();
    await bob.settingsDialog.getByRole('button', { name: 'Make a new identity', exact: true }).click();
    await expect(bob.settingsDialog.getByRole('status').filter({ hasText: 'Your identity is new' })).toBeVisible();
    await bob.cancelButton.click();

    await bob.reload();
    await ann.expectStatus('Disconnected', { timeout: 10_000 });
    await ann.send('waiting for the new Bob');
    await reconnectPair(ann, bob);

    // Ann never verified Bob: a clear notice, not a blocking one; nothing went yet.
    await expect(ann.identityWarning).toBeVisible();
    await expect(ann.identityWarning).toHaveAttribute('data-alert', 'notice');
    await expect(ann.identityWarning).toHaveAttribute('role', 'alert');
    const newCode = await ann.safetyCode();
    expect(newCode).not.toBe(oldCode);
    expect(await bob.safetyCode()).toBe(newCode);
    await expect(ann.newSafetyCode).toHaveText(newCode);
    await expect(bob.identityWarning, "Bob's view of Ann did not change").toHaveCount(0);
    await expect(ann.myMessages().last()).toHaveAttribute('data-delivery', 'pending');
    await expect(bob.peerMessages()).toHaveCount(0);

    // Accepting sends what waited.
    await ann.acceptIdentityButton.click();
    await expect(ann.identityWarning).toHaveCount(0);
    await expect(bob.peerMessages().last()).toContainText('waiting for the new Bob');
    await expect(ann.myMessages().last()).toHaveAttribute('data-delivery', 'delivered');
    await ann.markVerified();

    // From now on the new identity is the known one.
    await bob.reload();
    await ann.expectStatus('Disconnected', { timeout: 10_000 });
    await reconnectPair(ann, bob);
    expect(await ann.safetyCode()).toBe(newCode);
    await expect(ann.identityWarning).toHaveCount(0);
    await expect(ann.verifiedBadge).toBeVisible();
  });

  test('the known peers are sealed under a lock; Delete all data forgets them and the identity', async ({ browser }) => {
    test.setTimeout(60_000);
    const { inviter: ann, invitee: bob } = await connectPair(browser);
    await ann.markVerified();
    const bobCertificate = await storedCertificate(bob);
    expect(bobCertificate).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
    await expect.poll(() => storedKnownPeers(ann)).toContain(bobCertificate!);
    expect(await storedKnownPeers(ann)).toContain('"verified":true');

    // A passphrase lock seals the table with everything else.
    await ann.openSettings();
    await ann.settingsDialog.getByLabel('New passphrase', { exact: true }).fill('correct horse');
    await ann.settingsDialog.getByLabel('Repeat the new passphrase', { exact: true }).fill('correct horse');
    await ann.settingsDialog.getByRole('button', { name: 'Set passphrase', exact: true }).click();
    await expect(ann.settingsDialog.getByRole('status').filter({ hasText: 'Locked:' })).toBeVisible({ timeout: 20_000 });
    const sealed = await storedKnownPeers(ann);
    expect(sealed).toContain('"sealed"');
    expect(sealed).not.toContain(bobCertificate!);
    expect(sealed).not.toContain('verified');
    // Still verified in the live chat, and after a reload and the passphrase.
    await expect(ann.verifiedBadge).toBeVisible();

    // Delete all data: the table goes, and so does the certificate (a new one is made).
    const annCertificate = await storedCertificate(ann);
    expect(annCertificate).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
    await ann.settingsDialog.getByRole('button', { name: 'Delete all data', exact: true }).click();
    await ann.settingsDialog.getByRole('button', { name: 'Delete everything', exact: true }).click();
    await expect(ann.settingsDialog.getByRole('status').filter({ hasText: 'deleted' })).toBeVisible();
    expect(await storedKnownPeers(ann)).toBeNull();
    await expect.poll(() => storedCertificate(ann)).not.toBe(annCertificate);
    expect(await storedCertificate(ann)).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
  });

  test('renewal: the next certificate is announced over the old one, and the peer takes the switch without a warning', async ({
    browser,
  }) => {
    test.setTimeout(60_000);
    const day = 86_400_000;
    // Ann's certificate has 10 days left: inside the renewal window (30 days), so at load she
    // makes the next one and announces it on every connection.
    const ann = await TinCanPage.launch(browser);
    await ageCertificate(ann, 10 * day);
    await ann.reload();
    const bob = await TinCanPage.launch(browser);
    await ann.acceptAnswer(codeOf(await bob.openInvite(await ann.createInvite())));
    await ann.expectConnected();
    await bob.expectConnected();
    const oldCode = await ann.safetyCode();
    await bob.markVerified();

    // A day before it expires, Ann switches to the announced certificate.
    await ann.send('before the switch');
    await expect(bob.peerMessages()).toHaveCount(1);
    await ageCertificate(ann, day / 2);
    await ann.reload();
    await bob.expectStatus('Disconnected', { timeout: 10_000 });
    await reconnectPair(ann, bob);
    const newCode = await ann.safetyCode();
    expect(newCode, 'a new certificate, so a new code').not.toBe(oldCode);
    expect(await bob.safetyCode()).toBe(newCode);
    // Bob was told in advance: no warning, still verified; the chat goes on.
    await expect(bob.identityWarning).toHaveCount(0);
    await expect(bob.verifiedBadge).toBeVisible();
    await ann.send('after the switch');
    await expect(bob.peerMessages().last()).toContainText('after the switch');
  });

  test('the identity survives a browser restart (persistent profile): same code after relaunch', async ({
    browser,
  }, testInfo) => {
    test.setTimeout(60_000);
    const profile = testInfo.outputPath('ann-profile');
    const launch = () =>
      chromium.launchPersistentContext(profile, {
        executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
        baseURL: APP_URL,
      });
    let annContext = await launch();
    try {
      let ann = new TinCanPage(annContext.pages()[0] ?? (await annContext.newPage()));
      await ann.open();
      await ann.useNoIceServers();
      const bob = await TinCanPage.launch(browser);
      await ann.acceptAnswer(codeOf(await bob.openInvite(await ann.createInvite())));
      await ann.expectConnected();
      await bob.expectConnected();
      const code = await ann.safetyCode();
      expect(await bob.safetyCode()).toBe(code);
      await ann.markVerified();

      // The whole browser goes, and comes back with the same profile.
      await annContext.close();
      await bob.expectStatus('Disconnected', { timeout: 10_000 });
      annContext = await launch();
      ann = new TinCanPage(annContext.pages()[0] ?? (await annContext.newPage()));
      await ann.open();
      await ann.expectStatus('Disconnected');
      await expect(ann.verifiedBadge).toBeVisible();

      await reconnectPair(ann, bob);
      expect(await ann.safetyCode(), 'the same code after the restart').toBe(code);
      expect(await bob.safetyCode()).toBe(code);
      await expect(ann.verifiedBadge).toBeVisible();
      await expect(ann.identityWarning).toHaveCount(0);
      await expect(bob.identityWarning).toHaveCount(0);
    } finally {
      await annContext.close().catch(() => {});
    }
  });

  test('Chromium and Firefox each keep their own identity: two connections, the same code both times', async ({
    browser,
  }) => {
    test.setTimeout(90_000);
    const firefox = await launchFirefox();
    let ff: FirefoxTinCanPage | undefined;
    try {
      const chromiumApp = await TinCanPage.launch(browser);
      ff = await FirefoxTinCanPage.open(firefox, { iceServers: [] });
      await chromiumApp.acceptAnswer(codeOf(await ff.openInvite(await chromiumApp.createInvite())));
      await chromiumApp.expectConnected();
      await ff.waitForConnected();
      const code = await chromiumApp.safetyCode();
      expect(code).toMatch(SAFETY_CODE);
      expect(await ff.safetyCode()).toBe(code);

      // Firefox reloads (its tab, its stored identity), Chromium reconnects with new links.
      await ff.reload();
      await ff.waitForStatus('Disconnected');
      await chromiumApp.expectStatus('Disconnected', { timeout: 10_000 });
      await chromiumApp.acceptAnswer(codeOf(await ff.openInvite(await chromiumApp.reconnect())));
      await chromiumApp.expectConnected();
      await ff.waitForConnected();
      expect(await chromiumApp.safetyCode(), 'the same code on the second connection').toBe(code);
      expect(await ff.safetyCode()).toBe(code);
      await expect(chromiumApp.identityWarning).toHaveCount(0);

      const problems = ff.crashes();
      expect(problems, 'the app in Firefox must not panic or throw uncaught errors').toEqual([]);
    } finally {
      await ff?.close();
      await firefox.close().catch(() => {});
    }
  });
});
