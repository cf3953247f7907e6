import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { crc32, deflateSync } from 'node:zlib';
import { test, expect } from './fixtures';
import { FilesPanel, hashList } from './pages/files';
import { TinCanPage, connectPair } from './pages/tincan-page';

const MiB = 1024 * 1024;

/** Random bytes written to a file under the test's output dir; returns its path, SHA-256 and hash list. */
async function randomFile(path: string, bytes: number): Promise<{ path: string; sha256: string; checksum: string }> {
  const data = randomBytes(bytes);
  await writeFile(path, data);
  return { path, sha256: createHash('sha256').update(data).digest('hex'), checksum: hashList(data) };
}

/** A valid w×h RGB PNG (a small gradient). */
function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body) >>> 0, 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = y * (width * 3 + 1) + 1 + x * 3;
      rows.set([(x * 255) / width, (y * 255) / height, 160], at);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test.describe('Files', () => {
  test('a 24 MiB file arrives byte-exact and verified, with progress, while chat goes on', async ({ browser }, testInfo) => {
    test.setTimeout(60_000);
    const { inviter, invitee } = await connectPair(browser);
    const sender = new FilesPanel(inviter);
    const receiver = new FilesPanel(invitee);
    const file = await randomFile(testInfo.outputPath('random-24MiB.bin'), 24 * MiB);
    const name = 'random-24MiB.bin';

    // The chat message goes out from inside the page the moment the first progress shows.
    await sender.onFirstProgress(name, { message: 'sent mid-transfer' });
    await receiver.recordArrivals(name, 'sent mid-transfer');
    await sender.attach(file.path);

    await expect(receiver.progressBar(name)).toBeVisible();
    await expect(receiver.progressBar(name)).toHaveAttribute('aria-valuemin', '0');
    await expect(receiver.progressBar(name)).toHaveAttribute('aria-valuemax', '100');
    await receiver.expectReceived(name, { timeout: 45_000 });

    // The message overtook the file: it was shown before the transfer finished.
    const arrivals = await receiver.arrivals();
    expect(arrivals.progress, 'the receiver saw the progress bar').toBeDefined();
    expect(arrivals.message, 'the mid-transfer message arrived').toBeDefined();
    expect(arrivals.message).toBeLessThan(arrivals.done);
    await expect(invitee.peerMessages().last()).toContainText('sent mid-transfer');

    // Byte-exact: the saved file hashes to the original, under the original name.
    const saved = await receiver.download(name);
    expect(saved.suggestedName).toBe(name);
    expect(saved.bytes).toBe(24 * MiB);
    expect(saved.sha256).toBe(file.sha256);
    // Both sides show the same checksum, and it is the file's hash list.
    await expect(receiver.checksum(name)).toHaveText(file.checksum);
    // The sender hears that the receiver checked it.
    await expect(sender.transfer(name)).toContainText('Verified by the other browser');
    await expect(sender.checksum(name)).toHaveText(file.checksum);
    // Not an image: no preview.
    await expect(receiver.preview(name)).toHaveCount(0);
  });

  test('a 64 MiB file arrives verified (throughput is measured by scripts/bench.sh)', async ({ browser }, testInfo) => {
    test.setTimeout(60_000);
    const { inviter, invitee } = await connectPair(browser);
    const sender = new FilesPanel(inviter);
    const receiver = new FilesPanel(invitee);
    const file = await randomFile(testInfo.outputPath('random-64MiB.bin'), 64 * MiB);
    const name = 'random-64MiB.bin';
    await sender.attach(file.path);
    await receiver.expectReceived(name, { timeout: 50_000 });
    await expect(receiver.checksum(name)).toHaveText(file.checksum);
    expect((await receiver.download(name)).sha256).toBe(file.sha256);
  });

  test('cancel stops a transfer on both sides, from either side; chat and files go on', async ({ browser }, testInfo) => {
    test.setTimeout(60_000);
    const { inviter, invitee } = await connectPair(browser);
    const sender = new FilesPanel(inviter);
    const receiver = new FilesPanel(invitee);
    const big = await randomFile(testInfo.outputPath('cancel-me.bin'), 256 * MiB);

    // The sender cancels, right after the first progress.
    await sender.onFirstProgress('cancel-me.bin', { cancel: true });
    await sender.attach(big.path);
    await expect(sender.transfer('cancel-me.bin')).toHaveAttribute('data-state', 'cancelled');
    await expect(sender.transfer('cancel-me.bin')).toContainText('Cancelled');
    await expect(receiver.transfer('cancel-me.bin')).toHaveAttribute('data-state', 'cancelled');
    await expect(receiver.transfer('cancel-me.bin')).toContainText('Cancelled by the other person');
    await expect(receiver.downloadLink('cancel-me.bin')).toHaveCount(0);
    await expect(receiver.cancelButton('cancel-me.bin')).toHaveCount(0);

    // The receiver cancels the next one, with the real button.
    const again = await randomFile(testInfo.outputPath('cancel-me-too.bin'), 256 * MiB);
    await sender.attach(again.path);
    await expect(receiver.progressBar('cancel-me-too.bin')).toBeVisible();
    await receiver.cancelButton('cancel-me-too.bin').click();
    await expect(receiver.transfer('cancel-me-too.bin')).toHaveAttribute('data-state', 'cancelled');
    await expect(sender.transfer('cancel-me-too.bin')).toHaveAttribute('data-state', 'cancelled');
    await expect(sender.transfer('cancel-me-too.bin')).toContainText('Cancelled by the other person');
    await expect(receiver.downloadLink('cancel-me-too.bin')).toHaveCount(0);

    // Both still work: a message, then a small file.
    await invitee.send('still here');
    await expect(inviter.peerMessages().last()).toContainText('still here');
    await sender.attach([{ name: 'after.txt', mimeType: 'text/plain', buffer: Buffer.from('after the cancels\n') }]);
    await receiver.expectReceived('after.txt');
  });

  test('images preview inline, judged by their bytes; several files at once', async ({ browser }) => {
    const { inviter, invitee } = await connectPair(browser);
    const sender = new FilesPanel(inviter);
    const receiver = new FilesPanel(invitee);
    const image = png(48, 32);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=1"><rect width="9" height="9"/></svg>');

    await sender.attach([
      { name: 'pixel.png', mimeType: 'image/png', buffer: image },
      // Claims to be a PNG; is an SVG: no preview.
      { name: 'fake.png', mimeType: 'image/png', buffer: svg },
      { name: 'drawing.svg', mimeType: 'image/svg+xml', buffer: svg },
    ]);
    for (const name of ['pixel.png', 'fake.png', 'drawing.svg']) await receiver.expectReceived(name);

    const preview = receiver.preview('pixel.png');
    await expect(preview).toBeVisible();
    expect(await preview.getAttribute('src')).toMatch(/^blob:/);
    // It really rendered (the CSP allows blob: images).
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(48);
    await expect(receiver.preview('fake.png')).toHaveCount(0);
    await expect(receiver.preview('drawing.svg')).toHaveCount(0);

    const saved = await receiver.download('pixel.png');
    expect(saved.sha256).toBe(createHash('sha256').update(image).digest('hex'));
    expect(await invitee.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  test('a file name with markup is shown as text and saved under a safe name', async ({ browser }) => {
    const { inviter, invitee } = await connectPair(browser);
    const sender = new FilesPanel(inviter);
    const receiver = new FilesPanel(invitee);
    // No "/" in it: a slash is a path separator, and only the last part would be kept.
    const name = '<img src=x onerror="window.__pwned=1"><b>bold<i>.txt';

    await sender.attach([{ name, mimeType: 'text/html', buffer: Buffer.from('<script>window.__pwned=1</script>') }]);
    await receiver.expectReceived(name);
    for (const side of [sender, receiver]) {
      await expect(side.transfer(name).getByTestId('file-name')).toHaveText(name);
      await expect(side.list.locator('b, i, img')).toHaveCount(0);
      expect(await side.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    }
    const saved = await receiver.download(name);
    expect(saved.suggestedName).not.toMatch(/[/\\]/);
    expect(saved.suggestedName).toMatch(/\.txt$/);
  });

  test('files dropped on the page or pasted are sent', async ({ browser }) => {
    const { inviter, invitee } = await connectPair(browser);
    const receiver = new FilesPanel(invitee);
    await inviter.page.evaluate(() => {
      const drop = new DataTransfer();
      drop.items.add(new File(['dropped bytes\n'], 'dropped.txt', { type: 'text/plain' }));
      const target = document.querySelector('section.chat')!;
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: drop, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: drop, bubbles: true, cancelable: true }));
      const paste = new DataTransfer();
      paste.items.add(new File([new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0, 0, 0, 0x3b])], 'image.gif', { type: 'image/gif' }));
      document.querySelector('textarea#message')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: paste, bubbles: true, cancelable: true }));
    });
    await receiver.expectReceived('dropped.txt');
    await receiver.expectReceived('image.gif');
    await expect(receiver.preview('image.gif')).toHaveCount(1);
    // The pasted file went out as a file: nothing landed in the message box.
    await expect(inviter.messageBox).toHaveValue('');
  });

  test('when the other person leaves after files went both ways, both lists stay and nothing breaks', async ({ browser }, testInfo) => {
    const { inviter, invitee } = await connectPair(browser);
    const sender = new FilesPanel(inviter);
    const receiver = new FilesPanel(invitee);
    const file = await randomFile(testInfo.outputPath('before-leaving.bin'), 200_000);
    await sender.attach(file.path);
    await receiver.expectReceived('before-leaving.bin');
    await expect(sender.transfer('before-leaving.bin')).toContainText('Verified by the other browser');
    // The "Attach file" control goes when the chat disconnects; the transfers it started stay
    // (their state once lived in signals owned by that control: see TransferRow).
    await invitee.page.context().close();
    await inviter.expectStatus('Disconnected', { timeout: 15_000 });
    await expect(sender.transfer('before-leaving.bin')).toContainText('Verified by the other browser');
    await expect(sender.checksum('before-leaving.bin')).toHaveText(file.checksum);
  });

  // The transfers' code is a part of the wasm of its own (README, "Shipped size"), fetched when
  // the files channel opens. These hold or fail that fetch for the invitee, whose context has no
  // service worker (it would serve the part from its cache).
  const FILES_PART = /\/tincan-split-files-[^/]*\.wasm$/;

  async function inviteeWithoutWorker(browser: import('@playwright/test').Browser) {
    return TinCanPage.newContext(browser, { contextOptions: { serviceWorkers: 'block' } });
  }

  test('the files part arrives late at the receiver: a file sent meanwhile waits, then arrives whole and verified', async ({
    browser,
  }) => {
    const inviteeContext = await inviteeWithoutWorker(browser);
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let asked = 0;
    await inviteeContext.route(FILES_PART, async (route) => {
      asked += 1;
      await released;
      await route.continue();
    });
    const { inviter, invitee } = await connectPair(browser, { inviteeContext });
    await expect.poll(() => asked, 'the invitee asks for the part when the files channel opens').toBe(1);

    const sender = new FilesPanel(inviter);
    const receiver = new FilesPanel(invitee);
    const data = randomBytes(700 * 1024);
    await sender.attach([{ name: 'early.bin', mimeType: 'application/octet-stream', buffer: data }]);
    // Every chunk has left the sender; the receiver holds them until its part is there.
    await expect(sender.transfer('early.bin')).toHaveAttribute('data-state', 'sent');
    await expect(receiver.transfer('early.bin')).toHaveCount(0);

    release();
    await receiver.expectReceived('early.bin');
    await expect(receiver.checksum('early.bin')).toHaveText(hashList(data));
    const saved = await receiver.download('early.bin');
    expect(saved.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    await expect(sender.transfer('early.bin')).toContainText('Verified by the other browser');
    expect(asked, 'one fetch').toBe(1);
  });

  test('the files part cannot be fetched: a clear message, the chat goes on, and a file sent again arrives', async ({
    browser,
  }) => {
    const inviteeContext = await inviteeWithoutWorker(browser);
    await inviteeContext.route(FILES_PART, (route) => route.abort('internetdisconnected'));
    const { inviter, invitee } = await connectPair(browser, { inviteeContext });
    const sender = new FilesPanel(inviter);
    const receiver = new FilesPanel(invitee);
    await sender.attach([{ name: 'lost.txt', mimeType: 'text/plain', buffer: Buffer.from('first try') }]);
    const problem = invitee.page.getByTestId('files-problem');
    await expect(problem).toHaveAttribute('role', 'alert');
    await expect(problem).toContainText('Files could not be loaded');
    await inviter.send('still chatting');
    await expect(invitee.page.getByRole('log', { name: 'Messages' })).toContainText('still chatting');

    await inviteeContext.unroute(FILES_PART);
    await sender.attach([{ name: 'again.txt', mimeType: 'text/plain', buffer: Buffer.from('second try') }]);
    await receiver.expectReceived('again.txt');
    await expect(problem).toHaveCount(0);
  });
});
