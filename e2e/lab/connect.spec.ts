import { SAFETY_CODE, expectCompact, type TinCanPage } from '../pages/tincan-page';
import {
  test,
  expect,
  candidateLines,
  connectInLab,
  connectedPeer,
  ipv4Addresses,
  openTinCan,
  peerFacts,
  PRIVATE_AND_NAT_ADDRESSES,
  PUBLIC_ADDRESS,
  RELAY_ADDRESS,
  RELAY_ONLY,
  STUN_AND_TURN,
  STUN_ONLY,
} from './lab';

// Issue #13, cases 1, 3 and 4: Tin Can across two NAT routers, driven only through its UI, one
// Chromium in each host namespace (tcl-a invites, tcl-b answers). Host candidates are mDNS
// names that never resolve across the two LANs, as on the internet.

async function chatBothWays(a: TinCanPage, b: TinCanPage, tag: string): Promise<void> {
  await a.send(`hello from A (${tag})`);
  await expect(b.peerMessages().last()).toContainText(`hello from A (${tag})`);
  await b.send(`hello from B (${tag})`);
  await expect(a.peerMessages().last()).toContainText(`hello from B (${tag})`);
  await expect(a.myMessages().last()).toHaveAttribute('data-delivery', 'delivered');
  await expect(b.myMessages().last()).toHaveAttribute('data-delivery', 'delivered');
}

async function expectEqualSafetyCodes(a: TinCanPage, b: TinCanPage): Promise<void> {
  const codeA = await a.safetyCode();
  expect(codeA).toMatch(SAFETY_CODE);
  expect(await b.safetyCode()).toBe(codeA);
}

test('case 1: cone NATs + STUN: Tin Can connects directly (srflx), chats both ways, equal safety codes', async ({ lab }) => {
  const a = await openTinCan(lab, 'a', STUN_ONLY);
  const b = await openTinCan(lab, 'b', STUN_ONLY);
  const links = await connectInLab(a, b);
  // With a srflx candidate, m=/c= name it: the links must still be compact (issue #14).
  expectCompact(links.inviteLink, 'the invite link (host + srflx)');
  expectCompact(links.answerLink, 'the answer link (host + srflx)');
  await chatBothWays(a, b, 'cone');
  await expectEqualSafetyCodes(a, b);

  const pairA = (await connectedPeer(a.page)).selected;
  const pairB = (await connectedPeer(b.page)).selected;
  expect(pairA?.remote, 'A reaches B at B\'s router: direct, no relay').toMatchObject({ type: 'srflx', address: PUBLIC_ADDRESS.b });
  expect(pairB?.remote, 'B reaches A at A\'s router: direct, no relay').toMatchObject({ type: 'srflx', address: PUBLIC_ADDRESS.a });
});

test('case 3: symmetric NATs + TURN: Tin Can connects through the relay and chats', async ({ lab }) => {
  await lab.nat('symmetric');
  const a = await openTinCan(lab, 'a', STUN_AND_TURN);
  const b = await openTinCan(lab, 'b', STUN_AND_TURN);
  const links = await connectInLab(a, b);
  expectCompact(links.inviteLink, 'the invite link (host + srflx + relay)');
  expectCompact(links.answerLink, 'the answer link (host + srflx + relay)');
  await chatBothWays(a, b, 'symmetric');
  await expectEqualSafetyCodes(a, b);

  for (const [name, app] of [['A', a], ['B', b]] as const) {
    const pair = (await connectedPeer(app.page)).selected;
    expect(
      [pair?.local?.type, pair?.remote?.type],
      `${name}'s selected pair goes through the relay: ${JSON.stringify(pair)}`,
    ).toContain('relay');
  }
});

test('case 4: relay only: the links carry only relay candidates, no address of a host or router', async ({ lab }) => {
  const a = await openTinCan(lab, 'a', RELAY_ONLY);
  const b = await openTinCan(lab, 'b', RELAY_ONLY);
  const links = await connectInLab(a, b);
  expectCompact(links.inviteLink, 'the invite link (relay only)');
  expectCompact(links.answerLink, 'the answer link (relay only)');
  await chatBothWays(a, b, 'relay only');

  // B's remote description is the SDP B rebuilt from A's invite link; A's is the one A rebuilt
  // from B's answer link. Whatever a link carries is in them.
  for (const [name, app, link] of [['invite (rebuilt by B)', b, 'invite'], ['answer (rebuilt by A)', a, 'answer']] as const) {
    const peer = await connectedPeer(app.page);
    const sdp = peer.remoteSdp ?? '';
    const candidates = candidateLines(sdp);
    expect(candidates.length, `the ${link} link carries candidates`).toBeGreaterThan(0);
    for (const line of candidates) expect(line, `the ${name} carries only relay candidates`).toMatch(/ typ relay\b/);
    const leaked = ipv4Addresses(sdp).filter((ip) => PRIVATE_AND_NAT_ADDRESSES.includes(ip));
    expect(leaked, `no host or router address in the ${name}:\n${sdp}`).toEqual([]);
    expect(ipv4Addresses(sdp), `the ${name} names the relay`).toContain(RELAY_ADDRESS);
    expect(peer.selected?.local?.type, `${name}: the local end is the relay`).toBe('relay');
  }
  // Every connection that gathered candidates was relay-only. (The app's warm-up connection at
  // start-up never sets a description, so it gathers nothing: web/peer.rs's warm_up.)
  for (const app of [a, b]) {
    const gathering = (await peerFacts(app.page)).filter((peer) => peer.localSdp !== null);
    expect(gathering.length).toBeGreaterThan(0);
    for (const peer of gathering) expect(peer.iceTransportPolicy).toBe('relay');
  }
});
