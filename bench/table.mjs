// The benchmark's table (bench/run.mjs): rows from the raw measurements, notes on where the time
// goes, and a summary for results.json.
//
// A target is set against a baseline that does the same work the app must do (issue #18): the
// seed-design page for connecting and messages, plain JS doing the same work for files, the
// one-button page for a phone's first load. Ratios to a bare channel stay in the table, without
// a target: they are the distance to the physical limit. A missed target says how far off it
// is; none fails the command.

import * as lib from './lib.mjs';

/** A target on the ratio: at most `limit` times the baseline (times, bytes). */
export const ratioAtMost = (ratio, limit) => ({ kind: 'max', on: 'ratio', value: ratio, limit, text: `≤ ${limit}x` });
/** A target on the ratio: at least `limit` times the baseline (rates). */
export const ratioAtLeast = (ratio, limit) => ({ kind: 'min', on: 'ratio', value: ratio, limit, text: `≥ ${limit}x` });
/** A target on Tin Can's own figure: at most `limit` (`format` shows a difference). */
export const atMost = (value, limit, text, format, strict = false) => ({ kind: 'max', on: 'value', value, limit, text, format, strict });

const pct = (x) => `${Math.round(x * 100)} %`;
// A file run in which the receiver waited longer than this between two chunks stalled: SCTP's
// retransmission timer, after Chromium dropped the tail of a burst (bench/README.md, Files).
const STALL_MS = 300;

/** true / false / null (no target or nothing measured), and how far off a missed one is. */
export function judge(target) {
  if (!target || !Number.isFinite(target.value)) return { ok: null, off: null };
  const { kind, on, value, limit, strict } = target;
  const ok = kind === 'max' ? (strict ? value < limit : value <= limit) : value >= limit;
  if (ok) return { ok, off: null };
  if (on === 'ratio') return { ok, off: kind === 'max' ? `${pct(value / limit - 1)} over` : `${pct(1 - value / limit)} short` };
  return { ok, off: `${target.format(Math.abs(value - limit))} ${kind === 'max' ? 'over' : 'short'}` };
}

