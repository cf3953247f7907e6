import { CallPanel, recordMedia, type MediaStats } from '../pages/call';
import { test, expect, connectInLab, connectedPeer, openTinCan, RELAY_ADDRESS, STUN_AND_TURN } from './lab';

// Issue #20 in the NAT lab: a call between two homes whose NATs leave no direct path, so every
// packet of the chat and of the call goes through the lab's TURN relay. The call is negotiated
// over the chat channel and its media share the chat's DTLS transport (one bundle), so it takes
// the relayed path the chat already has: no new link, no new candidates to exchange.

/** Chromium's fake camera (a moving pattern) and microphone (a beep); every prompt granted. */
const FAKE_MEDIA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

const framesDecoded = (s: MediaStats) => s.videoFramesDecoded;
const audioPackets = (s: MediaStats) => s.audioPacketsReceived;

test('a video call through the TURN relay (symmetric NATs): media both ways, then the chat goes on', async ({ lab }) => {
  test.setTimeout(120_000);
  await lab.nat('symmetric');
  const options = { chromiumArgs: FAKE_MEDIA, beforeLoad: (context: Parameters<typeof recordMedia>[0]) => recordMedia(context) };
  const a = await openTinCan(lab, 'a', STUN_AND_TURN, options);
  const b = await openTinCan(lab, 'b', STUN_AND_TURN, options);
  await connectInLab(a, b);
  for (const app of [a, b]) await expect(app.connectionPath).toHaveAttribute('data-relayed', 'true');

  const [caller, callee] = [new CallPanel(a), new CallPanel(b)];
  await caller.button('Video call').click();
  await callee.expectState('incoming');
  await callee.button('Accept').click();
  await caller.expectState('active');
  await callee.expectState('active');

  // Frames decoded and audio packets received rise on both sides, through the relay.
  for (const side of [caller, callee]) {
    await side.rises(framesDecoded, 10);
    await side.rises(audioPackets, 10);
  }
  for (const app of [a, b]) {
    const peer = await connectedPeer(app.page);
    const types = [peer.selected?.local?.type, peer.selected?.remote?.type];
    expect(types, 'the call runs on a relayed candidate pair').toContain('relay');
    const relayed = [peer.selected?.local, peer.selected?.remote].find((c) => c?.type === 'relay');
    expect(relayed?.address).toBe(RELAY_ADDRESS);
    // One transport: the call added audio and video sections to the chat's connection.
    expect(await new CallPanel(app).mediaSections()).toBe(2);
  }
  expect(await b.safetyCode()).toBe(await a.safetyCode());

  await a.send('talking through the relay');
  await expect(b.peerMessages().last()).toContainText('talking through the relay');

  await callee.button('Hang up').click();
  await caller.expectState('idle');
  for (const side of [caller, callee]) await expect.poll(() => side.trackStates()).not.toContain('live');
  await b.send('still here after the call');
  await expect(a.peerMessages().last()).toContainText('still here after the call');
  await a.expectStatus('Connected');
});
