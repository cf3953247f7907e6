import type { Browser, Locator, Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { TinCanPage, connectPair } from './pages/tincan-page';

/**
 * The phone layout (issue #19): at 360×640 and 390×844, on a touch screen, nothing overflows
 * sideways, the header is one row, long links wrap, the composer stays on screen however full
 * the log, and every tap target is at least 44 px.
 */

const PHONES = [
  { width: 360, height: 640 },
  { width: 390, height: 844 },
] as const;

/** One unbroken 400-character URL: it must wrap inside its bubble, not widen the page. */
const LONG_URL = `https://example.org/${'segment-without-spaces/'.repeat(17)}end`;

async function phoneContext(browser: Browser, viewport: { width: number; height: number }) {
  return TinCanPage.newContext(browser, { contextOptions: { viewport, hasTouch: true, isMobile: true } });
}

async function expectNoSidewaysOverflow(page: Page, screen: string): Promise<void> {
  const widths = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
    wider: [...document.querySelectorAll<HTMLElement>('body *')]
      .filter((el) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && (box.right > document.documentElement.clientWidth + 0.5 || box.left < -0.5);
      })
      // Visually hidden words sit at -1 px by design; a clipped element shows nothing.
      .filter((el) => getComputedStyle(el).clip === 'auto' && !el.closest('.visually-hidden'))
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}`),
  }));
  expect(widths.wider, `${screen}: elements past the screen's edge`).toEqual([]);
  expect(widths.scroll, `${screen}: the page does not scroll sideways`).toBeLessThanOrEqual(widths.client);
}

/** The header is one row: as tall as its tallest item (a 44 px button) plus its padding. */
async function expectOneRowHeader(page: Page, screen: string): Promise<void> {
  const header = page.locator('header.top');
  const box = (await header.boundingBox())!;
  const items = await header.evaluate((el) =>
    [...el.querySelectorAll<HTMLElement>('.title, button')]
      .map((item) => item.getBoundingClientRect())
      .filter((r) => r.width > 0)
      .map((r) => ({ top: r.top, bottom: r.bottom })),
  );
  expect(items.length, `${screen}: the header has items`).toBeGreaterThan(1);
  const top = Math.min(...items.map((i) => i.top));
  const bottom = Math.max(...items.map((i) => i.bottom));
  expect(bottom - top, `${screen}: the header's items share one row`).toBeLessThanOrEqual(48);
  expect(box.height, `${screen}: the header is one row high`).toBeLessThanOrEqual(60);
}

/** Every visible control a finger may need is at least 44×44 px. */
async function expectTapTargets(page: Page, screen: string): Promise<void> {
  const small = await page.evaluate(() => {
    const targets = [...document.querySelectorAll<HTMLElement>('button, a[href], textarea, input, select')]
      // A file input hidden behind its label and a checkbox inside its label: the label is the target.
      .map((el) => (el instanceof HTMLInputElement && (el.type === 'file' || el.type === 'checkbox') ? el.closest('label') ?? document.querySelector(`label[for="${el.id}"]`) : el))
      .filter((el): el is HTMLElement => el !== null);
    return [...new Set(targets)]
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 1 && r.height > 1 && getComputedStyle(el).visibility !== 'hidden';
      })
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width < 44 || r.height < 44;
      })
      .map((el) => {
        const r = el.getBoundingClientRect();
        return `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 30)}" ${Math.round(r.width)}×${Math.round(r.height)}`;
      });
  });
  expect(small, `${screen}: tap targets under 44 px`).toEqual([]);
}

/** The composer's box lies inside the viewport. */
async function expectComposerOnScreen(app: TinCanPage, screen: string): Promise<void> {
  const viewport = app.page.viewportSize()!;
  for (const part of [app.messageBox, app.sendButton] as Locator[]) {
    const box = (await part.boundingBox())!;
    expect(box, `${screen}: the composer is laid out`).not.toBeNull();
    expect(box.y, `${screen}: the composer's top is on screen`).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height, `${screen}: the composer's bottom is on screen`).toBeLessThanOrEqual(viewport.height + 0.5);
    expect(box.x + box.width, `${screen}: the composer's right edge is on screen`).toBeLessThanOrEqual(viewport.width + 0.5);
  }
}

