import puppeteer, {
  type Browser,
  type BrowserContext,
  type ConsoleMessage,
  type ElementHandle,
  type Page,
} from 'puppeteer-core';
import { APP_URL, LINK, expectCompact, type Status } from './tincan-page';

/**
 * Firefox ESR for the cross-browser tests (e2e/cross-browser.spec.ts).
 *
 * Playwright 1.65's own Firefox support does not work with Debian's Firefox
 * ESR 153 (newContext fails: "emulation.setMediaFeaturesOverride: unknown
 * command"), so Firefox is driven with puppeteer-core over WebDriver BiDi,
 * the standard protocol Firefox ships.
 * Chromium stays with the Playwright test runner and its page object
 * (tincan-page.ts); this file is the Firefox-side counterpart, with the same
 * UI contract reached through CSS ids, ARIA names and DOM state.
 */

export const FIREFOX_PATH = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';

/** A console error or page error that means the wasm app crashed (as in tincan-page.ts). */
const CRASH = /panic|RuntimeError|unreachable/i;

/**
 * Preferences on top of puppeteer's own Firefox test profile (which already
 * turns off updates, Normandy, safe browsing, health reports, data
 * submission and first-run pages). These keep Firefox's own traffic on
 * loopback on a machine with no network (checked with strace: no DNS query,
 * no connection beyond 127.0.0.1, the machine's own address for ICE, and
 * mDNS multicast). None changes WebRTC: host candidates stay obfuscated as
 * mDNS names, exactly as for a real user.
 */
export const FIREFOX_PREFS: Record<string, unknown> = {
  // Connect directly: no system-proxy lookup (the default, 5) and no PAC/WPAD probing.
  'network.proxy.type': 0,
  // No probe of detectportal.firefox.com at start-up or on network changes.
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  // No DNS-over-HTTPS resolver (5 = off by choice).
  'network.trr.mode': 5,
  // Every host name resolves to 127.0.0.1 without asking DNS (the switch Mozilla's own test
  // harness uses). A release build ignores puppeteer's dummy remote-settings server and keeps
  // polling firefox.settings.services.mozilla.com; this turns that into a refused connection
  // to loopback instead of DNS traffic. The app is served from the literal 127.0.0.1, and
  // WebRTC resolves peers' .local (mDNS) candidates with its own mDNS client, not through this.
  'network.dns.native-is-localhost': true,
  // ... and no HTTPS-record (type 65) lookups, which go to the OS resolver even so.
  'network.dns.native_https_query': false,
  // No connection to the Web Push service (push.services.mozilla.com).
  'dom.push.connection.enabled': false,
  // No telemetry pings (puppeteer's profile turns off health reports, not these).
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.server': '',
  // Keep mDNS host candidates (the default): stated so that nothing overrides it.
  'media.peerconnection.ice.obfuscate_host_addresses': true,
};

/** Firefox's fake camera and microphone, every permission prompt granted (calls, scanning). */
export const FIREFOX_FAKE_MEDIA_PREFS: Record<string, unknown> = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
};

/**
 * Launches headless Firefox ESR over WebDriver BiDi with a fresh temporary profile;
 * `extraPrefs` on top of FIREFOX_PREFS (e.g. FIREFOX_FAKE_MEDIA_PREFS).
 */
export async function launchFirefox(extraPrefs: Record<string, unknown> = {}): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    protocol: 'webDriverBiDi',
    extraPrefsFirefox: { ...FIREFOX_PREFS, ...extraPrefs },
    // Firefox's own stdout/stderr would only add noise; console output is collected per page.
    dumpio: false,
    timeout: 30_000,
    protocolTimeout: 20_000,
  });
}

export interface FirefoxOpenOptions {
  /** ICE server URLs to save in Settings; default: none (host candidates only). */
  iceServers?: string[];
  /** How long to wait for things to appear, in ms. */
  timeout?: number;
}

