import {
  test,
  expect,
  connectedPeer,
  openPlainPage,
  peerFacts,
  plainExchange,
  plainMessage,
  rtcConfiguration,
  PUBLIC_ADDRESS,
  RELAY_ADDRESS,
  STUN_AND_TURN,
  STUN_ONLY,
  type Lab,
} from './lab';

// The lab itself, proven with plain-JS pages (no app), one Chromium in each host namespace: the
// NATs behave as the app's tests assume. If one of these fails, an app test that fails in the
// lab says nothing about the app.

async function plainPair(lab: Lab) {
  const inviter = await openPlainPage(await lab.launchChromium('a'));
  const invitee = await openPlainPage(await lab.launchChromium('b'));
  return { inviter, invitee };
}

test('cone NATs + STUN: two plain pages connect directly, each seeing the other router\'s public address', async ({ lab }) => {
  const { inviter, invitee } = await plainPair(lab);
  const exchange = await plainExchange(inviter, invitee, rtcConfiguration(STUN_ONLY), 15_000);
  expect(exchange.connected, 'cone NATs with STUN connect').toBe(true);
  await plainMessage(inviter, invitee, 'hello b');
  await plainMessage(invitee, inviter, 'hello a');

  const a = await connectedPeer(inviter);
  const b = await connectedPeer(invitee);
  // Host candidates are mDNS names that never resolve across the two LANs: the path is srflx.
  expect(a.selected?.remote, 'A reaches B at B\'s router').toMatchObject({ type: 'srflx', address: PUBLIC_ADDRESS.b });
  expect(b.selected?.remote, 'B reaches A at A\'s router').toMatchObject({ type: 'srflx', address: PUBLIC_ADDRESS.a });
});

test('symmetric NATs + STUN only: two plain pages cannot connect', async ({ lab }) => {
  await lab.nat('symmetric');
  const { inviter, invitee } = await plainPair(lab);
  const exchange = await plainExchange(inviter, invitee, rtcConfiguration(STUN_ONLY), 12_000);
  expect(exchange.connected, 'STUN alone must not get through two symmetric NATs').toBe(false);
  const states = (await peerFacts(inviter)).map((p) => p.connectionState);
  expect(states).not.toContain('connected');
});

test('symmetric NATs + TURN: two plain pages connect through the relay', async ({ lab }) => {
  await lab.nat('symmetric');
  const { inviter, invitee } = await plainPair(lab);
  const exchange = await plainExchange(inviter, invitee, rtcConfiguration(STUN_AND_TURN), 15_000);
  expect(exchange.connected, 'TURN gets through two symmetric NATs').toBe(true);
  await plainMessage(inviter, invitee, 'through the relay');

  for (const page of [inviter, invitee]) {
    const pair = (await connectedPeer(page)).selected;
    const relayEnd = [pair?.local, pair?.remote].find((c) => c?.type === 'relay');
    expect(relayEnd, `the selected pair goes through a relay: ${JSON.stringify(pair)}`).toBeTruthy();
    if (pair?.remote?.type === 'relay') expect(pair.remote.address).toBe(RELAY_ADDRESS);
  }
});
