import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import puppeteer, { type Browser as PuppeteerBrowser, type Page as PuppeteerPage } from 'puppeteer-core';
import { test as base, expect } from '../fixtures';
import { FIREFOX_PATH, FIREFOX_PREFS, FirefoxTinCanPage } from '../pages/firefox-page';
import { APP_URL, TinCanPage, codeOf } from '../pages/tincan-page';

/**
 * The NAT lab for Playwright (issue #13): scripts/natlab.sh builds it, this file brings it up
 * once per worker, launches browsers inside its host namespaces and changes its NATs.
 *
 *   tcl-a 10.0.1.10 -- tcl-ra NAT 203.0.113.11 --+-- tcl-pub: coturn 203.0.113.1:3478
 *   tcl-b 10.0.2.10 -- tcl-rb NAT 203.0.113.12 --+
 *
 * Each host namespace serves dist/ at its own http://127.0.0.1:4173/tincan/, so APP_URL (and
 * every link the app makes) means the same inside it as on loopback. The addresses below are
 * natlab.sh's; /work/shared/fixtures/sdp/natlab-* were captured with the same ones.
 */

export type Host = 'a' | 'b';
export type NatMode = 'cone' | 'symmetric';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
export const NATLAB = path.join(ROOT, 'scripts', 'natlab.sh');
const CHROMIUM_WRAPPER = path.join(HERE, 'netns-chromium.sh');
const FIREFOX_WRAPPER = path.join(HERE, 'netns-firefox.sh');
const NETNS_CONNECT = path.join(HERE, 'netns-connect.mjs');
/** The init script that records every RTCPeerConnection (window.__tincanPeers). */
export const CAPTURE_PEERS_PATH = path.join(HERE, 'capture-peers.js');
/** The plain-JS WebRTC page script (window.labRtc). */
export const PLAIN_RTC_PATH = path.join(HERE, 'plain-rtc.js');

export const RELAY_ADDRESS = '203.0.113.1';
export const STUN_URL = `stun:${RELAY_ADDRESS}:3478`;
export const TURN_URL = `turn:${RELAY_ADDRESS}:3478?transport=udp`;
export const TURN_TCP_URL = `turn:${RELAY_ADDRESS}:3478?transport=tcp`;
export const TURN_USER = 'tincan';
export const TURN_PASS = 'lab-secret';
/** Each router's public (WAN) address, as `up` and `reset` leave it. */
export const PUBLIC_ADDRESS: Record<Host, string> = { a: '203.0.113.11', b: '203.0.113.12' };
/** The public address `move(host, { newPublic: true })` switches to (the next one switches back). */
export const MOVED_PUBLIC_ADDRESS: Record<Host, string> = { a: '203.0.113.21', b: '203.0.113.22' };
/** Each host's two LAN addresses (`move` alternates) and its router's LAN address. */
export const LAN_ADDRESSES: Record<Host, string[]> = { a: ['10.0.1.10', '10.0.1.11'], b: ['10.0.2.10', '10.0.2.11'] };
export const ROUTER_LAN_ADDRESS: Record<Host, string> = { a: '10.0.1.1', b: '10.0.2.1' };
/** Every address of a lab host or router: none of these may appear in a relay-only link. */
export const PRIVATE_AND_NAT_ADDRESSES: string[] = [
  ...Object.values(PUBLIC_ADDRESS),
  ...Object.values(MOVED_PUBLIC_ADDRESS),
  ...Object.values(LAN_ADDRESSES).flat(),
  ...Object.values(ROUTER_LAN_ADDRESS),
];
export const NAMESPACE: Record<Host, string> = { a: 'tcl-a', b: 'tcl-b' };

/** The same Chromium switches as playwright.config.ts's launchOptions. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Runs scripts/natlab.sh; a failure rejects with the script's own one-line message. */
export function natlab(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [NATLAB, ...args], { timeout: 90_000 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout.trim());
      const said = `${stderr}`.trim() || `${stdout}`.trim();
      reject(new Error(`scripts/natlab.sh ${args.join(' ')} failed: ${said || err.message}`));
    });
  });
}

