// The service worker of the static site (`python -m pix2pix_tf export web`): caches the
// page, LiteRT.js and the model(s) at install, then answers every request of the site
// from that cache, so after the first visit the page opens and translates offline.
//
// The site build replaces PRECACHE with the site's file list and VERSION with a hash
// of their contents: a rebuilt site is a new cache, and the old one is deleted when
// the new worker activates.
const VERSION = 'dev';
const PRECACHE = [];

// Responses get the cross-origin isolation headers, as the Python server sends them:
// hosts that cannot set headers (GitHub Pages) still get the multi-threaded
// WebAssembly build once the worker controls the page.
function isolated(response) {
  if (!response || response.type === 'opaque' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(response.body, {status: response.status,
                                      statusText: response.statusText, headers});
}

self.addEventListener('install', (event) => {
  // `cache: 'reload'`: the files themselves, not a stale HTTP-cache copy.
  event.waitUntil(caches.open(VERSION)
    .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, {cache: 'reload'}))))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(VERSION);
    // The page's own URL carries query parameters (?model=...): match it without them.
    const cached = await cache.match(request, {ignoreSearch: request.mode === 'navigate'});
    return isolated(cached || await fetch(request));
  })());
});
