import type { BrowserContext, Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { COMPACT_TAG, TinCanPage, codeOf, connectPair } from './pages/tincan-page';

/**
 * A conversation that loses nothing (issue #4): receipts, history across reloads, reconnecting
 * with the same peer, typing notices, names, ICE restarts over the channel.
 */

async function deliveries(app: TinCanPage): Promise<string[]> {
  return app.myMessages().evaluateAll((items) => items.map((li) => li.getAttribute('data-delivery') ?? ''));
}

async function texts(messages: ReturnType<TinCanPage['messages']>): Promise<string[]> {
  return messages.evaluateAll((items) => items.map((li) => li.querySelector('.text')?.textContent ?? ''));
}

test.describe('Receipts and names', () => {
  test('own messages turn delivered, the peer sees typing and the chosen name', async ({ browser }) => {
    const { inviter, invitee } = await connectPair(browser);
    await inviter.send('are you there?');
    await expect(inviter.myMessages().last()).toHaveAttribute('data-delivery', 'delivered');

    await invitee.messageBox.pressSequentially('typing…', { delay: 20 });
    await expect(inviter.page.getByText('is typing…')).toBeVisible();
    await invitee.messageBox.press('Enter');
    await expect(inviter.page.getByText('is typing…')).toBeHidden();
    await expect(inviter.peerMessages().last()).toContainText('typing…');

    // A display name travels in the hello of the next connection.
    await invitee.openSettings();
    await invitee.page.getByLabel('Display name', { exact: true }).fill('Bea');
    await invitee.saveButton.click();
    const second = await connectPair(browser, { inviteeContext: invitee.page.context() });
    await expect(second.inviter.page.getByRole('heading', { name: 'Chat with Bea' })).toBeVisible();
  });
});

test.describe('History and reconnect', () => {
  test('a reload keeps the history; pending messages go out once after Reconnect and turn delivered', async ({
    browser,
  }) => {
    test.setTimeout(60_000);
    const { inviter: ann, invitee: bob } = await connectPair(browser);
    await ann.send('a1');
    await bob.send('b1');
    await expect(ann.peerMessages()).toHaveCount(1);
    await expect(ann.myMessages().last()).toHaveAttribute('data-delivery', 'delivered');

    // Ann reloads: the connection is gone, the conversation is not.
    await ann.page.reload();
    await ann.expectStatus('Disconnected');
    await expect(ann.messages()).toHaveCount(2);
    expect(await texts(ann.messages())).toEqual(['a1', 'b1']);
    await bob.expectStatus('Disconnected', { timeout: 10_000 });

    // Both write while apart: the messages wait as pending.
    await ann.send('a2 written offline');
    await bob.send('b2 written offline');
    await bob.send('b3 written offline');
    expect(await deliveries(ann)).toEqual(['delivered', 'pending']);
    expect(await deliveries(bob)).toEqual(['delivered', 'pending', 'pending']);

    // Ann reconnects through new links; Bob opens the new invite in his tab.
    await ann.page.getByRole('button', { name: 'Reconnect', exact: true }).click();
    // The new invite is in the compact form (issue #14: never the lz-string fallback).
    await expect(ann.inviteLinkBox).toHaveValue(new RegExp(`#${COMPACT_TAG}`));
    const answer = await bob.openInvite(await ann.inviteLinkBox.inputValue());
    await ann.acceptAnswer(codeOf(answer));
    await ann.expectConnected();
    await bob.expectConnected();

    // Every pending message arrived exactly once, in order, and turned delivered.
    await expect(ann.messages()).toHaveCount(5);
    await expect(bob.messages()).toHaveCount(5);
    expect(await texts(ann.messages())).toEqual(['a1', 'b1', 'a2 written offline', 'b2 written offline', 'b3 written offline']);
    expect(await texts(bob.messages())).toEqual(['a1', 'b1', 'b2 written offline', 'b3 written offline', 'a2 written offline']);
    await expect.poll(() => deliveries(ann)).toEqual(['delivered', 'delivered']);
    await expect.poll(() => deliveries(bob)).toEqual(['delivered', 'delivered', 'delivered']);

    // And the chat goes on in the same conversation.
    await bob.send('b4');
    await expect(ann.peerMessages().last()).toContainText('b4');
  });

  test('earlier conversations are listed, can be opened and deleted', async ({ browser }) => {
    test.setTimeout(60_000);
    const annContext = await TinCanPage.newContext(browser);
    const first = await connectPair(browser, { inviterContext: annContext });
    await first.inviter.send('first conversation');
    await first.invitee.page.close();
    await first.inviter.expectStatus('Disconnected', { timeout: 10_000 });
    const second = await connectPair(browser, { inviterContext: annContext });
    await second.inviter.send('second conversation');
    await second.invitee.page.close();
    await second.inviter.expectStatus('Disconnected', { timeout: 10_000 });

    // A fresh tab shows the most recent conversation, disconnected, and the list of both.
    const ann = new TinCanPage(await annContext.newPage());
    await ann.page.goto('./');
    await ann.expectStatus('Disconnected');
    await expect(ann.myMessages().last()).toContainText('second conversation');
    const list = ann.page.locator('.conversation-list > li');
    await expect(list).toHaveCount(2);
    await expect(list.first()).toContainText('second conversation');

    await list.nth(1).getByRole('button', { name: /^Open/ }).click();
    await expect(ann.myMessages().last()).toContainText('first conversation');

    // Deleting the conversation on screen closes it and removes it for good.
    await list.nth(1).getByRole('button', { name: /^Delete/ }).click();
    await expect(list).toHaveCount(1);
    await expect(list.first()).toContainText('second conversation');
    await ann.page.reload();
    await expect(ann.page.locator('.conversation-list > li')).toHaveCount(1);
    await expect(ann.myMessages().last()).toContainText('second conversation');
  });
});

test.describe('Bursts and restarts', () => {
  test('a burst of 520 messages typed in quick succession arrives complete and in order; the newest 200 show', async ({ browser }) => {
    test.setTimeout(60_000);
    const { inviter, invitee } = await connectPair(browser);
    await inviter.page.evaluate(() => {
      const box = document.querySelector<HTMLTextAreaElement>('#message')!;
      const form = box.closest('form')!;
      for (let i = 1; i <= 520; i++) {
        box.value = `burst ${i}`;
        box.dispatchEvent(new Event('input', { bubbles: true }));
        form.requestSubmit();
      }
    });
    const expected = Array.from({ length: 520 }, (_, i) => `burst ${i + 1}`);
    // The log shows the newest 200; earlier ones come 200 at a time.
    await expect(invitee.peerMessages().last()).toContainText('burst 520', { timeout: 30_000 });
    await expect(invitee.peerMessages()).toHaveCount(200);
    expect(await texts(invitee.peerMessages())).toEqual(expected.slice(320));
    await invitee.page.getByRole('button', { name: 'Show 200 earlier messages', exact: true }).click();
    await expect(invitee.peerMessages()).toHaveCount(400);
    const rest = invitee.page.getByRole('button', { name: 'Show 120 earlier messages', exact: true });
    await rest.click();
    await expect(invitee.peerMessages()).toHaveCount(520);
    expect(await texts(invitee.peerMessages())).toEqual(expected);
    await expect(rest).toHaveCount(0);
    await expect
      .poll(async () => (await deliveries(inviter)).filter((d) => d !== 'delivered').length, { timeout: 20_000 })
      .toBe(0);
  });

  test('an ICE restart is negotiated over the data channel, with no new links', async ({ browser }) => {
    const contexts: BrowserContext[] = [];
    for (let i = 0; i < 2; i++) {
      const context = await TinCanPage.newContext(browser);
      await context.addInitScript(() => {
        const connections: RTCPeerConnection[] = [];
        (window as any).__connections = connections;
        const Original = window.RTCPeerConnection;
        (window as any).RTCPeerConnection = function (...args: any[]) {
          const connection = new (Original as any)(...args);
          connections.push(connection);
          return connection;
        };
        (window as any).RTCPeerConnection.prototype = Original.prototype;
      });
      contexts.push(context);
    }
    const { inviter, invitee } = await connectPair(browser, { inviterContext: contexts[0], inviteeContext: contexts[1] });
    const ufrag = (page: Page, which: 'local' | 'remote') =>
      page.evaluate((which) => {
        const connection: RTCPeerConnection = (window as any).__connections.at(-1);
        const description = which === 'local' ? connection.localDescription : connection.remoteDescription;
        return /a=ice-ufrag:(\S+)/.exec(description?.sdp ?? '')?.[1] ?? '';
      }, which);
    const before = await ufrag(inviter.page, 'local');
    expect(before).not.toBe('');

    await inviter.page.evaluate(() => (window as any).__connections.at(-1).restartIce());
    // New ICE credentials on the inviter, and the invitee took them, over the channel.
    await expect.poll(() => ufrag(inviter.page, 'local'), { timeout: 10_000 }).not.toBe(before);
    const after = await ufrag(inviter.page, 'local');
    await expect.poll(() => ufrag(invitee.page, 'remote'), { timeout: 10_000 }).toBe(after);
    await expect
      .poll(() => inviter.page.evaluate(() => (window as any).__connections.at(-1).signalingState))
      .toBe('stable');

    await inviter.expectStatus('Connected');
    await invitee.send('still talking after the restart');
    await expect(inviter.peerMessages().last()).toContainText('still talking after the restart');
  });
});
