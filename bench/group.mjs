// The group rows of Tin Can's benchmark (issue #21), driven through the app's UI like
// bench/tincan.mjs drives a two-person chat, and timed inside the pages on
// `performance.timeOrigin + performance.now()`, the clock every context of one browser shares:
//
// - **Fourth member to full mesh**: three members in a full mesh, one of them presses "Add
//   person", the newcomer opens the link, its answer is pasted back and "Add to group" pressed;
//   from that paste until all four member lists show every other member as "direct". Beside it,
//   from "Add person" (the link made, opened and answered at machine speed) and, in the same
//   run, the same three connections made the two-person way, with links, one after the other.
// - **Fan-out latency**: a group of eight contexts; one member sends messages at a person's
//   pace (each typed `gapMs` after every other member has it), and each member's page records
//   when each message is added to its log (a MutationObserver); per message, the time from the
//   click on Send until the last of the other seven has it. Beside it, the same measurement in a
//   two-person chat.
//
// bench/run.mjs wiring: `measureFourthMember(browser, appUrl, opts)` and
// `measureFanOut(browser, appUrl, opts)`.

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as lib from './lib.mjs';
import { connectPair, openApp } from './tincan.mjs';

export const NAMES = ['Ann', 'Bob', 'Cat', 'Dan', 'Eve', 'Fay', 'Gus', 'Hal'];

/**
 * In-page helpers for group members (page.evaluate after the probe of bench/tincan.mjs is
 * there). Conditions are checked on DOM changes only (no poll), as they all change the DOM.
 */
