// Plain-JS WebRTC for the NAT lab: the least a page does to connect two browsers with one data
// channel, with every candidate in the offer and the answer (full gathering, no trickle), as
// Tin Can's links carry them. The lab's smoke test proves the lab with it, and the lab report
// (bench/lab.mjs) times it next to Tin Can. Loaded into a page with addScriptTag; driven through
// window.labRtc with page.evaluate. Runs unchanged in Chromium and Firefox.
'use strict';

window.labRtc = {
  pc: null,
  chat: null,
  /** Resolves to the time (ms, wall clock) the chat channel opened. */
  opened: null,
  received: [],

  now() {
    return performance.timeOrigin + performance.now();
  },

  setup(config) {
    const pc = new RTCPeerConnection(config);
    this.pc = pc;
    this.received = [];
    this.chat = pc.createDataChannel('chat', { negotiated: true, id: 0, ordered: true });
    this.chat.onmessage = (event) => this.received.push(String(event.data));
    this.opened = new Promise((resolve) =>
      this.chat.addEventListener('open', () => resolve(this.now()), { once: true }));
  },

  /** Waits until ICE gathering is complete, at most capMs; true if it completed. */
  gathered(capMs) {
    const pc = this.pc;
    return new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve(true);
      const timer = setTimeout(() => resolve(false), capMs);
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState !== 'complete') return;
        clearTimeout(timer);
        resolve(true);
      });
    });
  },

  /** Inviter: a new connection and its offer with all candidates. */
  async makeOffer(config, capMs = 10000) {
    this.setup(config);
    await this.pc.setLocalDescription(await this.pc.createOffer());
    const complete = await this.gathered(capMs);
    return { complete, sdp: this.pc.localDescription.sdp };
  },

  /** Invitee: takes the offer, returns the answer with all candidates. */
  async acceptOffer(sdp, config, capMs = 10000) {
    this.setup(config);
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    const complete = await this.gathered(capMs);
    return { complete, sdp: this.pc.localDescription.sdp };
  },

  /** Inviter: takes the answer; returns the time it did (the start of "connecting"). */
  async acceptAnswer(sdp) {
    const at = this.now();
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    return at;
  },

  /** The time the chat channel opened, or null if it did not within capMs. */
  async waitOpen(capMs) {
    return Promise.race([this.opened, new Promise((resolve) => setTimeout(() => resolve(null), capMs))]);
  },

  send(text) {
    this.chat.send(text);
  },
};
