// Plain-JS reference for Tin Can's benchmark (bench/run.mjs): the least a page has to do to
// make a WebRTC offer, connect two browsers, chat and send a file. No UI and no framework; the
// runner calls these functions with page.evaluate, one RTCPeerConnection per page.
//
// Same wire format as Tin Can: a negotiated data channel (id 0, label "chat") carrying JSON text
// frames {"k":"text","text":"...","ts":<ms>}. Files go over a second negotiated channel (id 1).
'use strict';

/** Milliseconds on a clock that two tabs of one browser share. */
const now = () => performance.timeOrigin + performance.now();

const rtc = {
  pc: null,
  chat: null,
  file: null,
  /** Resolves to the time the chat channel opened. */
  chatOpen: null,

  setup(iceServers) {
    const pc = new RTCPeerConnection({ iceServers: iceServers.map((urls) => ({ urls })) });
    this.pc = pc;
    this.chat = pc.createDataChannel('chat', { negotiated: true, id: 0, ordered: true });
    this.file = pc.createDataChannel('file', { negotiated: true, id: 1, ordered: true });
    this.file.binaryType = 'arraybuffer';
    this.chatOpen = new Promise((resolve) =>
      this.chat.addEventListener('open', () => resolve(now()), { once: true }));
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

  /** Inviter: a new connection, its offer, all candidates. */
  async makeOffer(iceServers, capMs = 45000) {
    const t0 = now();
    this.setup(iceServers);
    await this.pc.setLocalDescription(await this.pc.createOffer());
    const complete = await this.gathered(capMs);
    return { ms: now() - t0, complete, sdp: this.pc.localDescription.sdp };
  },

  /** Invitee: takes the offer, returns the answer with all its candidates. */
  async acceptOffer(sdp, iceServers, capMs = 45000) {
    const t0 = now();
    this.setup(iceServers);
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    const complete = await this.gathered(capMs);
    return { t0, ms: now() - t0, complete, sdp: this.pc.localDescription.sdp };
  },

  /** Inviter: takes the answer; the chat channel opens once ICE and DTLS are done. */
  async acceptAnswer(sdp) {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  },

  /** Packets the selected candidate pair could not hand on (bench/tincan.mjs, sendDiscards). */
  async discards() {
    const stats = await this.pc.getStats();
    let pair = null;
    stats.forEach((report) => {
      if (report.type === 'transport' && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
    });
    return pair?.packetsDiscardedOnSend ?? 0;
  },

  sendText(text) {
    this.chat.send(JSON.stringify({ k: 'text', text, ts: Date.now() }));
  },

  /** Invitee: answers every "ping N" with "pong N". */
  echo() {
    this.chat.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.k === 'text') this.sendText(frame.text.replace(/^ping/, 'pong'));
    };
  },

  /**
   * Inviter: `warmup + n` pings one after the other (with `gapMs`, each that long after the
   * previous reply); the round-trip times of the last n.
   */
  async pings(n, warmup, gapMs = 0) {
    let replied = null;
    this.chat.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.k === 'text' && replied) replied(now());
    };
    const rtt = [];
    for (let i = 0; i < warmup + n; i++) {
      const reply = new Promise((resolve) => (replied = resolve));
      const t0 = now();
      this.sendText(`ping ${i}`);
      const t1 = await reply;
      if (i >= warmup) rtt.push(t1 - t0);
      if (gapMs) await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    return rtt;
  },

  /** Receiver: resolves when n text frames have arrived, with the time of each 10 %. */
  expectBurst(n) {
    let count = 0;
    const marks = [];
    return new Promise((resolve) => {
      this.chat.onmessage = (event) => {
        const frame = JSON.parse(event.data);
        if (frame.k !== 'text') return;
        count += 1;
        if (count % Math.ceil(n / 10) === 0 || count === n) marks.push(now());
        if (count === n) resolve({ at: now(), count, marks });
      };
    });
  },

  /** Sender: n frames as fast as send() takes them; the time it started. */
  burst(n) {
    const t0 = now();
    for (let i = 0; i < n; i++) this.sendText(`burst ${i}`);
    return { t0, loopMs: now() - t0 };
  },

  /**
   * Sender: `total` bytes in chunks, keeping at most `high` bytes queued and resuming at
   * bufferedAmountLowThreshold (the usual backpressure). The time it started.
   * Keep the queue short: in Chromium 156 on loopback, 64 KiB / 256 KiB gave about 30 MiB/s,
   * while 1 MiB / 4 MiB dropped to 5-7 MiB/s.
   */
  async sendFile(total, chunkSize = 64 * 1024, low = 64 * 1024, high = 256 * 1024) {
    const chunk = new Uint8Array(chunkSize);
    // getRandomValues fills at most 64 KiB a call.
    for (let at = 0; at < chunkSize; at += 65536) crypto.getRandomValues(chunk.subarray(at, at + 65536));
    const file = this.file;
    file.bufferedAmountLowThreshold = low;
    const t0 = now();
    for (let sent = 0; sent < total; sent += chunkSize) {
      if (file.bufferedAmount > high) {
        await new Promise((resolve) => file.addEventListener('bufferedamountlow', resolve, { once: true }));
      }
      file.send(sent + chunkSize <= total ? chunk : chunk.subarray(0, total - sent));
    }
    return { t0 };
  },

  /**
   * Sender: the file chosen in the page's file input, read `readBytes` at a time with one read
   * ahead (as Tin Can reads), sent in `chunkSize` messages with the same pauses as sendFile.
   * No header, no hash, no UI: what a minimal file sender cannot skip is reading the file.
   */
  async sendChosenFile(chunkSize = 64 * 1024, low = 64 * 1024, high = 256 * 1024, readBytes = 4 * 1024 * 1024) {
    const t0 = await this.streamChosenFile(chunkSize, low, high, readBytes, (chunk) => this.file.send(chunk));
    return { t0 };
  },

  /**
   * Reads the chosen file `readBytes` at a time with one read ahead and hands it to `send` in
   * `chunkSize` pieces, each once the channel has room (the pauses of sendFile). The time it
   * started.
   */
  async streamChosenFile(chunkSize, low, high, readBytes, send) {
    const chosen = document.querySelector('input[type="file"]').files[0];
    const file = this.file;
    file.bufferedAmountLowThreshold = low;
    const t0 = now();
    const read = (from) => chosen.slice(from, Math.min(chosen.size, from + readBytes)).arrayBuffer();
    let next = read(0);
    for (let from = 0; from < chosen.size; ) {
      const buffer = new Uint8Array(await next);
      from += buffer.length;
      if (from < chosen.size) next = read(from);
      for (let at = 0; at < buffer.length; at += chunkSize) {
        if (file.bufferedAmount > high) {
          await new Promise((resolve) => file.addEventListener('bufferedamountlow', resolve, { once: true }));
        }
        send(buffer.subarray(at, at + chunkSize));
      }
    }
    return t0;
  },

  /**
   * Sender: like sendChosenFile, plus what Tin Can does on top, in plain JS: a 9-byte header in
   * front of each chunk (one reused frame buffer), and a WebCrypto SHA-256 of every chunk, folded
   * into one digest at the end (the hash list). Used to tell the app's own overhead from the
   * cost of the work itself.
   */
  async sendChosenFileVerified(chunkSize, low, high, readBytes) {
    const frame = new Uint8Array(9 + chunkSize);
    const header = new DataView(frame.buffer, 0, 9);
    const digests = [];
    let seq = 0;
    const t0 = await this.streamChosenFile(chunkSize, low, high, readBytes, (payload) => {
      header.setUint8(0, 1);
      header.setUint32(1, 1);
      header.setUint32(5, seq++);
      frame.set(payload, 9);
      this.file.send(payload.length === chunkSize ? frame : frame.subarray(0, 9 + payload.length));
      digests.push(crypto.subtle.digest('SHA-256', payload));
    });
    const list = await hashList(digests);
    this.file.send(JSON.stringify({ k: 'done', digest: list }));
    return { t0 };
  },

  /**
   * Receiver for sendChosenFileVerified: hashes every chunk, keeps the payloads, merges them into
   * a Blob every 8 MiB (as Tin Can does), and resolves once `done` came, the hash list matched
   * and the file is a blob: URL.
   */
  expectFileVerified(total) {
    let received = 0;
    let parts = [];
    let uncompacted = 0;
    const digests = [];
    let lastAt = 0;
    let maxGapMs = 0;
    return new Promise((resolve, reject) => {
      this.file.onmessage = async (event) => {
        if (typeof event.data === 'string') {
          const { digest } = JSON.parse(event.data);
          const list = await hashList(digests);
          if (list !== digest || received !== total) return reject(new Error('hash list mismatch'));
          const url = URL.createObjectURL(new Blob(parts, { type: 'application/octet-stream' }));
          URL.revokeObjectURL(url);
          return resolve({ at: now(), received, maxGapMs });
        }
        // The longest wait between two chunks (a stall), as the app's probe records it.
        const at = now();
        if (lastAt) maxGapMs = Math.max(maxGapMs, at - lastAt);
        lastAt = at;
        const payload = new Uint8Array(event.data, 9);
        received += payload.length;
        digests.push(crypto.subtle.digest('SHA-256', payload));
        parts.push(payload);
        uncompacted += payload.length;
        if (uncompacted >= 8 * 1024 * 1024) {
          parts = [new Blob(parts)];
          uncompacted = 0;
        }
      };
    });
  },

  /** Receiver: resolves when `total` bytes have arrived. */
  expectFile(total) {
    let received = 0;
    return new Promise((resolve) => {
      this.file.onmessage = (event) => {
        received += event.data.byteLength;
        if (received >= total) resolve({ at: now(), received });
      };
    });
  },
};

/** SHA-256 over the chunk digests, in order (hex). */
async function hashList(pending) {
  const all = await Promise.all(pending);
  const joined = new Uint8Array(all.length * 32);
  all.forEach((digest, i) => joined.set(new Uint8Array(digest), i * 32));
  const list = new Uint8Array(await crypto.subtle.digest('SHA-256', joined));
  return Array.from(list, (b) => b.toString(16).padStart(2, '0')).join('');
}

window.rtc = rtc;
