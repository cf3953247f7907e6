// Plain-JS reference for the call row of Tin Can's benchmark (bench/call.mjs): the least a page
// has to do for the same in-band call. Connected first (offer and answer handed over by the
// runner, no ICE servers), then on call(): the microphone and camera open, a ring goes over the
// data channel, the other page (auto-accepting) opens its devices, adds its tracks and offers
// over the channel; the caller puts its tracks on the offered transceivers and answers. Timed
// until the caller's <video> shows its first remote frame. No UI, no framework.
'use strict';

const now = () => performance.timeOrigin + performance.now();

const call = {
  pc: null,
  chat: null,
  open: null,
  tracks: [],
  devicesReady: null,

  setup() {
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    this.chat = pc.createDataChannel('chat', { negotiated: true, id: 0, ordered: true });
    this.open = new Promise((resolve) => this.chat.addEventListener('open', resolve, { once: true }));
    const remote = new MediaStream();
    document.getElementById('remote').srcObject = remote;
    pc.ontrack = (event) => remote.addTrack(event.track);
    pc.onnegotiationneeded = async () => {
      await pc.setLocalDescription();
      this.send({ k: 'renegotiate', offer: true, sdp: pc.localDescription.sdp });
    };
    this.chat.onmessage = (event) => this.receive(JSON.parse(event.data));
  },

  send(frame) {
    this.chat.send(JSON.stringify(frame));
  },

  async gathered() {
    const pc = this.pc;
    if (pc.iceGatheringState !== 'complete') {
      await new Promise((resolve) => pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve();
      }));
    }
    return pc.localDescription.sdp;
  },

  async offer() {
    this.setup();
    await this.pc.setLocalDescription();
    return this.gathered();
  },

  async answer(sdp) {
    this.setup();
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.pc.setLocalDescription();
    const answer = await this.gathered();
    return answer;
  },

  async accept(sdp) {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    await this.open;
  },

  async devices() {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    this.tracks = stream.getTracks();
    return stream;
  },

  async receive(frame) {
    const pc = this.pc;
    if (frame.k === 'call') {
      // Auto-accept: devices, tracks on the connection, and negotiationneeded makes the offer.
      const stream = await this.devices();
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      this.send({ k: 'call_accept', id: frame.id });
    } else if (frame.k === 'renegotiate' && frame.offer) {
      await pc.setRemoteDescription({ type: 'offer', sdp: frame.sdp });
      await this.devicesReady;
      // The caller's tracks go on the transceivers the offer made (addTrack reuses them).
      const stream = new MediaStream(this.tracks);
      for (const track of this.tracks) pc.addTrack(track, stream);
      await pc.setLocalDescription();
      this.send({ k: 'renegotiate', offer: false, sdp: pc.localDescription.sdp });
    } else if (frame.k === 'renegotiate') {
      await pc.setRemoteDescription({ type: 'answer', sdp: frame.sdp });
    }
  },

  /** Rings, and resolves to the ms from the call until the first remote video frame shows. */
  async call() {
    const t0 = now();
    const video = document.getElementById('remote');
    const firstFrame = new Promise((resolve) => video.requestVideoFrameCallback(() => resolve(now())));
    // The caller opens its devices while it rings, as Tin Can does.
    this.devicesReady = this.devices();
    this.send({ k: 'call', id: 1, video: true });
    await this.devicesReady;
    return (await firstFrame) - t0;
  },

  hangUp() {
    for (const track of this.tracks) track.stop();
    this.pc.close();
  },
};
window.call = call;