export function table(raw, C, only, constants) {
  const rows = [];
  const notes = [];
  const summary = {};
  const row = (figure, tincan, plain, ratioValue, target = null) => {
    const { ok, off } = judge(target);
    rows.push({
      figure,
      tincan,
      plain,
      ratio: lib.ratio(ratioValue),
      target: target?.text ?? '—',
      met: ok === null ? '—' : ok ? 'yes' : `**no**: ${off}`,
      // For the chart and results.json.
      ratioValue: Number.isFinite(ratioValue) ? ratioValue : null,
      goal: target
        ? { kind: target.kind, on: target.on, value: target.value, limit: target.limit, ok, off, shown: target.format?.(target.value) ?? null }
        : null,
    });
  };
  const failed = (figure, name) => (only && !only.has(name) ? null : row(figure, `error (${name})`, 'error', NaN));
  const rate = (bytes, ms) => bytes / 2 ** 20 / (ms / 1000);

  // 1. Link size
  const c = raw.connect;
  if (c) {
    const f = (key) => lib.median(c.tincan.map((r) => r[key]).filter(Number.isFinite));
    const s = {
      invite: f('inviteFragment'), inviteLz: f('inviteLz'), inviteSdp: f('inviteSdpChars'),
      answer: f('answerFragment'), answerLz: f('answerLz'), answerSdp: f('answerSdpChars'),
    };
    summary.linkChars = s;
    const lzText = (x, sdp) => (Number.isFinite(x) ? `${lib.int(x)} (lz-string; SDP ${lib.int(sdp)})` : 'n/a (no lz-string)');
    row('Invite link fragment, chars', lib.int(s.invite), lzText(s.inviteLz, s.inviteSdp), s.invite / s.inviteLz);
    row('Answer link fragment, chars', lib.int(s.answer), lzText(s.answerLz, s.answerSdp), s.answer / s.answerLz);
  } else {
    failed('Link size', 'connect');
  }

  // 1b. Link size on real networks (issue #14): the NAT lab's SDPs, longest of offer and answer.
  const shapes = raw.linkShapes;
  if (shapes) {
    const LIMITS = [
      ['host+srflx', 'host + srflx (STUN)', 160],
      ['host+srflx+relay', 'host + srflx + relay (TURN)', 200],
      ['relay', 'relay only', 110],
    ];
    summary.linkShapes = {};
    for (const [shape, label, limit] of LIMITS) {
      const found = shapes.filter((r) => r.network === 'natlab' && r.shape === shape);
      if (!found.length) continue;
      const worst = found.reduce((a, b) => (b.code > a.code ? b : a));
      const lzChars = Number.isFinite(worst.lzJs) ? worst.lzJs : worst.lz;
      summary.linkShapes[shape] = { code: worst.code, tag: worst.tag, lz: lzChars, qr: worst.qr, lzLinkQr: worst.lzLinkQr };
      // A fallback to lz-string (tag L) misses the target whatever its length.
      const value = worst.tag === 'L' ? Math.max(worst.code, limit + 1) : worst.code;
      row(
        `Link fragment, real network: ${label}, chars`,
        `${lib.int(worst.code)} (${worst.tag}; QR ${worst.qr ?? '—'})`,
        `${lib.int(lzChars)} (lz-string; QR ${worst.lzLinkQr ?? '—'})`,
        worst.code / lzChars,
        atMost(value, limit, `≤ ${limit}`, (d) => `${lib.int(d)} chars`),
      );
    }
    const fallback = shapes.filter((r) => r.tag === 'L').length;
    summary.linkShapes.fallback = fallback;
    notes.push(
      `Links from real networks: the NAT lab's Chromium and Firefox SDPs (tests/fixtures/sdp/natlab-*, m=/c= on the default ` +
        `candidate), encoded offline; QR = version of the whole link under https://someone.github.io/tincan/ at ` +
        `level L. ${shapes.length - fallback} of ${shapes.length} fixtures compact, ${fallback} fell back to lz-string.`,
    );
  } else {
    failed('Link size on real networks', 'linkShapes');
  }

  // 2. Time to a link
  if (c) {
    const tl = lib.median(c.tincan.map((r) => r.inviteMs));
    const sl = lib.median(c.seed.map((r) => r.inviteMs));
    const pl = lib.median(c.plain.map((r) => r.offerMs));
    const gathered = lib.median(c.tincan.map((r) => r.inviteGatheredMs).filter(Number.isFinite));
    summary.linkNoIceMs = { tincan: tl, seed: sl, plain: pl, tincanGathered: gathered };
    row(`Time to a link, no ICE servers (median of ${c.tincan.length})`, lib.ms(tl), `${lib.ms(sl)} (seed page)`, tl / sl);
    notes.push(
      `Link, no ICE servers (medians, from the click on Create invite): in Tin Can, ICE gathering is complete after ` +
        `${lib.ms(gathered)} and the invite link shows after ${lib.ms(tl)}; the seed-design page shows its link after ` +
        `${lib.ms(sl)}; a bare page that makes its first RTCPeerConnection inside the timed region has its offer ` +
        `with all candidates after ${lib.ms(pl)}.`,
    );
  }

  const d = raw.deadStun;
  if (d) {
    const tl = lib.median(d.tincan.map((r) => r.ms));
    const pl = lib.median(d.plain.map((r) => r.ms));
    const capped = d.plain.some((r) => !r.complete);
    summary.linkDeadStunMs = { tincan: tl, plain: pl, plainCapped: capped };
    row(
      `Time to a link, dead STUN \`${constants.deadStun}\` (median of ${d.tincan.length} / ${d.plain.length})`,
      lib.ms(tl),
      `${capped ? '≥ ' : ''}${lib.ms(pl)}${capped ? ` (gave up at ${C.deadStunCapMs / 1000} s)` : ' (gathering complete)'}`,
      tl / pl,
      atMost(tl, 2000, '< 2 s', lib.ms, true),
    );
  } else {
    failed('Time to a link, dead STUN', 'deadStun');
  }

  // 3. Time to connect: until both sides show "Connected", have the other's hello and a Message
  // box. The seed page does the same (loaded from the invite link, one hello each way, WebRTC
  // warmed up on load); the bare channel only until both channels are open.
  if (c) {
    const tr = lib.median(c.tincan.map((r) => r.readyMs));
    const tc = lib.median(c.tincan.map((r) => r.connectMs));
    const sr = lib.median(c.seed.map((r) => r.readyMs));
    const pc = lib.median(c.plain.map((r) => r.connectMs));
    const answerT = lib.median(c.tincan.map((r) => r.answerMs));
    const answerP = lib.median(c.plain.map((r) => r.answerMs));
    const openT = lib.median(c.tincan.map((r) => r.channelOpenMs));
    const openS = lib.median(c.seed.map((r) => r.channelOpenMs));
    const gatheredT = lib.median(c.tincan.map((r) => r.answerGatheredMs).filter(Number.isFinite));
    const gatheredS = lib.median(c.seed.map((r) => r.answerGatheredMs).filter(Number.isFinite));
    const answerS = lib.median(c.seed.map((r) => r.answerMs));
    summary.connectMs = { tincan: tr, seed: sr, plain: pc, tincanConnectedShown: tc };
    summary.connectSplitMs = {
      tincanAnswerGathered: gatheredT, tincanAnswerLink: answerT, seedAnswerGathered: gatheredS, seedAnswerLink: answerS,
      plainAnswer: answerP, tincanChannelsOpen: openT, seedChannelsOpen: openS,
    };
    notes.push(
      `Connect (medians, from opening the invite): Tin Can's answer has gathered all candidates after ` +
        `${lib.ms(gatheredT)} and its link shows after ${lib.ms(answerT)} (seed page: ${lib.ms(gatheredS)} and ` +
        `${lib.ms(answerS)}) ` +
        `(the bare page has its answer with all candidates after ${lib.ms(answerP)}); both Tin Can channels are open ` +
        `after ${lib.ms(openT)} (seed page: ${lib.ms(openS)}); "Connected" shows on both sides after ${lib.ms(tc)}, ` +
        `and both have the other's hello after ${lib.ms(tr)} (seed page: ${lib.ms(sr)}).`,
    );
    row(`Time to connect, with a hello each way (median of ${c.tincan.length})`, lib.ms(tr), `${lib.ms(sr)} (seed page)`, tr / sr, ratioAtMost(tr / sr, 1.25));
    row(`Time to connect, vs a bare channel (median of ${c.tincan.length})`, lib.ms(tr), `${lib.ms(pc)} (channels open)`, tr / pc);
  } else {
    failed('Time to connect', 'connect');
  }

  // 4. Messages. At a person's pace, each ping starts on idle pages: the round trip is the path
  // of one message and its reply. Back to back, the pages never idle, and what each message
  // leaves behind (a frame to render, a receipt, a storage write) is in front of the next one.
  const p = raw.pings;
  if (p?.paced && p?.backToBack) {
    const stats = (x) => {
      const rtt = Array.isArray(x) ? x : x.rtt;
      return { median: lib.median(rtt), p99: lib.percentile(rtt, 99), n: rtt.length };
    };
    const paced = { tincan: stats(p.paced.tincan), seed: stats(p.paced.seed), plain: stats(p.paced.plain) };
    const b2b = { tincan: stats(p.backToBack.tincan), seed: stats(p.backToBack.seed), plain: stats(p.backToBack.plain) };
    const t = p.paced.tincan;
    const split = {
      sent: lib.median(t.sent),
      replyFrame: lib.median(t.channel),
      peerTurnaround: lib.median(t.turnaround),
      seedPeerTurnaround: lib.median(p.paced.seed.turnaround),
    };
    const bt = p.backToBack.tincan.rtt;
    summary.rttMs = {
      paced: paced,
      backToBack: { ...b2b, tincanFirstHundredMedian: lib.median(bt.slice(0, 100)), tincanLastHundredMedian: lib.median(bt.slice(-100)) },
      pacedSplit: split,
      gapMs: C.pingGapMs,
      visibility: t.visibility,
    };
    notes.push(
      `Round trip at a person's pace (medians, from the click on Send; each ping ${C.pingGapMs} ms after the ` +
        `previous reply showed): Tin Can's ping frame leaves after ${lib.ms(split.sent)}; the pong frame is back ` +
        `after ${lib.ms(split.replyFrame)}, of which the peer spent ${lib.ms(split.peerTurnaround)} between ` +
        `receiving the ping and sending the pong (handling the frame, showing the ping, typing and sending; seed ` +
        `page: ${lib.ms(split.seedPeerTurnaround)}); the pong is in the log after ${lib.ms(paced.tincan.median)}. ` +
        `Back to back (each ping as soon as the reply shows, so the pages never idle): Tin Can ` +
        `${lib.ms(b2b.tincan.median)} (first 100: ${lib.ms(summary.rttMs.backToBack.tincanFirstHundredMedian)}, last ` +
        `100: ${lib.ms(summary.rttMs.backToBack.tincanLastHundredMedian)}), seed page ${lib.ms(b2b.seed.median)}, ` +
        `bare channel ${lib.ms(b2b.plain.median)}: there, every frame rendered, receipt and storage write a ` +
        `message leaves behind is in front of the next message, and how many of them each message pays for ` +
        `depends on how fast the loop runs (bench/README.md, "The round-trip swing").`,
    );
    const pace = `${C.pingGapMs} ms apart`;
    row(`Message round trip, median (${lib.int(paced.tincan.n)} pings ${pace})`, lib.ms(paced.tincan.median), `${lib.ms(paced.seed.median)} (seed page)`, paced.tincan.median / paced.seed.median, ratioAtMost(paced.tincan.median / paced.seed.median, 1.5));
    row(`Message round trip, median, vs a bare channel (${pace})`, lib.ms(paced.tincan.median), `${lib.ms(paced.plain.median)} (echo, no page)`, paced.tincan.median / paced.plain.median);
    row(`Message round trip, p99 (${lib.int(paced.tincan.n)} pings ${pace})`, lib.ms(paced.tincan.p99), `${lib.ms(paced.seed.p99)} (seed page)`, paced.tincan.p99 / paced.seed.p99);
    row(`Message round trip, median, back to back (${lib.int(b2b.tincan.n)} pings)`, lib.ms(b2b.tincan.median), `${lib.ms(b2b.seed.median)} (seed page)`, b2b.tincan.median / b2b.seed.median);
  } else {
    failed('Message round trip', 'pings');
  }

  const b = raw.burst;
  if (b) {
    const shown = (x) => {
      const ms = x.got.at - x.sent.t0;
      return { ms, perS: (x.got.count / ms) * 1000, count: x.got.count, timedOut: x.got.timedOut };
    };
    const t = shown(b.tincan);
    const sd = shown(b.seed);
    const pMs = b.plain.got.at - b.plain.sent.t0;
    const pRate = (b.plain.got.count / pMs) * 1000;
    summary.burst = { tincan: t, seed: sd, plain: { ms: pMs, perS: pRate } };
    const text = (x) =>
      x.timedOut
        ? `> ${lib.ms(x.ms)}: stopped at ${lib.int(x.count)} of ${lib.int(C.burst)} shown (${lib.int(x.perS)} msg/s so far)`
        : `${lib.ms(x.ms)} (${lib.int(x.perS)} msg/s)`;
    const figure = `${lib.int(C.burst)}-message burst: all shown`;
    row(figure, text(t), `${text(sd)} (seed page)`, t.perS / sd.perS, ratioAtLeast(t.perS / sd.perS, 0.9));
    row(`${lib.int(C.burst)}-message burst, vs a bare channel (received)`, text(t), `${lib.ms(pMs)} (${lib.int(pRate)} msg/s)`, t.perS / pRate);
    const g = b.tincan.got;
    const tenth = Math.ceil(C.burst / 10);
    const steps = g.marks.map((m, i) => m - (i ? g.marks[i - 1] : b.tincan.sent.t0));
    const perMsg = steps.map((x) => x / tenth);
    const rest = t.ms - (g.split?.handlerMs ?? 0) - (g.split?.layoutMs ?? 0);
    summary.burstSplit = {
      senderLoopMs: b.tincan.sent.loopMs,
      seedSenderLoopMs: b.seed.sent.loopMs,
      senderOwnLogMs: b.tincan.own.at - b.tincan.sent.t0,
      receiverPerTenthMs: steps,
      receiverHandlerMs: g.split?.handlerMs,
      receiverForcedLayoutMs: g.split?.layoutMs,
      receiverForcedLayouts: g.split?.layoutCalls,
      receiverRestMs: rest,
      lastFrameInMs: g.lastWireAt - b.tincan.sent.t0,
    };
    notes.push(
      `Burst (Tin Can): the receiver got ${lib.int(g.wireIn ?? NaN)} frames on the chat channel ` +
        `(${Object.entries(g.kinds ?? {}).map(([k, v]) => `${lib.int(v)} "${k}"`).join(', ')}) for ` +
        `${lib.int(g.count)} messages shown. The sender's loop (type, Send) took ${lib.ms(b.tincan.sent.loopMs)} ` +
        `(seed page: ${lib.ms(b.seed.sent.loopMs)}) and its own log showed ` +
        `${b.tincan.own.complete ? 'the last one' : `only ${lib.int(b.tincan.own.count)}, not the last,`} after ` +
        `${lib.ms(b.tincan.own.at - b.tincan.sent.t0)}. The receiver's time per message, for each successive ${lib.int(tenth)}: ` +
        `${perMsg.map((x) => x.toFixed(2)).join(', ')} ms` +
        `${g.timedOut ? ` (stopped after ${lib.ms(t.ms)}, the time cap)` : ''}. Of the receiver's ${lib.ms(t.ms)}, ` +
        `the app's message handler took ${lib.ms(g.split?.handlerMs)}, forced layouts (reading scrollHeight, ` +
        `${lib.int(g.split?.layoutCalls)} times) ${lib.ms(g.split?.layoutMs)}, the rest (rendering, GC, waiting ` +
        `for the sender) ${lib.ms(rest)}.`,
    );
  } else {
    failed('Message burst', 'burst');
  }

  // 5. Files
  const f = raw.file;
  if (f) {
    const mib = C.fileBytes / 2 ** 20;
    const tMs = lib.median(f.tincan.map((r) => r.ms));
    const pMs = lib.median(f.plain.map((r) => r.ms));
    const fMs = lib.median(f.plainFile.map((r) => r.ms));
    const vMs = lib.median(f.plainVerified.map((r) => r.ms));
    const tRate = rate(C.fileBytes, tMs);
    const pRate = rate(C.fileBytes, pMs);
    const fRate = rate(C.fileBytes, fMs);
    const vRate = rate(C.fileBytes, vMs);
    const split = (key) => lib.median(f.tincan.map((r) => r[key]));
    const firstRates = (list) => list.map((r) => rate(C.fileWarmBytes, r.ms));
    // Each first run with its stall mark and dropped packets (older results have neither).
    const firstRuns = (list) =>
      list
        .map((r) => `${rate(C.fileWarmBytes, r.ms).toFixed(1)}${r.maxGapMs > STALL_MS ? '*' : ''}${Number.isFinite(r.discards) ? ` (${r.discards})` : ''}`)
        .join(', ');
    const stalls = (list) => list.filter((r) => r.maxGapMs > STALL_MS).length;
    const drops = (list) => list.map((r) => r.discards).filter(Number.isFinite);
    const firstT = lib.median(firstRates(f.first.tincan));
    const firstP = lib.median(firstRates(f.first.plain));
    summary.file = {
      tincan: { ms: tMs, mibPerS: tRate, firstFrameMs: split('firstFrameMs'), lastFrameMs: split('lastFrameMs') },
      plain: { ms: pMs, mibPerS: pRate },
      plainFile: { ms: fMs, mibPerS: fRate },
      plainVerified: { ms: vMs, mibPerS: vRate },
      firstMibPerS: { tincan: firstT, plainVerified: firstP, tincanRuns: firstRates(f.first.tincan), plainRuns: firstRates(f.first.plain) },
      firstStalls: { tincan: stalls(f.first.tincan), plainVerified: stalls(f.first.plain) },
    };
    notes.push(
      `File (medians): Tin Can's receiver had the first chunk ${lib.ms(split('firstFrameMs'))} after the file was ` +
        `chosen, the last after ${lib.ms(split('lastFrameMs'))}, and showed "Verified" after ${lib.ms(tMs)}. ` +
        `Plain JS doing the same work (a 9-byte header per chunk, WebCrypto SHA-256 of every chunk on both sides, ` +
        `the hash list checked, the file kept as a Blob) reaches ${lib.ratio(vRate / fRate)} of plain JS only reading ` +
        `the file, and ${lib.ratio(vRate / pRate)} of a bare channel. All sends pause above ${C.fileHigh / 1024} KiB ` +
        `buffered and resume at bufferedAmountLowThreshold = ${C.fileLow / 1024} KiB. First transfer on a new ` +
        `connection (${C.fileWarmBytes / 2 ** 20} MiB, ${f.first.tincan.length} connections each; * a run in which ` +
        `the receiver waited over ${STALL_MS} ms between two chunks, and in brackets the packets the sender's ` +
        `renderer dropped): Tin Can ${firstRuns(f.first.tincan)} MiB/s; plain JS, same work: ` +
        `${firstRuns(f.first.plain)} MiB/s. The ${mib} MiB runs dropped ${lib.int(lib.median(drops(f.tincan)))} ` +
        `(Tin Can) and ${lib.int(lib.median(drops(f.plainVerified)))} (plain JS) packets, medians.`,
    );
    const fileRow = (baseline, ms, baseRate, target = null) =>
      row(
        `Files: ${mib} MiB, ${C.fileChunk / 1024} KiB chunks, vs ${baseline} (median of ${f.tincan.length})`,
        `${lib.ms(tMs)} (${tRate.toFixed(1)} MiB/s)`,
        `${lib.ms(ms)} (${baseRate.toFixed(1)} MiB/s)`,
        tRate / baseRate,
        target,
      );
    fileRow('plain JS doing the same work (header, SHA-256 both sides, Blob)', vMs, vRate, ratioAtLeast(tRate / vRate, 0.97));
    fileRow('plain JS only reading the file', fMs, fRate);
    fileRow('a bare channel sending one buffer', pMs, pRate);
    row(
      `Files: first transfer on a new connection, ${C.fileWarmBytes / 2 ** 20} MiB, vs plain JS doing the same work (median of ${f.first.tincan.length})`,
      `${firstT.toFixed(1)} MiB/s`,
      `${firstP.toFixed(1)} MiB/s`,
      firstT / firstP,
      ratioAtLeast(firstT / firstP, 0.9),
    );
  } else {
    failed('File transfer', 'file');
  }

  // Memory: JS heap after a full GC plus wasm memory.
  const mb = (x) => `${lib.group1(x / 1e6)} MB`;
  const memText = (m) => (m ? `${mb(m.total)} (JS ${mb(m.jsHeap)}${m.wasm ? ` + wasm ${mb(m.wasm)}` : ''})` : 'n/a');
  if (b?.tincan.memory && b?.seed.memory) {
    const t = b.tincan.memory.receiver;
    const sd = b.seed.memory.receiver;
    summary.memoryMessages = { tincan: b.tincan.memory, seed: b.seed.memory };
    row(
      `Memory after ${lib.int(C.burst)} messages, receiving page (JS heap + wasm)`,
      memText(t),
      `${memText(sd)} (seed page)`,
      t.total / sd.total,
    );
  }
  if (f?.memory) {
    const t = f.memory.tincan.receiver;
    const pl = f.memory.plain.receiver;
    summary.memoryFile = f.memory;
    row(
      `Memory after one ${C.fileBytes / 2 ** 20} MiB transfer, receiving page (JS heap + wasm)`,
      memText(t),
      `${memText(pl)} (plain JS, same work)`,
      t.total / pl.total,
    );
    notes.push(
      `Memory (JS heap after a full GC, plus wasm memory): after the burst the sending pages held ` +
        `${memText(b?.tincan.memory?.sender)} (Tin Can) and ${memText(b?.seed.memory?.sender)} (seed page, every ` +
        `message in the page); after the file, the sending pages held ${memText(f.memory.tincan.sender)} (Tin Can) ` +
        `and ${memText(f.memory.plain.sender)} (plain JS). A received file is a Blob, whose bytes live in the ` +
        `browser process, not in the page.`,
    );
  }

  // Storage
  const st = raw.storage;
  if (st) {
    summary.storage = {};
    const fitsNot = (p) => `does not fit: ${lib.int(p.chars)} chars of JSON, localStorage holds about 5 million (${p.error})`;
    for (const [n, { tincan: t, plain: p }] of Object.entries(st)) {
      const count = lib.int(Number(n));
      const tReload = lib.median(t.reloadMs);
      const pReload = p.fits ? lib.median(p.reloadMs) : NaN;
      const tStore = lib.median(t.clickToStored);
      const pStore = p.fits ? lib.median(p.clickToStored) : NaN;
      summary.storage[n] = {
        tincan: { reloadMs: tReload, storeMs: tStore, transactionMs: lib.median(t.transaction), importMs: t.importMs },
        plain: p.fits ? { reloadMs: pReload, storeMs: pStore, chars: p.chars } : { fits: false, chars: p.chars },
      };
      if (Number(n) >= 10_000) {
        row(
          `Reload → newest message shown, ${count} stored (median of ${t.reloadMs.length})`,
          lib.ms(tReload),
          p.fits ? lib.ms(pReload) : fitsNot(p),
          tReload / pReload,
        );
      }
      row(
        `Storing one message, ${count} stored (median of ${t.clickToStored.length})`,
        `${lib.ms(tStore)} (click → committed; transaction ${lib.ms(lib.median(t.transaction))})`,
        p.fits ? `${lib.ms(pStore)} (stringify + setItem)` : fitsNot(p),
        tStore / pStore,
      );
    }
    notes.push(
      `Storage: one conversation of n messages of 100 characters. Tin Can took it through Import conversations ` +
        `(${Object.entries(st).map(([n, v]) => `${lib.int(Number(n))}: ${lib.ms(v.tincan.importMs)}`).join(', ')}), ` +
        `the localStorage way as one JSON string. Reload: navigation start until the newest message is in the page. ` +
        `Storing one message: Tin Can from the click on Send (disconnected, so the message is pending) until its ` +
        `IndexedDB transaction completed; the localStorage way, push + JSON.stringify + setItem of the whole ` +
        `conversation, as the previous version saved.`,
    );
  } else {
    failed('Storage', 'storage');
  }

  // 5b. Calls (issue #20): media negotiated in-band over the chat channel, on both pages.
  const call = raw.call;
  if (call) {
    summary.callMs = { tincan: call.tincanMs, plain: call.plainMs };
    row(
      `Video call → first remote video frame at the caller (median of ${call.runs})`,
      lib.ms(call.tincanMs),
      `${lib.ms(call.plainMs)} (plain JS, same in-band renegotiation)`,
      call.tincanMs / call.plainMs,
    );
    notes.push(
      `A call: from the click on Video call until the caller's remote <video> shows its first frame ` +
        `(requestVideoFrameCallback); the callee accepts the moment it rings, inside its page. Both pages open the ` +
        `fake camera and microphone, ring and accept over their existing data channel, renegotiate over it and ` +
        `wait for the first frame; the difference is the app's own work (the call's state machine, its panel's render).`,
    );
  } else {
    failed('Video call', 'call');
  }

  // 5c. Groups (issue #21). No serverless link chat has groups: the fourth member's time to a
  // full mesh stands next to the same three connections made the two-person way, with links.
  const gm = raw.groupMesh;
  if (gm) {
    const runs = gm.group;
    const med = (f) => lib.median(runs.map(f));
    const fromPaste = med((r) => r.meshMs);
    const fromAdd = med((r) => r.linkMs + r.answerMs + r.meshMs);
    const joined = med((r) => r.joinedMs);
    const link = med((r) => r.linkMs);
    const answer = med((r) => r.answerMs);
    const links = lib.median(gm.links.map((r) => r.totalMs));
    const oneLink = lib.median(gm.links.flatMap((r) => r.connections.map((c) => c.totalMs)));
    const third = med((r) => r.third.meshMs);
    const cores = med((r) => r.cores);
    summary.groupMesh = { fromPasteMs: fromPaste, fromAddPersonMs: fromAdd, joinedMs: joined, threeLinksMs: links, oneLinkMs: oneLink, thirdMemberMs: third, cores };
    row(
      `Group: fourth member to full mesh (median of ${runs.length})`,
      `${lib.ms(fromPaste)} from the answer pasted; ${lib.ms(fromAdd)} from Add person`,
      `${lib.ms(links)} from Create invite (the same 3 connections, two-person, with links, one after another)`,
      fromAdd / links,
    );
    notes.push(
      `Fourth member (medians): Bob, who did not start the group, adds Dan to Ann, Bob and Cat. "Add person" had its ` +
        `link after ${lib.ms(link)}, Dan's answer link showed ${lib.ms(answer)} after he opened it (carried instantly ` +
        `both ways); from the paste and "Add to group", Dan's hello reached Bob after ${lib.ms(joined)} and all four ` +
        `member lists showed everyone "direct" after ${lib.ms(fromPaste)} (runs: ` +
        `${runs.map((r) => lib.ms(r.meshMs)).join(', ')}), while Chromium used ${Number.isFinite(cores) ? lib.group1(cores) : 'n/a'} cores on average. ` +
        `The third member took ${lib.ms(third)} from the paste. The baseline is what Dan's three connections cost ` +
        `made the two-person way in the same run, at machine speed: each Create invite → link, open → answer link, ` +
        `paste → "Connected" with a hello each way, ${lib.ms(oneLink)} a connection; a person would also carry ` +
        `three invite links and three answers instead of one of each.`,
    );
  } else {
    failed('Group: fourth member to full mesh', 'groupMesh');
  }

  const fo = raw.groupFanOut;
  if (fo?.group && fo?.pair) {
    const stats = (x) => ({ p50: lib.median(x.all), p99: lib.percentile(x.all, 99), each: lib.median(x.each), n: x.all.length });
    const g = stats(fo.group);
    const two = stats(fo.pair);
    const others = fo.size - 1;
    summary.groupFanOut = { size: fo.size, group: g, pair: two, missing: fo.group.missing, unconfirmed: fo.group.unconfirmed };
    const what = `${lib.int(g.n)} messages ${C.pingGapMs} ms apart`;
    row(
      `Group fan-out, a message to all ${others} others, p50 (${what})`,
      lib.ms(g.p50),
      `${lib.ms(two.p50)} (two-person chat)`,
      g.p50 / two.p50,
    );
    row(
      `Group fan-out, a message to all ${others} others, p99 (${what})`,
      lib.ms(g.p99),
      `${lib.ms(two.p99)} (two-person chat)`,
      g.p99 / two.p99,
    );
    const adds = fo.build?.adds ?? [];
    const cores = (x) => (Number.isFinite(x) ? `${lib.group1(x)} cores` : 'n/a');
    notes.push(
      `Group fan-out: Ann sends, the other ${others} pages (each its own context in one headless Chromium) record when ` +
        `each message is added to their log (MutationObserver, page clock); per message, the time from the click on ` +
        `Send until the last of them had it; the next message is typed ${C.pingGapMs} ms after Ann's receipt said ` +
        `"Delivered to ${others} of ${others}". The first of the ${others} had it after ${lib.ms(lib.median(fo.group.first ?? []))}, ` +
        `a single receiver after ${lib.ms(g.each)} (medians; two-person chat: ${lib.ms(two.each)}). Split (medians): ` +
        `Ann's app handed the last of its ${fo.group.split?.copies} copies to its channels ` +
        `${lib.ms(fo.group.split?.lastSendMs)} after the click (two-person: ${lib.ms(fo.pair.split?.lastSendMs)}); the ` +
        `message event of a copy fired at the first receiver after ${lib.ms(fo.group.split?.firstFrameInMs)}, at a ` +
        `receiver after ${lib.ms(fo.group.split?.frameInMs)}, at the last after ${lib.ms(fo.group.split?.lastFrameInMs)} ` +
        `(two-person: ${lib.ms(fo.pair.split?.frameInMs)}): ${fo.size} renderers and Chromium's network threads share ` +
        `this machine's ${C.cores ?? 'few'} cores, where each member of a real group has its own; from that event ` +
        `to the message in the log took ${lib.ms(fo.group.split?.frameToLogMs)} (two-person: ` +
        `${lib.ms(fo.pair.split?.frameToLogMs)}). ${fo.group.missing ? `${fo.group.missing} of ${fo.group.messages} messages did not reach every member` : `Every message reached every member`}` +
        `${fo.group.unconfirmed ? `; ${fo.group.unconfirmed} never had every receipt back within 10 s` : ''}. CPU of Chromium ` +
        `(all its processes, from /proc): sending ${cores(fo.group.cores)} on average (two-person chat: ` +
        `${cores(fo.pair.cores)}); the ${fo.size} members idle for ${lib.ms(fo.idle?.wallMs)}: ${cores(fo.idle?.cores)}. ` +
        `Building the group by Add person from Ann, one at a time, each full mesh from the paste: ` +
        `${adds.map((a) => `${a.size}: ${lib.ms(a.meshMs)} (${cores(a.cores)})`).join(', ')}; the whole build, ` +
        `opening the ${fo.size} pages included, took ${lib.ms(fo.build?.wallMs)}` +
        `${fo.attempts?.length ? ` (after ${fo.attempts.length} failed attempt(s): ${fo.attempts.join('; ')})` : ''}.`,
    );
  } else {
    failed('Group fan-out', 'groupFanOut');
  }

  // 6. Shipped bytes, time to an interactive page, a phone's first load
  const sh = raw.shipped;
  if (sh) {
    const both = (s) => `${lib.kb(s.raw)} / ${lib.kb(s.gzip)}`;
    const baseOf = (suffix) => sh.baselineFiles.find((x) => x.name.endsWith(suffix));
    for (const [kind, label] of [['wasm', 'wasm'], ['js', 'JS'], ['css', 'CSS'], ['html', 'HTML']]) {
      const bf = kind === 'js' ? baseOf('.js') : kind === 'html' ? baseOf('.html') : null;
      row(`Shipped ${label}, raw / gzip -9`, both(sh.byKind[kind]), bf ? both(bf) : '—', NaN);
    }
    summary.shippedGzip = { tincan: sh.total.gzip, plain: sh.baselineTotal.gzip };
    row(
      'Shipped total (wasm+JS+CSS+HTML), raw / gzip -9',
      both(sh.total),
      `${both(sh.baselineTotal)} (rtc.html + rtc.js)`,
      sh.total.gzip / sh.baselineTotal.gzip,
      atMost(sh.total.gzip, 250_000, '≤ 250 KB gzip', lib.kb),
    );
  } else {
    failed('Shipped bytes', 'shipped');
  }

  const it = raw.interactive;
  if (it) {
    const t = lib.median(it.tincan), pl = lib.median(it.plain);
    summary.interactiveMs = { tincan: t, plain: pl };
    row(`Navigation → "Create invite" usable (median of ${it.tincan.length} cold loads)`, lib.ms(t), `${lib.ms(pl)} (one-button page)`, t / pl);
  } else {
    failed('Time to an interactive page', 'interactive');
  }

  const ph = raw.phone;
  if (ph) {
    const t = lib.median(ph.tincan.map((r) => r.ms));
    const pl = lib.median(ph.plain.map((r) => r.ms));
    const arrived = (key) => lib.median(ph.tincan.map((r) => r.arrived[key]).filter((x) => x > 0));
    const bytes = lib.median(ph.tincan.map((r) => r.bytes));
    summary.phoneMs = { tincan: t, plain: pl, html: arrived('html'), js: arrived('js'), wasm: arrived('wasm'), bytes };
    const { cpuSlowdown, latencyMs, downKbit, upKbit } = C.phone;
    row(
      `A phone's first load → "Create invite" usable: CPU ÷${cpuSlowdown}, ${downKbit / 1000} Mbit/s, ${latencyMs} ms (median of ${ph.tincan.length})`,
      lib.ms(t),
      `${lib.ms(pl)} (one-button page)`,
      t / pl,
      atMost(t, 2500, '< 2.5 s', lib.ms, true),
    );
    notes.push(
      `A phone's first load (medians; CDP: CPU ${cpuSlowdown}x slower, ${downKbit} kbit/s down, ${upKbit} kbit/s up, ` +
        `${latencyMs} ms a request; a fresh context, files gzipped as GitHub Pages serves them): ` +
        `${lib.kb(bytes)} came over the network; the HTML had arrived after ${lib.ms(arrived('html'))}, the JS glue ` +
        `after ${lib.ms(arrived('js'))}, the wasm after ${lib.ms(arrived('wasm'))} (compiled as it streams in), and ` +
        `"Create invite" was usable after ${lib.ms(t)}.`,
    );
  } else {
    failed("A phone's first load", 'phone');
  }

  return { rows, notes, summary };
}

export function markdown(rows, notes) {
  const header = ['figure', 'Tin Can', 'baseline', 'ratio', 'target', 'met?'];
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${header.map((h, i) => (i === 0 ? '---' : i === 3 ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${[r.figure, r.tincan, r.plain, r.ratio, r.target, r.met].join(' | ')} |`),
  ];
  let out = lines.join('\n');
  if (notes.length) out += `\n\nWhere the time goes:\n\n${notes.map((n) => `- ${n}`).join('\n')}`;
  return out;
}
