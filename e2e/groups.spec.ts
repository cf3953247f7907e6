import { test, expect } from './fixtures';
import { createHash, randomBytes } from 'node:crypto';
import { FilesPanel, hashList } from './pages/files';
import { type GroupMember, namedPair, openNamed } from './pages/group';
import { LINK, codeOf } from './pages/tincan-page';

/** Every ordered pair's safety code: `x` with `y` equals `y` with `x`; returns the codes by pair. */
async function expectMatchingCodes(members: GroupMember[]): Promise<Map<string, [string, string]>> {
  const codes = new Map<string, [string, string]>();
  for (let i = 0; i < members.length; i++) {
    for (let j = i + 1; j < members.length; j++) {
      const [x, y] = [members[i], members[j]];
      codes.set(`${x.name}-${y.name}`, [await x.safetyCodeWith(y.name), await y.safetyCodeWith(x.name)]);
    }
  }
  return codes;
}

test.describe('Group chats', () => {
  test('three people: one link makes a full mesh; messages, receipts and a safety code per pair', async ({ browser }) => {
    const [ann, bob] = await namedPair(browser);
    const cat = await ann.add(await openNamed(browser, 'Cat'), 'Cat');

    // Bob and Cat never exchanged a link: the group introduced them.
    for (const member of [ann, bob, cat]) await member.expectFullMesh(3);
    await expect(cat.memberNamed('Bob')).toContainText('added by Ann');

    await ann.send('hello group');
    for (const member of [bob, cat]) {
      await expect(member.messagesBy('Ann')).toHaveCount(1);
      await expect(member.messagesBy('Ann').first()).toContainText('hello group');
    }
    await expect(ann.messages().last().getByTestId('group-receipt')).toHaveText('Delivered to 2 of 2');

    await cat.send('hi from Cat');
    await bob.send('and Bob');
    for (const member of [ann, bob, cat]) {
      await expect(member.messages()).toHaveCount(3);
      await expect(member.messages().nth(0)).toContainText('hello group');
    }
    await expect(ann.messagesBy('Cat')).toContainText('hi from Cat');
    await expect(cat.messagesBy('Bob')).toContainText('and Bob');
    await expect(bob.messages().last().getByTestId('group-receipt')).toHaveText('Delivered to 2 of 2');
    await expect(cat.messages().nth(1).getByTestId('group-receipt')).toHaveText('Delivered to 2 of 2');

    // Each pair sees one code, and no two pairs share one.
    const codes = await expectMatchingCodes([ann, bob, cat]);
    for (const [pair, [mine, theirs]] of codes) expect(theirs, `both ends of ${pair} show the same code`).toBe(mine);
    expect(new Set([...codes.values()].map(([code]) => code)).size).toBe(3);
  });

  test('four people: the fourth is added by a member who did not start the group', async ({ browser }) => {
    const [ann, bob] = await namedPair(browser);
    const cat = await ann.add(await openNamed(browser, 'Cat'), 'Cat');
    for (const member of [ann, bob, cat]) await member.expectFullMesh(3);
    const dan = await bob.add(await openNamed(browser, 'Dan'), 'Dan');

    for (const member of [ann, bob, cat, dan]) await member.expectFullMesh(4);
    await expect(ann.page.getByTestId('group-event').filter({ hasText: 'Bob added Dan' })).toBeVisible();

    await dan.send('Dan here');
    for (const member of [ann, bob, cat]) await expect(member.messagesBy('Dan')).toContainText('Dan here');
    await expect(dan.messages().last().getByTestId('group-receipt')).toHaveText('Delivered to 3 of 3');

    const codes = await expectMatchingCodes([ann, bob, cat, dan]);
    for (const [pair, [mine, theirs]] of codes) expect(theirs, `both ends of ${pair} show the same code`).toBe(mine);
  });

  test('a member reloads and rejoins through a different member: what was written meanwhile arrives once, in order', async ({
    browser,
  }) => {
    const [ann, bob] = await namedPair(browser);
    const cat = await ann.add(await openNamed(browser, 'Cat'), 'Cat');
    for (const member of [ann, bob, cat]) await member.expectFullMesh(3);
    await ann.send('one');
    await expect(cat.messagesBy('Ann')).toHaveCount(1);

    // Cat reloads: both of its connections close. The group comes back from storage,
    // disconnected; Cat writes, and so do Ann and Bob meanwhile.
    await cat.app.reload();
    await expect(cat.page.getByRole('heading', { name: 'Group · 3 people' })).toBeVisible();
    await expect(cat.messages()).toHaveText([/one/]);
    await cat.app.expectStatus('Disconnected');
    await cat.send('written offline');
    for (const member of [ann, bob]) {
      await member.members();
      await expect(member.memberNamed('Cat')).not.toHaveAttribute('data-reach', 'direct');
    }
    await ann.send('two');
    await bob.send('three');
    await ann.send('four');

    // Cat came in through Ann's link; it comes back through Bob's.
    await bob.add(cat.app, 'Cat');
    for (const member of [ann, bob, cat]) await member.expectFullMesh(3);
    // Everything once; each author's messages in the order written.
    await expect(cat.messages()).toHaveText([/one/, /written offline/, /two/, /three/, /four/]);
    for (const member of [ann, bob]) {
      await expect(member.messages()).toHaveCount(5);
      await expect(member.messagesBy('Cat')).toHaveText([/written offline/]);
      if (member === bob) await expect(member.messagesBy('Ann')).toHaveText([/one/, /two/, /four/]);
    }
    await expect(ann.messages().filter({ hasText: 'four' }).getByTestId('group-receipt')).toHaveText('Delivered to 2 of 2');
    await expect(cat.messages().filter({ hasText: 'written offline' }).getByTestId('group-receipt')).toHaveText('Delivered to 2 of 2');

    await cat.send('back');
    for (const member of [ann, bob]) {
      await expect(member.messagesBy('Cat')).toHaveCount(2);
      await expect(member.messages()).toHaveCount(6);
    }
  });

  test('a member who reloaded presses Reconnect; any member live in the group answers its link; a stranger’s link is turned away', async ({
    browser,
  }) => {
    const [ann, bob] = await namedPair(browser);
    const cat = await ann.add(await openNamed(browser, 'Cat'), 'Cat');
    for (const member of [ann, bob, cat]) await member.expectFullMesh(3);
    await cat.app.reload();
    await cat.app.expectStatus('Disconnected');
    await cat.send('while away');

    // Cat's Reconnect link goes to Ann by default, but Bob opens it, in his tab with the live group.
    const link = await cat.app.reconnect();
    await bob.app.visit(link);
    const answerBox = bob.page.locator('#add-person-answer-link');
    await expect(answerBox).toHaveValue(LINK);
    await expect(bob.page.getByRole('alert')).toHaveCount(0);
    await cat.app.acceptAnswer(codeOf(await answerBox.inputValue()));
    await cat.app.expectConnected();
    await expect(bob.page.getByTestId('add-person')).toBeHidden();
    for (const member of [ann, bob, cat]) await member.expectFullMesh(3);
    for (const member of [ann, bob]) await expect(member.messagesBy('Cat')).toHaveText([/while away/]);
    await ann.send('welcome back');
    await expect(cat.messagesBy('Ann')).toHaveText([/welcome back/]);

    // Someone who is not a member: their invite is answered, but their hello is refused.
    const dan = await openNamed(browser, 'Dan');
    await bob.app.visit(await dan.createInvite());
    await expect(answerBox).toHaveValue(LINK);
    await dan.acceptAnswer(codeOf(await answerBox.inputValue()));
    await expect(bob.page.getByTestId('add-person').getByRole('alert')).toContainText('not from a member of this group');
    await expect(bob.page.getByRole('heading', { name: 'Group · 3 people' })).toBeVisible();
    await expect(dan.page.getByRole('heading', { name: /Group/ })).toHaveCount(0);
    await bob.send('still three');
    for (const member of [ann, cat]) await expect(member.messagesBy('Bob')).toHaveText([/still three/]);
  });

  test('typing notices name who is typing', async ({ browser }) => {
    const [ann, bob] = await namedPair(browser);
    const cat = await ann.add(await openNamed(browser, 'Cat'), 'Cat');
    for (const member of [ann, bob, cat]) await member.expectFullMesh(3);
    await cat.app.messageBox.pressSequentially('hel');
    for (const member of [ann, bob]) await expect(member.page.getByTestId('group-typing')).toHaveText('Cat is typing…');
    await bob.app.messageBox.pressSequentially('hm');
    await expect(ann.page.getByTestId('group-typing')).toHaveText('Bob and Cat are typing…');
    await cat.app.messageBox.press('Enter');
    await expect(ann.page.getByTestId('group-typing')).toHaveText('Bob is typing…');
  });

  test('the one who started it leaves: the others see it and carry on between themselves', async ({ browser }) => {
    const [ann, bob] = await namedPair(browser);
    const cat = await ann.add(await openNamed(browser, 'Cat'), 'Cat');
    for (const member of [ann, bob, cat]) await member.expectFullMesh(3);

    // Ann is the peer of Bob's and Cat's first connection: their chat goes on over the
    // connection the group made between them.
    await ann.leaveButton.click();
    await expect(ann.app.createInviteButton).toBeVisible();
    for (const member of [bob, cat]) {
      await expect(member.page.getByTestId('group-event').filter({ hasText: 'Ann left the group' })).toBeVisible();
      await expect(member.page.getByRole('heading', { name: 'Group · 2 people' })).toBeVisible();
      await member.app.expectStatus('Connected');
    }
    await bob.send('still here?');
    await expect(cat.messagesBy('Bob')).toContainText('still here?');
    await expect(bob.messages().last().getByTestId('group-receipt')).toHaveText('Delivered to 1 of 1');
  });

  test('two members who cannot connect directly: messages go through a member both reach, and the list says so', async ({
    browser,
  }) => {
    test.setTimeout(90_000);
    const [ann, bob] = await namedPair(browser);
    // Ann relays Bob's and Cat's offer and answer without their candidates: like two strict
    // NATs with no relay, the pair has no path, and its introduction runs out (30 s).
    await ann.relayWithoutCandidates();
    const cat = await ann.add(await openNamed(browser, 'Cat'), 'Cat');
    await bob.members();
    await expect(bob.memberNamed('Cat')).toHaveAttribute('data-reach', 'via');
    await expect(bob.memberNamed('Ann')).toHaveAttribute('data-reach', 'direct');

    // Meanwhile, and after the introduction gave up, messages pass through Ann.
    await bob.send('via Ann');
    await expect(cat.messagesBy('Bob')).toContainText('via Ann');
    await expect(bob.messages().last().getByTestId('group-receipt')).toHaveText('Delivered to 2 of 2');
    await expect(bob.memberNamed('Cat')).toHaveAttribute('data-introduction', 'failed', { timeout: 45_000 });
    await expect(bob.memberNamed('Cat')).toContainText('Through Ann');
    await cat.members();
    await expect(cat.memberNamed('Bob')).toContainText('Through Ann');
    await expect(cat.memberNamed('Bob').getByTestId('member-safety-code')).toHaveCount(0);
    await cat.send('and back');
    await expect(bob.messagesBy('Cat')).toContainText('and back');
    await expect(cat.messages().last().getByTestId('group-receipt')).toHaveText('Delivered to 2 of 2');

    // A file needs a direct connection: it goes to Ann, and Bob's list says why not to Cat.
    const bobFiles = new FilesPanel(bob.app);
    await bobFiles.attach([{ name: 'plan.txt', mimeType: 'text/plain', buffer: Buffer.from('the plan') }]);
    const toCat = bobFiles.transfer('plan.txt').and(bob.page.locator('[data-peer="Cat"]'));
    await expect(toCat).toHaveAttribute('data-state', 'failed');
    await expect(toCat).toContainText('Not sent to Cat: files need a direct connection');
    await new FilesPanel(ann.app).expectReceived('plan.txt');
    await expect(bobFiles.transfer('plan.txt').and(bob.page.locator('[data-peer="Ann"]'))).toContainText('Verified by Ann');
    await expect(new FilesPanel(cat.app).transfers()).toHaveCount(0);
  });

  test('a file to the group reaches every member, each checks it, and the sender sees who did', async ({ browser }) => {
    const [ann, bob] = await namedPair(browser);
    const cat = await ann.add(await openNamed(browser, 'Cat'), 'Cat');
    for (const member of [ann, bob, cat]) await member.expectFullMesh(3);
    // Bob's file goes to Ann on the chat's first connection and to Cat on one the group made;
    // Ann's goes to Cat on her Add person connection.
    const sent = [
      { from: bob, to: [ann, cat], file: { name: 'photo.bin', mimeType: 'application/octet-stream', buffer: randomBytes(700 * 1024) } },
      { from: ann, to: [bob, cat], file: { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('group notes\n'.repeat(5000)) } },
    ];
    for (const { from, to, file } of sent) {
      const panel = new FilesPanel(from.app);
      await panel.attach([file]);
      for (const member of to) {
        const received = new FilesPanel(member.app);
        await received.expectReceived(file.name, { timeout: 20_000 });
        await expect(received.transfer(file.name).getByTestId('file-peer')).toHaveText(`from ${from.name}`);
        await expect(received.checksum(file.name)).toHaveText(hashList(file.buffer));
        const saved = await received.download(file.name);
        expect(saved.sha256, `${member.name} saved ${file.name} intact`).toBe(createHash('sha256').update(file.buffer).digest('hex'));
        const row = panel.transfer(file.name).and(from.page.locator(`[data-peer="${member.name}"]`));
        await expect(row.getByTestId('file-peer')).toHaveText(`to ${member.name}`);
        await expect(row).toContainText(`Sent · Verified by ${member.name}`);
      }
      await expect(panel.transfer(file.name)).toHaveCount(2);
    }
    // Messages carry on beside the files.
    await cat.send('got both');
    for (const member of [ann, bob]) await expect(member.messagesBy('Cat')).toContainText('got both');
  });

  test('an introducer that sits in the middle of an introduction: only that pair’s codes differ', async ({ browser }) => {
    const [ann, bob] = await namedPair(browser);
    // Ann's app relays Bob's and Cat's offer and answer. This script in Ann's page swaps both
    // for connections of its own and passes the data between them: a man in the middle.
    await ann.page.evaluate(() => {
      const w = window as unknown as { __relayed: number; __mitm: Record<string, { toOfferer: RTCPeerConnection; toAnswerer: RTCPeerConnection }> };
      w.__relayed = 0;
      w.__mitm = {};
      const send = RTCDataChannel.prototype.send;
      const gathered = (pc: RTCPeerConnection) =>
        new Promise<void>((resolve) => {
          if (pc.iceGatheringState === 'complete') return resolve();
          pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
        });
      const bridge = (from: RTCDataChannel, to: RTCDataChannel) => {
        const queue: string[] = [];
        to.addEventListener('open', () => queue.splice(0).forEach((m) => send.call(to, m)));
        from.addEventListener('message', (e) => (to.readyState === 'open' ? send.call(to, e.data) : queue.push(e.data)));
      };
      RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: unknown) {
        let frame: { k?: string; pair?: string[]; offer?: boolean; sdp?: string } | null = null;
        try {
          frame = typeof data === 'string' ? JSON.parse(data) : null;
        } catch {}
        if (!frame || frame.k !== 'group_signal') return send.call(this, data as string);
        const channel = this;
        const key = (frame.pair ?? []).join('|');
        void (async () => {
          if (frame.offer) {
            const toOfferer = new RTCPeerConnection();
            const toAnswerer = new RTCPeerConnection();
            const options = { negotiated: true, id: 0, ordered: true };
            const a = toOfferer.createDataChannel('chat', options);
            const b = toAnswerer.createDataChannel('chat', options);
            bridge(a, b);
            bridge(b, a);
            w.__mitm[key] = { toOfferer, toAnswerer };
            await toOfferer.setRemoteDescription({ type: 'offer', sdp: frame.sdp });
            await toOfferer.setLocalDescription(await toOfferer.createAnswer());
            await toAnswerer.setLocalDescription(await toAnswerer.createOffer());
            await Promise.all([gathered(toOfferer), gathered(toAnswerer)]);
            send.call(channel, JSON.stringify({ ...frame, sdp: toAnswerer.localDescription?.sdp }));
          } else {
            const { toOfferer, toAnswerer } = w.__mitm[key];
            await toAnswerer.setRemoteDescription({ type: 'answer', sdp: frame.sdp });
            send.call(channel, JSON.stringify({ ...frame, sdp: toOfferer.localDescription?.sdp }));
            w.__relayed++;
          }
        })();
      };
    });
    const cat = await ann.add(await openNamed(browser, 'Cat'), 'Cat');
    // Bob and Cat believe they are connected directly: the middle passes their frames on.
    for (const member of [ann, bob, cat]) await member.expectFullMesh(3);
    expect(await ann.page.evaluate(() => (window as unknown as { __relayed: number }).__relayed)).toBe(1);
    await bob.send('through the middle');
    await expect(cat.messagesBy('Bob')).toContainText('through the middle');

    const codes = await expectMatchingCodes([ann, bob, cat]);
    const [bobsCode, catsCode] = codes.get('Bob-Cat') ?? [];
    expect(catsCode, 'the tampered pair compares codes and sees the difference').not.toBe(bobsCode);
    for (const pair of ['Ann-Bob', 'Ann-Cat']) {
      const [mine, theirs] = codes.get(pair) ?? [];
      expect(theirs, `the honest pair ${pair} still matches`).toBe(mine);
    }
  });

  // The group's code is a part of the wasm of its own (README, "Shipped size"), fetched when the
  // other side says it can be in a group. These hold or fail that fetch for Bob. His context has
  // no service worker: it would serve the part from its cache.
  const GROUP_PART = /\/tincan-split-group-[^/]*\.wasm$/;
  const NO_WORKER = { contextOptions: { serviceWorkers: 'block' as const } };

  test('the group part arrives late: what the group sent meanwhile waits, then is applied in order', async ({ browser }) => {
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const asked: string[] = [];
    const [ann, bob] = await namedPair(browser, NO_WORKER, async (bob) => {
      await bob.page.route(GROUP_PART, async (route) => {
        asked.push(route.request().url());
        await released;
        await route.continue();
      });
    });
    await expect.poll(() => asked.length, 'Bob asks for the part once Ann says she can be in a group').toBe(1);

    // Ann makes it a group and writes while Bob's part is still on its way.
    const cat = await ann.add(await openNamed(browser, 'Cat'), 'Cat');
    await ann.send('first while Bob loads');
    await ann.send('second while Bob loads');
    await expect(bob.page.getByRole('heading', { name: /^Group/ })).toHaveCount(0);
    await bob.app.expectStatus('Connected');

    release();
    for (const member of [ann, bob, cat]) await member.expectFullMesh(3);
    await expect(bob.messagesBy('Ann')).toHaveText([/first while Bob loads/, /second while Bob loads/]);
    await bob.send('here now');
    for (const member of [ann, cat]) await expect(member.messagesBy('Bob')).toHaveText([/here now/]);
    expect(asked, 'one fetch').toHaveLength(1);
  });

  test('the group part cannot be fetched: a clear message, the chat goes on, and the next group frame loads it', async ({
    browser,
  }) => {
    const [ann, bob] = await namedPair(browser, NO_WORKER, async (bob) => {
      await bob.page.route(GROUP_PART, (route) => route.abort('internetdisconnected'));
    });
    await ann.addPersonButton.click();
    await expect(ann.page.locator('#add-person-link')).toHaveValue(LINK);
    await ann.send('lost on the way');
    const problem = bob.page.getByRole('alert').filter({ hasText: "The group's part of Tin Can could not be loaded" });
    await expect(problem).toBeVisible();
    await bob.app.expectStatus('Connected');

    await bob.page.unroute(GROUP_PART);
    await ann.send('after the network came back');
    await expect(bob.page.getByRole('heading', { name: 'Group · 2 people' })).toBeVisible();
    await expect(bob.messagesBy('Ann')).toHaveText([/lost on the way/, /after the network came back/]);
    await expect(problem).toHaveCount(0);
  });
});
