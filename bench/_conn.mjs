import { chromium } from '@playwright/test';
import * as lib from '/work/main/bench/lib.mjs';
import * as tincan from '/work/main/bench/tincan.mjs';
const snap = await lib.snapshot(process.env.DIST || '/work/main/dist', '/tincan/');
const app = await lib.serve('/work/main', snap.dir, '/tincan/');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
const trace = () => {
  const now = () => performance.timeOrigin + performance.now();
  window.__tl = [];
  const mark = (what) => window.__tl.push([what, now()]);
  window.__mark = mark;
  const P = RTCPeerConnection.prototype;
  for (const name of ['setRemoteDescription', 'createAnswer', 'setLocalDescription', 'createDataChannel', 'addIceCandidate', 'createOffer']) {
    const orig = P[name];
    P[name] = function (...a) { mark(name + '>'); const r = orig.apply(this, a); if (r && r.then) r.then(() => mark(name + '<'), () => mark(name + ' !')); return r; };
  }
  const Orig = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...a) { mark('new PC'); const pc = new Orig(...a); pc.addEventListener('icegatheringstatechange', () => mark('gathering ' + pc.iceGatheringState)); pc.addEventListener('icecandidate', (e) => mark('candidate ' + (e.candidate ? 'x' : 'null'))); pc.addEventListener('connectionstatechange', () => mark('conn ' + pc.connectionState)); return pc; };
  window.RTCPeerConnection.prototype = Orig.prototype;
  window.addEventListener('hashchange', () => mark('hashchange'));
};
for (let run = 0; run < 3; run++) {
  const a = await tincan.openApp(browser, app.url, []);
  const b = await tincan.openApp(browser, app.url, []);
  await b.context.addInitScript(trace);
  await b.page.reload();
  await b.page.getByRole('button', { name: 'Create invite', exact: true }).waitFor();
  const invite = await a.page.evaluate(() => window.__bench.createInvite());
  const answer = await b.page.evaluate((link) => window.__bench.openInvite(link), invite.link);
  await a.context.addInitScript(() => {});
  const tl = await b.page.evaluate(() => window.__tl);
  console.log(`run ${run}: answer link at ${answer.ms.toFixed(1)}`);
  console.log(tl.filter(([, t]) => t >= answer.t0).map(([w, t]) => `${(t - answer.t0).toFixed(1).padStart(6)} ${w}`).join('\n'));
  // A side: trace from the paste
  await a.page.evaluate(trace);
  await a.page.evaluate(() => { const P = RTCDataChannel.prototype; const os = P.send; P.send = function (d) { window.__mark('send ' + String(d).slice(0, 12)); return os.call(this, d); };
    for (const pc of window.__bench.pcs) { pc.addEventListener('connectionstatechange', () => window.__mark('conn ' + pc.connectionState)); pc.addEventListener('iceconnectionstatechange', () => window.__mark('ice ' + pc.iceConnectionState)); pc.sctp?.transport?.addEventListener('statechange', () => window.__mark('dtls ' + pc.sctp.transport.state)); } });
  await a.page.evaluate(() => { document.addEventListener('input', () => window.__mark('input'), true); document.addEventListener('click', () => window.__mark('click'), true); });
  const tEval = Date.now();
  const aConnectedAt = await a.page.evaluate((link) => { window.__mark('acceptAnswer start'); return window.__bench.acceptAnswer(link); }, answer.link);
  const tlA = await a.page.evaluate(() => window.__tl);
  const t0 = answer.t0;
  console.log(`A: connected ${(aConnectedAt - answer.t0).toFixed(1)} (from B t0); A timeline from its first mark:`);
  console.log(tlA.map(([w, t]) => `${(t - t0).toFixed(1).padStart(6)} ${w}`).join('\n'));
  const tlB = await b.page.evaluate(() => window.__tl);
  console.log('B after link:'); console.log(tlB.filter(([, t]) => t >= answer.t0 + answer.ms).map(([w, t]) => `${(t - answer.t0).toFixed(1).padStart(6)} ${w}`).join('\n'));
  await a.context.close(); await b.context.close();
}
await browser.close(); await app.stop(); snap.remove();