/** One Tin Can tab in Firefox, in its own browser context (a WebDriver BiDi user context). */
export class FirefoxTinCanPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Uncaught page errors and console errors that look like a wasm panic. */
  readonly problems: string[] = [];
  /** Every console error and page error, for diagnostics. */
  readonly consoleErrors: string[] = [];
  readonly timeout: number;

  private constructor(context: BrowserContext, page: Page, timeout: number) {
    this.context = context;
    this.page = page;
    this.timeout = timeout;
    page.setDefaultTimeout(timeout);
    page.on('console', (msg: ConsoleMessage) => {
      if (msg.type() !== 'error') return;
      this.consoleErrors.push(msg.text());
      if (CRASH.test(msg.text())) this.problems.push(`console error: ${msg.text()}`);
    });
    page.on('pageerror', (err: unknown) => {
      const text = err instanceof Error ? err.stack || err.message : String(err);
      this.consoleErrors.push(`page error: ${text}`);
      this.problems.push(`uncaught page error: ${text.split('\n').slice(0, 4).join('\n')}`);
    });
  }

  /**
   * A new browser context (its own localStorage) with one tab on the start
   * screen, the ICE servers already set (default: none).
   */
  static async open(browser: Browser, options: FirefoxOpenOptions = {}): Promise<FirefoxTinCanPage> {
    const context = await browser.createBrowserContext();
    const app = new FirefoxTinCanPage(context, await context.newPage(), options.timeout ?? 10_000);
    await app.page.goto(APP_URL, { waitUntil: 'load' });
    await app.page.waitForSelector(FirefoxTinCanPage.button('Settings'), { visible: true });
    await app.page.waitForSelector(FirefoxTinCanPage.button('Create invite'), { visible: true });
    await app.setIceServers(options.iceServers ?? []);
    return app;
  }

  /** Reloads the tab (a stored chat comes back disconnected) and waits for the app. */
  async reload(): Promise<void> {
    await this.page.reload({ waitUntil: 'load' });
    await this.page.waitForSelector(FirefoxTinCanPage.button('Settings'), { visible: true });
    await this.page.waitForSelector(FirefoxTinCanPage.button('Create invite'), { visible: true });
  }

  /** Closes the tab's browser context; never throws. */
  async close(): Promise<void> {
    await this.context.close().catch(() => {});
  }

  // ---- DOM helpers -----------------------------------------------------------

  /** A button by its accessible name (puppeteer's ARIA query: hidden elements never match). */
  private static button(name: string): string {
    return `::-p-aria([name=${JSON.stringify(name)}][role="button"])`;
  }

  /** A text box by its accessible name (its <label>). */
  private static textbox(name: string): string {
    return `::-p-aria([name=${JSON.stringify(name)}][role="textbox"])`;
  }

  /** Waits for the button to be visible, enabled and still, then clicks it. */
  private async clickButton(name: string): Promise<void> {
    await this.page.locator(FirefoxTinCanPage.button(name)).setTimeout(this.timeout).click();
  }

  /** Replaces a text box's value the way typing would: sets .value, then fires `input` (Leptos listens to it). */
  private async fill(selector: string, value: string): Promise<void> {
    const box = await this.page.waitForSelector(selector, { visible: true, timeout: this.timeout });
    if (!box) throw new Error(`Firefox: no ${selector}`);
    try {
      await box.evaluate((el, value) => {
        const input = el as HTMLTextAreaElement | HTMLInputElement;
        input.focus();
        input.value = value;
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }, value);
    } finally {
      await box.dispose();
    }
  }

  /** Waits until the input's value is a Tin Can link and returns it. */
  private async waitForLink(selector: string): Promise<string> {
    const value = await this.page.waitForFunction(
      (selector: string, source: string) => {
        const box = document.querySelector(selector) as HTMLInputElement | null;
        return box && new RegExp(source).test(box.value) ? box.value : false;
      },
      { timeout: this.timeout },
      selector,
      LINK.source,
    );
    return (await value.jsonValue()) as string;
  }

  // ---- Settings ----------------------------------------------------------------

  /** Opens Settings, replaces the ICE servers list (one URL per line), saves and waits for the dialog to close. */
  async setIceServers(urls: string[]): Promise<void> {
    await this.clickButton('Settings');
    await this.page.waitForFunction(() => document.querySelector('dialog')?.open === true, { timeout: this.timeout });
    await this.fill(FirefoxTinCanPage.textbox('ICE servers'), urls.join('\n'));
    await this.clickButton('Save');
    await this.page.waitForFunction(() => !document.querySelector('dialog')?.open, { timeout: this.timeout });
  }

  // ---- Inviter ---------------------------------------------------------------------

  /** Presses "Create invite" and returns the invite link once it is shown. */
  async createInvite(): Promise<string> {
    await this.clickButton('Create invite');
    const link = await this.waitForLink('#invite-link');
    expectCompact(link, "Firefox's invite link");
    return link;
  }

  /** Pastes the answer (link or bare code) and presses "Connect". */
  async acceptAnswer(linkOrCode: string): Promise<void> {
    await this.fill('#answer-paste', linkOrCode);
    await this.clickButton('Connect');
  }

  // ---- Invitee ---------------------------------------------------------------------

  /** Opens an invite link in this (already open) tab — a same-document #fragment navigation — and returns the answer link. */
  async openInvite(inviteLink: string): Promise<string> {
    await this.page.goto(inviteLink);
    const link = await this.waitForLink('#answer-link');
    expectCompact(link, "Firefox's answer link");
    return link;
  }

  // ---- Both sides --------------------------------------------------------------

  async statusText(): Promise<string> {
    return this.page.$eval('[data-testid=connection-status]', (el) => el.textContent ?? '');
  }

  /** Waits until the connection status contains the word. */
  async waitForStatus(status: Status, timeout = this.timeout): Promise<void> {
    try {
      await this.page.waitForFunction(
        (status: string) =>
          new RegExp(`\\b${status}\\b`).test(document.querySelector('[data-testid=connection-status]')?.textContent ?? ''),
        { timeout },
        status,
      );
    } catch (err) {
      const now = await this.statusText().catch(() => '?');
      throw new Error(`Firefox: status never became ${status} (it shows ${JSON.stringify(now)}): ${err}`);
    }
  }

  /** Waits for "Connected" and the message box. */
  async waitForConnected(timeout = this.timeout): Promise<void> {
    await this.waitForStatus('Connected', timeout);
    await this.page.waitForSelector('textarea#message', { visible: true, timeout });
  }

  /** The safety code once shown, trimmed. */
  async safetyCode(): Promise<string> {
    // The code sits in a panel the header's "Safety code" button opens (issue #19).
    await this.page.waitForFunction(
      () => {
        if (document.querySelector('[data-testid=safety-code]')) return true;
        const open = [...document.querySelectorAll('button[aria-controls=safety-panel]')][0] as HTMLButtonElement | undefined;
        open?.click();
        return false;
      },
      { timeout: this.timeout, polling: 200 },
    );
    const code = await this.page.waitForFunction(
      () => {
        const text = document.querySelector('[data-testid=safety-code]')?.textContent?.trim() ?? '';
        return /\d/.test(text) ? text : false;
      },
      { timeout: this.timeout },
    );
    return (await code.jsonValue()) as string;
  }

  // ---- Chat ------------------------------------------------------------------------

  /** The texts (p.text) of the messages by this author, in order. */
  async messageTexts(author: 'me' | 'peer'): Promise<string[]> {
    return this.page.$$eval(
      `[role=log][aria-label=Messages] li[data-author="${author}"] p.text`,
      (ps) => ps.map((p) => (p.textContent ?? '').trim()),
    );
  }

  /** Waits until `count` messages by this author are shown and returns their texts. */
  async waitForMessages(author: 'me' | 'peer', count: number): Promise<string[]> {
    try {
      await this.page.waitForFunction(
        (selector: string, count: number) => document.querySelectorAll(selector).length >= count,
        { timeout: this.timeout },
        `[role=log][aria-label=Messages] li[data-author="${author}"]`,
        count,
      );
    } catch (err) {
      throw new Error(`Firefox: never saw ${count} message(s) by ${author} (has ${JSON.stringify(await this.messageTexts(author))}): ${err}`);
    }
    return this.messageTexts(author);
  }

  /** Types a message with the keyboard and presses Enter; waits until it shows as one's own and the box is empty. */
  async sendWithEnter(text: string): Promise<void> {
    const before = (await this.messageTexts('me')).length;
    await this.page.waitForSelector('textarea#message', { visible: true, timeout: this.timeout });
    await this.page.focus('textarea#message');
    await this.page.type('textarea#message', text);
    await this.page.keyboard.press('Enter');
    await this.waitForMessages('me', before + 1);
    await this.page.waitForFunction(
      () => (document.querySelector('textarea#message') as HTMLTextAreaElement | null)?.value === '',
      { timeout: this.timeout },
    );
  }

  /** Sets the message box and presses "Send"; waits until it shows as one's own. */
  async send(text: string): Promise<void> {
    const before = (await this.messageTexts('me')).length;
    await this.fill('textarea#message', text);
    await this.clickButton('Send');
    await this.waitForMessages('me', before + 1);
  }

  // ---- Files -----------------------------------------------------------------------

  /** Puts a file from disk into the "Attach file" input (enabled once the files channel is up). */
  async attachFile(path: string): Promise<void> {
    const selector = 'input[type="file"][aria-label="Attach file"]';
    await this.page.waitForFunction(
      (selector: string) => (document.querySelector(selector) as HTMLInputElement | null)?.disabled === false,
      { timeout: this.timeout },
      selector,
    );
    const input = (await this.page.$(selector)) as ElementHandle<HTMLInputElement> | null;
    if (!input) throw new Error('Firefox: no "Attach file" input');
    try {
      await input.uploadFile(path);
    } finally {
      await input.dispose();
    }
  }

  /**
   * Waits until the transfer named `name` shows "Verified" and its "Download <name>" link; returns
   * the checksum shown. (The page's Content-Security-Policy forbids fetching the blob: URL, so
   * the bytes are vouched for by the checksum, which the test compares with its own.)
   */
  async receivedFile(name: string, timeout = 30_000): Promise<string> {
    const arrived = await this.page.waitForFunction(
      (name: string) => {
        const text = (el: Element | null) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
        const row = [...document.querySelectorAll('ul.transfers > li')].find(
          (li) => text(li.querySelector('[data-testid="file-name"]')) === name,
        );
        const link = row && [...row.querySelectorAll('a')].find((a) => text(a) === `Download ${name}`);
        return Boolean(row && link && text(row).includes('Verified'));
      },
      { timeout, polling: 100 },
      name,
    );
    await arrived.dispose();
    return this.checksum(name);
  }

  /** The checksum a transfer shows (SHA-256 hash list, hex), once it shows one. */
  async checksum(name: string): Promise<string> {
    const value = await this.page.waitForFunction(
      (name: string) => {
        const text = (el: Element | null) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
        const row = [...document.querySelectorAll('ul.transfers > li')].find(
          (li) => text(li.querySelector('[data-testid="file-name"]')) === name,
        );
        const code = text(row?.querySelector('.transfer-digest code') ?? null);
        return code || false;
      },
      { timeout: this.timeout, polling: 100 },
      name,
    );
    return (await value.jsonValue()) as string;
  }

  /** Problems (panics, uncaught errors) seen on this tab so far. */
  crashes(): string[] {
    return [...this.problems];
  }
}
