import { defineConfig } from '@playwright/test';

// End-to-end tests for Tin Can, run against the release build in dist/
// (scripts/test.sh builds it with `trunk build --release --offline
// --public-url /tincan/ --dist dist`). The browser is Debian's Chromium:
// Playwright's own browser download is not available here.
//
// Two projects. "app" (e2e/*.spec.ts): every peer connection uses host (mDNS)
// candidates only: the page object clears the ICE servers in the Settings
// dialog before any invite is created or opened, so no test ever contacts a
// STUN/TURN server. "lab" (e2e/lab/*.spec.ts): the NAT lab of issue #13
// (scripts/natlab.sh, needs root): browsers run inside network namespaces
// behind NAT routers, with the lab's own coturn as STUN and TURN; each host
// namespace serves dist/ on its own 127.0.0.1:4173. Nothing leaves the lab.
// Run one with `npx playwright test --project=lab` (or app).

const PORT = 4173;
const HOST = '127.0.0.1';
const ORIGIN = `http://${HOST}:${PORT}`;

export default defineConfig({
  testDir: './e2e',
  testMatch: '**/*.spec.ts',
  projects: [
    { name: 'app', testIgnore: 'lab/**' },
    {
      name: 'lab',
      testDir: './e2e/lab',
      // Through NATs and a relay, with loss and delay: connecting and a 16 MiB file take longer.
      timeout: 90_000,
    },
    // Not part of the suite: bash scripts/lab-report.sh sets TINCAN_LAB_REPORT and runs it.
    ...(process.env.TINCAN_LAB_REPORT
      ? [{ name: 'lab-report', testDir: './e2e/lab', testMatch: '**/*.bench.ts', timeout: 15 * 60_000 }]
      : []),
  ],
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  globalTimeout: 35 * 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI
    ? [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]]
    : [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `${ORIGIN}/tincan/`,
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: `node e2e/serve.mjs --dir dist --base /tincan/ --port ${PORT} --host ${HOST}`,
    url: `${ORIGIN}/tincan/`,
    reuseExistingServer: !process.env.CI,
    timeout: 15_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
