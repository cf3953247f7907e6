import { expect, type BrowserContext, type Locator, type Page } from '@playwright/test';
import type { TinCanPage } from './tincan-page';

/**
 * The call panel of a connected chat (issue #20), and what the page's WebRTC and media
 * objects say about the call. `recordMedia` must run on the context before the app loads.
 */
export class CallPanel {
  readonly app: TinCanPage;
  readonly page: Page;
  readonly panel: Locator;
  readonly status: Locator;
  readonly problem: Locator;
  readonly peerMedia: Locator;
  readonly duration: Locator;
  readonly remoteVideo: Locator;

  constructor(app: TinCanPage) {
    this.app = app;
    this.page = app.page;
    this.panel = app.page.getByTestId('call-panel');
    this.status = this.panel.getByTestId('call-status');
    this.problem = this.panel.getByTestId('call-problem');
    this.peerMedia = this.panel.getByTestId('call-peer-media');
    this.duration = this.panel.getByTestId('call-duration');
    this.remoteVideo = this.panel.getByTestId('remote-video');
  }

  button(name: string): Locator {
    return this.panel.getByRole('button', { name, exact: true });
  }

  async expectState(state: 'idle' | 'outgoing' | 'incoming' | 'active'): Promise<void> {
    await expect(this.panel).toHaveAttribute('data-state', state);
  }

  /** Rings from the peer reach the app `ms` late (0: at once). */
  async holdRings(ms: number): Promise<void> {
    await this.page.evaluate((ms) => {
      (window as unknown as { __holdRings: number }).__holdRings = ms;
    }, ms);
  }

  /** Media figures of the page's live peer connection, summed per kind. */
  async stats(): Promise<MediaStats> {
    return this.page.evaluate(mediaStatsInPage);
  }

  /** readyState of every track the page got from getUserMedia/getDisplayMedia. */
  async trackStates(): Promise<string[]> {
    return this.page.evaluate(() =>
      (window as unknown as { __tracks: MediaStreamTrack[] }).__tracks.map((track) => track.readyState));
  }

  /** The label of the track our video sender sends, or null. */
  async sentVideoLabel(): Promise<string | null> {
    return this.page.evaluate(() => {
      const peers = (window as unknown as { __peers: RTCPeerConnection[] }).__peers;
      const live = peers.filter((peer) => peer.connectionState !== 'closed').at(-1);
      const sender = live?.getSenders().find((s) => s.track?.kind === 'video');
      return sender?.track?.label ?? null;
    });
  }

  /** Media sections in the live connection's local description (audio and video only). */
  async mediaSections(): Promise<number> {
    return this.page.evaluate(() => {
      const peers = (window as unknown as { __peers: RTCPeerConnection[] }).__peers;
      const live = peers.filter((peer) => peer.connectionState !== 'closed').at(-1);
      return (live?.localDescription?.sdp.match(/^m=(audio|video) /gm) ?? []).length;
    });
  }

  /** Waits (up to 10 s) until `pick` of the stats rises by more than `by`; returns the rise. */
  async rises(pick: (stats: MediaStats) => number, by = 0): Promise<number> {
    const before = pick(await this.stats());
    let rise = 0;
    await expect
      .poll(async () => (rise = pick(await this.stats()) - before), { timeout: 10_000, intervals: [250] })
      .toBeGreaterThan(by);
    return rise;
  }

  /** How much `pick` changes over `ms`. */
  async change(pick: (stats: MediaStats) => number, ms = 1_500): Promise<number> {
    const before = pick(await this.stats());
    await this.page.waitForTimeout(ms);
    return pick(await this.stats()) - before;
  }
}

export interface MediaStats {
  videoFramesDecoded: number;
  videoFramesReceived: number;
  audioPacketsReceived: number;
  audioEnergyReceived: number;
  /** Payload bytes of the received audio (headers not counted). */
  audioBytesReceived: number;
  audioPacketsSent: number;
  videoFramesSent: number;
}