function groupProbe() {
  const { when, type, text, button, control } = window.__bench.helpers;
  const now = window.__bench.now;
  const membersButton = () => [...document.querySelectorAll('button')].find((b) => /^Members \(\d+\)$/.test(text(b)));
  const memberRows = () => [...document.querySelectorAll('[data-testid="group-members"] [data-testid="member"]')];
  const messageLog = () => document.querySelector('[role="log"][aria-label="Messages"]');
  // A promise that never rejects: a failure is a value the runner reads and throws.
  const settle = (promise) => promise.then((value) => ({ value }), (err) => ({ error: String(err?.message ?? err) }));

  window.__group = {
    /**
     * `mesh` resolves when the member list shows `size` members, every other one "direct". The
     * list is opened as soon as its button is there (a newcomer gets it once it is in the group).
     */
    watchMesh(size, timeoutMs) {
      this.mesh = settle(
        when(
          () => {
            const members = membersButton();
            if (members?.getAttribute('aria-expanded') === 'false') members.click();
            const rows = memberRows();
            return rows.length === size && rows.filter((row) => row.dataset.reach === 'direct').length === size - 1;
          },
          timeoutMs,
          `a full mesh of ${size} (${membersButton() ? 'in the group' : 'not in a group yet'})`,
          false,
        ).then(({ at }) => at),
      );
    },

    /** How the member list stands (for an error message). */
    reach() {
      return memberRows().map((row) => `${text(row.querySelector('.member-name'))}: ${row.dataset.reach}`).join(', ');
    },

    closeMembers() {
      const members = membersButton();
      if (members?.getAttribute('aria-expanded') === 'true') members.click();
    },

    /** "Add person" until its invite link is in the box. */
    async addPersonLink(timeoutMs) {
      const t0 = now();
      button('Add person').click();
      const linkBox = () => {
        const box = document.getElementById('add-person-link');
        return box && box.value.includes('#') ? box.value : null;
      };
      const { at, value } = await when(linkBox, timeoutMs, 'the Add person link', false);
      return { ms: at - t0, link: value };
    },

    /**
     * Pastes the newcomer's answer and presses "Add to group"; `joined` resolves when the Add
     * person panel closes (the newcomer's hello arrived) or shows a problem.
     */
    pasteAnswer(link, timeoutMs) {
      const t0 = now();
      type(control('Paste their answer link'), link);
      button('Add to group').click();
      this.joined = settle(
        when(
          () => {
            const panel = document.querySelector('[data-testid="add-person"]');
            if (!panel) return { ok: true };
            const problem = panel.querySelector('[role="alert"]');
            return problem ? { problem: text(problem) } : null;
          },
          timeoutMs,
          "the newcomer's hello",
          false,
        ).then(({ at, value }) => ({ at, ...value })),
      );
      return t0;
    },

    /** Receiver: records when each message from a peer is added to the log. */
    collect() {
      this.arrivals = {};
      const arrivals = this.arrivals;
      const log = messageLog();
      const seen = (li) => {
        const key = text(li.querySelector('p.text'));
        if (!(key in arrivals)) arrivals[key] = now();
      };
      this.collector?.disconnect();
      this.collector = new MutationObserver((records) => {
        for (const record of records) {
          for (const node of record.addedNodes) {
            if (node.nodeType !== 1) continue;
            if (node.matches('li[data-author="peer"]')) seen(node);
            else for (const li of node.querySelectorAll('li[data-author="peer"]')) seen(li);
          }
        }
      });
      this.collector.observe(log, { childList: true, subtree: true });
    },

    stopCollecting() {
      this.collector?.disconnect();
      return this.arrivals;
    },

    /**
     * Sender: `warmup + n` messages "fan i", each timed from the click on Send, each waiting
     * until the sender's log says every other member has it (a group's "Delivered to k of k",
     * a two-person chat's "delivered"), then `gapMs`, as a person would write.
     */
    async send(n, warmup, gapMs, timeoutMs) {
      const box = control('Message');
      const sendButton = button('Send');
      const log = messageLog();
      const lastOwn = () => {
        const own = log.querySelectorAll('li[data-author="me"]');
        return own[own.length - 1];
      };
      const deliveredAll = (key) => () => {
        const li = lastOwn();
        if (!li || text(li.querySelector('p.text')) !== key) return false;
        const receipt = li.querySelector('[data-testid="group-receipt"]');
        if (receipt) return receipt.dataset.delivered === receipt.dataset.of;
        return li.dataset.delivery === 'delivered';
      };
      const sent = [];
      const confirmedMs = [];
      let unconfirmed = 0;
      for (let i = 0; i < warmup + n; i++) {
        const key = `fan ${i}`;
        const t0 = now();
        type(box, key);
        sendButton.click();
        if (i >= warmup) sent.push([key, t0]);
        try {
          const { at } = await when(deliveredAll(key), timeoutMs, `every receipt of ${key}`, false);
          if (i >= warmup) confirmedMs.push(at - t0);
        } catch {
          unconfirmed += 1;
        }
        await new Promise((resolve) => setTimeout(resolve, gapMs));
      }
      return { sent, confirmedMs, unconfirmed };
    },
  };
}

/** Clock ticks per second of /proc's CPU times. */
let clockTicks = null;
function ticksPerSecond() {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * CPU seconds (user + system) used so far by this process's Chromium descendants, from /proc
 * (null where there is no /proc). A process that ended between two samples takes its time
 * with it: sample over phases in which no context closes.
 */
export function chromiumCpuSeconds() {
  let entries;
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const procs = new Map();
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // After the name: state, ppid, ..., utime (14th field of the line), stime (15th).
      procs.set(Number(pid), { comm, ppid: Number(fields[1]), cpu: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // Gone since the listing.
    }
  }
  const children = new Map();
  for (const [pid, p] of procs) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(pid);
  }
  let ticks = 0;
  const todo = [...(children.get(process.pid) ?? [])];
  while (todo.length) {
    const pid = todo.pop();
    const p = procs.get(pid);
    if (!p) continue;
    // Chromium and its helpers; not the static servers this process also started.
    if (!/^node$/.test(p.comm)) {
      ticks += p.cpu;
      todo.push(...(children.get(pid) ?? []));
    }
  }
  return ticks / ticksPerSecond();
}