/** A lab that is up: launches browsers inside it and changes its network. */
export class Lab {
  private readonly chromiums: Browser[] = [];
  private readonly firefoxes: { browser: PuppeteerBrowser; forward: Server }[] = [];

  /** Builds the lab (tearing down any earlier one); rejects with natlab.sh's message if it cannot. */
  async up(): Promise<void> {
    await natlab('up');
  }

  async down(): Promise<void> {
    await this.closeBrowsers();
    await natlab('down');
  }

  /** Back to cone NATs, first addresses, no loss or delay, empty conntrack tables. */
  async reset(): Promise<void> {
    await natlab('reset');
  }

  /** Sets both routers' NAT (or one host's) to cone or symmetric; conntrack is flushed. */
  async nat(mode: NatMode, host?: Host): Promise<void> {
    await natlab('nat', mode, ...(host ? [host] : []));
  }

  /** The host gets another LAN address; with newPublic its router's WAN address changes too. */
  async move(host: Host, options: { newPublic?: boolean } = {}): Promise<void> {
    await natlab('move', host, ...(options.newPublic ? ['--new-public'] : []));
  }

  /**
   * Loss and delay on the host's router, e.g. 'loss 5% delay 100ms'; 'off' ends it. Both
   * directions by default, or only what the router forwards to its host or to the WAN.
   */
  async netem(host: Host, args: string, direction: 'both' | 'to-host' | 'to-wan' = 'both'): Promise<string> {
    return natlab('netem', host, args, direction);
  }

  async status(): Promise<string> {
    return natlab('status');
  }

  /**
   * A headless Chromium whose network is the host's namespace (control stays on a pipe);
   * `extraArgs` adds switches, e.g. the fake camera and microphone of a call.
   */
  async launchChromium(host: Host, extraArgs: string[] = []): Promise<Browser> {
    const browser = await chromium.launch({
      executablePath: CHROMIUM_WRAPPER,
      env: { ...process.env, TINCAN_NETNS: NAMESPACE[host] },
      headless: true,
      args: [...CHROMIUM_ARGS, ...extraArgs],
    });
    this.chromiums.push(browser);
    return browser;
  }

