// kopcore member app service worker: keeps the app shell (stylesheet, script, icon, manifest
// and the offline page) for use without a connection. Pages with balances are never cached:
// they are always fetched, and without a connection the offline page is shown instead.
"use strict";
// Where the app is: /anggota/, or /t/<slug>/anggota/ on a platform that names the cooperative
// by a path prefix (the worker is served from the app's own path).
var BASE = self.location.pathname.replace(/sw\.js$/, "");
// One cache per app: two cooperatives' members on one phone (two prefixes on one host) each
// keep and replace only their own shell.
var SHELL_VERSION = "v1";
var SHELL_CACHE = "kopcore-anggota-shell-" + SHELL_VERSION + " " + BASE;
var SHELL = ["offline", "static/member.css", "static/member.js",
             "static/icon.svg", "manifest.webmanifest"].map(function (path) {
  return BASE + path;
});

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) { return cache.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    // Only this app's older shells: another cooperative's cache on the same host stays.
    var ours = / (\/.*)$/;
    return Promise.all(names.filter(function (name) {
      var found = ours.exec(name);
      return name.indexOf("kopcore-anggota-shell-") === 0 && found && found[1] === BASE
        && name !== SHELL_CACHE;
    })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (SHELL.indexOf(url.pathname) >= 0) {
    // The shell: from the cache, refreshed from the network when it answers.
    event.respondWith(caches.open(SHELL_CACHE).then(function (cache) {
      return cache.match(url.pathname);
    }).then(function (cached) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(SHELL_CACHE).then(function (cache) { cache.put(url.pathname, copy); });
        }
        return response;
      }).catch(function () { return cached; });
      return cached || fresh;
    }));
    return;
  }
  if (request.mode === "navigate") {
    // Pages (balances, statements): the network only; offline, the offline page.
    event.respondWith(fetch(request).catch(function () {
      return caches.open(SHELL_CACHE).then(function (cache) { return cache.match(BASE + "offline"); });
    }));
  }
});
