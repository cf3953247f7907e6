import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { FilesPanel, hashList } from '../pages/files';
import { codeOf } from '../pages/tincan-page';
import {
  test,
  expect,
  connectInLab,
  connectedPeer,
  openFirefoxTinCan,
  openTinCan,
  RELAY_ADDRESS,
  STUN_AND_TURN,
  STUN_ONLY,
} from './lab';

// Issue #13, cases 6 and 7: a lossy, slow router, and Chromium <-> Firefox ESR through TURN.
// Driven only through the UI; tcl-a invites, tcl-b answers.

const MiB = 1024 * 1024;

test('case 6: 5% loss and 100 ms delay on a router: a 16 MiB file arrives verified, messages in order', async ({ lab }, testInfo) => {
  test.setTimeout(480_000);
  const a = await openTinCan(lab, 'a', STUN_ONLY);
  const b = await openTinCan(lab, 'b', STUN_ONLY);
  await connectInLab(a, b);
  // Impaired after connecting: loss during the link exchange is the late-answer case's business.
  // One netem qdisc on B's router, on its LAN side: every packet of the file towards B is delayed
  // 100 ms and 5% are lost. natlab.sh says how (tc netem, or iptables + a delay queue where the
  // kernel has no netem). The transport's congestion control bounds the rate, whoever sends:
  // about 1.22 * MSS / (RTT * sqrt(loss)) = 1.22 * 1200 B / (0.1 s * 0.224), some 65 KB/s.
  console.log(await lab.netem('b', 'loss 5% delay 100ms', 'to-host'));

  const data = randomBytes(16 * MiB);
  const path = testInfo.outputPath('lossy-16MiB.bin');
  await writeFile(path, data);
  const sender = new FilesPanel(a);
  const receiver = new FilesPanel(b);
  const started = Date.now();
  await sender.attach(path);

  // Chat goes on while the file crosses the lossy path, both ways, and stays in order.
  const fromA = Array.from({ length: 10 }, (_, i) => `lossy A ${i}`);
  const fromB = Array.from({ length: 10 }, (_, i) => `lossy B ${i}`);
  for (let i = 0; i < 10; i++) {
    await a.send(fromA[i]);
    await b.send(fromB[i]);
  }
  await expect(b.peerMessages()).toHaveCount(10, { timeout: 60_000 });
  await expect(a.peerMessages()).toHaveCount(10, { timeout: 60_000 });
  expect(await b.peerMessages().locator('.text').allTextContents()).toEqual(fromA);
  expect(await a.peerMessages().locator('.text').allTextContents()).toEqual(fromB);

  await receiver.expectReceived('lossy-16MiB.bin', { timeout: 420_000 });
  const seconds = (Date.now() - started) / 1000;
  console.log(`16 MiB through 5% loss + 100 ms delay: ${seconds.toFixed(1)} s (${((16 * 1024) / seconds).toFixed(0)} KiB/s)`);
  await expect(receiver.checksum('lossy-16MiB.bin')).toHaveText(hashList(data));
  expect((await receiver.download('lossy-16MiB.bin')).sha256).toBe(createHash('sha256').update(data).digest('hex'));
  await expect(sender.transfer('lossy-16MiB.bin')).toContainText('Verified by the other browser');
  await expect(a.myMessages().last()).toHaveAttribute('data-delivery', 'delivered');
  await expect(b.myMessages().last()).toHaveAttribute('data-delivery', 'delivered');
});

test('case 7: Chromium and Firefox ESR through TURN, behind symmetric NATs: they connect through the relay and chat', async ({ lab }) => {
  test.setTimeout(120_000);
  await lab.nat('symmetric');
  const chromium = await openTinCan(lab, 'a', STUN_AND_TURN);
  const firefox = await openFirefoxTinCan(lab, 'b', STUN_AND_TURN);

  const answer = await firefox.openInvite(await chromium.createInvite());
  await chromium.acceptAnswer(codeOf(answer));
  await chromium.expectStatus('Connected', { timeout: 30_000 });
  await firefox.waitForConnected(30_000);

  await chromium.send('hello Firefox, through the relay');
  expect(await firefox.waitForMessages('peer', 1)).toEqual(['hello Firefox, through the relay']);
  await firefox.send('hello Chromium, through the relay');
  await expect(chromium.peerMessages().last()).toContainText('hello Chromium, through the relay');
  await expect(chromium.myMessages().last()).toHaveAttribute('data-delivery', 'delivered');
  expect(await firefox.safetyCode()).toBe(await chromium.safetyCode());

  // No direct path exists between symmetric NATs: both browsers' selected pairs use the relay.
  const pair = (await connectedPeer(chromium.page)).selected;
  expect([pair?.local?.type, pair?.remote?.type], `Chromium's pair: ${JSON.stringify(pair)}`).toContain('relay');
  const firefoxPair = (await connectedPeer(firefox.page, 15_000)).selected;
  expect([firefoxPair?.local?.type, firefoxPair?.remote?.type], `Firefox's pair: ${JSON.stringify(firefoxPair)}`).toContain('relay');
  await expect(chromium.connectionPath).toContainText(`Through a relay: ${RELAY_ADDRESS}`);
});

test('case 1 with Firefox: Chromium invites Firefox behind cone NATs, with STUN: a direct path', async ({ lab }) => {
  test.setTimeout(90_000);
  const chromium = await openTinCan(lab, 'a', STUN_ONLY);
  const firefox = await openFirefoxTinCan(lab, 'b', STUN_ONLY);
  await chromium.acceptAnswer(codeOf(await firefox.openInvite(await chromium.createInvite())));
  await chromium.expectStatus('Connected', { timeout: 30_000 });
  await firefox.waitForConnected(30_000);
  await firefox.send('direct from Firefox');
  await expect(chromium.peerMessages().last()).toContainText('direct from Firefox');
  const pair = (await connectedPeer(chromium.page)).selected;
  expect(pair?.remote?.type, `Chromium reaches Firefox at its router: ${JSON.stringify(pair)}`).toMatch(/srflx|prflx/);
});
