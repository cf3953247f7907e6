import { test, expect } from './fixtures';
import { LINK, TinCanPage, codeOf, withCode } from './pages/tincan-page';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The code cut to 60% of its length. */
function truncated(code: string): string {
  return code.slice(0, Math.floor(code.length * 0.6));
}

/** One character in the middle of the code changed to another base64url character. */
function damaged(code: string): string {
  const i = Math.floor(code.length / 2);
  const replacement = BASE64URL[(BASE64URL.indexOf(code[i]) + 17) % BASE64URL.length];
  expect(replacement).not.toBe(code[i]);
  return code.slice(0, i) + replacement + code.slice(i + 1);
}

/** The version tag (first character) replaced by one no version of the app knows. */
function fromTheFuture(code: string): string {
  return `9${code.slice(1)}`;
}

test.describe('A bad invite link shows why, and a good one still works afterwards', () => {
  const cases: [string, (code: string) => string, RegExp][] = [
    ['cut off', truncated, /cut off/],
    ['damaged', damaged, /damaged/],
    ['from a newer version', fromTheFuture, /newer version/],
  ];
  for (const [what, spoil, alert] of cases) {
    test(`an invite link that is ${what}`, async ({ browser }) => {
      const inviter = await TinCanPage.launch(browser);
      const invitee = await TinCanPage.launch(browser);
      const inviteLink = await inviter.createInvite();
      const badLink = withCode(inviteLink, spoil(codeOf(inviteLink)));
      expect(badLink).not.toBe(inviteLink);

      await invitee.visit(badLink);
      await invitee.expectAlert(alert);
      await expect(invitee.answerLinkBox).toHaveCount(0);

      // Still usable: the intact link works in the same tab.
      const answerLink = await invitee.openInvite(inviteLink);
      await inviter.acceptAnswer(answerLink);
      await inviter.expectConnected();
      await invitee.expectConnected();
    });
  }

  test('a bad invite link leaves the start screen usable', async ({ browser }) => {
    const inviter = await TinCanPage.launch(browser);
    const other = await TinCanPage.launch(browser);
    const inviteLink = await inviter.createInvite();

    await other.visit(withCode(inviteLink, truncated(codeOf(inviteLink))));
    await other.expectAlert(/cut off/);
    // Creating one's own invite still works.
    await expect(other.createInviteButton).toBeVisible();
    await other.createInvite();
    await other.expectStatus('Waiting');
  });
});

test.describe('A bad answer pasted by the inviter shows why, and the right one still connects', () => {
  test('the invite link instead of the answer', async ({ browser }) => {
    const inviter = await TinCanPage.launch(browser);
    const invitee = await TinCanPage.launch(browser);
    const inviteLink = await inviter.createInvite();
    const answerLink = await invitee.openInvite(inviteLink);

    await inviter.acceptAnswer(inviteLink);
    await inviter.expectAlert(/invite link, not an answer/);
    await expect(inviter.status).not.toContainText(/\bConnected\b/);

    await inviter.acceptAnswer(answerLink);
    await inviter.expectConnected();
    await invitee.expectConnected();
  });

  test('garbage', async ({ browser }) => {
    const inviter = await TinCanPage.launch(browser);
    const invitee = await TinCanPage.launch(browser);
    const answerLink = await invitee.openInvite(await inviter.createInvite());

    await inviter.acceptAnswer('hello');
    await inviter.expectAlert(/\S/);
    await inviter.expectStatus('Waiting');

    await inviter.acceptAnswer(codeOf(answerLink));
    await inviter.expectConnected();
    await invitee.expectConnected();
  });

  test('an answer that is cut off', async ({ browser }) => {
    const inviter = await TinCanPage.launch(browser);
    const invitee = await TinCanPage.launch(browser);
    const answerLink = await invitee.openInvite(await inviter.createInvite());

    await inviter.acceptAnswer(withCode(answerLink, truncated(codeOf(answerLink))));
    await inviter.expectAlert(/cut off/);
    await inviter.expectStatus('Waiting');

    await inviter.acceptAnswer(answerLink);
    await inviter.expectConnected();
    await invitee.expectConnected();
  });

  test('an answer made for a different invite', async ({ browser }) => {
    const inviter = await TinCanPage.launch(browser);
    const invitee = await TinCanPage.launch(browser);
    const firstInvite = await inviter.createInvite();
    const answerToFirst = await invitee.openInvite(firstInvite);

    await inviter.startOver();
    const secondInvite = await inviter.createInvite();
    expect(secondInvite).not.toBe(firstInvite);

    await inviter.acceptAnswer(answerToFirst);
    await inviter.expectAlert(/different invite/);
    await expect(inviter.status).not.toContainText(/\bConnected\b/);

    // The second invite still connects.
    const secondInvitee = await TinCanPage.launch(browser);
    const answerToSecond = await secondInvitee.openInvite(secondInvite);
    await inviter.acceptAnswer(answerToSecond);
    await inviter.expectConnected();
    await secondInvitee.expectConnected();
  });

  test('an answer link used twice', async ({ browser }) => {
    const inviter = await TinCanPage.launch(browser);
    const invitee = await TinCanPage.launch(browser);
    const answerLink = await invitee.openInvite(await inviter.createInvite());
    await inviter.acceptAnswer(answerLink);
    await inviter.expectConnected();
    await invitee.expectConnected();

    const again = await inviter.newTab();
    await again.visit(answerLink);
    await again.expectAlert(/already used/);

    // The running chat is not disturbed.
    await inviter.send('still here');
    await expect(invitee.peerMessages().last()).toContainText('still here');
    await inviter.expectStatus('Connected');
  });
});

test.describe('Network trouble', () => {
  test('an invitee that went away: Failed, "Could not connect", then Start over works', async ({ browser }) => {
    test.setTimeout(90_000);
    const inviter = await TinCanPage.launch(browser);
    const invitee = await TinCanPage.launch(browser);
    const answerLink = await invitee.openInvite(await inviter.createInvite());
    await invitee.page.close();

    await inviter.acceptAnswer(answerLink);
    await inviter.expectStatus('Failed', { timeout: 60_000 });
    await inviter.expectAlert(/Could not connect/);

    await inviter.startOver();
    const link = await inviter.createInvite();
    expect(link).toMatch(LINK);
    await inviter.expectStatus('Waiting');
  });

  test('an unreachable STUN server does not stop a local connection', async ({ browser }) => {
    test.setTimeout(90_000);
    const deadStun = { iceServers: ['stun:127.0.0.1:9'] }; // a closed loopback port
    const inviter = await TinCanPage.launch(browser, deadStun);
    const invitee = await TinCanPage.launch(browser, deadStun);

    await inviter.createInviteButton.click();
    await expect(inviter.inviteLinkBox).toHaveValue(LINK, { timeout: 30_000 });
    const inviteLink = await inviter.inviteLinkBox.inputValue();
    await invitee.visit(inviteLink);
    await expect(invitee.answerLinkBox).toHaveValue(LINK, { timeout: 30_000 });

    await inviter.acceptAnswer(await invitee.answerLinkBox.inputValue());
    await inviter.expectConnected();
    await invitee.expectConnected();
    await invitee.send('through');
    await expect(inviter.peerMessages().last()).toContainText('through');
  });
});
