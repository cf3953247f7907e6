// Installed in a page before its scripts run (Playwright's addInitScript, puppeteer's
// evaluateOnNewDocument, or an addScriptTag before any connection is made): records every
// RTCPeerConnection the page makes in window.__tincanPeers, and window.__tincanPeerFacts()
// returns what the lab tests check of each: states, both descriptions, and the candidates of
// the pair ICE selected. The app's code calls `new RTCPeerConnection` by its global name, so a
// subclass put in its place sees every connection; instances stay instanceof the original.
'use strict';
(() => {
  if (window.__tincanPeers) return;
  const peers = [];
  window.__tincanPeers = peers;
  const Original = window.RTCPeerConnection;
  class RecordedPeerConnection extends Original {
    constructor(...args) {
      super(...args);
      this.__tincanMadeWithPolicy = args[0]?.iceTransportPolicy ?? 'all';
      peers.push(this);
    }
  }
  window.RTCPeerConnection = RecordedPeerConnection;

  function candidate(stats, id) {
    const c = id && stats.get(id);
    if (!c) return null;
    return {
      type: c.candidateType,
      address: c.address ?? c.ip ?? null,
      port: c.port ?? null,
      protocol: c.protocol ?? null,
      relayProtocol: c.relayProtocol ?? null,
    };
  }

  // The selected pair: Chromium names it on the transport; Firefox marks the pair `selected`.
  async function selectedPair(pc) {
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId) ?? pair;
    });
    if (!pair) {
      stats.forEach((s) => {
        if (s.type === 'candidate-pair' && s.selected) pair = s;
      });
    }
    if (!pair) return null;
    return {
      state: pair.state,
      local: candidate(stats, pair.localCandidateId),
      remote: candidate(stats, pair.remoteCandidateId),
    };
  }

  // Firefox throws InvalidStateError from several members of a closed connection
  // (getConfiguration(), and others): each fact is read on its own, with a fallback.
  function read(get, fallback) {
    try {
      return get();
    } catch {
      return fallback;
    }
  }

  window.__tincanPeerFacts = async () =>
    Promise.all(
      peers.map(async (pc) => ({
        connectionState: read(() => pc.connectionState, 'closed'),
        iceConnectionState: read(() => pc.iceConnectionState, 'closed'),
        iceTransportPolicy: read(() => pc.getConfiguration().iceTransportPolicy, pc.__tincanMadeWithPolicy),
        localSdp: read(() => pc.localDescription?.sdp ?? null, null),
        remoteSdp: read(() => pc.remoteDescription?.sdp ?? null, null),
        selected: read(() => pc.connectionState, 'closed') === 'closed' ? null : await selectedPair(pc).catch(() => null),
      })),
    );
})();
