#!/usr/bin/env node
// Tin Can's benchmark (issue #7): every figure next to a plain-JS baseline measured in the same
// run, in the same headless Chromium, on loopback only.
//
//   node bench/run.mjs [--dist dist-bench] [--out bench/results.json] [--quick]
//
// Prints a Markdown table to stdout (progress goes to stderr) and writes all raw numbers to
// --out. Usually run through scripts/bench.sh, which builds dist/ first when it is stale.
// Targets are informational: a missed target never fails the command; a measurement that
// breaks (an exception) does, after everything else was measured.

import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { linkSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';

import * as lib from './lib.mjs';
import * as tincan from './tincan.mjs';
import * as plain from './plain.mjs';
import * as storage from './storage.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');

const DEAD_STUN = 'stun:127.0.0.1:9'; // a closed loopback port: the STUN server never answers

function parseArgs(argv) {
  const opts = { dist: path.join(REPO, 'dist-bench'), out: path.join(HERE, 'results.json'), quick: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') opts.quick = true;
    else if (arg === '--dist') opts.dist = path.resolve(argv[++i]);
    else if (arg === '--out') opts.out = path.resolve(argv[++i]);
    else if (arg === '--only') opts.only = new Set(String(argv[++i]).split(','));
    else if (arg === '-h' || arg === '--help') {
      console.log(
        'usage: node bench/run.mjs [--dist dist-bench] [--out bench/results.json] [--quick]\n' +
          '                          [--only shipped,linkShapes,interactive,connect,deadStun,pings,burst,file,storage]',
      );
      process.exit(0);
    } else {
      console.error(`run.mjs: unknown argument ${arg}`);
      process.exit(2);
    }
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const C = {
  runs: opts.quick ? 3 : 7, // link (no ICE servers) and connect, each side
  deadStunRuns: opts.quick ? 1 : 2, // Tin Can
  deadStunBaselineRuns: 1, // ~40 s each
  deadStunCapMs: 45000,
  pings: opts.quick ? 200 : 1000,
  pingWarmup: 20,
  burst: opts.quick ? 2000 : 10000,
  burstCapMs: opts.quick ? 20000 : 60000, // from the start of the send loop
  fileBytes: (opts.quick ? 16 : 64) * 1024 * 1024,
  fileChunk: 64 * 1024,
  fileLow: 64 * 1024, // bufferedAmountLowThreshold: sending resumes here
  fileHigh: 256 * 1024, // sending pauses above this much buffered
  fileRead: 4 * 1024 * 1024, // plain JS reading a file: bytes per read (Tin Can's READ_BYTES)
  fileRuns: Number(process.env.BENCH_FILE_RUNS || 7), // each side, taking turns, over one connection each
  fileWarmBytes: 16 * 1024 * 1024, // one first transfer per connection, not counted
  fileCapMs: 60000, // per Tin Can transfer
  fileSettleMs: 1000, // idle time after every file run
  coldLoads: opts.quick ? 3 : 5,
  storedCounts: opts.quick ? [100, 10_000] : [100, 10_000, 100_000], // messages stored
  storageReloads: opts.quick ? 2 : 3,
  storageSends: opts.quick ? 10 : 20,
};

const LAUNCH = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
};

const started = Date.now();
const log = (msg) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${msg}`);

let lz = null;
try {
  lz = createRequire(import.meta.url)('lz-string'); // package.json, or NODE_PATH (scripts/bench.sh)
} catch {
  log('lz-string is not installed: the link-size baseline is skipped');
}

const raw = {}; // everything measured, for results.json
const errors = {};

async function measure(name, fn) {
  if (opts.only && !opts.only.has(name)) return;
  try {
    raw[name] = await fn();
  } catch (err) {
    errors[name] = String(err?.stack || err);
    log(`FAILED ${name}: ${err?.message || err}`);
  }
}

const fragment = (link) => link.slice(link.indexOf('#') + 1);
let distBuiltAt = null;

async function main() {
  const snap = await lib.snapshot(opts.dist, '/tincan/');
  distBuiltAt = statSync(path.join(snap.dir, 'index.html')).mtime.toISOString();
  process.once('exit', snap.remove);
  const app = await lib.serve(REPO, snap.dir, '/tincan/');
  const base = await lib.serve(REPO, path.join(HERE, 'baseline'), '/baseline/').catch(async (err) => {
    await app.stop();
    throw err;
  });
  const appUrl = app.url;
  const rtcUrl = `${base.url}rtc.html`;
  const buttonUrl = base.url; // index.html: one button
  log(`Tin Can at ${appUrl}, baselines at ${base.url}`);

  const browser = await chromium.launch(LAUNCH);
  const chromiumVersion = browser.version();
  log(`Chromium ${chromiumVersion}`);

  try {
    await measure('shipped', () => {
      const exts = ['.wasm', '.js', '.css', '.html'];
      const files = lib.sizes(snap.dir, exts);
      const byKind = Object.fromEntries(
        exts.map((ext) => [ext.slice(1), lib.sumSizes(files.filter((f) => f.name.endsWith(ext)))]),
      );
      const baseline = lib.sizes(path.join(HERE, 'baseline'), ['rtc.html', 'rtc.js']);
      return { files, byKind, total: lib.sumSizes(files), baselineFiles: baseline, baselineTotal: lib.sumSizes(baseline) };
    });

    // Links from real networks: the NAT lab's SDPs (no browser needed), through the codec as
    // `cargo run --example link_sizes -- --json` measures it, next to lz-string of the same SDP.
    await measure('linkShapes', () => {
      const out = execFileSync('cargo', ['run', '--quiet', '--locked', '--example', 'link_sizes', '--', '--json'], {
        cwd: REPO,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      return out
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => {
          const row = JSON.parse(line);
          // lz-string itself (the JS original) on the same file, when it is installed.
          const sdp = readFileSync(path.resolve(REPO, row.path), 'utf8');
          row.lzJs = lz ? lz.compressToEncodedURIComponent(sdp).length : null;
          return row;
        });
    });

    await measure('interactive', async () => {
      log(`cold loads: ${C.coldLoads} x Tin Can, ${C.coldLoads} x one-button page`);
      const out = { tincan: [], plain: [] };
      // One load of each first, not counted: it only warms the OS file cache and the server.
      await tincan.coldLoad(browser, appUrl);
      await tincan.coldLoad(browser, buttonUrl);
      for (let i = 0; i < C.coldLoads; i++) {
        out.tincan.push(await tincan.coldLoad(browser, appUrl));
        out.plain.push(await tincan.coldLoad(browser, buttonUrl));
      }
      return out;
    });

    // Link (no ICE servers), link sizes and connect come from the same runs, alternating sides.
    await measure('connect', async () => {
      const out = { tincan: [], plain: [] };
      for (let i = 0; i < C.runs; i++) {
        log(`invite + connect, run ${i + 1}/${C.runs}`);
        const t = await tincan.connectPair(browser, appUrl);
        out.tincan.push({
          inviteMs: t.invite.ms,
          inviteGatheredMs: t.invite.gatheredMs,
          answerMs: t.answer.ms,
          answerGatheredMs: t.answer.gatheredMs,
          connectMs: t.connectMs,
          channelOpenMs: t.channelOpenMs,
          inviteFragment: fragment(t.invite.link).length,
          answerFragment: fragment(t.answer.link).length,
          inviteSdp: t.invite.sdp,
          answerSdp: t.answer.sdp,
        });
        await t.close();
        const p = await plain.connectPair(browser, rtcUrl);
        out.plain.push({ offerMs: p.offer.ms, answerMs: p.answer.ms, connectMs: p.connectMs });
        await p.close();
      }
      for (const run of out.tincan) {
        run.inviteSdpChars = run.inviteSdp?.length ?? null;
        run.answerSdpChars = run.answerSdp?.length ?? null;
        run.inviteLz = lz && run.inviteSdp ? lz.compressToEncodedURIComponent(run.inviteSdp).length : null;
        run.answerLz = lz && run.answerSdp ? lz.compressToEncodedURIComponent(run.answerSdp).length : null;
      }
      return out;
    });

    await measure('deadStun', async () => {
      const out = { tincan: [], plain: [] };
      for (let i = 0; i < C.deadStunRuns; i++) {
        log(`dead STUN, Tin Can run ${i + 1}/${C.deadStunRuns}`);
        const r = await tincan.timeToInvite(browser, appUrl, [DEAD_STUN]);
        out.tincan.push({ ms: r.ms, fragment: fragment(r.link).length });
      }
      for (let i = 0; i < C.deadStunBaselineRuns; i++) {
        log(`dead STUN, plain-JS run ${i + 1}/${C.deadStunBaselineRuns} (up to ${C.deadStunCapMs / 1000} s)`);
        const r = await plain.timeToOffer(browser, rtcUrl, [DEAD_STUN], C.deadStunCapMs);
        out.plain.push({ ms: r.ms, complete: r.complete });
      }
      return out;
    });

    await measure('pings', async () => {
      log(`round trips: ${C.pings} pings (+${C.pingWarmup} warm-up), Tin Can`);
      const t = await tincan.pingPong(browser, appUrl, C.pings, C.pingWarmup);
      log(`round trips: ${C.pings} pings, plain JS`);
      const p = await plain.pingPong(browser, rtcUrl, C.pings, C.pingWarmup);
      return { tincan: t, plain: p };
    });

    await measure('burst', async () => {
      log(`burst: ${C.burst} messages, Tin Can (cap ${C.burstCapMs / 1000} s)`);
      const t = await tincan.burst(browser, appUrl, C.burst, C.burstCapMs);
      log(`burst: ${C.burst} messages, plain JS`);
      const p = await plain.burst(browser, rtcUrl, C.burst);
      return { tincan: t, plain: p };
    });

    await measure('file', async () => {
      const mib = C.fileBytes / 2 ** 20;
      log(`file: ${C.fileRuns} x ${mib} MiB each side, taking turns, after one ${C.fileWarmBytes / 2 ** 20} MiB warm-up each`);
      // One random file, linked under a new name for each run: the name is what the receiver shows.
      const dir = mkdtempSync(path.join(os.tmpdir(), 'tincan-bench-'));
      const data = randomBytes(C.fileBytes);
      writeFileSync(path.join(dir, 'random.bin'), data);
      writeFileSync(path.join(dir, 'warm-up.bin'), data.subarray(0, C.fileWarmBytes));
      const named = (name) => {
        linkSync(path.join(dir, 'random.bin'), path.join(dir, name));
        return path.join(dir, name);
      };
      const out = { tincan: [], plain: [], plainFile: [], plainVerified: [], warm: {} };
      const pairs = [];
      try {
        const t = await tincan.connectPair(browser, appUrl);
        pairs.push(t);
        const p = await plain.connectPair(browser, rtcUrl);
        pairs.push(p);
        // The first transfer on a connection is slower on both sides (the connection and the
        // page's code warm up); it is reported, not counted.
        out.warm.tincan = await tincan.sendFile(t, path.join(dir, 'warm-up.bin'), C.fileCapMs);
        out.warm.plain = await plain.sendFile(p, C.fileWarmBytes, C.fileChunk, C.fileLow, C.fileHigh);
        // A page keeps working after its figure is taken (a new Blob's bytes still move to the
        // browser process, garbage is collected): every run is followed by a pause, so that work
        // never lands in the next run's time.
        const timed = async (list, transfer) => {
          list.push(await transfer());
          await new Promise((resolve) => setTimeout(resolve, C.fileSettleMs));
        };
        const chosen = path.join(dir, 'random.bin');
        const args = [C.fileBytes, C.fileChunk, C.fileLow, C.fileHigh];
        for (let i = 0; i < C.fileRuns; i++) {
          await timed(out.tincan, () => tincan.sendFile(t, named(`random-${mib}MiB-${i + 1}.bin`), C.fileCapMs));
          await timed(out.plain, () => plain.sendFile(p, ...args));
          await timed(out.plainFile, () => plain.sendChosenFile(p, chosen, ...args, C.fileRead));
          await timed(out.plainVerified, () => plain.sendChosenFileVerified(p, chosen, ...args, C.fileRead));
        }
      } finally {
        for (const pair of pairs) await pair.close();
        rmSync(dir, { recursive: true, force: true });
      }
      return out;
    });

    await measure('storage', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'tincan-bench-store-'));
      const out = {};
      try {
        for (const n of C.storedCounts) {
          log(`storage: ${lib.int(n)} stored messages, Tin Can (import, ${C.storageReloads} reloads, ${C.storageSends} sends)`);
          const t = await storage.tincan(chromium, LAUNCH, appUrl, storage.exportFile(dir, n), n, C.storageReloads, C.storageSends);
          log(`storage: ${lib.int(n)} stored messages, the localStorage way`);
          const p = await storage.localStorageWay(chromium, LAUNCH, base.url, n, C.storageReloads, C.storageSends);
          out[n] = { tincan: t, plain: p };
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      return out;
    });
  } finally {
    await browser.close();
    await app.stop();
    await base.stop();
    snap.remove();
  }

  const elapsedS = (Date.now() - started) / 1000;
  const { rows, notes, summary } = table();
  printTable(rows, notes);
  const results = {
    date: new Date().toISOString(),
    chromium: chromiumVersion,
    node: process.version,
    machine: { platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model },
    dist: opts.dist,
    distBuiltAt,
    distStale: process.env.BENCH_DIST_STALE === '1',
    config: { ...C, quick: opts.quick, deadStun: DEAD_STUN },
    elapsedS: lib.round(elapsedS),
    summary,
    table: rows,
    notes,
    raw,
    errors,
  };
  // Page clocks tick in 0.1 ms steps at best: three decimals keep everything that was measured.
  const trim = (_, v) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v);
  writeFileSync(opts.out, `${JSON.stringify(results, trim, 2)}\n`);
  log(`done in ${elapsedS.toFixed(0)} s; raw numbers in ${path.relative(process.cwd(), opts.out)}`);
  if (Object.keys(errors).length) {
    console.error(`run.mjs: ${Object.keys(errors).length} measurement(s) failed: ${Object.keys(errors).join(', ')}`);
    process.exitCode = 1;
  }
}

// ---- The table ---------------------------------------------------------------------------------

const met = (ok) => (ok === null || ok === undefined ? '—' : ok ? 'yes' : '**no**');

function table() {
  const rows = [];
  const notes = [];
  const summary = {};
  const row = (figure, tin, pl, r, target = '—', ok = null) =>
    rows.push({ figure, tincan: tin, plain: pl, ratio: r, target, met: met(ok) });
  const failed = (figure, name) =>
    opts.only && !opts.only.has(name) ? null : row(figure, `error (${name})`, 'error', '—');

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
    row('Invite link fragment, chars', lib.int(s.invite), lzText(s.inviteLz, s.inviteSdp), lib.ratio(s.invite / s.inviteLz));
    row('Answer link fragment, chars', lib.int(s.answer), lzText(s.answerLz, s.answerSdp), lib.ratio(s.answer / s.answerLz));

    // 2. Time to a link, no ICE servers
    const tl = lib.median(c.tincan.map((r) => r.inviteMs));
    const pl = lib.median(c.plain.map((r) => r.offerMs));
    summary.linkNoIceMs = { tincan: tl, plain: pl };
    row(`Time to a link, no ICE servers (median of ${c.tincan.length})`, lib.ms(tl), lib.ms(pl), lib.ratio(tl / pl));
    const gathered = lib.median(c.tincan.map((r) => r.inviteGatheredMs).filter(Number.isFinite));
    summary.linkNoIceMs.tincanGathered = gathered;
    notes.push(
      `Link, no ICE servers (medians): in Tin Can, ICE gathering is complete after ${lib.ms(gathered)} and the ` +
        `invite link shows after ${lib.ms(tl)}; plain JS has its offer with all candidates after ${lib.ms(pl)}.`,
    );
  } else {
    failed('Link size and time to a link', 'connect');
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
      row(
        `Link fragment, real network: ${label}, chars`,
        `${lib.int(worst.code)} (${worst.tag}; QR ${worst.qr ?? '—'})`,
        `${lib.int(lzChars)} (lz-string; QR ${worst.lzLinkQr ?? '—'})`,
        lib.ratio(worst.code / lzChars),
        `≤ ${limit}`,
        worst.code <= limit && worst.tag !== 'L',
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

  const d = raw.deadStun;
  if (d) {
    const tl = lib.median(d.tincan.map((r) => r.ms));
    const pl = lib.median(d.plain.map((r) => r.ms));
    const capped = d.plain.some((r) => !r.complete);
    summary.linkDeadStunMs = { tincan: tl, plain: pl, plainCapped: capped };
    row(
      `Time to a link, dead STUN \`${DEAD_STUN}\` (median of ${d.tincan.length} / ${d.plain.length})`,
      lib.ms(tl),
      `${capped ? '≥ ' : ''}${lib.ms(pl)}${capped ? ` (gave up at ${C.deadStunCapMs / 1000} s)` : ' (gathering complete)'}`,
      lib.ratio(tl / pl),
      '< 2 s',
      tl < 2000,
    );
  } else {
    failed('Time to a link, dead STUN', 'deadStun');
  }

  // 3. Time to connect
  if (c) {
    const tc = lib.median(c.tincan.map((r) => r.connectMs));
    const pc = lib.median(c.plain.map((r) => r.connectMs));
    summary.connectMs = { tincan: tc, plain: pc };
    const answerT = lib.median(c.tincan.map((r) => r.answerMs));
    const answerP = lib.median(c.plain.map((r) => r.answerMs));
    const openT = lib.median(c.tincan.map((r) => r.channelOpenMs));
    const gatheredT = lib.median(c.tincan.map((r) => r.answerGatheredMs).filter(Number.isFinite));
    summary.connectSplitMs = { tincanAnswerGathered: gatheredT, tincanAnswerLink: answerT, plainAnswer: answerP, tincanChannelsOpen: openT };
    notes.push(
      `Connect (medians, from opening the invite): Tin Can's answer has gathered all candidates after ` +
        `${lib.ms(gatheredT)} and its link shows after ${lib.ms(answerT)} ` +
        `(plain JS has its answer with all candidates after ${lib.ms(answerP)}); both Tin Can channels are open ` +
        `after ${lib.ms(openT)}, "Connected" shows on both sides after ${lib.ms(tc)}.`,
    );
    row(`Time to connect (median of ${c.tincan.length})`, lib.ms(tc), lib.ms(pc), lib.ratio(tc / pc), '≤ plain ÷ 0.9 (≤ 1.11x)', tc <= pc / 0.9);
  } else {
    failed('Time to connect', 'connect');
  }

  // 4. Messages
  const p = raw.pings;
  if (p) {
    const t50 = lib.median(p.tincan.rtt), p50 = lib.median(p.plain);
    const t99 = lib.percentile(p.tincan.rtt, 99), p99 = lib.percentile(p.plain, 99);
    const sent = lib.median(p.tincan.sent);
    const channel = lib.median(p.tincan.channel);
    const turn = lib.median(p.tincan.turnaround);
    summary.rttMs = {
      tincan: { median: t50, p99: t99, sentMedian: sent, replyFrameMedian: channel, peerTurnaroundMedian: turn },
      plain: { median: p50, p99: p99 },
    };
    const firstHundred = lib.median(p.tincan.rtt.slice(0, 100));
    const lastHundred = lib.median(p.tincan.rtt.slice(-100));
    summary.rttMs.tincan.firstHundredMedian = firstHundred;
    summary.rttMs.tincan.lastHundredMedian = lastHundred;
    notes.push(
      `Round trip (Tin Can medians, from the click on Send): the ping frame leaves after ${lib.ms(sent)}; ` +
        `the pong frame is back after ${lib.ms(channel)}, of which the peer spent ${lib.ms(turn)} between ` +
        `receiving the ping and sending the pong (handling the frame, showing the ping, typing and sending); the pong is in the log ` +
        `after ${lib.ms(t50)}. Median ${lib.ms(firstHundred)} over the first 100 pings, ` +
        `${lib.ms(lastHundred)} over the last 100 (each ping adds two messages on each side). ` +
        `Plain JS only parses and answers the frame: ${lib.ms(p50)}.`,
    );
    row(`Message round trip, median (${lib.int(p.plain.length)} pings)`, lib.ms(t50), lib.ms(p50), lib.ratio(t50 / p50));
    row(`Message round trip, p99 (${lib.int(p.plain.length)} pings)`, lib.ms(t99), lib.ms(p99), lib.ratio(t99 / p99));
  } else {
    failed('Message round trip', 'pings');
  }

  const b = raw.burst;
  if (b) {
    const tMs = b.tincan.got.at - b.tincan.sent.t0;
    const tRate = (b.tincan.got.count / tMs) * 1000;
    const pMs = b.plain.got.at - b.plain.sent.t0;
    const pRate = (b.plain.got.count / pMs) * 1000;
    summary.burst = { tincan: { ms: tMs, perS: tRate, count: b.tincan.got.count, timedOut: b.tincan.got.timedOut }, plain: { ms: pMs, perS: pRate } };
    const tText = b.tincan.got.timedOut
      ? `> ${lib.ms(tMs)}: stopped at ${lib.int(b.tincan.got.count)} of ${lib.int(C.burst)} shown (${lib.int(tRate)} msg/s so far)`
      : `${lib.ms(tMs)} (${lib.int(tRate)} msg/s)`;
    row(`${lib.int(C.burst)}-message burst: all shown / received`, tText, `${lib.ms(pMs)} (${lib.int(pRate)} msg/s)`, lib.ratio(tRate / pRate), '≥ 0.9x plain msg/s', tRate >= 0.9 * pRate);
    const g = b.tincan.got;
    const tenth = Math.ceil(C.burst / 10);
    const steps = g.marks.map((m, i) => m - (i ? g.marks[i - 1] : b.tincan.sent.t0));
    const perMsg = steps.map((x) => x / tenth);
    const rest = tMs - g.split.handlerMs - g.split.layoutMs;
    summary.burstSplit = {
      senderLoopMs: b.tincan.sent.loopMs,
      senderOwnLogMs: b.tincan.own.at - b.tincan.sent.t0,
      receiverPerTenthMs: steps,
      receiverHandlerMs: g.split.handlerMs,
      receiverForcedLayoutMs: g.split.layoutMs,
      receiverForcedLayouts: g.split.layoutCalls,
      receiverRestMs: rest,
      lastFrameInMs: g.lastWireAt - b.tincan.sent.t0,
    };
    notes.push(
      `Burst (Tin Can): the receiver got ${lib.int(g.wireIn ?? NaN)} frames on the chat channel ` +
        `(${Object.entries(g.kinds ?? {}).map(([k, v]) => `${lib.int(v)} "${k}"`).join(', ')}) for ` +
        `${lib.int(g.count)} messages shown. The sender's loop (type, Send) took ${lib.ms(b.tincan.sent.loopMs)} ` +
        `(${(b.tincan.sent.loopMs / C.burst).toFixed(2)} ms a message) and its own log showed ` +
        `${b.tincan.own.complete ? 'the last one' : `only ${lib.int(b.tincan.own.count)}, not the last,`} after ` +
        `${lib.ms(b.tincan.own.at - b.tincan.sent.t0)}. The receiver's time per message, for each successive ${lib.int(tenth)} ` +
        `(the first ones share the CPU with the sender's loop): ` +
        `${perMsg.map((x) => x.toFixed(2)).join(', ')} ms` +
        `${g.timedOut ? ` (stopped after ${lib.ms(tMs)}, the time cap)` : ''}. Of the receiver's ${lib.ms(tMs)}, ` +
        `the app's message handler took ${lib.ms(g.split.handlerMs)}, forced layouts (reading scrollHeight, ` +
        `${lib.int(g.split.layoutCalls)} times) ${lib.ms(g.split.layoutMs)}, the rest (rendering: Leptos effects, ` +
        `list diff and DOM; GC; waiting for the sender) ${lib.ms(rest)}.`,
    );
  } else {
    failed('Message burst', 'burst');
  }

  // 5. Files
  const f = raw.file;
  if (f) {
    const mib = C.fileBytes / 2 ** 20;
    const rate = (bytes, ms) => bytes / 2 ** 20 / (ms / 1000);
    const tMs = lib.median(f.tincan.map((r) => r.ms));
    const pMs = lib.median(f.plain.map((r) => r.ms));
    const fMs = lib.median(f.plainFile.map((r) => r.ms));
    const vMs = lib.median(f.plainVerified.map((r) => r.ms));
    const tRate = rate(C.fileBytes, tMs);
    const pRate = rate(C.fileBytes, pMs);
    const fRate = rate(C.fileBytes, fMs);
    const vRate = rate(C.fileBytes, vMs);
    const split = (key) => lib.median(f.tincan.map((r) => r[key]));
    const warm = { tincan: rate(C.fileWarmBytes, f.warm.tincan.ms), plain: rate(C.fileWarmBytes, f.warm.plain.ms) };
    summary.file = {
      tincan: { ms: tMs, mibPerS: tRate, firstFrameMs: split('firstFrameMs'), lastFrameMs: split('lastFrameMs') },
      plain: { ms: pMs, mibPerS: pRate },
      plainFile: { ms: fMs, mibPerS: fRate },
      plainVerified: { ms: vMs, mibPerS: vRate },
      warmUpMibPerS: warm,
    };
    notes.push(
      `File (medians): Tin Can's receiver had the first chunk ${lib.ms(split('firstFrameMs'))} after the file was ` +
        `chosen, the last after ${lib.ms(split('lastFrameMs'))}, and showed "Verified" after ${lib.ms(tMs)}. Tin Can ` +
        `reads the file, frames each chunk, hashes it with WebCrypto on both sides and keeps what arrives as a Blob. ` +
        `Plain JS (bare channel) sends one ${C.fileChunk / 1024} KiB buffer over and over; plain JS (reading the file) ` +
        `reads the same file ${C.fileRead / 2 ** 20} MiB at a time with one read ahead; both only count what arrives. ` +
        `Plain JS (the same work) also puts a 9-byte header on each chunk, hashes every chunk with WebCrypto on both ` +
        `sides, checks the hash list and keeps the file as a Blob (merged every 8 MiB), as Tin Can does: it reaches ` +
        `${lib.ratio(vRate / fRate)} of plain JS reading the file, so that much is the cost of verifying and keeping ` +
        `the file, and ${lib.ratio(tRate / vRate)} is Tin Can against the same work. ` +
        `All sends pause above ${C.fileHigh / 1024} KiB buffered and resume at bufferedAmountLowThreshold = ` +
        `${C.fileLow / 1024} KiB. ` +
        `Each side's first transfer on its connection (${C.fileWarmBytes / 2 ** 20} MiB, not counted): ` +
        `Tin Can ${warm.tincan.toFixed(1)} MiB/s, plain JS ${warm.plain.toFixed(1)} MiB/s.`,
    );
    const fileRow = (baseline, ms, baseRate, target = true) =>
      row(
        `Files: ${mib} MiB, ${C.fileChunk / 1024} KiB chunks, vs ${baseline} (median of ${f.tincan.length})`,
        `${lib.ms(tMs)} (${tRate.toFixed(1)} MiB/s)`,
        `${lib.ms(ms)} (${baseRate.toFixed(1)} MiB/s)`,
        lib.ratio(tRate / baseRate),
        ...(target ? ['≥ 0.9x plain MiB/s', tRate >= 0.9 * baseRate] : ['—']),
      );
    fileRow('a bare channel sending one buffer', pMs, pRate);
    fileRow('plain JS reading the same file', fMs, fRate);
    fileRow('plain JS doing the same work (header, SHA-256 both sides, Blob)', vMs, vRate, false);
  } else {
    failed('File transfer', 'file');
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
          lib.ratio(tReload / pReload),
        );
      }
      row(
        `Storing one message, ${count} stored (median of ${t.clickToStored.length})`,
        `${lib.ms(tStore)} (click → committed; transaction ${lib.ms(lib.median(t.transaction))})`,
        p.fits ? `${lib.ms(pStore)} (stringify + setItem)` : fitsNot(p),
        lib.ratio(tStore / pStore),
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

  // 6. Shipped bytes and time to an interactive page
  const sh = raw.shipped;
  if (sh) {
    const both = (s) => `${lib.kb(s.raw)} / ${lib.kb(s.gzip)}`;
    const baseOf = (suffix) => sh.baselineFiles.find((x) => x.name.endsWith(suffix));
    for (const [kind, label] of [['wasm', 'wasm'], ['js', 'JS'], ['css', 'CSS'], ['html', 'HTML']]) {
      const b = kind === 'js' ? baseOf('.js') : kind === 'html' ? baseOf('.html') : null;
      row(`Shipped ${label}, raw / gzip -9`, both(sh.byKind[kind]), b ? both(b) : '—', '—');
    }
    summary.shippedGzip = { tincan: sh.total.gzip, plain: sh.baselineTotal.gzip };
    row(
      'Shipped total (wasm+JS+CSS+HTML), raw / gzip -9',
      both(sh.total),
      `${both(sh.baselineTotal)} (rtc.html + rtc.js)`,
      lib.ratio(sh.total.gzip / sh.baselineTotal.gzip),
      '≤ 250 KB gzip',
      sh.total.gzip <= 250_000,
    );
  } else {
    failed('Shipped bytes', 'shipped');
  }

  const it = raw.interactive;
  if (it) {
    const t = lib.median(it.tincan), pl = lib.median(it.plain);
    summary.interactiveMs = { tincan: t, plain: pl };
    row(`Navigation → "Create invite" usable (median of ${it.tincan.length} cold loads)`, lib.ms(t), `${lib.ms(pl)} (one-button page)`, lib.ratio(t / pl));
  } else {
    failed('Time to an interactive page', 'interactive');
  }

  return { rows, notes, summary };
}

function printTable(rows, notes) {
  const header = ['figure', 'Tin Can', 'plain JS', 'ratio', 'target', 'met?'];
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${header.map((h, i) => (i === 0 ? '---' : i === 3 ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${[r.figure, r.tincan, r.plain, r.ratio, r.target, r.met].join(' | ')} |`),
  ];
  console.log(lines.join('\n'));
  if (notes.length) console.log(`\nWhere the time goes:\n\n${notes.map((n) => `- ${n}`).join('\n')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
