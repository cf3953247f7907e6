// Tin Can's service worker: the app opens with no network after its first visit, one build at a
// time, and a shared link is opened without ever reaching the web server.
//
// This is a template: scripts/sw-precache.mjs (the last step of the post-build hook, Trunk.toml)
// writes the build's file list and their SHA-256 digests in place of BUILD below, and the
// result to dist/sw.js. Any change to any file makes a byte-different worker, which the browser
// installs next to the running one; it waits until the page says "take-over" (the app's
// "Reload" button), then deletes the older build's cache.
'use strict';

/**
 * { version, files: [{ url, sha256, lazy? }] }: urls relative to the worker, digests base64.
 * `lazy` files (the QR decoder, which many never use) are not fetched at install, but when the
 * page first asks for them, and checked against their digest like the rest.
 */
const BUILD = /* BUILD */ null;

const CACHE_PREFIX = 'tincan-';
const CACHE = CACHE_PREFIX + BUILD.version;
const SCOPE = new URL(self.registration.scope);
// The page itself (index.html) is cached under the app's address.
const APP = new URL('./', SCOPE);
const SHARE_TARGET = new URL('./share-target', SCOPE);
const PRECACHED = new Map(BUILD.files.map((file) => [new URL(file.url, SCOPE).href, file]));
// What a link's code is made of: a version tag and base64url (D, C) or lz-string's URI alphabet
// (L). Anything else after a '#' is not a Tin Can code.
const CODE = /^[A-Za-z][A-Za-z0-9_\-+$]*$/;

self.addEventListener('install', (event) => event.waitUntil(precache()));

self.addEventListener('activate', (event) =>
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE).map((name) => caches.delete(name)),
      );
      // The first worker takes the page that installed it, so a later lazy load is served too.
      await self.clients.claim();
    })(),
  ),
);

self.addEventListener('message', (event) => {
  if (event.data === 'take-over') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== SCOPE.origin) return;
  const path = url.origin + url.pathname;
  if (request.method === 'POST' && path === SHARE_TARGET.href) {
    event.respondWith(openShared(request));
  } else if (request.method !== 'GET') {
    return;
  } else if (request.mode === 'navigate' && (path === APP.href || path === APP.href + 'index.html')) {
    event.respondWith(fromCache(APP.href, request));
  } else if (PRECACHED.has(path)) {
    event.respondWith(fromCache(path, request, PRECACHED.get(path)));
  }
});

/**
 * Fetches every file of the build and checks it against the build's digest before anything is
 * stored: a deploy landing during the install (a new index.html next to old scripts, or a stale
 * copy from an HTTP cache) fails the install, and the browser tries again later. Never a cache
 * that mixes two builds.
 */
async function precache() {
  const entries = await Promise.all(BUILD.files.filter((file) => !file.lazy).map(fetchChecked));
  // Only when the whole build fits: a half-stored one would take the room first, if only for a
  // moment, and a message written in that moment is refused.
  const needed = entries.reduce((sum, [, , size]) => sum + size, 0);
  const { quota, usage } = (await navigator.storage?.estimate?.()) ?? {};
  if (quota !== undefined && usage !== undefined && quota - usage < needed) {
    throw new Error(`sw: ${needed} bytes do not fit in this site's storage; the app stays online-only for now`);
  }
  const cache = await caches.open(CACHE);
  const stored = await Promise.allSettled(entries.map(([address, response]) => cache.put(address, response)));
  const failed = stored.find((outcome) => outcome.status === 'rejected');
  if (failed) {
    // A half-stored build opens nothing offline, and its files would take the room the
    // conversations need (a phone whose storage is full refuses the wasm first): none of it
    // stays, and the browser tries the install again later.
    await caches.delete(CACHE);
    throw failed.reason;
  }
}

/** One file of this build from the server, checked against its digest (or an error). */
async function fetchChecked({ url, sha256 }) {
  const address = new URL(url, SCOPE).href;
  const response = await fetch(address, { cache: 'no-cache', credentials: 'same-origin' });
  if (!response.ok) throw new Error(`sw: ${address} answered ${response.status}`);
  const bytes = await response.arrayBuffer();
  if (base64(await crypto.subtle.digest('SHA-256', bytes)) !== sha256) {
    throw new Error(`sw: ${address} is not the file of build ${BUILD.version}`);
  }
  // A fresh response: a redirected one may not answer a navigation.
  const headers = { 'Content-Type': response.headers.get('Content-Type') ?? 'application/octet-stream' };
  return [address, new Response(bytes, { headers }), bytes.byteLength];
}

/**
 * This build's copy. A lazy file not fetched yet comes from the server, checked: if the server
 * already has another build's, the request fails rather than mixing (the update prompt follows).
 * The network as is only if the browser dropped the cache under us.
 */
async function fromCache(address, request, file) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(address);
  if (hit) return hit;
  if (!file.lazy) return fetch(request);
  const [, response] = await fetchChecked(file);
  await cache.put(address, response.clone());
  return response;
}

/**
 * The Web Share Target (manifest.webmanifest's share_target): a messenger shared a Tin Can link.
 * The link carries network addresses, so it must not reach the web server: this worker answers
 * the request itself and opens the app with the link's code in the fragment (which browsers never
 * send). Anything else opens the app with a message.
 */
async function openShared(request) {
  let code = null;
  try {
    const form = await request.formData();
    for (const field of ['url', 'text', 'title']) {
      const value = form.get(field);
      code = typeof value === 'string' ? codeIn(value) : null;
      if (code) break;
    }
  } catch {
    // Not a form: nothing to open.
  }
  const target = code ? `./#${code}` : './?shared=not-a-link';
  return Response.redirect(new URL(target, SCOPE).href, 303);
}

/** The code of the first Tin Can link in `text`: an address of this app's path with a code after '#'. */
function codeIn(text) {
  for (const word of text.split(/\s+/)) {
    // Messengers put links in brackets or end a sentence after them.
    const candidate = word.replace(/^[<(["']+/, '').replace(/[>)\]"'.,;:!?]+$/, '');
    let url;
    try {
      url = new URL(candidate);
    } catch {
      continue;
    }
    const code = url.hash.slice(1);
    if ((url.protocol === 'https:' || url.protocol === 'http:') && url.pathname === SCOPE.pathname && CODE.test(code)) {
      return code;
    }
  }
  return null;
}

function base64(buffer) {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
