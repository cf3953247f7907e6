import type { BrowserContext, Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { SAFETY_CODE, TinCanPage, codeOf, connectPair } from './pages/tincan-page';

/**
 * Hostile input and honest security (issue #6): a peer, a link or a page cannot hurt the user.
 */

/** Records every chat data channel the page makes, so the test can speak for the app. */
async function captureChannels(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const channels: RTCDataChannel[] = [];
    (window as any).__channels = channels;
    const create = RTCPeerConnection.prototype.createDataChannel;
    RTCPeerConnection.prototype.createDataChannel = function (...args: any[]) {
      const channel = create.apply(this, args as any);
      channels.push(channel);
      return channel;
    };
    // The wasm instance, to read the size of its memory.
    addEventListener('TrunkApplicationStarted', (event: any) => {
      (window as any).__wasm = event.detail?.wasm;
    });
  });
}

async function wasmMemoryBytes(page: Page): Promise<number> {
  return page.evaluate(() => (window as any).__wasm?.memory?.buffer?.byteLength ?? -1);
}

test.describe('A hostile peer', () => {
  test('thousands of junk frames change nothing: no panic, no markup, memory bounded, chat goes on', async ({
    browser,
  }) => {
    test.setTimeout(90_000);
    const victimContext = await TinCanPage.newContext(browser);
    const attackerContext = await TinCanPage.newContext(browser);
    await captureChannels(victimContext);
    await captureChannels(attackerContext);
    const { inviter: victim, invitee: attacker } = await connectPair(browser, {
      inviterContext: victimContext,
      inviteeContext: attackerContext,
    });
    const memoryBefore = await wasmMemoryBytes(victim.page);
    expect(memoryBefore, 'the wasm memory is observable').toBeGreaterThan(0);

    // The attacker's page takes over its own chat channel and floods the victim.
    const sent = await attacker.page.evaluate(async () => {
      const channel: RTCDataChannel = (window as any).__channels.find((c: RTCDataChannel) => c.readyState === 'open');
      let count = 0;
      const send = (data: string | ArrayBuffer) => {
        channel.send(data as any);
        count++;
      };
      const rand = (n: number) => Math.floor(Math.random() * n);
      const noise = (n: number) => {
        const bytes = new Uint8Array(n);
        crypto.getRandomValues(bytes);
        return bytes;
      };
      // Message numbers the victim has not seen yet are 1, 2, …: junk uses impossible ones.
      const valid = JSON.stringify({ k: 'text', seq: 1, text: 'valid', ts: 1 });
      for (let i = 0; i < 3000; i++) {
        switch (i % 12) {
          case 0: send(''); break;
          case 1: send(noise(1 + rand(2048)).buffer); break;
          case 2: send(valid.slice(0, rand(valid.length))); break;
          case 3: send('{"k":"text","text":'); break;
          case 4: send(JSON.stringify({ k: 'x-future-kind-' + i, data: 'ignored' })); break;
          case 5: send(JSON.stringify({ k: 'file', name: '<img src=x onerror=alert(1)>', size: 1e18, chunks: -1 })); break;
          case 6: send(String.fromCharCode(...noise(64))); break;
          case 7: send(JSON.stringify({ k: 'text', seq: 1, text: 42, ts: 'now' })); break;
          case 8: send(JSON.stringify({ k: 'text', seq: 1, text: 'x'.repeat(20_000), ts: 1 })); break; // over the text limit
          case 9: send('{"k":"hello","v":' + '9'.repeat(400) + '}'); break;
          case 10: send('['.repeat(5000)); break; // deep nesting
          case 11: send(JSON.stringify({ k: 'text', seq: 1_000_000 + i, text: 'from the future', ts: 1 })); break; // out of order
        }
        if (i % 500 === 0) {
          send(JSON.stringify({ k: 'hello', v: 2, conversation: 'another', peer: 'x', received: 0 })); // a second hello
          send(JSON.stringify({ k: 'ack', upto: Number.MAX_SAFE_INTEGER })); // acks for messages never written
          send(JSON.stringify({ k: 'renegotiate', offer: true, sdp: 'v=0\r\na=fingerprint:sha-256 00:11\r\n' })); // a foreign certificate
        }
        if (i % 200 === 0) {
          // Stay under the SCTP send buffer.
          while (channel.bufferedAmount > 1 << 20) await new Promise((r) => setTimeout(r, 5));
        }
      }
      // Frames far over the size limit.
      for (let i = 0; i < 10; i++) send('{"k":"text","seq":1,"text":"' + 'A'.repeat(200_000) + '","ts":1}');
      // Markup in well-formed messages, numbered as if from the future: dropped, never shown.
      for (let i = 0; i < 20; i++) {
        const text = `<img src=x onerror="window.__pwned=${i}"><script>window.__pwned=1</script><b>bold ${i}</b>`;
        send(JSON.stringify({ k: 'text', seq: 5_000_000 + i, text, ts: 1 }));
      }
      while (channel.bufferedAmount > 0) await new Promise((r) => setTimeout(r, 10));
      return count;
    });
    expect(sent).toBe(3048);

    // The junk was dropped and counted (binary frames and unknown kinds are ignored without
    // counting: they are not offences); none of it reached the conversation, nothing ran.
    const dropped = () => victim.messageLog.getAttribute('data-dropped-frames').then(Number);
    await expect.poll(dropped, { timeout: 20_000 }).toBeGreaterThanOrEqual(2000);
    await victim.expectStatus('Connected');
    await expect(victim.peerMessages()).toHaveCount(0);
    expect(await victim.page.evaluate(() => (window as any).__pwned)).toBeUndefined();

    // Memory stays bounded: the junk (over 2 MB of it) left no lasting allocation.
    const memoryAfter = await wasmMemoryBytes(victim.page);
    expect(memoryAfter - memoryBefore, `wasm memory grew from ${memoryBefore} to ${memoryAfter}`).toBeLessThan(8 << 20);

    // A lying file offer on the files channel: it claims 10 bytes and sends 100, under a name
    // made of markup. The transfer stops with a reason, nothing is offered for download.
    const fileName = '<img src=x onerror="window.__pwned=2">.png';
    await attacker.page.evaluate(async (name) => {
      const files: RTCDataChannel = (window as any).__channels.find(
        (c: RTCDataChannel) => c.label === 'files' && c.readyState === 'open');
      files.send(JSON.stringify({ k: 'offer', v: 2, id: 4242, name, size: 10, mime: 'text/html' }));
      for (const seq of [0, 1]) {
        const chunk = new Uint8Array(9 + 100);
        const header = new DataView(chunk.buffer);
        header.setUint8(0, 1);
        header.setUint32(1, 4242);
        header.setUint32(5, seq);
        files.send(chunk);
      }
      files.send(JSON.stringify({ k: 'done', id: 4242, digest: '00'.repeat(32) }));
      while (files.bufferedAmount > 0) await new Promise((r) => setTimeout(r, 10));
    }, fileName);
    const lyingTransfer = victim.page.locator('li.transfer').filter({ hasText: '.png' });
    await expect(lyingTransfer).toHaveAttribute('data-state', /failed|cancelled/);
    await expect(lyingTransfer.getByTestId('file-name')).toHaveText(fileName);
    await expect(victim.page.getByRole('link', { name: /^Download/ })).toHaveCount(0);
    await expect(victim.page.locator('.transfers img')).toHaveCount(0);

    // Ordinary chat continues both ways; markup the real app sends is shown as text.
    const markup = '<img src=x onerror="window.__pwned=1"><b>still here?</b>';
    await attacker.send(markup);
    await expect(victim.peerMessages()).toHaveCount(1);
    expect(await victim.messageText(victim.peerMessages().last())).toBe(markup);
    await expect(victim.messageLog.locator('img, script, b')).toHaveCount(0);
    expect(await victim.page.evaluate(() => (window as any).__pwned)).toBeUndefined();
    await victim.send('yes, unharmed');
    await expect(attacker.peerMessages().last()).toContainText('yes, unharmed');
    // The lying acks marked nothing in advance: this message was delivered by a real receipt.
    await expect(victim.myMessages().last()).toHaveAttribute('data-delivery', 'delivered');
  });
});

