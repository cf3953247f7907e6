import type { Locator, Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { TinCanPage } from './pages/tincan-page';

/**
 * The whole flow by keyboard alone (issue #19): Tab to a control, Enter to press it, Escape to
 * close; every control reached shows a visible focus ring. Links move between the two browsers
 * as a user would: copied with the app's button, and opened or typed in.
 */

/** What has focus, and whether it shows it: an outline of at least 2 px (on the label of a hidden file input). */
async function focusShown(page: Page): Promise<{ what: string; shown: boolean }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { what: 'body', shown: true };
    const ringed = el instanceof HTMLInputElement && el.type === 'file' ? document.querySelector<HTMLElement>(`label[for="${el.id}"]`) ?? el : el;
    const style = getComputedStyle(ringed);
    const shown = el.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    const name = el.getAttribute('aria-label') ?? el.id ?? '';
    return { what: `${el.tagName.toLowerCase()} ${name} "${(el.textContent ?? '').trim().slice(0, 20)}"`, shown };
  });
}

/** Presses Tab (or Shift+Tab) until `target` has focus, checking each stop's focus ring. */
async function tabTo(app: TinCanPage, target: Locator, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<void> {
  await expect(target).toBeVisible();
  for (let presses = 0; presses < 40; presses++) {
    await app.page.keyboard.press(key);
    const focus = await focusShown(app.page);
    expect(focus.shown, `a visible focus ring on ${focus.what}`).toBe(true);
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`${key} never reached ${target}`);
}

test('from Create invite to a sent message by keyboard alone, with visible focus; Escape closes panels', async ({ browser }) => {
  test.setTimeout(60_000);
  const inviter = await TinCanPage.launch(browser);
  const invitee = await TinCanPage.launch(browser);

  // The inviter: Create invite, Copy invite link.
  await tabTo(inviter, inviter.createInviteButton);
  await inviter.page.keyboard.press('Enter');
  await expect(inviter.inviteLinkBox).toBeVisible();
  // The pressed button went with its screen: the new screen's heading has the focus, not the page.
  await expect(inviter.page.getByRole('heading', { name: '1. Send this invite link' })).toBeFocused();
  await tabTo(inviter, inviter.copyInviteButton);
  await inviter.page.keyboard.press('Enter');
  await expect(inviter.page.getByText('Copied.')).toBeVisible();
  const inviteLink = await inviter.clipboardText();
  expect(inviteLink).toBe(await inviter.inviteLinkBox.inputValue());

  // The invitee opens it and copies the answer link.
  await invitee.visit(inviteLink);
  await tabTo(invitee, invitee.copyAnswerButton);
  await invitee.page.keyboard.press('Enter');
  await expect(invitee.page.getByText('Copied.')).toBeVisible();
  const answerLink = await invitee.clipboardText();
  expect(answerLink).toBe(await invitee.answerLinkBox.inputValue());

  // The inviter types it into the answer box and presses Connect.
  await tabTo(inviter, inviter.answerInputBox);
  await inviter.page.keyboard.insertText(answerLink);
  await tabTo(inviter, inviter.connectButton);
  await inviter.page.keyboard.press('Enter');
  await inviter.expectConnected();
  await invitee.expectConnected();
  await expect(inviter.messageLog, 'the log takes the focus Connect had').toBeFocused();

  // A message, typed and sent with Enter; the reply the same way.
  await tabTo(inviter, inviter.messageBox);
  await inviter.page.keyboard.type('hello by keyboard');
  await inviter.page.keyboard.press('Enter');
  await expect(invitee.peerMessages().last()).toContainText('hello by keyboard');
  await tabTo(invitee, invitee.messageBox);
  await invitee.page.keyboard.type('and back');
  await invitee.page.keyboard.press('Enter');
  await expect(inviter.peerMessages().last()).toContainText('and back');

  // The safety code panel: Enter opens it and takes focus there, Escape closes it and puts
  // focus back on its button.
  await tabTo(inviter, inviter.safetyCodeButton, 'Shift+Tab');
  await expect(inviter.safetyCodeButton).toHaveAttribute('aria-expanded', 'false');
  await inviter.page.keyboard.press('Enter');
  await expect(inviter.safetyPanel).toBeVisible();
  await expect(inviter.safetyCodeButton).toHaveAttribute('aria-expanded', 'true');
  await expect(inviter.safetyPanel).toBeFocused();
  await tabTo(inviter, inviter.markVerifiedButton);
  await inviter.page.keyboard.press('Enter');
  await expect(inviter.verifiedBadge).toBeVisible();
  // The same button now takes it back, and still has focus.
  await expect(inviter.unmarkVerifiedButton).toBeFocused();
  await inviter.page.keyboard.press('Escape');
  await expect(inviter.safetyPanel).toBeHidden();
  await expect(inviter.safetyCodeButton).toBeFocused();

  // Settings: Enter opens the dialog, Escape closes it.
  await tabTo(inviter, inviter.settingsButton);
  await inviter.page.keyboard.press('Enter');
  await expect(inviter.settingsDialog).toBeVisible();
  const inDialog = await focusShown(inviter.page);
  expect(inDialog.what, 'focus moved into the dialog').not.toBe('body');
  await inviter.page.keyboard.press('Escape');
  await expect(inviter.settingsDialog).toBeHidden();
});

test('reduced motion: nothing animates; dark mode: the dark colours', async ({ browser }) => {
  const app = await TinCanPage.launch(browser);
  const spinnerAnimation = () =>
    app.page.evaluate(() => {
      const spinner = document.createElement('div');
      spinner.className = 'spinner';
      document.body.append(spinner);
      const name = getComputedStyle(spinner).animationName;
      spinner.remove();
      return name;
    });
  await app.page.emulateMedia({ reducedMotion: 'no-preference' });
  expect(await spinnerAnimation(), 'the spinner turns normally').toBe('spin');
  await app.page.emulateMedia({ reducedMotion: 'reduce' });
  expect(await spinnerAnimation(), 'no animation with reduced motion').toBe('none');
  const moving = await app.page.evaluate(
    () =>
      [...document.querySelectorAll('*')].filter((el) => {
        const style = getComputedStyle(el);
        return style.animationName !== 'none' || style.transitionDuration.split(',').some((d) => parseFloat(d) > 0);
      }).length,
  );
  expect(moving, 'no element animates or transitions with reduced motion').toBe(0);

  const background = () => app.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await app.page.emulateMedia({ colorScheme: 'light' });
  const light = await background();
  await app.page.emulateMedia({ colorScheme: 'dark' });
  const dark = await background();
  expect(dark).not.toBe(light);
  const luminance = (rgb: string) => rgb.match(/\d+/g)!.slice(0, 3).reduce((sum, c) => sum + Number(c), 0);
  expect(luminance(dark), 'a dark background in dark mode').toBeLessThan(luminance(light));
});
