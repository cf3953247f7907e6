import {
  expect,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Locator,
  type Page,
} from '@playwright/test';

/** Where playwright.config.ts's webServer serves dist/. */
export const ORIGIN = 'http://127.0.0.1:4173';
export const APP_URL = `${ORIGIN}/tincan/`;

/** Invite and answer links: origin + path + '#' + code; the code starts with a version tag. */
export const LINK = new RegExp(`^${escapeRegExp(APP_URL)}#[CDL][^#\\s]{8,}$`);
/**
 * The version tag of the compact code the app writes (src/core/signal): `D`. (`C` is the older
 * compact form, still read; `L` the lz-string fallback, for an SDP the compact form cannot carry.)
 */
export const COMPACT_TAG = 'D';

/**
 * Every link the app makes where it connects must be compact, whatever the network gave
 * (issue #14): its code starts with the compact tag, never the lz-string fallback's `L`.
 */
export function expectCompact(link: string, what = 'the link'): void {
  const code = codeOf(link);
  expect(code[0], `${what} uses the compact code (${COMPACT_TAG}), not the lz-string fallback: ${link}`).toBe(COMPACT_TAG);
}
/** The safety code: twelve groups of five digits (`core::safety`). */
export const SAFETY_CODE = /^\d{5}( \d{5}){11}$/;
/** A console error or page error that means the wasm app crashed. */
const CRASH = /panic|RuntimeError|unreachable/i;

export type Status = 'Waiting' | 'Connecting' | 'Connected' | 'Disconnected' | 'Failed';

export interface ContextOptions {
  /** Extra options for browser.newContext (clipboard permissions are always granted). */
  contextOptions?: BrowserContextOptions;
}

export interface OpenOptions {
  /** ICE server URLs to save in Settings before anything else; default: none (host candidates only). */
  iceServers?: string[];
}

// Every page object and context made during a test, so that the test fixture
// (e2e/fixtures.ts) can check them for crashes and close them afterwards.
const made = { pages: [] as TinCanPage[], contexts: [] as BrowserContext[] };

/** Hands over (and forgets) everything made since the last call. */
export function takeMade(): { pages: TinCanPage[]; contexts: BrowserContext[] } {
  return { pages: made.pages.splice(0), contexts: made.contexts.splice(0) };
}

/** One Tin Can tab. */
export class TinCanPage {
  readonly page: Page;
  /** Uncaught page errors and console errors that look like a wasm panic. */
  readonly problems: string[] = [];
  /** Every console error, for diagnostics. */
  readonly consoleErrors: string[] = [];

  // Header
  readonly settingsButton: Locator;
  readonly status: Locator;

  // Settings dialog
  readonly settingsDialog: Locator;
  readonly iceServersBox: Locator;
  readonly turnUsernameBox: Locator;
  readonly turnCredentialBox: Locator;
  readonly saveButton: Locator;
  readonly cancelButton: Locator;

  // Start screen
  readonly createInviteButton: Locator;

  // Inviter, waiting for the answer
  readonly inviteLinkBox: Locator;
  readonly copyInviteButton: Locator;
  readonly shareInviteButton: Locator;
  readonly inviteQr: Locator;
  readonly answerInputBox: Locator;
  readonly connectButton: Locator;

  // Invitee, showing the answer
  readonly answerLinkBox: Locator;
  readonly copyAnswerButton: Locator;
  readonly shareAnswerButton: Locator;
  readonly answerQr: Locator;

  // Shown while waiting and after a failure or disconnect
  readonly startOverButton: Locator;

  // Chat
  /** The header's "Safety code" button: opens and closes the safety code panel. */
  readonly safetyCodeButton: Locator;
  /** The panel it opens, holding the code and Mark as verified / Unmark verified. */
  readonly safetyPanel: Locator;
  readonly safetyCodeText: Locator;
  readonly messageLog: Locator;
  readonly messageBox: Locator;
  readonly sendButton: Locator;

  // Notices
  readonly alerts: Locator;
  readonly notices: Locator;

  // Identity (issue #17)
  /** "✓ Verified" in the chat's header: the conversation's peer is verified. */
  readonly verifiedBadge: Locator;
  readonly markVerifiedButton: Locator;
  readonly unmarkVerifiedButton: Locator;
  /** The peer came back with a changed identity: `data-alert="blocking"` (role alertdialog) or `"notice"` (role alert). */
  readonly identityWarning: Locator;
  /** The new safety code inside the warning. */
  readonly newSafetyCode: Locator;
  readonly acceptIdentityButton: Locator;
  readonly declineIdentityButton: Locator;
  /** In the chat's header while not connected. */
  readonly reconnectButton: Locator;