/** Runs in the page: the media figures of its live peer connection. */
export function mediaStatsInPage(): Promise<MediaStats> {
  const peers = (window as unknown as { __peers: RTCPeerConnection[] }).__peers;
  const live = peers.filter((peer) => peer.connectionState !== 'closed').at(-1);
  const figures: MediaStats = {
    videoFramesDecoded: 0,
    videoFramesReceived: 0,
    audioPacketsReceived: 0,
    audioEnergyReceived: 0,
    audioBytesReceived: 0,
    audioPacketsSent: 0,
    videoFramesSent: 0,
  };
  if (!live) return Promise.resolve(figures);
  return live.getStats().then((report) => {
    report.forEach((stat) => {
      if (stat.type === 'inbound-rtp' && stat.kind === 'video') {
        figures.videoFramesDecoded += stat.framesDecoded ?? 0;
        figures.videoFramesReceived += stat.framesReceived ?? 0;
      }
      if (stat.type === 'inbound-rtp' && stat.kind === 'audio') {
        figures.audioPacketsReceived += stat.packetsReceived ?? 0;
        figures.audioEnergyReceived += stat.totalAudioEnergy ?? 0;
        figures.audioBytesReceived += stat.bytesReceived ?? 0;
      }
      if (stat.type === 'outbound-rtp' && stat.kind === 'audio') figures.audioPacketsSent += stat.packetsSent ?? 0;
      if (stat.type === 'outbound-rtp' && stat.kind === 'video') figures.videoFramesSent += stat.framesSent ?? 0;
    });
    return figures;
  });
}

/**
 * Records every RTCPeerConnection (`window.__peers`) and every track from getUserMedia and
 * getDisplayMedia (`window.__tracks`). `refuse` makes getUserMedia refuse that kind of device
 * with NotAllowedError, as a user pressing Block would.
 */
export async function recordMedia(context: BrowserContext, options: { refuse?: 'video' | 'audio' } = {}): Promise<void> {
  await context.addInitScript(mediaRecorderScript, options.refuse ?? null);
}

/** The page script behind `recordMedia` (also run in Firefox, through puppeteer). */
export function mediaRecorderScript(refuse: 'video' | 'audio' | null): void {
  const w = window as unknown as { __peers: RTCPeerConnection[]; __tracks: MediaStreamTrack[]; __holdRings: number };
  w.__peers = [];
  w.__tracks = [];
  // While `__holdRings` is set (ms), a ring from the peer reaches the app that much later: two
  // clicks in two tabs land before either ring does, as in a real glare across a network.
  w.__holdRings = 0;
  const onmessage = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage');
  if (onmessage?.set && onmessage.get) {
    const { set, get } = onmessage;
    Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
      configurable: true,
      get() {
        return get.call(this);
      },
      set(handler: ((event: MessageEvent) => void) | null) {
        if (!handler) return set.call(this, handler);
        return set.call(this, (event: MessageEvent) => {
          const ring = typeof event.data === 'string' && event.data.startsWith('{"k":"call","');
          if (ring && w.__holdRings > 0) setTimeout(() => handler(event), w.__holdRings);
          else handler(event);
        });
      },
    });
  }
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
      super(...args);
      w.__peers.push(this);
    }
  } as typeof RTCPeerConnection;
  const devices = navigator.mediaDevices;
  if (!devices) return;
  const keep = (stream: MediaStream) => {
    w.__tracks.push(...stream.getTracks());
    return stream;
  };
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints?: MediaStreamConstraints) => {
    if (refuse && constraints?.[refuse]) {
      return Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    }
    return getUserMedia(constraints).then(keep);
  };
  if (devices.getDisplayMedia) {
    const getDisplayMedia = devices.getDisplayMedia.bind(devices);
    devices.getDisplayMedia = (options?: DisplayMediaStreamOptions) => getDisplayMedia(options).then(keep);
  }
}