/** Measures CPU over `fn`: { result, wallMs, cpuS, cores } (cores: average cores busy). */
async function withCpu(fn) {
  const cpu0 = chromiumCpuSeconds();
  const t0 = Date.now();
  const result = await fn();
  const wallMs = Date.now() - t0;
  const cpu1 = chromiumCpuSeconds();
  const cpuS = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
  return { result, wallMs, cpuS, cores: cpuS === null ? null : cpuS / (wallMs / 1000) };
}

/** A member's tab: Tin Can in its own context, named, no ICE servers, with both probes. */
async function openMember(browser, appUrl, name) {
  const app = await openApp(browser, appUrl, [], { name });
  await app.page.evaluate(groupProbe);
  return { ...app, name };
}

/** Ann and Bob in a two-person chat, the way every group starts. */
async function namedPair(browser, appUrl, members) {
  const ann = await openMember(browser, appUrl, NAMES[0]);
  members.push(ann);
  const bob = await openMember(browser, appUrl, NAMES[1]);
  members.push(bob);
  const invite = await ann.page.evaluate(() => window.__bench.createInvite());
  const answer = await bob.page.evaluate((link) => window.__bench.openInvite(link), invite.link);
  await ann.page.evaluate((link) => window.__bench.acceptAnswer(link), answer.link);
  await bob.page.evaluate(async () => (await window.__bench.ready).at);
}

/**
 * `adder` adds a new member (named `name`) to `members` (all in a full mesh); waits until all
 * of them, the newcomer included, show a full mesh. Returns the timings (page clock, ms):
 * `linkMs` (Add person → its link), `answerMs` (the newcomer opening it → its answer link),
 * `joinedMs` (the paste → the newcomer's hello at the adder) and `meshMs` (the paste → the last
 * member showing everyone direct), with each member's own time.
 */
async function addMember(browser, appUrl, members, adder, name, timeoutMs) {
  const size = members.length + 1;
  const newcomer = await openMember(browser, appUrl, name);
  members.push(newcomer);
  const link = await adder.page.evaluate((t) => window.__group.addPersonLink(t), timeoutMs);
  const answer = await newcomer.page.evaluate((l) => window.__bench.openInvite(l), link.link);
  for (const m of members) await m.page.evaluate(([s, t]) => window.__group.watchMesh(s, t), [size, timeoutMs]);
  // CPU from the paste until every member showed the mesh (the runner's samples, around the
  // page's own times).
  const cpu0 = chromiumCpuSeconds();
  const wall0 = Date.now();
  const pastedAt = await adder.page.evaluate(([l, t]) => window.__group.pasteAnswer(l, t), [answer.link, timeoutMs]);
  const joined = await adder.page.evaluate(() => window.__group.joined);
  if (joined.error || joined.value.problem) {
    throw new Error(`adding ${name}: ${joined.error ?? joined.value.problem}`);
  }
  const meshAt = {};
  for (const m of members) {
    const mesh = await m.page.evaluate(() => window.__group.mesh);
    if (mesh.error) {
      const reach = await m.page.evaluate(() => window.__group.reach());
      throw new Error(`adding ${name}, ${m.name}: ${mesh.error}; member list: ${reach || 'not shown'}`);
    }
    meshAt[m.name] = mesh.value - pastedAt;
  }
  const wallMs = Date.now() - wall0;
  const cpu1 = chromiumCpuSeconds();
  const cpuS = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
  return {
    size,
    linkMs: link.ms,
    answerMs: answer.ms,
    joinedMs: joined.value.at - pastedAt,
    meshMs: Math.max(...Object.values(meshAt)),
    meshByMember: meshAt,
    cpuS,
    wallMs,
    cores: cpuS === null ? null : cpuS / (wallMs / 1000),
  };
}

async function closeAll(contexts) {
  for (const c of contexts.splice(0)) await c.context.close().catch(() => {});
}

