import type { Locator } from '@playwright/test';
import { test, expect } from './fixtures';
import { APP_URL, COMPACT_TAG, LINK, TinCanPage, codeOf } from './pages/tincan-page';

/** An inline SVG QR code with actual modules drawn (it may sit in a collapsed <details>). */
async function expectQrCode(qr: Locator): Promise<void> {
  const svg = qr.locator('svg');
  await expect(svg).toHaveCount(1);
  await expect(svg.locator('path, rect').first()).toBeAttached();
  // A QR code of a few hundred characters has many dark modules: the drawing is not trivial.
  const drawn = await svg.evaluate((el) => el.innerHTML.length);
  expect(drawn).toBeGreaterThan(500);
}

test.describe('Settings', () => {
  test('default to a STUN server, persist across reloads, and Cancel discards edits', async ({ browser }) => {
    const context = await TinCanPage.newContext(browser);
    const app = new TinCanPage(await context.newPage());
    await app.open();

    await app.openSettings();
    await expect(app.iceServersBox).toHaveValue(/^stuns?:\S+/m);
    await expect(app.turnUsernameBox).toBeVisible();
    await expect(app.turnCredentialBox).toBeVisible();
    await app.cancelButton.click();
    await expect(app.settingsDialog).toBeHidden();

    await app.setIceServers(['stun:127.0.0.1:9']);
    await app.page.reload();
    await expect(app.settingsButton).toBeVisible();
    await app.openSettings();
    await expect(app.iceServersBox).toHaveValue('stun:127.0.0.1:9');

    // Edits thrown away with Cancel do not stick.
    await app.iceServersBox.fill('stun:127.0.0.1:19');
    await app.cancelButton.click();
    await expect(app.settingsDialog).toBeHidden();
    await app.openSettings();
    await expect(app.iceServersBox).toHaveValue('stun:127.0.0.1:9');
    await app.cancelButton.click();

    // An empty list (host candidates only) persists too, and so in a new tab.
    await app.useNoIceServers();
    const tab = await app.newTab();
    await tab.open();
    await tab.openSettings();
    await expect(tab.iceServersBox).toHaveValue('');
  });
});

test.describe('Inviter', () => {
  test('Create invite shows the invite link, its QR code and a waiting status', async ({ browser }) => {
    const inviter = await TinCanPage.launch(browser);
    await inviter.createInviteButton.click();
    await expect(inviter.inviteLinkBox).toHaveValue(LINK, { timeout: 5_000 });
    const link = await inviter.inviteLinkBox.inputValue();

    expect(link.startsWith(`${APP_URL}#`)).toBe(true);
    expect(codeOf(link)).toMatch(/^[CDL]/);
    // Compact, never the lz-string fallback (issue #14), and short.
    expect(codeOf(link)[0]).toBe(COMPACT_TAG);
    expect(codeOf(link).length).toBeLessThan(160);
    await expect(inviter.inviteLinkBox).not.toBeEditable();
    await inviter.expectStatus('Waiting');
    await expectQrCode(inviter.inviteQr);
    await expect(inviter.answerInputBox).toBeEditable();
    await expect(inviter.connectButton).toBeVisible();
    await expect(inviter.startOverButton).toBeVisible();
    // The inviter's own address bar never carries a code.
    expect(new URL(inviter.page.url()).hash).toBe('');
  });

  test('Copy invite link puts the link on the clipboard', async ({ browser }) => {
    const inviter = await TinCanPage.launch(browser);
    const link = await inviter.createInvite();
    await inviter.page.evaluate(() => navigator.clipboard.writeText('something else'));
    await inviter.copyInviteButton.click();
    await expect.poll(() => inviter.clipboardText()).toBe(link);
  });

  test('Share invite is not offered where navigator.share does not exist', async ({ browser }) => {
    const inviter = await TinCanPage.launch(browser);
    expect(await inviter.page.evaluate(() => 'share' in navigator)).toBe(false);
    await inviter.createInvite();
    await expect(inviter.copyInviteButton).toBeVisible();
    await expect(inviter.shareInviteButton).toHaveCount(0);
  });

  test('Share invite and Share answer call navigator.share with the link', async ({ browser }) => {
    const fakeShare = () => {
      const w = window as unknown as { __shared: unknown[] };
      w.__shared = [];
      Object.defineProperty(Navigator.prototype, 'share', {
        configurable: true,
        value: async (data: unknown) => {
          w.__shared.push(JSON.parse(JSON.stringify(data)));
        },
      });
      Object.defineProperty(Navigator.prototype, 'canShare', { configurable: true, value: () => true });
    };
    const shared = (app: TinCanPage) =>
      app.page.evaluate(() => (window as unknown as { __shared: Record<string, string>[] }).__shared);

    const inviterContext = await TinCanPage.newContext(browser);
    await inviterContext.addInitScript(fakeShare);
    const inviter = await TinCanPage.openIn(inviterContext);
    const link = await inviter.createInvite();
    await inviter.shareInviteButton.click();
    await expect.poll(() => shared(inviter)).toHaveLength(1);
    expect(Object.values((await shared(inviter))[0])).toContainEqual(expect.stringContaining(link));

    const inviteeContext = await TinCanPage.newContext(browser);
    await inviteeContext.addInitScript(fakeShare);
    const invitee = await TinCanPage.openIn(inviteeContext);
    const answer = await invitee.openInvite(link);
    await invitee.shareAnswerButton.click();
    await expect.poll(() => shared(invitee)).toHaveLength(1);
    expect(Object.values((await shared(invitee))[0])).toContainEqual(expect.stringContaining(answer));
  });
});

