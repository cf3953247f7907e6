import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { APP_URL, TinCanPage, connectPair, codeOf } from './pages/tincan-page';
import { createHandler } from './serve.mjs';

// Installable and offline (issue #19): the web app manifest, the service worker (public/sw.js,
// completed by scripts/sw-precache.mjs), the update prompt and the share target.
//
// Most tests run against a server of their own (a copy of dist/ on another port, logging every
// request with its body), so that they can stop it ("the network is gone" without blocking the
// browser's local WebRTC, which context.setOffline does in Chromium) and change its files.

const DIST = path.resolve('dist');

interface Logged {
  method: string;
  url: string;
  body: string;
}

/** A copy of dist/ served under /tincan/ on a free port, with a log of every request. */
class AppServer {
  private constructor(
    readonly dir: string,
    private readonly server: Server,
    readonly app: string,
    readonly log: Logged[],
  ) {}

  static async start(): Promise<AppServer> {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'tincan-pwa-')), 'dist');
    cpSync(DIST, dir, { recursive: true });
    const handle = createHandler({ dir, base: '/tincan/' });
    const log: Logged[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        log.push({ method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks).toString('latin1') });
        handle(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new AppServer(dir, server, `http://127.0.0.1:${port}/tincan/`, log);
  }

  /** The network is gone: the server stops and drops its open connections. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  remove(): void {
    rmSync(path.dirname(this.dir), { recursive: true, force: true });
  }
}

/** A context whose relative URLs ('./') go to `server`. */
function contextFor(browser: Parameters<typeof TinCanPage.newContext>[0], server: AppServer): Promise<BrowserContext> {
  return TinCanPage.newContext(browser, { contextOptions: { baseURL: server.app } });
}

/** Waits until the page is run by the service worker (it installed, cached the build and took the page). */
async function untilControlled(page: Page): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker?.controller?.state === 'activated', undefined, {
    timeout: 20_000,
  });
}

/** Every response the page got while `act` ran, with whether the service worker answered it. */
async function responsesDuring(page: Page, act: () => Promise<void>): Promise<{ url: string; fromWorker: boolean }[]> {
  const seen: { url: string; fromWorker: boolean }[] = [];
  const onResponse = (response: import('@playwright/test').Response) =>
    seen.push({ url: response.url(), fromWorker: response.fromServiceWorker() });
  page.on('response', onResponse);
  try {
    await act();
  } finally {
    page.off('response', onResponse);
  }
  return seen;
}

function linkPattern(app: string): RegExp {
  return new RegExp(`^${app.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}#[CDL][^#\\s]{8,}$`);
}

async function createInvite(app: TinCanPage, base: string): Promise<string> {
  await app.createInviteButton.click();
  await expect(app.inviteLinkBox).toHaveValue(linkPattern(base));
  return app.inviteLinkBox.inputValue();
}

async function openInvite(app: TinCanPage, link: string, base: string): Promise<string> {
  await app.visit(link);
  await expect(app.answerLinkBox).toHaveValue(linkPattern(base));
  return app.answerLinkBox.inputValue();
}