/**
 * One two-person connection made with links, at machine speed: Create invite → its link, the
 * invitee opening it → "Connected" with a hello each way on both sides (bench/tincan.mjs).
 */
async function linkConnection(browser, appUrl) {
  const pair = await connectPair(browser, appUrl);
  try {
    return { inviteMs: pair.invite.ms, answerMs: pair.answer.ms, readyMs: pair.readyMs, totalMs: pair.invite.ms + pair.readyMs };
  } finally {
    await pair.close();
  }
}

/**
 * Fourth member to full mesh, `runs` times, each on new contexts: Ann and Bob connect, Ann adds
 * Cat (full mesh of 3), then Bob (who did not start the group) adds Dan, timed. After each run,
 * three two-person connections with links, one after the other, in the same browser.
 */
export async function measureFourthMember(browser, appUrl, { runs, timeoutMs = 30000, log = () => {} }) {
  const out = { group: [], links: [] };
  for (let i = 0; i < runs; i++) {
    log(`group: fourth member to full mesh, run ${i + 1}/${runs}`);
    const members = [];
    try {
      await namedPair(browser, appUrl, members);
      const third = await addMember(browser, appUrl, members, members[0], NAMES[2], timeoutMs);
      const fourth = await addMember(browser, appUrl, members, members[1], NAMES[3], timeoutMs);
      out.group.push({ ...fourth, third });
    } finally {
      await closeAll(members);
    }
    log(`group: the same three connections with links, run ${i + 1}/${runs}`);
    const links = [];
    for (let k = 0; k < 3; k++) links.push(await linkConnection(browser, appUrl));
    out.links.push({ connections: links, totalMs: links.reduce((sum, l) => sum + l.totalMs, 0) });
  }
  return out;
}

/** Sends from `sender`, collects at `receivers`: per message, when the last receiver had it. */
async function fanOutRun(sender, receivers, { messages, warmup, gapMs, receiptTimeoutMs }) {
  const pages = [sender, ...receivers].map((m) => m.page);
  for (const r of receivers) await r.page.evaluate(() => window.__group.collect());
  // Every chat frame in and out, with its kind (the probe's trace), to split the time.
  for (const page of pages) await page.evaluate(() => (window.__bench.wire.trace = []));
  const sent = await withCpu(() =>
    sender.page.evaluate(([n, w, g, t]) => window.__group.send(n, w, g, t), [messages, warmup, gapMs, receiptTimeoutMs]),
  );
  // The last message's frames are in; its receipts too (or its time is out).
  const arrivals = [];
  for (const r of receivers) arrivals.push(await r.page.evaluate(() => window.__group.stopCollecting()));
  const traces = [];
  for (const page of pages) {
    traces.push(
      await page.evaluate(() => {
        const trace = window.__bench.wire.trace;
        window.__bench.wire.trace = null;
        return trace.filter(([, , kind]) => kind === 'text' || kind === 'group_text');
      }),
    );
  }
  const [sendTrace, ...receiveTraces] = traces;
  const all = []; // per message: until the last receiver had it
  const each = []; // every (message, receiver)
  const first = []; // per message: until the first receiver had it
  const split = { lastSendMs: [], frameInMs: [], firstFrameInMs: [], lastFrameInMs: [], frameToLogMs: [], copies: [] };
  let missing = 0;
  const list = sent.result.sent;
  list.forEach(([key, t0], i) => {
    const t1 = i + 1 < list.length ? list[i + 1][1] : Infinity;
    const within = (trace, dir) => trace.filter(([at, d]) => d === dir && at >= t0 && at < t1).map(([at]) => at);
    const got = arrivals.map((a) => a[key]);
    if (got.some((at) => at === undefined)) {
      missing += 1;
      return;
    }
    all.push(Math.max(...got) - t0);
    first.push(Math.min(...got) - t0);
    each.push(...got.map((at) => at - t0));
    // Messages are 200 ms apart and each waits for every receipt: the frames of the text kind
    // in between are this message's (one copy to each receiver).
    const outs = within(sendTrace, 'out');
    split.copies.push(outs.length);
    if (outs.length) split.lastSendMs.push(Math.max(...outs) - t0);
    const ins = receiveTraces.map((trace) => within(trace, 'in')[0]);
    if (ins.every((at) => at !== undefined)) {
      split.frameInMs.push(...ins.map((at) => at - t0));
      split.firstFrameInMs.push(Math.min(...ins) - t0);
      split.lastFrameInMs.push(Math.max(...ins) - t0);
      split.frameToLogMs.push(...ins.map((at, r) => got[r] - at));
    }
  });
  const med = (x) => lib.median(x);
  return {
    receivers: receivers.length,
    messages,
    all,
    first,
    each,
    missing,
    unconfirmed: sent.result.unconfirmed,
    confirmedMs: sent.result.confirmedMs,
    split: {
      lastSendMs: med(split.lastSendMs),
      frameInMs: med(split.frameInMs),
      firstFrameInMs: med(split.firstFrameInMs),
      lastFrameInMs: med(split.lastFrameInMs),
      frameToLogMs: med(split.frameToLogMs),
      copies: med(split.copies),
    },
    wallMs: sent.wallMs,
    cpuS: sent.cpuS,
    cores: sent.cores,
  };
}