  /**
   * A headless Firefox ESR inside the host's namespace, driven by puppeteer-core over WebDriver
   * BiDi as e2e/pages/firefox-page.ts does. BiDi is a WebSocket on the namespace's own
   * 127.0.0.1:PORT; a listener on this machine's 127.0.0.1:PORT (the same number, free here and,
   * the namespace being empty, free there) forwards each connection into the namespace through
   * `ip netns exec … node netns-connect.mjs PORT`.
   */
  async launchFirefox(host: Host): Promise<PuppeteerBrowser> {
    const forward = createServer((socket) => {
      const child = spawn('ip', ['netns', 'exec', NAMESPACE[host], process.execPath, NETNS_CONNECT, String(port)], {
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      socket.pipe(child.stdin);
      child.stdout.pipe(socket);
      child.stdin.on('error', () => socket.destroy());
      socket.on('error', () => child.kill());
      socket.on('close', () => child.kill());
      child.on('exit', () => socket.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      forward.once('error', reject);
      forward.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (forward.address() as AddressInfo).port;
    try {
      const browser = await puppeteer.launch({
        browser: 'firefox',
        executablePath: FIREFOX_WRAPPER,
        env: { ...process.env, TINCAN_NETNS: NAMESPACE[host], FIREFOX_PATH },
        args: [`--remote-debugging-port=${port}`],
        headless: true,
        protocol: 'webDriverBiDi',
        extraPrefsFirefox: FIREFOX_PREFS,
        dumpio: false,
        timeout: 30_000,
        protocolTimeout: 20_000,
      });
      this.firefoxes.push({ browser, forward });
      return browser;
    } catch (err) {
      forward.close();
      throw err;
    }
  }

  /** Closes every browser this lab launched; never throws. */
  async closeBrowsers(): Promise<void> {
    const chromiums = this.chromiums.splice(0);
    const firefoxes = this.firefoxes.splice(0);
    await Promise.all([
      ...chromiums.map((b) => b.close().catch(() => {})),
      ...firefoxes.map(async ({ browser, forward }) => {
        await browser.close().catch(() => {});
        forward.close();
      }),
    ]);
  }
}

// ---- ICE settings through the app's Settings dialog ------------------------------------------

export interface IceSettings {
  urls: string[];
  username?: string;
  credential?: string;
  relayOnly?: boolean;
}

export const STUN_ONLY: IceSettings = { urls: [STUN_URL] };
export const STUN_AND_TURN: IceSettings = { urls: [STUN_URL, TURN_URL], username: TURN_USER, credential: TURN_PASS };
export const RELAY_ONLY: IceSettings = { ...STUN_AND_TURN, relayOnly: true };

/** The same settings as an RTCConfiguration, for plain-JS pages. */
export function rtcConfiguration(ice: IceSettings): RTCConfiguration {
  return {
    iceServers: ice.urls.map((urls) =>
      urls.startsWith('turn') ? { urls, username: ice.username, credential: ice.credential } : { urls }),
    iceTransportPolicy: ice.relayOnly ? 'relay' : 'all',
  };
}

/** Opens Settings, sets ICE servers, TURN username and credential and "Relay only", saves. */
export async function saveIceSettings(app: TinCanPage, ice: IceSettings): Promise<void> {
  await app.openSettings();
  await app.iceServersBox.fill(ice.urls.join('\n'));
  await app.turnUsernameBox.fill(ice.username ?? '');
  await app.turnCredentialBox.fill(ice.credential ?? '');
  await app.settingsDialog.getByRole('checkbox', { name: /^Relay only/ }).setChecked(ice.relayOnly ?? false);
  await app.saveButton.click();
  await expect(app.settingsDialog).toBeHidden();
}

/**
 * A Tin Can tab in a Chromium inside the host's namespace, every RTCPeerConnection recorded
 * (see peerFacts), on the start screen with `ice` saved in Settings. `options.chromiumArgs`
 * adds Chromium switches; `options.beforeLoad` prepares the context before the app loads (an
 * init script of its own, for example).
 */
export async function openTinCan(
  lab: Lab,
  host: Host,
  ice: IceSettings,
  options: { chromiumArgs?: string[]; beforeLoad?: (context: BrowserContext) => Promise<void> } = {},
): Promise<TinCanPage> {
  const browser = await lab.launchChromium(host, options.chromiumArgs);
  const context: BrowserContext = await TinCanPage.newContext(browser, { contextOptions: { baseURL: APP_URL } });
  await context.addInitScript({ path: CAPTURE_PEERS_PATH });
  await options.beforeLoad?.(context);
  const app = await TinCanPage.openIn(context);
  await saveIceSettings(app, ice);
  return app;
}

/**
 * The invite/answer flow through the UI between two lab tabs: A creates the invite, B opens it,
 * A pastes B's answer code at once (an answer pasted after ~15 s cannot connect across NATs,
 * issue #13) and presses Connect; both must show "Connected" within `timeout`.
 */
export async function connectInLab(
  inviter: TinCanPage,
  invitee: TinCanPage,
  timeout = 20_000,
): Promise<{ inviteLink: string; answerLink: string }> {
  const inviteLink = await inviter.createInvite();
  const answerLink = await invitee.openInvite(inviteLink);
  await inviter.acceptAnswer(codeOf(answerLink));
  await inviter.expectStatus('Connected', { timeout });
  await invitee.expectStatus('Connected', { timeout });
  await expect(inviter.messageBox).toBeVisible();
  await expect(invitee.messageBox).toBeVisible();
  return { inviteLink, answerLink };
}

/** What capture-peers.js reports of one RTCPeerConnection. */
export interface PeerFacts {
  connectionState: RTCPeerConnectionState;
  iceConnectionState: RTCIceConnectionState;
  iceTransportPolicy: RTCIceTransportPolicy | undefined;
  localSdp: string | null;
  remoteSdp: string | null;
  selected: {
    state: string;
    local: CandidateFacts | null;
    remote: CandidateFacts | null;
  } | null;
}

export interface CandidateFacts {
  type: 'host' | 'srflx' | 'prflx' | 'relay';
  address: string | null;
  port: number | null;
  protocol: string | null;
  relayProtocol: string | null;
}

interface EvaluatesPage {
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
}

/** Every RTCPeerConnection the page made, oldest first (Playwright or puppeteer page). */
export async function peerFacts(page: EvaluatesPage): Promise<PeerFacts[]> {
  return page.evaluate(() =>
    (window as unknown as { __tincanPeerFacts: () => Promise<PeerFacts[]> }).__tincanPeerFacts());
}

/** The newest peer connection that is connected, waiting for one up to `timeout` ms. */
export async function connectedPeer(page: EvaluatesPage, timeout = 10_000): Promise<PeerFacts> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const connected = (await peerFacts(page)).filter((p) => p.connectionState === 'connected' && p.selected);
    if (connected.length) return connected[connected.length - 1];
    if (Date.now() > deadline) {
      throw new Error(`no connected RTCPeerConnection with a selected pair: ${JSON.stringify(await peerFacts(page))}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The candidate lines (a=candidate:…) of an SDP. */
export function candidateLines(sdp: string): string[] {
  return sdp.split(/\r?\n/).filter((line) => line.startsWith('a=candidate:'));
}

/** Every IPv4 address written anywhere in an SDP (c= lines, candidates, raddr). */
export function ipv4Addresses(sdp: string): string[] {
  return [...new Set(sdp.match(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g) ?? [])];
}

// ---- Firefox -------------------------------------------------------------------------------

/**
 * A Tin Can tab in Firefox inside the host's namespace, peers recorded, `ice` saved in Settings.
 * FirefoxTinCanPage opens the app at once, so the recorder is installed for the next document
 * and the app loaded again (settings live in localStorage and survive it).
 */
export async function openFirefoxTinCan(lab: Lab, host: Host, ice: IceSettings): Promise<FirefoxTinCanPage> {
  const browser = await lab.launchFirefox(host);
  const app = await FirefoxTinCanPage.open(browser, { iceServers: [], timeout: 15_000 });
  await app.page.evaluateOnNewDocument(readFileSync(CAPTURE_PEERS_PATH, 'utf8'));
  await app.page.goto(APP_URL, { waitUntil: 'load' });
  await app.page.waitForSelector('::-p-aria([name="Create invite"][role="button"])', { visible: true });
  await saveFirefoxIceSettings(app.page, ice);
  return app;
}

/** The Settings dialog in Firefox: the same fields as saveIceSettings, by their ids. */
export async function saveFirefoxIceSettings(page: PuppeteerPage, ice: IceSettings): Promise<void> {
  await page.locator('::-p-aria([name="Settings"][role="button"])').click();
  await page.waitForFunction(() => document.querySelector('dialog')?.open === true);
  await page.evaluate((ice: IceSettings) => {
    const set = (id: string, value: string) => {
      const box = document.getElementById(id) as HTMLInputElement | HTMLTextAreaElement;
      box.value = value;
      box.dispatchEvent(new Event('input', { bubbles: true }));
    };
    set('ice-servers', ice.urls.join('\n'));
    set('turn-username', ice.username ?? '');
    set('turn-credential', ice.credential ?? '');
    const relay = document.querySelector('dialog input[type=checkbox]') as HTMLInputElement;
    if (relay.checked !== (ice.relayOnly ?? false)) relay.click();
  }, ice);
  await page.locator('::-p-aria([name="Save"][role="button"])').click();
  await page.waitForFunction(() => !document.querySelector('dialog')?.open);
}

// ---- The fixture ---------------------------------------------------------------------------

/**
 * e2e/fixtures.ts's `test` (its crash guard checks every TinCanPage) plus `lab`: the lab is
 * brought up once per worker and taken down after the worker's last test. If it cannot start,
 * every test fails with natlab.sh's message: a missing lab is never a silent skip. Before each
 * test the lab is reset (cone NATs, first addresses, no loss); after it, the browsers the test
 * launched in the lab are closed.
 */
export const test = base.extend<{ labPerTest: void }, { lab: Lab }>({
  lab: [
    async ({}, use) => {
      const lab = new Lab();
      await lab.up();
      try {
        await use(lab);
      } finally {
        await lab.down();
      }
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  labPerTest: [
    async ({ lab }, use) => {
      await lab.reset();
      await use();
      await lab.closeBrowsers();
    },
    { auto: true },
  ],
});

export { expect };

// ---- Plain-JS pages (no app) ---------------------------------------------------------------

/** The origin each host namespace serves; a path outside /tincan/ is a 404 page of that origin. */
const LAB_ORIGIN = new URL(APP_URL).origin;

/** A page with no app: plain-rtc.js (window.labRtc) and the peer recorder, on the lab's origin. */
export async function openPlainPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${LAB_ORIGIN}/plain-rtc`);
  await page.setContent('<!doctype html><title>plain WebRTC</title>');
  await page.addScriptTag({ path: CAPTURE_PEERS_PATH });
  await page.addScriptTag({ path: PLAIN_RTC_PATH });
  return page;
}

export interface PlainExchange {
  /** Both chat channels opened within the cap. */
  connected: boolean;
  /** From the inviter taking the answer until both channels were open (ms), or null. */
  connectMs: number | null;
}

type LabRtcWindow = {
  labRtc: {
    makeOffer(config: RTCConfiguration): Promise<{ complete: boolean; sdp: string }>;
    acceptOffer(sdp: string, config: RTCConfiguration): Promise<{ complete: boolean; sdp: string }>;
    acceptAnswer(sdp: string): Promise<number>;
    waitOpen(capMs: number): Promise<number | null>;
    send(text: string): void;
    received: string[];
  };
};

/**
 * The offer/answer exchange of two plain pages with full gathering (every candidate in each
 * description, as in Tin Can's links), the answer handed back at once; waits at most capMs for
 * both data channels to open.
 */
export async function plainExchange(
  inviter: Page,
  invitee: Page,
  config: RTCConfiguration,
  capMs: number,
): Promise<PlainExchange> {
  const offer = await inviter.evaluate((config) => (window as unknown as LabRtcWindow).labRtc.makeOffer(config), config);
  const answer = await invitee.evaluate(
    ({ sdp, config }) => (window as unknown as LabRtcWindow).labRtc.acceptOffer(sdp, config),
    { sdp: offer.sdp, config },
  );
  const startedAt = await inviter.evaluate((sdp) => (window as unknown as LabRtcWindow).labRtc.acceptAnswer(sdp), answer.sdp);
  const [a, b] = await Promise.all(
    [inviter, invitee].map((page) => page.evaluate((cap) => (window as unknown as LabRtcWindow).labRtc.waitOpen(cap), capMs)),
  );
  if (a === null || b === null) return { connected: false, connectMs: null };
  return { connected: true, connectMs: Math.max(a, b) - startedAt };
}

/** Sends a text on a plain page's channel and waits until the other page has it. */
export async function plainMessage(from: Page, to: Page, text: string): Promise<void> {
  await from.evaluate((text) => (window as unknown as LabRtcWindow).labRtc.send(text), text);
  await expect
    .poll(() => to.evaluate(() => (window as unknown as LabRtcWindow).labRtc.received))
    .toContain(text);
}