  constructor(page: Page) {
    this.page = page;
    page.on('pageerror', (err) =>
      this.problems.push(`uncaught page error: ${(err.stack || err.message).split('\n').slice(0, 4).join('\n')}`));
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      this.consoleErrors.push(msg.text());
      if (CRASH.test(msg.text())) this.problems.push(`console error: ${msg.text()}`);
    });
    made.pages.push(this);

    const button = (name: string, scope: Page | Locator = page) =>
      scope.getByRole('button', { name, exact: true });
    const textbox = (name: string, scope: Page | Locator = page) =>
      scope.getByRole('textbox', { name, exact: true });

    this.settingsButton = button('Settings');
    this.status = page.getByTestId('connection-status');

    this.settingsDialog = page.getByRole('dialog');
    this.iceServersBox = textbox('ICE servers', this.settingsDialog);
    // By label: a credential box may well be type=password, which has no textbox role.
    this.turnUsernameBox = this.settingsDialog.getByLabel('TURN username', { exact: true });
    this.turnCredentialBox = this.settingsDialog.getByLabel('TURN credential', { exact: true });
    this.saveButton = button('Save', this.settingsDialog);
    this.cancelButton = button('Cancel', this.settingsDialog);

    this.createInviteButton = button('Create invite');

    this.inviteLinkBox = textbox('Invite link');
    this.copyInviteButton = button('Copy invite link');
    this.shareInviteButton = button('Share invite');
    this.inviteQr = page.getByTestId('invite-qr');
    this.answerInputBox = textbox('Paste the answer link');
    this.connectButton = button('Connect');

    this.answerLinkBox = textbox('Answer link');
    this.copyAnswerButton = button('Copy answer link');
    this.shareAnswerButton = button('Share answer');
    this.answerQr = page.getByTestId('answer-qr');

    this.startOverButton = button('Start over');

    this.safetyCodeButton = button('Safety code');
    this.safetyPanel = page.getByRole('region', { name: 'Safety code', exact: true });
    this.safetyCodeText = page.getByTestId('safety-code');
    this.messageLog = page.getByRole('log', { name: 'Messages', exact: true });
    this.messageBox = textbox('Message');
    this.sendButton = button('Send');

    this.alerts = page.getByRole('alert');
    this.notices = page.getByRole('status');

    this.verifiedBadge = page.getByTestId('verified-badge');
    this.markVerifiedButton = button('Mark as verified');
    this.unmarkVerifiedButton = button('Unmark verified');
    this.identityWarning = page.getByTestId('identity-warning');
    this.newSafetyCode = this.identityWarning.getByTestId('new-safety-code');
    this.acceptIdentityButton = button('Accept new identity', this.identityWarning);
    this.declineIdentityButton = button('Decline', this.identityWarning);
    this.reconnectButton = button('Reconnect');
  }

  // ---- Making tabs -------------------------------------------------------

  /** A fresh browser context ("another browser") with clipboard access. */
  static async newContext(browser: Browser, options: ContextOptions = {}): Promise<BrowserContext> {
    const context = await browser.newContext({
      permissions: ['clipboard-read', 'clipboard-write'],
      ...options.contextOptions,
    });
    made.contexts.push(context);
    return context;
  }

  /** A new tab in `context`, on the start screen, with the ICE servers set (default: none). */
  static async openIn(context: BrowserContext, options: OpenOptions = {}): Promise<TinCanPage> {
    const app = new TinCanPage(await context.newPage());
    await app.open();
    await app.setIceServers(options.iceServers ?? []);
    return app;
  }

  /** A new browser context with one tab on the start screen and no ICE servers. */
  static async launch(browser: Browser, options: ContextOptions & OpenOptions = {}): Promise<TinCanPage> {
    return TinCanPage.openIn(await TinCanPage.newContext(browser, options), options);
  }

  /** A new, blank tab in the same browser context (same localStorage and BroadcastChannel). */
  async newTab(): Promise<TinCanPage> {
    return new TinCanPage(await this.page.context().newPage());
  }

  // ---- Navigation and settings -------------------------------------------

  /** Loads /tincan/ and waits for the wasm app to show the start screen. */
  async open(): Promise<void> {
    await this.page.goto('./');
    await expect(this.settingsButton).toBeVisible();
    await expect(this.createInviteButton).toBeVisible();
  }

  /** Navigates to a link (on an open app page a link that differs only by its #fragment is a same-document navigation). */
  async visit(url: string): Promise<void> {
    await this.page.goto(url);
  }

  async openSettings(): Promise<void> {
    await this.settingsButton.click();
    await expect(this.settingsDialog).toBeVisible();
  }

  /** Opens Settings, replaces the ICE servers list (one URL per line) and saves. */
  async setIceServers(urls: string[]): Promise<void> {
    await this.openSettings();
    await this.iceServersBox.fill(urls.join('\n'));
    await this.saveButton.click();
    await expect(this.settingsDialog).toBeHidden();
  }

  /**
   * Opens Settings, fills the servers and TURN fields without saving, presses "Test servers" and
   * returns the result rows (one `li` per server, `data-result` = testing | ok | failed).
   */
  async testServers(urls: string[], turn: { username?: string; credential?: string } = {}): Promise<Locator> {
    await this.openSettings();
    await this.iceServersBox.fill(urls.join('\n'));
    await this.turnUsernameBox.fill(turn.username ?? '');
    await this.turnCredentialBox.fill(turn.credential ?? '');
    await this.settingsDialog.getByRole('button', { name: 'Test servers', exact: true }).click();
    return this.settingsDialog.getByRole('list', { name: 'Server test results' }).getByRole('listitem');
  }

  /** "Direct · round trip N ms" or "Through a relay: host · …", once the browser chose a path. */
  get connectionPath(): Locator {
    return this.page.getByTestId('connection-path');
  }

  /** Host candidates only: clears the ICE servers in Settings. Do this before creating or opening an invite. */
  async useNoIceServers(): Promise<void> {
    await this.setIceServers([]);
  }

  // ---- Inviter -------------------------------------------------------------

  /** Presses "Create invite" and returns the invite link once it is shown. */
  async createInvite(): Promise<string> {
    await this.createInviteButton.click();
    await expect(this.inviteLinkBox).toHaveValue(LINK);
    const link = await this.inviteLinkBox.inputValue();
    expectCompact(link, 'the invite link');
    return link;
  }

  async pasteAnswer(linkOrCode: string): Promise<void> {
    await this.answerInputBox.fill(linkOrCode);
  }

  async connect(): Promise<void> {
    await this.connectButton.click();
  }

  /** Pastes the answer (link or bare code) and presses "Connect". */
  async acceptAnswer(linkOrCode: string): Promise<void> {
    await this.pasteAnswer(linkOrCode);
    await this.connect();
  }

  // ---- Invitee -------------------------------------------------------------

  /** Opens an invite link in this (already open) tab and returns the answer link once it is shown. */
  async openInvite(inviteLink: string): Promise<string> {
    await this.visit(inviteLink);
    await expect(this.answerLinkBox).toHaveValue(LINK);
    const link = await this.answerLinkBox.inputValue();
    expectCompact(link, 'the answer link');
    return link;
  }

  // ---- Both sides ----------------------------------------------------------

  async expectStatus(status: Status, options?: { timeout?: number }): Promise<void> {
    await expect(this.status).toContainText(new RegExp(`\\b${status}\\b`), options);
  }

  async expectConnected(): Promise<void> {
    await this.expectStatus('Connected');
    await expect(this.messageBox).toBeVisible();
  }

  /** Opens the safety code panel from the chat's header, unless it is open already. */
  async openSafetyCode(): Promise<void> {
    await expect(this.safetyCodeButton.or(this.safetyPanel).first(), 'the safety code can be opened').toBeVisible();
    if (!(await this.safetyPanel.isVisible())) await this.safetyCodeButton.click();
    await expect(this.safetyPanel).toBeVisible();
  }

  /** The safety code shown once connected, trimmed (opens its panel when needed). */
  async safetyCode(): Promise<string> {
    await this.openSafetyCode();
    await expect(this.safetyCodeText, 'the safety code is shown').toHaveText(/\d/);
    return ((await this.safetyCodeText.textContent()) ?? '').trim();
  }

  /** Waits for an alert whose text matches and returns it. */
  async expectAlert(text: RegExp | string): Promise<Locator> {
    const alert = this.alerts.filter({ hasText: text }).first();
    await expect(alert).toBeVisible();
    return alert;
  }

  /** Waits for an info notice (role="status") whose text matches and returns it. */
  async expectNotice(text: RegExp | string): Promise<Locator> {
    const notice = this.notices.filter({ hasText: text }).first();
    await expect(notice).toBeVisible();
    return notice;
  }

  /** Presses "Start over" and waits for the start screen. */
  async startOver(): Promise<void> {
    await this.startOverButton.click();
    await expect(this.createInviteButton).toBeVisible();
  }

  async clipboardText(): Promise<string> {
    return this.page.evaluate(() => navigator.clipboard.readText());
  }

  // ---- Chat ----------------------------------------------------------------

  messages(): Locator {
    return this.messageLog.locator('li');
  }

  myMessages(): Locator {
    return this.messageLog.locator('li[data-author="me"]');
  }

  peerMessages(): Locator {
    return this.messageLog.locator('li[data-author="peer"]');
  }

  /** Types a message and presses "Send"; waits until it shows as one's own. */
  async send(text: string): Promise<void> {
    const before = await this.myMessages().count();
    await this.messageBox.fill(text);
    await this.sendButton.click();
    await expect(this.myMessages()).toHaveCount(before + 1);
    await expect(this.messageBox).toHaveValue('');
  }

  /** Types a message and presses Enter; waits until it shows as one's own. */
  async sendWithEnter(text: string): Promise<void> {
    const before = await this.myMessages().count();
    await this.messageBox.fill(text);
    await this.messageBox.press('Enter');
    await expect(this.myMessages()).toHaveCount(before + 1);
    await expect(this.messageBox).toHaveValue('');
  }

  /** The text of one message as rendered (innerText), without its time and delivery state. */
  async messageText(message: Locator): Promise<string> {
    return (await message.locator('.text').innerText()).trim();
  }

  // ---- Identity ------------------------------------------------------------

  /**
   * Presses "Mark as verified" (after comparing the code; opens the safety code panel when
   * needed) and waits for the badge. The panel stays open, showing "Unmark verified".
   */
  async markVerified(): Promise<void> {
    await this.openSafetyCode();
    await this.markVerifiedButton.click();
    await expect(this.verifiedBadge).toBeVisible();
    await expect(this.unmarkVerifiedButton).toBeVisible();
  }

  /** Presses "Reconnect" (the chat must be disconnected) and returns the new invite link. */
  async reconnect(): Promise<string> {
    await this.reconnectButton.click();
    await expect(this.inviteLinkBox).toHaveValue(LINK);
    return this.inviteLinkBox.inputValue();
  }

  /** Reloads the tab and waits for the app to be back (a stored chat shows disconnected). */
  async reload(): Promise<void> {
    await this.page.reload();
    await expect(this.settingsButton).toBeVisible();
    await expect(this.createInviteButton).toBeVisible();
  }

  /** Problems (panics, uncaught errors) seen on this tab so far. */
  crashes(): string[] {
    return [...this.problems];
  }
}