/**
 * Fan-out: a group of `size` built by Add person from Ann, one member at a time, each addition
 * waiting for the full mesh (its times and CPU kept); then an idle sample, then Ann sends
 * `messages` (+ `warmup`) at a person's pace. Then the same in a two-person chat. A failed
 * build is tried once more on new contexts.
 */
export async function measureFanOut(
  browser,
  appUrl,
  { size = 8, messages, warmup, gapMs, idleMs = 5000, timeoutMs = 30000, receiptTimeoutMs = 10000, log = () => {} },
) {
  const out = { size, build: null, idle: null, group: null, pair: null, attempts: [] };
  for (let attempt = 1; !out.group; attempt++) {
    const members = [];
    try {
      log(`group fan-out: building a group of ${size} (attempt ${attempt})`);
      const built = await withCpu(async () => {
        await namedPair(browser, appUrl, members);
        const adds = [];
        for (let k = 2; k < size; k++) {
          const step = await addMember(browser, appUrl, members, members[0], NAMES[k], timeoutMs);
          adds.push(step);
          log(`group fan-out: ${k + 1} members, full mesh ${lib.ms(step.meshMs)} after the paste`);
        }
        return adds;
      });
      out.build = { adds: built.result, wallMs: built.wallMs, cpuS: built.cpuS, cores: built.cores };
      for (const m of members) await m.page.evaluate(() => window.__group.closeMembers());
      const idle = await withCpu(() => new Promise((resolve) => setTimeout(resolve, idleMs)));
      out.idle = { wallMs: idle.wallMs, cpuS: idle.cpuS, cores: idle.cores };
      log(`group fan-out: ${messages} messages ${gapMs} ms apart (+${warmup} warm-up) from Ann to ${size - 1} members`);
      out.group = await fanOutRun(members[0], members.slice(1), { messages, warmup, gapMs, receiptTimeoutMs });
    } catch (err) {
      out.attempts.push(String(err?.message ?? err));
      log(`group fan-out: attempt ${attempt} failed: ${err?.message ?? err}`);
      if (attempt >= 2) throw err;
    } finally {
      await closeAll(members);
    }
  }
  log(`group fan-out: the same ${messages} messages in a two-person chat`);
  const pair = await connectPair(browser, appUrl);
  try {
    for (const side of [pair.a, pair.b]) await side.page.evaluate(groupProbe);
    out.pair = await fanOutRun(pair.a, [pair.b], { messages, warmup, gapMs, receiptTimeoutMs });
  } finally {
    await pair.close();
  }
  return out;
}
