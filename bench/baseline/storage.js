// The localStorage way, as Tin Can stored conversations before IndexedDB: the whole
// conversation as one JSON string under one key, rewritten on every save. Driven by
// bench/storage.mjs; no framework, nothing else on the page.
'use strict';

const KEY = 'tincan.conversation.v1.bench';
const SHOWN = 200; // the app's log shows the newest 200

window.lsBench = {
  /** Stores a whole conversation; whether it fit, and its size in characters. */
  store(conversation) {
    const json = JSON.stringify(conversation);
    localStorage.clear();
    try {
      localStorage.setItem(KEY, json);
      return { ok: true, chars: json.length };
    } catch (err) {
      return { ok: false, error: err.name, chars: json.length };
    }
  },

  /**
   * Adds k messages one at a time, each saved the old way (parse once up front, then for every
   * message: push, stringify the conversation, setItem). The time of each save, in ms.
   */
  storeOneByOne(k) {
    const conversation = JSON.parse(localStorage.getItem(KEY));
    const times = [];
    for (let i = 0; i < k; i++) {
      const t0 = performance.now();
      const last = conversation.messages[conversation.messages.length - 1];
      conversation.last_own_seq += 1;
      conversation.messages.push({
        id: last.id + 1,
        author: 'me',
        seq: conversation.last_own_seq,
        text: `one more message ${i}`,
        at_ms: Date.now(),
        delivery: 'pending',
      });
      localStorage.setItem(KEY, JSON.stringify(conversation));
      times.push(performance.now() - t0);
    }
    return times;
  },
};

// Loaded as storage.html#show: read the conversation and show its newest messages, as the app
// did at load. window.__shown: ms from navigation start until the newest one is in the page.
if (location.hash === '#show') {
  const conversation = JSON.parse(localStorage.getItem(KEY));
  const log = document.getElementById('log');
  const fragment = document.createDocumentFragment();
  for (const message of conversation.messages.slice(-SHOWN)) {
    const li = document.createElement('li');
    const text = document.createElement('p');
    text.textContent = message.text;
    li.append(text);
    fragment.append(li);
  }
  log.append(fragment);
  window.__shown = performance.now();
}