/** The width and height in a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).toString('hex'), 'a PNG signature').toBe('89504e470d0a1a0a');
  expect(bytes.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

test.describe('Installable', () => {
  test('the manifest is valid, within the app, and its icons load at their sizes', async ({ browser }) => {
    const app = await TinCanPage.launch(browser);
    const href = await app.page.locator('link[rel="manifest"]').getAttribute('href');
    const manifestUrl = new URL(href ?? '', app.page.url()).href;
    expect(manifestUrl).toBe(`${APP_URL}manifest.webmanifest`);

    // Chromium's own reading of it: no errors, and the values it took.
    const cdp = await app.page.context().newCDPSession(app.page);
    const read = (await cdp.send('Page.getAppManifest')) as { url: string; errors: { message: string }[] };
    expect(read.url).toBe(manifestUrl);
    expect(read.errors).toEqual([]);

    const response = await app.page.request.get(manifestUrl);
    expect(response.ok()).toBe(true);
    expect(response.headers()['content-type']).toContain('application/manifest+json');
    const manifest = await response.json();
    expect(manifest.name).toBe('Tin Can');
    expect(manifest.short_name).toBeTruthy();
    expect(manifest.description).toBeTruthy();
    expect(manifest.display).toBe('standalone');
    // Relative, so they land in the deploy's sub-path whatever it is.
    for (const key of ['start_url', 'scope', 'id']) {
      expect(new URL(manifest[key], manifestUrl).href, key).toBe(APP_URL);
    }
    for (const key of ['theme_color', 'background_color']) {
      expect(manifest[key], key).toMatch(/^#[0-9a-f]{6}$/);
      expect(manifest.user_preferences.color_scheme_dark[key], `dark ${key}`).toMatch(/^#[0-9a-f]{6}$/);
    }
    // The page's title bar colour in both schemes.
    await expect(app.page.locator('meta[name="theme-color"][media*="light"]')).toHaveAttribute('content', /^#/);
    await expect(app.page.locator('meta[name="theme-color"][media*="dark"]')).toHaveAttribute('content', /^#/);

    const icons = manifest.icons as { src: string; sizes: string; type: string; purpose: string }[];
    const kinds = icons.map((icon) => `${icon.purpose} ${icon.sizes}`);
    expect(kinds).toEqual(expect.arrayContaining(['any 192x192', 'any 512x512', 'maskable 512x512']));
    for (const icon of icons) {
      const iconUrl = new URL(icon.src, manifestUrl).href;
      expect(iconUrl.startsWith(APP_URL), `${icon.src} is inside the app`).toBe(true);
      const got = await app.page.request.get(iconUrl);
      expect(got.ok(), icon.src).toBe(true);
      expect(got.headers()['content-type']).toBe('image/png');
      const { width, height } = pngSize(await got.body());
      expect(`${width}x${height}`, icon.src).toBe(icon.sizes);
      expect(icon.type).toBe('image/png');
    }

    // The share target posts into the app's scope, where the worker answers it.
    expect(manifest.share_target.method).toBe('POST');
    expect(new URL(manifest.share_target.action, manifestUrl).href).toBe(`${APP_URL}share-target`);
    expect(Object.values(manifest.share_target.params)).toEqual(expect.arrayContaining(['url', 'text']));
  });
});

test.describe('Installable, as Chromium sees it', () => {
  test('Chromium finds nothing that stops installing the app', async ({ playwright }, testInfo) => {
    // Test contexts are incognito, where nothing installs: a profile of its own instead.
    const profile = mkdtempSync(path.join(tmpdir(), 'tincan-profile-'));
    const server = await AppServer.start();
    const context = await playwright.chromium.launchPersistentContext(profile, {
      ...testInfo.project.use.launchOptions,
      headless: true,
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(server.app);
      await untilControlled(page);
      const cdp = await context.newCDPSession(page);
      const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
        installabilityErrors: { errorId: string }[];
      };
      expect(installabilityErrors).toEqual([]);
    } finally {
      await context.close();
      await server.stop();
      server.remove();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});

test.describe('Offline', () => {
  test('after a first visit the app opens offline and shows the stored conversation', async ({ browser }) => {
    test.setTimeout(60_000);
    const { inviter: ann, invitee: bob } = await connectPair(browser);
    await ann.send('kept for offline');
    await expect(bob.peerMessages().last()).toContainText('kept for offline');
    await untilControlled(ann.page);
    await bob.page.close();
    await ann.expectStatus('Disconnected', { timeout: 10_000 });

    const context = ann.page.context();
    await context.setOffline(true);
    const responses = await responsesDuring(ann.page, () => ann.reload());
    await ann.expectStatus('Disconnected');
    await expect(ann.myMessages().last()).toContainText('kept for offline');
    await expect(ann.page.getByRole('button', { name: /^Open conversation:/ })).toHaveCount(1);
    // Everything the page loaded came from the worker (the network is off).
    expect(responses.length).toBeGreaterThanOrEqual(4);
    expect(responses.filter((r) => !r.fromWorker)).toEqual([]);

    // A new tab opened offline starts too, on the stored conversation.
    const tab = new TinCanPage(await context.newPage());
    await tab.page.goto('./');
    await tab.expectStatus('Disconnected');
    await expect(tab.myMessages().last()).toContainText('kept for offline');
    await context.setOffline(false);
  });

  test('with the web server gone, two browsers still open the app and connect (host candidates)', async ({
    browser,
  }) => {
    test.setTimeout(60_000);
    const server = await AppServer.start();
    try {
      const ann = await TinCanPage.openIn(await contextFor(browser, server));
      const bob = await TinCanPage.openIn(await contextFor(browser, server));
      await untilControlled(ann.page);
      await untilControlled(bob.page);
      await server.stop();
      const served = server.log.length;

      // Both reload with no server at all: the worker serves the whole app.
      for (const app of [ann, bob]) {
        const responses = await responsesDuring(app.page, () => app.reload());
        expect(responses.filter((r) => !r.fromWorker)).toEqual([]);
      }

      const invite = await createInvite(ann, server.app);
      const answer = await openInvite(bob, invite, server.app);
      await ann.acceptAnswer(codeOf(answer));
      await ann.expectConnected();
      await bob.expectConnected();
      await ann.send('no server needed');
      await expect(bob.peerMessages().last()).toContainText('no server needed');
      expect(server.log.length, 'nothing reached the stopped server').toBe(served);
    } finally {
      server.remove();
    }
  });
});

test.describe('Lazy files', () => {
  test('the QR decoder is not fetched at install, but kept once asked for, then works offline', async ({
    browser,
  }) => {
    const server = await AppServer.start();
    try {
      const app = await TinCanPage.openIn(await contextFor(browser, server));
      await untilControlled(app.page);
      const decoder = () => server.log.filter((entry) => entry.url.includes('qrscan'));
      expect(decoder(), 'installing does not fetch the decoder').toEqual([]);

      const fetchDecoder = () =>
        app.page.evaluate(async () => {
          const response = await fetch('qrscan_bg.wasm');
          return { ok: response.ok, size: (await response.arrayBuffer()).byteLength };
        });
      const first = await fetchDecoder();
      expect(first.ok).toBe(true);
      expect(first.size).toBeGreaterThan(1000);
      expect(decoder().map((entry) => entry.url)).toEqual(['/tincan/qrscan_bg.wasm']);

      await server.stop();
      expect(await fetchDecoder(), 'kept by the worker: no server needed').toEqual(first);
    } finally {
      await server.stop().catch(() => {});
      server.remove();
    }
  });
});

test.describe('Split wasm', () => {
  test('Settings is a part of the wasm of its own: not in the page load, fetched at install, opens offline', async ({
    browser,
  }) => {
    const server = await AppServer.start();
    try {
      const app = new TinCanPage(await (await contextFor(browser, server)).newPage());
      const pageRequests: string[] = [];
      app.page.on('request', (request) => pageRequests.push(new URL(request.url()).pathname));
      await app.open();
      await untilControlled(app.page);
      const isChunk = (url: string) => /\/tincan-split-.*\.wasm$/.test(url);
      expect(pageRequests.filter(isChunk), 'the page load does not fetch the Settings part').toEqual([]);
      const chunks = readdirSync(DIST).filter((name) => isChunk(`/${name}`));
      expect(chunks.some((name) => name.startsWith('tincan-split-settings-')), 'a Settings part').toBe(true);
      expect(
        server.log.filter((entry) => isChunk(entry.url)).map((entry) => path.basename(entry.url)).sort(),
        'the worker fetched every part at install',
      ).toEqual(chunks.sort());

      // Never opened online: with the server gone, Settings still opens, whole and working.
      await server.stop();
      await app.openSettings();
      await expect(app.iceServersBox).toBeVisible();
      await app.iceServersBox.fill('stun:stun.example.net:3478');
      await app.saveButton.click();
      await expect(app.settingsDialog).toBeHidden();
      await app.openSettings();
      await expect(app.iceServersBox).toHaveValue('stun:stun.example.net:3478');
      // Settings' part (and any part it shares with another), not the others.
      const loaded = pageRequests.filter(isChunk).map((url) => path.basename(url));
      expect(loaded.filter((name) => name.startsWith('tincan-split-settings-'))).toHaveLength(1);
      expect(loaded.filter((name) => name.startsWith('tincan-split-scan-'))).toEqual([]);
    } finally {
      await server.stop().catch(() => {});
      server.remove();
    }
  });

  test('a Settings part that cannot be fetched: a clear message, the app goes on, and the next opening loads it', async ({
    browser,
  }) => {
    // No worker: the fetch goes to the network, where this test fails it.
    const context = await TinCanPage.newContext(browser, { contextOptions: { serviceWorkers: 'block' } });
    const app = new TinCanPage(await context.newPage());
    await app.open();
    const chunk = /\/tincan-split-[^/]*\.wasm$/;
    await app.page.route(chunk, (route) => route.abort('internetdisconnected'));
    await app.settingsButton.click();
    await expect(app.settingsDialog.getByRole('alert')).toContainText('Settings could not be loaded');
    await app.settingsDialog.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(app.settingsDialog).toBeHidden();
    // The rest of the app still works.
    await app.createInviteButton.click();
    await expect(app.inviteLinkBox).toHaveValue(/#/);

    await app.page.unroute(chunk);
    await app.openSettings();
    await expect(app.iceServersBox).toBeVisible();
    await expect(app.settingsDialog.getByRole('alert')).toHaveCount(0);
  });

  test('a scanner part that cannot be fetched: the scan ends with a clear message and the paste path stays', async ({
    browser,
  }) => {
    const context = await TinCanPage.newContext(browser, { contextOptions: { serviceWorkers: 'block' } });
    const app = new TinCanPage(await context.newPage());
    await app.open();
    await app.page.route(/\/tincan-split-scan-[^/]*\.wasm$/, (route) => route.abort('internetdisconnected'));
    await app.page.getByRole('button', { name: 'Scan QR code', exact: true }).click();
    await expect(app.page.getByTestId('scan-problem')).toContainText(
      'The QR code reader could not be loaded (this browser could not fetch that part of Tin Can',
    );
    await expect(app.page.getByRole('button', { name: 'Scan QR code', exact: true })).toBeVisible();
    await expect(app.page.getByTestId('scan-video')).toHaveCount(0);
  });
});

test.describe('Updates', () => {
  test('a new version is detected and offered; Reload brings it whole, never a mix', async ({ browser }) => {
    test.setTimeout(60_000);
    const server = await AppServer.start();
    try {
      const app = await TinCanPage.openIn(await contextFor(browser, server));
      await untilControlled(app.page);
      const build = (page: Page) =>
        page.evaluate(() => ({
          page: document.querySelector('meta[name="tincan-test-build"]')?.getAttribute('content') ?? 'v1',
          style: getComputedStyle(document.documentElement).getPropertyValue('--tincan-test-build').trim() || 'v1',
        }));
      expect(await build(app.page)).toEqual({ page: 'v1', style: 'v1' });
      await expect(app.page.getByTestId('update-ready')).toHaveCount(0);
      // A second tab of the app, left open.
      const other = new TinCanPage(await app.page.context().newPage());
      await other.open();

      // A new version lands on the server: a changed page and a new stylesheet, and the worker
      // that lists them (as a build's post-build step writes it).
      const index = path.join(server.dir, 'index.html');
      writeFileSync(path.join(server.dir, 'v2-test.css'), ':root { --tincan-test-build: v2 }\n');
      writeFileSync(
        index,
        readFileSync(index, 'utf8').replace(
          '<title>',
          '<meta name="tincan-test-build" content="v2"><link rel="stylesheet" href="v2-test.css"><title>',
        ),
      );
      const oldWorker = readFileSync(path.join(server.dir, 'sw.js'), 'utf8');
      execFileSync('node', ['scripts/sw-precache.mjs', server.dir], { env: { ...process.env, TRUNK_PROFILE: 'release' } });
      expect(readFileSync(path.join(server.dir, 'sw.js'), 'utf8')).not.toBe(oldWorker);

      // The open tab looks again when it comes back to the screen, and says so.
      await other.page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
      await expect(other.page.getByTestId('update-ready')).toBeVisible();

      // Opening the app again: the page still runs the old version, whole, and says so.
      const before = await responsesDuring(app.page, () => app.reload());
      await expect(app.page.getByTestId('update-ready')).toBeVisible();
      const prompt = app.page.getByRole('status').filter({ hasText: 'A new version is ready — Reload' });
      await expect(prompt).toBeVisible();
      expect(await build(app.page)).toEqual({ page: 'v1', style: 'v1' });
      expect(before.filter((r) => !r.fromWorker)).toEqual([]);
      // The new worker waits for the word: the old one still runs the page, both builds cached.
      expect(
        await app.page.evaluate(async () => {
          const registration = await navigator.serviceWorker.getRegistration();
          return { waiting: registration?.waiting?.state, caches: (await caches.keys()).length };
        }),
      ).toEqual({ waiting: 'installed', caches: 2 });

      // Reload: the new worker takes over, the page reloads once, all of it the new version.
      const loaded = app.page.waitForEvent('load');
      const after = await responsesDuring(app.page, async () => {
        await prompt.getByRole('button', { name: 'Reload', exact: true }).click();
        await loaded;
        await expect(app.settingsButton).toBeVisible();
      });
      expect(await build(app.page)).toEqual({ page: 'v2', style: 'v2' });
      await expect(app.page.getByTestId('update-ready')).toHaveCount(0);
      expect(after.filter((r) => !r.fromWorker)).toEqual([]);
      expect(after.map((r) => r.url)).toContain(`${server.app}v2-test.css`);
      // One cache: the old version's was deleted when the new worker took over.
      expect(await app.page.evaluate(() => caches.keys())).toHaveLength(1);
      await expect(app.createInviteButton).toBeVisible();

      // The other tab still runs the old version, whole, and still offers the new one; its
      // Reload (no worker waiting now) reloads into it.
      expect(await build(other.page)).toEqual({ page: 'v1', style: 'v1' });
      const otherPrompt = other.page.getByTestId('update-ready');
      await expect(otherPrompt).toBeVisible();
      const otherLoaded = other.page.waitForEvent('load');
      await otherPrompt.getByRole('button', { name: 'Reload', exact: true }).click();
      await otherLoaded;
      await expect(other.settingsButton).toBeVisible();
      expect(await build(other.page)).toEqual({ page: 'v2', style: 'v2' });
      await expect(otherPrompt).toHaveCount(0);
    } finally {
      await server.stop();
      server.remove();
    }
  });
});

test.describe('Updates, half deployed', () => {
  test('a worker whose files do not match the server (a deploy in progress) is not installed', async ({ browser }) => {
    const server = await AppServer.start();
    try {
      const app = await TinCanPage.openIn(await contextFor(browser, server));
      await untilControlled(app.page);
      // The new worker is on the server, but the page it lists is not there yet.
      const index = path.join(server.dir, 'index.html');
      const oldPage = readFileSync(index, 'utf8');
      writeFileSync(index, oldPage.replace('<title>', '<meta name="tincan-test-build" content="v2"><title>'));
      execFileSync('node', ['scripts/sw-precache.mjs', server.dir], { env: { ...process.env, TRUNK_PROFILE: 'release' } });
      writeFileSync(index, oldPage);

      // The browser fetches the new worker, which checks each file and gives up.
      const outcome = await app.page.evaluate(async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        if (!registration) return 'no registration';
        await registration.update();
        const worker = registration.installing ?? registration.waiting;
        if (!worker) return 'no new worker';
        if (worker.state === 'redundant') return 'redundant';
        return new Promise<string>((resolve) => {
          worker.addEventListener('statechange', () => {
            if (worker.state === 'redundant' || worker.state === 'installed') resolve(worker.state);
          });
        });
      });
      expect(outcome).toBe('redundant');
      await expect(app.page.getByTestId('update-ready')).toHaveCount(0);
      expect(await app.page.evaluate(() => caches.keys())).toHaveLength(1);
      // The app goes on from the cache it has.
      await app.reload();
      await expect(app.createInviteButton).toBeVisible();
    } finally {
      await server.stop();
      server.remove();
    }
  });
});

test.describe('Share into Tin Can', () => {
  /** What a messenger's share sheet does: a POST navigation to the share target, as a form would. */
  async function share(page: Page, server: AppServer, fields: Record<string, string>): Promise<void> {
    await page.goto('about:blank');
    await page.evaluate(
      ({ action, fields }) => {
        const form = document.createElement('form');
        form.method = 'POST';
        form.enctype = 'multipart/form-data';
        form.action = action;
        for (const [name, value] of Object.entries(fields)) {
          const input = document.createElement('input');
          input.name = name;
          input.value = value;
          form.append(input);
        }
        document.body.append(form);
        form.submit();
      },
      { action: `${server.app}share-target`, fields },
    );
  }

  test('a shared link opens in the app, and nothing carrying it reaches the server', async ({ browser }) => {
    test.setTimeout(60_000);
    const server = await AppServer.start();
    try {
      const ann = await TinCanPage.openIn(await contextFor(browser, server));
      const bob = await TinCanPage.openIn(await contextFor(browser, server));
      await untilControlled(bob.page);
      const invite = await createInvite(ann, server.app);
      const code = codeOf(invite);

      // Every request Bob's tab makes, and whether the worker answered it.
      const requests: { url: string; body: string; fromWorker: Promise<boolean> }[] = [];
      bob.page.on('request', (request) =>
        requests.push({
          url: request.url(),
          body: request.postData() ?? '',
          fromWorker: request.response().then((response) => response?.fromServiceWorker() ?? false),
        }),
      );
      const logged = server.log.length;

      // Shared from a messenger: the link inside a sentence, as the text field.
      await share(bob.page, server, { title: 'Tin Can', text: `Chat with me: ${invite}.`, url: '' });
      await expect(bob.answerLinkBox).toHaveValue(linkPattern(server.app));
      // The app took the code out of the address.
      expect(bob.page.url()).toBe(server.app);
      await ann.acceptAnswer(codeOf(await bob.answerLinkBox.inputValue()));
      await ann.expectConnected();
      await bob.expectConnected();

      const carrying = requests.filter((request) => request.url.includes(code) || request.body.includes(code));
      expect(carrying.length, 'the share itself is a request of the page').toBeGreaterThan(0);
      for (const request of carrying) {
        expect(await request.fromWorker, `answered by the worker: ${request.url}`).toBe(true);
      }
      const reached = server.log.slice(logged);
      expect(reached.filter((entry) => entry.url.includes(code) || entry.body.includes(code))).toEqual([]);
      expect(reached.filter((entry) => entry.method !== 'GET' || entry.url.includes('share-target'))).toEqual([]);
    } finally {
      await server.stop();
      server.remove();
    }
  });

  test('something that is not a Tin Can link gets a clear message, and stays off the server', async ({
    browser,
  }) => {
    const server = await AppServer.start();
    try {
      const bob = await TinCanPage.openIn(await contextFor(browser, server));
      await untilControlled(bob.page);
      const logged = server.log.length;
      await share(bob.page, server, { title: 'a page', text: 'read this', url: 'https://example.com/news#section-2' });
      await bob.expectAlert(/not a Tin Can link/);
      await expect(bob.createInviteButton).toBeVisible();
      expect(bob.page.url()).toBe(server.app);
      const reached = server.log.slice(logged);
      expect(reached.filter((entry) => /example\.com|section-2|read this/.test(entry.url + entry.body))).toEqual([]);
      expect(reached.filter((entry) => entry.method !== 'GET')).toEqual([]);
    } finally {
      await server.stop();
      server.remove();
    }
  });
});
