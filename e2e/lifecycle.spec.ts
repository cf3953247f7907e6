import { test, expect } from './fixtures';
import { TinCanPage, connectPair } from './pages/tincan-page';
import type { BrowserContext, Page } from '@playwright/test';

// Leaving an attempt closes its RTCPeerConnection at once, whatever the attempt was doing.

/** Records every RTCPeerConnection the page makes, in `window.__peers`. */
async function recordPeers(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const made: RTCPeerConnection[] = [];
    (window as unknown as { __peers: RTCPeerConnection[] }).__peers = made;
    window.RTCPeerConnection = class extends Native {
      constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
        super(...args);
        made.push(this);
      }
    } as typeof RTCPeerConnection;
  });
}

/** signalingState of every connection the page made, oldest first. */
async function peerStates(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    (window as unknown as { __peers: RTCPeerConnection[] }).__peers.map((peer) => peer.signalingState));
}

async function recordedApp(browser: import('@playwright/test').Browser): Promise<TinCanPage> {
  const context = await TinCanPage.newContext(browser);
  await recordPeers(context);
  return TinCanPage.openIn(context);
}

/** An inviter (recorded) connecting to an invitee whose tab closed after making its answer. */
async function connectingToNobody(browser: import('@playwright/test').Browser): Promise<TinCanPage> {
  const inviter = await recordedApp(browser);
  const invitee = await TinCanPage.launch(browser);
  const answerLink = await invitee.openInvite(await inviter.createInvite());
  await invitee.page.close();
  await inviter.acceptAnswer(answerLink);
  await inviter.expectStatus('Connecting');
  return inviter;
}

test.describe('Start over closes the connection at once', () => {
  test('while waiting for the answer', async ({ browser }) => {
    const inviter = await recordedApp(browser);
    await inviter.createInvite();
    expect(await peerStates(inviter.page)).toContain('have-local-offer');
    await inviter.startOver();
    await expect.poll(() => peerStates(inviter.page), { timeout: 1_000 }).not.toContain('have-local-offer');
    expect(new Set(await peerStates(inviter.page))).toEqual(new Set(['closed']));
    await expect(inviter.createInviteButton).toBeVisible();
  });

  test('while connecting to an invitee that went away', async ({ browser }) => {
    const inviter = await connectingToNobody(browser);
    // The busy screen offers the way out.
    await inviter.startOverButton.click();
    await expect.poll(async () => new Set(await peerStates(inviter.page)), { timeout: 1_000 })
      .toEqual(new Set(['closed']));
    await expect(inviter.createInviteButton).toBeVisible();
    // No late failure of the abandoned attempt shows up afterwards.
    await inviter.page.waitForTimeout(16_000);
    await expect(inviter.alerts).toHaveCount(0);
    await expect(inviter.createInviteButton).toBeVisible();
  });

  test('while connected, and the other side is told', async ({ browser }) => {
    const inviterContext = await TinCanPage.newContext(browser);
    await recordPeers(inviterContext);
    const { inviter, invitee } = await connectPair(browser, { inviterContext });
    await inviter.send('before');
    await expect(invitee.peerMessages()).toHaveCount(1);
    await inviter.startOver();
    await expect.poll(async () => new Set(await peerStates(inviter.page)), { timeout: 1_000 })
      .toEqual(new Set(['closed']));
    await invitee.expectStatus('Disconnected');
  });

  test('opening another invite mid-attempt closes the first connection', async ({ browser }) => {
    const inviter = await recordedApp(browser);
    const other = await TinCanPage.launch(browser);
    await inviter.createInvite();
    const othersInvite = await other.createInvite();
    await inviter.page.goto(othersInvite);
    await expect(inviter.answerLinkBox).toBeVisible();
    // The first connection (the inviter's own offer) is closed; the new one answers.
    await expect.poll(() => peerStates(inviter.page), { timeout: 1_000 })
      .toEqual(expect.arrayContaining(['closed', 'stable']));
    expect((await peerStates(inviter.page))[0]).toBe('closed');
  });

  test('a failed attempt closes its connection', async ({ browser }) => {
    const inviter = await connectingToNobody(browser);
    // The connect deadline (15 s) ends the attempt with an alert, and the connection with it.
    await expect(inviter.alerts.filter({ hasText: /Could not connect/ })).toBeVisible({ timeout: 25_000 });
    await inviter.expectStatus('Failed');
    expect(new Set(await peerStates(inviter.page))).toEqual(new Set(['closed']));
  });

  test('on the invitee while its answer waits', async ({ browser }) => {
    const inviter = await TinCanPage.launch(browser);
    const invitee = await recordedApp(browser);
    await invitee.openInvite(await inviter.createInvite());
    await invitee.startOver();
    await expect.poll(async () => new Set(await peerStates(invitee.page)), { timeout: 1_000 })
      .toEqual(new Set(['closed']));
  });
});
