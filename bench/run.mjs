#!/usr/bin/env node
// Tin Can's benchmark (issues #7, #18): every figure next to a plain-JS baseline measured in the
// same run, in the same headless Chromium, on loopback only.
//
//   node bench/run.mjs [--dist dist-bench] [--out bench/results.json] [--svg bench/results.svg] [--quick]
//
// Prints a Markdown table to stdout (progress goes to stderr), writes all raw numbers to --out
// and a chart of every row's ratio against its target to --svg. Usually run through
// scripts/bench.sh, which builds dist-bench/ first when it is stale.
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
import { markdown, table } from './table.mjs';
import { chart } from './chart.mjs';
import { measureCall } from './call.mjs';
import { measureFanOut, measureFourthMember } from './group.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');

const DEAD_STUN = 'stun:127.0.0.1:9'; // a closed loopback port: the STUN server never answers

function parseArgs(argv) {
  const opts = { dist: path.join(REPO, 'dist-bench'), out: path.join(HERE, 'results.json'), svg: path.join(HERE, 'results.svg'), quick: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') opts.quick = true;
    else if (arg === '--dist') opts.dist = path.resolve(argv[++i]);
    else if (arg === '--out') opts.out = path.resolve(argv[++i]);
    else if (arg === '--svg') opts.svg = path.resolve(argv[++i]);
    else if (arg === '--only') {
      opts.only = new Set(String(argv[++i]).split(','));
      // `group`: both group rows.
      if (opts.only.has('group')) ['groupMesh', 'groupFanOut'].forEach((name) => opts.only.add(name));
    }
    else if (arg === '-h' || arg === '--help') {
      console.log(
        'usage: node bench/run.mjs [--dist dist-bench] [--out bench/results.json] [--svg bench/results.svg] [--quick]\n' +
          '                          [--only shipped,linkShapes,interactive,phone,connect,deadStun,pings,burst,file,call,\n' +
          '                                  groupMesh,groupFanOut (or group: both),storage]',
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
  pings: opts.quick ? 200 : 1000, // back to back
  pingWarmup: 20,
  // Each typed pingGapMs after the previous reply showed: longer than anything a message leaves
  // behind (a receipt after 20 ms, a storage write within 100 ms, frames), so every ping meets
  // idle pages, as a person's messages do.
  pacedPings: opts.quick ? 40 : 150,
  pingGapMs: 200,
  burst: opts.quick ? 2000 : 10000,
  burstCapMs: opts.quick ? 20000 : 60000, // from the start of the send loop
  fileBytes: (opts.quick ? 16 : 64) * 1024 * 1024,
  fileChunk: 64 * 1024,
  // The app's queue (src/web/file_channel.rs): a longer one lets SCTP burst past what Chromium's
  // renderer hands on, and the first transfer on a new connection stalls (bench/README.md).
  fileLow: 16 * 1024, // bufferedAmountLowThreshold: sending resumes here
  fileHigh: 64 * 1024, // sending pauses above this much buffered
  fileRead: 4 * 1024 * 1024, // plain JS reading a file: bytes per read (Tin Can's READ_BYTES)
  fileRuns: Number(process.env.BENCH_FILE_RUNS || 7), // each side, taking turns, over one connection each
  fileWarmBytes: 16 * 1024 * 1024, // the first transfer on a new connection
  fileFirstRuns: opts.quick ? 1 : 7, // first transfers, each side, each on a new connection
  fileCapMs: 60000, // per Tin Can transfer
  fileSettleMs: 1000, // idle time after every file run
  coldLoads: opts.quick ? 3 : 5,
  phoneLoads: opts.quick ? 2 : 5,
  // A phone: Lighthouse's "slow 4G" network and a CPU 4x slower than this machine's.
  phone: { cpuSlowdown: 4, latencyMs: 150, downKbit: 1600, upKbit: 750 },
  memorySettleMs: 1000,
  storedCounts: opts.quick ? [100, 10_000] : [100, 10_000, 100_000], // messages stored
  storageReloads: opts.quick ? 2 : 3,
  storageSends: opts.quick ? 10 : 20,
  callRuns: opts.quick ? 3 : 7, // calls, each side, taking turns
  groupMeshRuns: opts.quick ? 1 : 3, // a fourth member to full mesh, then three link connections
  groupSize: 8, // the most a group has (core::group::MAX_MEMBERS)
  cores: os.cpus().length,
  // At a person's pace, as the round trips: each message typed pingGapMs after every other
  // member's receipt for the previous one came back.
  fanOutMessages: opts.quick ? 40 : 150,
  fanOutWarmup: 10,
  groupIdleMs: 5000, // CPU of the whole group doing nothing, before the messages
  groupTimeoutMs: 30000, // a full mesh after a paste; every receipt of one message
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
  const seedUrl = `${base.url}seed.html`;
  const buttonUrl = base.url; // index.html: one button
  log(`Tin Can at ${appUrl}, baselines at ${base.url}`);
  // The phone's first load goes over a static server that compresses as GitHub Pages does.
  const gzApp = await lib.serveCompressed(snap.dir, '/tincan/');
  const gzBase = await lib.serveCompressed(path.join(HERE, 'baseline'), '/baseline/');

  const browser = await chromium.launch(LAUNCH);
  const chromiumVersion = browser.version();
  log(`Chromium ${chromiumVersion}`);

  try {
    await measure('shipped', () => {
      const exts = ['.wasm', '.js', '.css', '.html'];
      // The first load: index.html and what it names. The QR decoder worker (fetched only when
      // a browser without BarcodeDetector scans a code) is not part of it.
      const html = readFileSync(path.join(snap.dir, 'index.html'), 'utf8');
      const files = lib.sizes(snap.dir, exts).filter((f) => f.name === 'index.html' || html.includes(f.name));
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

    // A phone's first load: cold, CPU and network throttled through CDP, compressed files.
    await measure('phone', async () => {
      log(`phone first loads: ${C.phoneLoads} x Tin Can, ${C.phoneLoads} x one-button page`);
      const out = { tincan: [], plain: [] };
      for (let i = 0; i < C.phoneLoads; i++) {
        out.tincan.push(await tincan.phoneLoad(browser, gzApp.url, C.phone));
        out.plain.push(await tincan.phoneLoad(browser, gzBase.url, C.phone));
      }
      return out;
    });

    // Link (no ICE servers), link sizes and connect come from the same runs, alternating sides.
    await measure('connect', async () => {
      const out = { tincan: [], seed: [], plain: [] };
      for (let i = 0; i < C.runs; i++) {
        log(`invite + connect, run ${i + 1}/${C.runs}`);
        const t = await tincan.connectPair(browser, appUrl);
        out.tincan.push({
          inviteMs: t.invite.ms,
          inviteGatheredMs: t.invite.gatheredMs,
          answerMs: t.answer.ms,
          answerGatheredMs: t.answer.gatheredMs,
          connectMs: t.connectMs,
          readyMs: t.readyMs,
          channelOpenMs: t.channelOpenMs,
          inviteFragment: fragment(t.invite.link).length,
          answerFragment: fragment(t.answer.link).length,
          inviteSdp: t.invite.sdp,
          answerSdp: t.answer.sdp,
        });
        await t.close();
        const sd = await tincan.connectPair(browser, seedUrl, { seed: true });
        out.seed.push({ inviteMs: sd.invite.ms, answerMs: sd.answer.ms, answerGatheredMs: sd.answer.gatheredMs, connectMs: sd.connectMs, readyMs: sd.readyMs, channelOpenMs: sd.channelOpenMs });
        await sd.close();
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

    // Round trips: at a person's pace (each ping once both pages are idle again), then back to
    // back (each ping as soon as the reply shows: the pages never idle).
    await measure('pings', async () => {
      const out = { paced: {}, backToBack: {} };
      const { pacedPings: n, pingWarmup: w, pingGapMs: gap } = C;
      log(`round trips: ${n} pings ${gap} ms apart (+${w} warm-up), Tin Can, seed page, bare channel`);
      out.paced.tincan = await tincan.pingPong(browser, appUrl, n, w, { gapMs: gap });
      out.paced.seed = await tincan.pingPong(browser, seedUrl, n, w, { seed: true, gapMs: gap });
      out.paced.plain = await plain.pingPong(browser, rtcUrl, n, w, gap);
      log(`round trips: ${C.pings} pings back to back (+${w} warm-up), Tin Can, seed page, bare channel`);
      out.backToBack.tincan = await tincan.pingPong(browser, appUrl, C.pings, w);
      out.backToBack.seed = await tincan.pingPong(browser, seedUrl, C.pings, w, { seed: true });
      out.backToBack.plain = await plain.pingPong(browser, rtcUrl, C.pings, w);
      return out;
    });

    await measure('burst', async () => {
      log(`burst: ${C.burst} messages, Tin Can (cap ${C.burstCapMs / 1000} s)`);
      const memory = { settleMs: C.memorySettleMs };
      const t = await tincan.burst(browser, appUrl, C.burst, C.burstCapMs, { memory });
      log(`burst: ${C.burst} messages, seed-design page`);
      const sd = await tincan.burst(browser, seedUrl, C.burst, C.burstCapMs, { seed: true, memory });
      log(`burst: ${C.burst} messages, bare channel`);
      const p = await plain.burst(browser, rtcUrl, C.burst);
      return { tincan: t, seed: sd, plain: p };
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
        const warmFile = path.join(dir, 'warm-up.bin');
        const first = [C.fileWarmBytes, C.fileChunk, C.fileLow, C.fileHigh, C.fileRead];
        out.warm.tincan = await tincan.sendFile(t, warmFile, C.fileCapMs);
        out.warm.plain = await plain.sendChosenFileVerified(p, warmFile, ...first);
        out.first = { tincan: [out.warm.tincan], plain: [out.warm.plain] };
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
        for (const pair of pairs.splice(0)) await pair.close();

        // The first transfer on a new connection, which is the one most people make: more new
        // connections, one first transfer each, taking turns.
        for (let i = 1; i < C.fileFirstRuns; i++) {
          log(`file: first transfer on a new connection, ${i + 1}/${C.fileFirstRuns} each side`);
          const warmName = (side) => {
            const name = path.join(dir, `first-${side}-${i + 1}.bin`);
            linkSync(warmFile, name);
            return name;
          };
          const tf = await tincan.connectPair(browser, appUrl);
          pairs.push(tf);
          out.first.tincan.push(await tincan.sendFile(tf, warmName('tincan'), C.fileCapMs));
          await pairs.pop().close();
          const pf = await plain.connectPair(browser, rtcUrl);
          pairs.push(pf);
          out.first.plain.push(await plain.sendChosenFileVerified(pf, warmName('plain'), ...first));
          await pairs.pop().close();
        }

        // What the pages hold after one whole-file transfer on a new connection.
        log(`file: memory after one ${mib} MiB transfer, each side`);
        const settle = () => new Promise((resolve) => setTimeout(resolve, C.memorySettleMs));
        const tm = await tincan.connectPair(browser, appUrl);
        pairs.push(tm);
        await tincan.sendFile(tm, named(`memory-${mib}MiB.bin`), C.fileCapMs);
        await settle();
        out.memory = { tincan: { receiver: await tincan.pageMemory(tm.b.page), sender: await tincan.pageMemory(tm.a.page) } };
        await pairs.pop().close();
        const pm = await plain.connectPair(browser, rtcUrl);
        pairs.push(pm);
        await plain.sendChosenFileVerified(pm, chosen, ...args, C.fileRead);
        await settle();
        out.memory.plain = { receiver: await tincan.pageMemory(pm.b.page), sender: await tincan.pageMemory(pm.a.page) };
        await pairs.pop().close();
      } finally {
        for (const pair of pairs) await pair.close();
        rmSync(dir, { recursive: true, force: true });
      }
      return out;
    });

    // Its own Chromium: the fake camera and microphone are launch switches.
    await measure('call', () => {
      log(`call: Video call → first remote frame, ${C.callRuns} runs each`);
      return measureCall(chromium, { origin: new URL(appUrl).origin, distBase: '/tincan/', runs: C.callRuns });
    });

    // Groups (issue #21): eight contexts in this browser at most.
    await measure('groupMesh', () =>
      measureFourthMember(browser, appUrl, { runs: C.groupMeshRuns, timeoutMs: C.groupTimeoutMs, log }),
    );

    await measure('groupFanOut', () =>
      measureFanOut(browser, appUrl, {
        size: C.groupSize,
        messages: C.fanOutMessages,
        warmup: C.fanOutWarmup,
        gapMs: C.pingGapMs,
        idleMs: C.groupIdleMs,
        timeoutMs: C.groupTimeoutMs,
        log,
      }),
    );

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
    await gzApp.stop();
    await gzBase.stop();
    snap.remove();
  }

  const elapsedS = (Date.now() - started) / 1000;
  const { rows, notes, summary } = table(raw, C, opts.only, { deadStun: DEAD_STUN });
  console.log(markdown(rows, notes));
  const title = `Tin Can ÷ baseline, ${new Date().toISOString().slice(0, 10)}, Chromium ${chromiumVersion}, ${os.cpus().length} cores`;
  writeFileSync(opts.svg, chart(rows, title));
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

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
