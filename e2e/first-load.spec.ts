import type { BrowserContext } from '@playwright/test';
import { test, expect } from './fixtures';
import { recordMedia } from './pages/call';
import { TinCanPage, codeOf } from './pages/tincan-page';

// Issue #18, a phone's first load: a first visit has nothing stored to show or unlock, so its
// start screen does not wait for IndexedDB (the conversations' database and this browser's
// identity). "Create invite" pressed before they are settled waits on the busy screen and makes
// the invite with the settled identity. A returning browser still waits: its first screen may be
// a stored conversation or the lock.

const DELAY_MS = 2_000;

/**
 * Every IndexedDB open answers DELAY_MS late (as on a slow phone); `window.__idbOpened` counts
 * the opens answered, and `window.__peers` (recordMedia) holds the RTCPeerConnections made.
 */
async function slowIndexedDb(context: BrowserContext): Promise<void> {
  await recordMedia(context);
  await context.addInitScript((delay) => {
    const w = window as unknown as { __idbOpened: number };
    w.__idbOpened = 0;
    const onsuccess = Object.getOwnPropertyDescriptor(IDBRequest.prototype, 'onsuccess');
    if (onsuccess?.set && onsuccess.get) {
      const { set, get } = onsuccess;
      Object.defineProperty(IDBRequest.prototype, 'onsuccess', {
        configurable: true,
        get() {
          return get.call(this);
        },
        set(handler: ((event: Event) => void) | null) {
          if (!handler || !(this instanceof IDBOpenDBRequest)) return set.call(this, handler);
          return set.call(this, (event: Event) =>
            setTimeout(() => {
              w.__idbOpened += 1;
              handler.call(this, event);
            }, delay));
        },
      });
    }
  }, DELAY_MS);
}

const opened = (app: TinCanPage) => app.page.evaluate(() => (window as unknown as { __idbOpened: number }).__idbOpened);
const peers = (app: TinCanPage) =>
  app.page.evaluate(() => (window as unknown as { __peers: RTCPeerConnection[] }).__peers.length);

test('a first visit: the start screen before storage opens; Create invite waits for it, then connects', async ({ browser }) => {
  const context = await TinCanPage.newContext(browser);
  await slowIndexedDb(context);
  const inviter = new TinCanPage(await context.newPage());
  await inviter.page.goto('./');
  await expect(inviter.createInviteButton).toBeEnabled();
  expect(await opened(inviter), 'the start screen came before any IndexedDB open answered').toBe(0);

  await inviter.createInviteButton.click();
  await inviter.expectStatus('Preparing');
  await expect(inviter.page.getByText('Preparing your link…')).toBeVisible();
  expect(await peers(inviter), 'no connection before the identity is settled').toBe(0);
  await expect(inviter.inviteLinkBox).toHaveValue(/#/, { timeout: 10_000 });
  expect(await opened(inviter)).toBeGreaterThan(0);
  expect(await peers(inviter)).toBe(1);

  const invitee = await TinCanPage.launch(browser);
  const answerLink = await invitee.openInvite(await inviter.inviteLinkBox.inputValue());
  await inviter.acceptAnswer(codeOf(answerLink));
  await inviter.expectConnected();
  await invitee.expectConnected();
  expect(await invitee.safetyCode()).toBe(await inviter.safetyCode());
  await inviter.send('made before storage opened');
  await expect(invitee.peerMessages().last()).toContainText('made before storage opened');
});

test('a first visit: Start over while the invite waits for storage makes none', async ({ browser }) => {
  const context = await TinCanPage.newContext(browser);
  await slowIndexedDb(context);
  const app = new TinCanPage(await context.newPage());
  await app.page.goto('./');
  await app.createInviteButton.click();
  await expect(app.page.getByText('Preparing your link…')).toBeVisible();
  await app.startOverButton.click();
  await expect(app.createInviteButton).toBeEnabled();
  await expect.poll(() => opened(app), { timeout: 10_000 }).toBeGreaterThan(0);
  await app.page.waitForTimeout(500);
  expect(await peers(app), 'no invite was made').toBe(0);
  await expect(app.inviteLinkBox).toHaveCount(0);
  await expect(app.createInviteButton).toBeEnabled();
});

test('a returning browser waits for its stored conversations before the first screen', async ({ browser }) => {
  const context = await TinCanPage.newContext(browser);
  const first = await TinCanPage.openIn(context); // this browser gets its id
  await first.page.close();
  await slowIndexedDb(context);
  const app = new TinCanPage(await context.newPage());
  await app.page.goto('./');
  await expect(app.page.getByText('Opening your conversations…')).toBeVisible();
  await expect(app.createInviteButton).toHaveCount(0);
  await expect(app.createInviteButton).toBeEnabled({ timeout: 10_000 });
  expect(await opened(app)).toBeGreaterThan(0);
});
