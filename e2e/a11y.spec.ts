import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import config from '../playwright.config';
import { test, expect } from './fixtures';
import { CallPanel } from './pages/call';
import { FilesPanel } from './pages/files';
import { TinCanPage, connectPair } from './pages/tincan-page';

/**
 * Every screen passes an axe-core audit with no serious or critical finding (issue #19), in the
 * light and the dark colour scheme. Moderate and minor findings are attached to the report.
 */
async function expectAccessible(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const grave = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const described = grave.map(
    (v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `  ${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join('\n')}`,
  );
  expect(described, `axe findings on ${screen}`).toEqual([]);
  expect(results.passes.length, `axe ran its checks on ${screen}`).toBeGreaterThan(10);
}

// The incoming call rings only; the fake devices keep a prompt from ever waiting.
const launchOptions = config.use?.launchOptions ?? {};
test.use({
  launchOptions: {
    ...launchOptions,
    args: [...(launchOptions.args ?? []), '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  },
});

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`axe-core audit, ${colorScheme} scheme`, () => {
    test.use({ colorScheme });

    test('start, invite, answer, chat, safety code panel and settings', async ({ browser }) => {
      test.setTimeout(60_000);
      const options = { contextOptions: { colorScheme } };
      const inviter = await TinCanPage.launch(browser, options);
      const invitee = await TinCanPage.launch(browser, options);
      const dark = await inviter.page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches);
      expect(dark, 'the colour scheme is emulated').toBe(colorScheme === 'dark');

      await expectAccessible(inviter.page, 'the start screen');
      await inviter.openSettings();
      await expectAccessible(inviter.page, 'the settings dialog');
      await inviter.page.keyboard.press('Escape');
      await expect(inviter.settingsDialog).toBeHidden();

      const inviteLink = await inviter.createInvite();
      await expectAccessible(inviter.page, 'the invite screen (waiting for the answer)');
      const answerLink = await invitee.openInvite(inviteLink);
      await expectAccessible(invitee.page, "the invitee's answer screen");

      await inviter.acceptAnswer(answerLink);
      await inviter.expectConnected();
      await invitee.expectConnected();
      await inviter.send('hello, with a link: https://example.org/a/very/long/path?with=query&and=more');
      await expect(invitee.peerMessages()).toHaveCount(1);
      await expectAccessible(inviter.page, 'the chat');
      await expectAccessible(invitee.page, "the invitee's chat");

      await inviter.safetyCode();
      await expectAccessible(inviter.page, 'the safety code panel');
      await inviter.markVerified();
      await expectAccessible(inviter.page, 'the safety code panel, verified');
    });
  });
}

test('axe-core audit: a file transfer in progress', async ({ browser }, testInfo) => {
  test.setTimeout(60_000);
  const { inviter, invitee } = await connectPair(browser);
  const sender = new FilesPanel(inviter);
  const receiver = new FilesPanel(invitee);
  const path = testInfo.outputPath('large.bin');
  await writeFile(path, randomBytes(128 * 1024 * 1024));
  await sender.attach(path);
  await expect(sender.progressBar('large.bin')).toBeVisible();
  await expect(receiver.progressBar('large.bin')).toBeVisible();
  await Promise.all([
    expectAccessible(inviter.page, 'the sender during a transfer'),
    expectAccessible(invitee.page, 'the receiver during a transfer'),
  ]);
  // Still running when the audit ended: it audited a transfer in progress.
  await expect(sender.cancelButton('large.bin')).toBeVisible();
  await sender.cancelButton('large.bin').click();
  await expect(sender.transfer('large.bin')).toHaveAttribute('data-state', 'cancelled');
});

test('axe-core audit: an incoming call', async ({ browser }) => {
  const { inviter, invitee } = await connectPair(browser);
  const caller = new CallPanel(inviter);
  const callee = new CallPanel(invitee);
  await caller.button('Call').click();
  await callee.expectState('incoming');
  await expect(callee.button('Accept')).toBeVisible();
  await expectAccessible(invitee.page, 'an incoming call');
  await expectAccessible(inviter.page, 'an outgoing call');
  await callee.button('Decline').click();
  await caller.expectState('idle');
});