test.describe('Invitee', () => {
  test('opening the invite link hides the code and shows the answer link to send back', async ({ browser }) => {
    const inviter = await TinCanPage.launch(browser);
    const invitee = await TinCanPage.launch(browser);
    const inviteLink = await inviter.createInvite();

    const answerLink = await invitee.openInvite(inviteLink);
    expect(answerLink.startsWith(`${APP_URL}#`)).toBe(true);
    expect(codeOf(answerLink)).toMatch(/^[CDL]/);
    expect(codeOf(answerLink)[0]).toBe(COMPACT_TAG);
    expect(codeOf(answerLink).length).toBeLessThan(160);
    expect(answerLink).not.toBe(inviteLink);
    await expect.poll(() => new URL(invitee.page.url()).hash).toBe('');
    expect(invitee.page.url()).toBe(APP_URL);
    await expect(invitee.answerLinkBox).not.toBeEditable();
    await expectQrCode(invitee.answerQr);
    await expect(invitee.page.getByText(/\bback\b/i).first()).toBeVisible();
    await invitee.expectStatus('Waiting');
    await expect(invitee.startOverButton).toBeVisible();
    // The invitee has nothing to paste.
    await expect(invitee.answerInputBox).toHaveCount(0);
  });

  test('Copy answer link puts the answer link on the clipboard', async ({ browser }) => {
    const inviter = await TinCanPage.launch(browser);
    const invitee = await TinCanPage.launch(browser);
    const answerLink = await invitee.openInvite(await inviter.createInvite());
    await invitee.copyAnswerButton.click();
    await expect.poll(() => invitee.clipboardText()).toBe(answerLink);
  });

  test('an invite link opened by a full page load (new tab) works too', async ({ browser }) => {
    const inviter = await TinCanPage.launch(browser);
    const inviteeSettings = await TinCanPage.launch(browser); // sets "no ICE servers" in that browser
    const inviteLink = await inviter.createInvite();

    const invitee = await inviteeSettings.newTab();
    await invitee.visit(inviteLink);
    await expect(invitee.answerLinkBox).toHaveValue(LINK);
    await expect.poll(() => new URL(invitee.page.url()).hash).toBe('');

    await inviter.acceptAnswer(await invitee.answerLinkBox.inputValue());
    await inviter.expectConnected();
    await invitee.expectConnected();
  });
});
