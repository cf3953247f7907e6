// Tin Can's seed design as a plain-JS page: the baseline of the benchmark's connect, round-trip,
// burst and memory rows (bench/run.mjs). What it does is what Tin Can must do at the least:
//
// - on load, one throwaway RTCPeerConnection and offer, as Tin Can warms WebRTC up (the first
//   connection of a page costs Chromium several milliseconds more than the next ones);
// - "Create invite": a connection with a negotiated "chat" channel (id 0), its offer with every
//   candidate, in a link's fragment; "Connect" takes the answer link pasted back;
// - the invitee takes the offer from the link it was opened with (also a same-document
//   navigation: hashchange) and shows its answer link;
// - once the channel is open, one hello each way; each side shows "Connected" and the chat once
//   it has the other's hello;
// - messages are JSON frames {"k":"text","seq":n,"text":"…","ts":ms}, sent by the "Send"
//   button, each appended to the page as a list item (its text and time), the list following
//   the newest once per frame.
//
// No receipts, no storage, no files, no framework. The names are those of Tin Can's contract
// (README), so bench/tincan.mjs drives this page exactly as it drives the app.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const status = $('status');
  const log = $('log');
  const box = $('message');
  const show = (id) => {
    for (const section of ['start', 'invite', 'answer', 'chat']) $(section).hidden = section !== id;
  };

  let pc = null;
  let chat = null;
  let seq = 0;
  let inviter = false;

  // The link's fragment: o (offer) or a (answer), then the SDP, URI-encoded.
  const link = (kind, sdp) => `${location.origin}${location.pathname}${location.search}#${kind}${encodeURIComponent(sdp)}`;
  const fromLink = (text, kind) => {
    const at = text.indexOf('#');
    return at >= 0 && text[at + 1] === kind ? decodeURIComponent(text.slice(at + 2)) : null;
  };

  function gathered() {
    return new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve();
      });
    });
  }

  function connection() {
    pc = new RTCPeerConnection({ iceServers: [] });
    chat = pc.createDataChannel('chat', { negotiated: true, id: 0, ordered: true });
    chat.onopen = () => {
      status.textContent = 'Connecting';
      if (inviter) chat.send(JSON.stringify({ k: 'hello' }));
    };
    chat.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.k === 'hello') {
        if (!inviter) chat.send(JSON.stringify({ k: 'hello' }));
        status.textContent = 'Connected';
        show('chat');
      } else if (frame.k === 'text') {
        append('peer', frame.text, Date.now());
      }
    };
  }

  async function createInvite() {
    inviter = true;
    connection();
    await pc.setLocalDescription(await pc.createOffer());
    await gathered();
    $('invite-link').value = link('o', pc.localDescription.sdp);
    show('invite');
  }

  async function acceptInvite(sdp) {
    inviter = false;
    connection();
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered();
    $('answer-link').value = link('a', pc.localDescription.sdp);
    show('answer');
  }

  async function connect() {
    const sdp = fromLink($('paste').value, 'a');
    if (!sdp) return;
    status.textContent = 'Connecting';
    await pc.setRemoteDescription({ type: 'answer', sdp });
  }

  function openLocation() {
    const sdp = fromLink(location.hash, 'o');
    if (sdp === null) return false;
    history.replaceState(null, "", location.pathname + location.search);
    acceptInvite(sdp);
    return true;
  }

  // Follow the newest message, at most once per frame.
  let scrolling = false;
  function append(author, text, at) {
    const li = document.createElement('li');
    li.className = 'message';
    li.dataset.author = author;
    const p = document.createElement('p');
    p.className = 'text';
    p.textContent = text;
    const time = document.createElement('time');
    time.dateTime = new Date(at).toISOString();
    time.textContent = new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    li.append(p, time);
    log.append(li);
    if (!scrolling && !location.search.includes('noscroll')) {
      scrolling = true;
      requestAnimationFrame(() => {
        scrolling = false;
        log.scrollTop = log.scrollHeight;
      });
    }
  }

  function send() {
    const text = box.value.trim();
    if (!text || !chat || chat.readyState !== 'open') return;
    const at = Date.now();
    seq += 1;
    chat.send(JSON.stringify({ k: 'text', seq, text, ts: at }));
    append('me', text, at);
    box.value = '';
    box.focus();
  }

  $('create').addEventListener('click', createInvite);
  $('connect').addEventListener('click', connect);
  $('send').addEventListener('click', send);
  box.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  window.addEventListener('hashchange', openLocation);

  // Opened with an invite: answer it; otherwise warm WebRTC up right after the first render,
  // as Tin Can does (one connection and an offer, then closed; no description is set).
  if (!openLocation()) {
    setTimeout(() => {
      if (pc) return;
      const warm = new RTCPeerConnection();
      warm.createDataChannel('chat');
      warm.createOffer().then(() => warm.close(), () => warm.close());
    }, 0);
  }
})();
