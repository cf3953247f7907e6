import { test as base, expect } from '@playwright/test';
import { takeMade } from './pages/tincan-page';

/**
 * The Playwright `test` with one automatic fixture: after every test it checks
 * all Tin Can tabs the test made for wasm panics and uncaught page errors,
 * then closes the browser contexts the page object opened.
 */
export const test = base.extend<{ crashGuard: void }>({
  crashGuard: [
    async ({}, use, testInfo) => {
      takeMade(); // forget anything a previous (failed) test left behind
      await use();
      const { pages, contexts } = takeMade();
      const problems = pages.flatMap((p) => p.crashes());
      const consoleErrors = pages.flatMap((p) => p.consoleErrors);
      if (consoleErrors.length) {
        await testInfo.attach('console-errors.txt', { body: consoleErrors.join('\n'), contentType: 'text/plain' });
      }
      await Promise.all(contexts.map((c) => c.close().catch(() => {})));
      expect(problems, 'the app must not panic or throw uncaught errors').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