for (const viewport of PHONES) {
  test(`phone ${viewport.width}×${viewport.height}: every screen fits, the header is one row, targets are 44 px, the composer stays`, async ({
    browser,
  }) => {
    test.setTimeout(90_000);
    const inviterContext = await phoneContext(browser, viewport);
    const inviteeContext = await phoneContext(browser, viewport);
    const inviter = await TinCanPage.openIn(inviterContext);
    expect(await inviter.page.evaluate(() => matchMedia('(pointer: coarse)').matches), 'a touch layout').toBe(true);

    await expectNoSidewaysOverflow(inviter.page, 'start');
    await expectOneRowHeader(inviter.page, 'start');
    await expectTapTargets(inviter.page, 'start');

    await inviter.openSettings();
    await expectNoSidewaysOverflow(inviter.page, 'settings');
    await expectTapTargets(inviter.page, 'settings');
    await inviter.cancelButton.click();

    // The links wrap: the whole link shows inside its box, none of it beyond the box's width.
    const inviteLink = await inviter.createInvite();
    await expectNoSidewaysOverflow(inviter.page, 'invite');
    await expectTapTargets(inviter.page, 'invite');
    for (const box of [inviter.inviteLinkBox]) {
      const fits = await box.evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight + 1);
      expect(fits, 'the invite link shows whole, wrapped').toBe(true);
    }
    const invitee = await TinCanPage.openIn(inviteeContext);
    const answerLink = await invitee.openInvite(inviteLink);
    await expectNoSidewaysOverflow(invitee.page, 'answer');
    await expectTapTargets(invitee.page, 'answer');
    const answerFits = await invitee.answerLinkBox.evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight + 1);
    expect(answerFits, 'the answer link shows whole, wrapped').toBe(true);

    await inviter.acceptAnswer(answerLink);
    await inviter.expectConnected();
    await invitee.expectConnected();
    await expect(inviter.safetyCodeButton).toBeVisible();
    await expectOneRowHeader(inviter.page, 'chat');
    await expectTapTargets(inviter.page, 'chat');
    await expectComposerOnScreen(inviter, 'an empty chat');

    // A log fuller than the screen: it scrolls, the composer stays where it was.
    await inviter.send(LONG_URL);
    for (let i = 0; i < 30; i++) {
      await inviter.messageBox.fill(`message ${i}: ${'words that wrap '.repeat(i % 4)}`);
      await inviter.messageBox.press('Enter');
    }
    await expect(inviter.myMessages()).toHaveCount(31);
    await expect(invitee.peerMessages()).toHaveCount(31);
    for (const app of [inviter, invitee]) {
      const log = await app.messageLog.evaluate((el) => ({ scroll: el.scrollHeight, client: el.clientHeight, top: el.scrollTop }));
      expect(log.scroll, 'the log holds more than it shows').toBeGreaterThan(log.client);
      expect(log.top, 'the log follows the newest message').toBeGreaterThan(0);
      await expectComposerOnScreen(app, 'a full chat');
      await expectNoSidewaysOverflow(app.page, 'a full chat');
      await expectOneRowHeader(app.page, 'a full chat');
      // The long link wraps inside its bubble, inside the log.
      const url = app.messages().first();
      const [bubble, log2] = [(await url.boundingBox())!, (await app.messageLog.boundingBox())!];
      expect(bubble.x + bubble.width, 'a long link wraps inside the log').toBeLessThanOrEqual(log2.x + log2.width + 0.5);
    }

    // The safety code panel opens above the log: the composer is still on screen.
    await inviter.safetyCode();
    await expectComposerOnScreen(inviter, 'a full chat with the safety code open');
    await expectNoSidewaysOverflow(inviter.page, 'the safety code panel');
    await expectTapTargets(inviter.page, 'the safety code panel');

    // The on-screen keyboard (interactive-widget=resizes-content) leaves less height: the
    // composer goes up with it.
    await invitee.messageBox.focus();
    await invitee.page.setViewportSize({ width: viewport.width, height: Math.round(viewport.height * 0.55) });
    await expectComposerOnScreen(invitee, 'a full chat with the keyboard open');
    await expect(invitee.messageBox).toBeFocused();
  });
}

test('a desktop window: the same chat structure, with the buttons named in words', async ({ browser }) => {
  const { inviter } = await connectPair(browser);
  await expectOneRowHeader(inviter.page, 'desktop chat');
  const words = inviter.page.locator('header.top .icon-button .label');
  for (const label of await words.all()) await expect(label).toBeVisible();
  expect(await words.count()).toBeGreaterThanOrEqual(4);
  // The log takes the height the header and composer leave; the footer is not in the way.
  const viewport = inviter.page.viewportSize()!;
  const composer = (await inviter.messageBox.boundingBox())!;
  expect(composer.y + composer.height).toBeGreaterThan(viewport.height - 120);
  expect(composer.y + composer.height).toBeLessThanOrEqual(viewport.height);
  const log = (await inviter.messageLog.boundingBox())!;
  expect(log.height).toBeGreaterThan(viewport.height * 0.5);
});
