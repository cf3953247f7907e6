import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { expect, type Locator, type Page } from '@playwright/test';
import type { TinCanPage } from './tincan-page';

/**
 * The file transfer part of one Tin Can tab: the "Attach file" control and the
 * "File transfers" list inside the chat card.
 *
 * Each transfer is an <li> with its (safe) file name, a progress bar
 * (role="progressbar", aria-valuenow in percent) and a button named
 * "Cancel <name>" while it runs; once received, a link named
 * "Download <name>", "Verified" and the checksum, and an <img> preview for
 * PNG/JPEG/GIF/WebP content.
 */
/**
 * The checksum Tin Can shows, computed independently: SHA-256 over the SHA-256 of every 64 KiB
 * chunk (the chunk size Chromium and Firefox pages use with each other).
 */
export function hashList(data: Buffer, chunk = 64 * 1024): string {
  const list = createHash('sha256');
  for (let at = 0; at < data.length; at += chunk) {
    list.update(createHash('sha256').update(data.subarray(at, at + chunk)).digest());
  }
  return list.digest('hex');
}

export class FilesPanel {
  readonly app: TinCanPage;
  readonly page: Page;
  readonly attachInput: Locator;
  readonly list: Locator;

  constructor(app: TinCanPage) {
    this.app = app;
    this.page = app.page;
    this.attachInput = this.page.getByLabel('Attach file', { exact: true });
    this.list = this.page.getByRole('list', { name: 'File transfers', exact: true });
  }

  /** Sends files by the Attach control: paths on disk, or in-memory files. */
  async attach(files: string | string[] | { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
    await this.attachInput.setInputFiles(files);
  }

  transfers(): Locator {
    return this.list.getByRole('listitem');
  }

  /** The transfer whose shown name is exactly `name`. */
  transfer(name: string): Locator {
    return this.transfers().filter({ has: this.page.getByTestId('file-name').getByText(name, { exact: true }) });
  }

  progressBar(name: string): Locator {
    return this.transfer(name).getByRole('progressbar');
  }

  cancelButton(name: string): Locator {
    return this.transfer(name).getByRole('button', { name: `Cancel ${name}`, exact: true });
  }

  downloadLink(name: string): Locator {
    return this.transfer(name).getByRole('link', { name: `Download ${name}`, exact: true });
  }

  preview(name: string): Locator {
    return this.transfer(name).getByRole('img');
  }

  /** The checksum shown once a transfer is done (SHA-256 over every chunk's SHA-256, hex). */
  checksum(name: string): Locator {
    return this.transfer(name).locator('.transfer-digest code');
  }

  /** Clicks "Download <name>"; returns the suggested file name and the SHA-256 (hex) of the saved bytes. */
  async download(name: string): Promise<{ suggestedName: string; sha256: string; bytes: number }> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.downloadLink(name).click()]);
    const path = await download.path();
    const data = await readFile(path);
    return {
      suggestedName: download.suggestedFilename(),
      sha256: createHash('sha256').update(data).digest('hex'),
      bytes: data.length,
    };
  }

  /** Waits until the transfer shows as received and verified. */
  async expectReceived(name: string, options?: { timeout?: number }): Promise<void> {
    await expect(this.downloadLink(name)).toBeVisible(options);
    await expect(this.transfer(name)).toContainText('Verified');
  }

  /**
   * Arms an in-page watcher: the first time a progress bar of `name`'s transfer shows progress
   * (>0%), it records the time and, if `message` is given, types it into the message box and
   * presses Send at once, from inside the page, so the test does not depend on how fast the
   * transfer is compared to Playwright's round trips.
   */
  async onFirstProgress(name: string, action: { message?: string; cancel?: boolean }): Promise<void> {
    await this.page.evaluate(
      ({ name, message, cancel }) => {
        const w = window as unknown as { __files: Record<string, number> };
        w.__files = w.__files ?? {};
        const check = () => {
          for (const li of Array.from(document.querySelectorAll('ul.transfers > li'))) {
            const shown = li.querySelector('[data-testid="file-name"]')?.textContent;
            const bar = li.querySelector('[role="progressbar"]');
            if (shown !== name || !bar || Number(bar.getAttribute('aria-valuenow')) <= 0) continue;
            observer.disconnect();
            w.__files.firstProgress = performance.now();
            if (message !== undefined) {
              const box = document.querySelector('textarea#message') as HTMLTextAreaElement;
              box.value = message;
              box.dispatchEvent(new Event('input', { bubbles: true }));
              [...document.querySelectorAll<HTMLButtonElement>('form.composer button')]
                .find((button) => button.textContent?.trim() === 'Send')
                ?.click();
              w.__files.messageSent = performance.now();
            }
            if (cancel) {
              (li.querySelector('button[aria-label^="Cancel"]') as HTMLButtonElement).click();
              w.__files.cancelled = performance.now();
            }
            return;
          }
        };
        const observer = new MutationObserver(check);
        observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
      },
      { name, message: action.message, cancel: action.cancel ?? false },
    );
  }

  /**
   * Arms an in-page recorder of when things first appear: a peer message containing `text`
   * ("message") and the download link of `name` ("done").
   */
  async recordArrivals(name: string, text: string): Promise<void> {
    await this.page.evaluate(
      ({ name, text }) => {
        const w = window as unknown as { __arrivals: Record<string, number> };
        w.__arrivals = {};
        const check = () => {
          const now = performance.now();
          if (w.__arrivals.message === undefined) {
            for (const li of Array.from(document.querySelectorAll('[role="log"] li[data-author="peer"]'))) {
              if ((li.textContent ?? '').includes(text)) w.__arrivals.message = now;
            }
          }
          if (w.__arrivals.done === undefined) {
            for (const a of Array.from(document.querySelectorAll('ul.transfers a'))) {
              if ((a.textContent ?? '').replace(/\s+/g, ' ').trim() === `Download ${name}`) w.__arrivals.done = now;
            }
          }
          if (w.__arrivals.progress === undefined && document.querySelector('ul.transfers [role="progressbar"]')) {
            w.__arrivals.progress = now;
          }
        };
        new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      },
      { name, text },
    );
  }

  async arrivals(): Promise<Record<string, number>> {
    return this.page.evaluate(() => (window as unknown as { __arrivals: Record<string, number> }).__arrivals);
  }
}
