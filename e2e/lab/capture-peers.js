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

  // Firefox throws InvalidStateError for getConfiguration() on a closed connection: then the
  // policy it was made with.
  function policy(pc) {
    try {
      return pc.getConfiguration().iceTransportPolicy;
    } catch {
      return pc.__tincanMadeWithPolicy;
    }
  }

  window.__tincanPeerFacts = async () =>
    Promise.all(
      peers.map(async (pc) => ({
        connectionState: pc.connectionState,
        iceConnectionState: pc.iceConnectionState,
        iceTransportPolicy: policy(pc),
        localSdp: pc.localDescription?.sdp ?? null,
        remoteSdp: pc.remoteDescription?.sdp ?? null,
        selected: pc.connectionState === 'closed' ? null : await selectedPair(pc).catch(() => null),
      })),
    );
})();