test.describe('A man in the middle', () => {
  test('a relay between the two links works, and the safety codes expose it', async ({ browser }) => {
    test.setTimeout(60_000);
    // Alice invites Bob, but the link passes through Mallory, who answers Alice herself and sends
    // Bob an invite of her own, relaying every message.
    const alice = await TinCanPage.launch(browser);
    const bob = await TinCanPage.launch(browser);
    const malloryContext = await TinCanPage.newContext(browser);
    const malloryToAlice = await TinCanPage.openIn(malloryContext);
    const malloryToBob = await TinCanPage.openIn(malloryContext);

    const aliceInvite = await alice.createInvite();
    const malloryAnswer = await malloryToAlice.openInvite(aliceInvite);
    const malloryInvite = await malloryToBob.createInvite();
    const bobAnswer = await bob.openInvite(malloryInvite);
    await malloryToBob.acceptAnswer(codeOf(bobAnswer));
    await alice.acceptAnswer(codeOf(malloryAnswer));
    for (const app of [alice, bob, malloryToAlice, malloryToBob]) await app.expectConnected();

    // The chat "works": Mallory relays in both directions.
    await alice.send('hi Bob, it is Alice');
    await expect(malloryToAlice.peerMessages().last()).toContainText('hi Bob, it is Alice');
    await malloryToBob.send('hi Bob, it is Alice');
    await expect(bob.peerMessages().last()).toContainText('hi Bob, it is Alice');
    await bob.send('hi Alice');
    await expect(malloryToBob.peerMessages().last()).toContainText('hi Alice');
    await malloryToAlice.send('hi Alice');
    await expect(alice.peerMessages().last()).toContainText('hi Alice');

    // Each leg has matching codes (that is what Mallory sees), but Alice's and Bob's differ.
    const aliceCode = await alice.safetyCode();
    const bobCode = await bob.safetyCode();
    expect(aliceCode).toMatch(SAFETY_CODE);
    expect(bobCode).toMatch(SAFETY_CODE);
    expect(await malloryToAlice.safetyCode()).toBe(aliceCode);
    expect(await malloryToBob.safetyCode()).toBe(bobCode);
    expect(aliceCode, 'the safety code exposes the relay').not.toBe(bobCode);

    // Without Mallory the two codes match.
    const direct = await connectPair(browser);
    expect(await direct.inviter.safetyCode()).toBe(await direct.invitee.safetyCode());
  });
});

test.describe('The page itself', () => {
  test('a Content-Security-Policy pins the loader, refuses injected script and allows no other origin', async ({
    browser,
  }) => {
    const context = await TinCanPage.newContext(browser);
    await context.addInitScript(() => {
      (window as any).__violations = [];
      document.addEventListener('securitypolicyviolation', (event) =>
        (window as any).__violations.push(`${event.violatedDirective} ${event.blockedURI}`));
    });
    const app = await TinCanPage.openIn(context);

    const policy = await app.page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(policy).toContain("default-src 'none'");
    expect(policy).toMatch(/script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(policy).not.toMatch(/unsafe-inline|https?:|\*/);

    // The app runs under the policy without a single violation...
    await app.createInvite();
    expect(await app.page.evaluate(() => (window as any).__violations)).toEqual([]);

    // ...and script injected into the page is refused.
    await app.page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true';
      document.body.append(script);
    });
    await expect.poll(() => app.page.evaluate(() => (window as any).__violations.length)).toBeGreaterThan(0);
    expect(await app.page.evaluate(() => (window as any).__injected)).toBeUndefined();
  });
});