export interface Pair {
  inviter: TinCanPage;
  invitee: TinCanPage;
  inviteLink: string;
  answerLink: string;
}

export type AnswerVia = 'code' | 'link' | 'handoff';

/**
 * Two browsers (contexts), both without ICE servers, connected through the
 * invite/answer flow. `via` picks how the answer gets back to the inviter:
 * its bare code pasted, the whole link pasted, or the link opened in a new
 * tab of the inviter's browser (BroadcastChannel hand-off).
 */
export async function connectPair(
  browser: Browser,
  options: { via?: AnswerVia; inviterContext?: BrowserContext; inviteeContext?: BrowserContext } = {},
): Promise<Pair> {
  const via = options.via ?? 'code';
  const inviter = await TinCanPage.openIn(options.inviterContext ?? (await TinCanPage.newContext(browser)));
  const invitee = await TinCanPage.openIn(options.inviteeContext ?? (await TinCanPage.newContext(browser)));

  const inviteLink = await inviter.createInvite();
  const answerLink = await invitee.openInvite(inviteLink);

  if (via === 'handoff') {
    const tab = await inviter.newTab();
    await tab.visit(answerLink);
    await tab.expectNotice(/other tab/i);
  } else {
    await inviter.acceptAnswer(via === 'code' ? codeOf(answerLink) : answerLink);
  }
  await inviter.expectConnected();
  await invitee.expectConnected();
  return { inviter, invitee, inviteLink, answerLink };
}

/**
 * The inviter (disconnected, in a stored conversation) presses Reconnect; the invitee opens the
 * new invite in its tab and the inviter takes the answer: both connected again.
 */
export async function reconnectPair(inviter: TinCanPage, invitee: TinCanPage): Promise<void> {
  const answer = await invitee.openInvite(await inviter.reconnect());
  await inviter.acceptAnswer(codeOf(answer));
  await inviter.expectConnected();
  await invitee.expectConnected();
}

/** The code of a link: the part after '#'. */
export function codeOf(link: string): string {
  const hash = link.indexOf('#');
  if (hash < 0) throw new Error(`not a Tin Can link: ${link}`);
  return link.slice(hash + 1);
}

/** The same link with its code replaced. */
export function withCode(link: string, code: string): string {
  return `${link.slice(0, link.indexOf('#'))}#${code}`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
