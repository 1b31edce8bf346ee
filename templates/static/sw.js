/* Aula Territorial's service worker (issue 66), version __VERSION__.
   - The stylesheet, the scripts, the icon and the «Sin conexión» page are kept (their names
     carry their content's hash, so a new version is a new name).
   - Pages: from the network; without a connection, the copy kept for the signed-in person if
     there is one, otherwise the «Sin conexión» page. Which pages are kept is the server's
     answer to /sin-conexion/paginas (an instructor's sheets of the next days, a participant's
     own pages and certificates; nothing for anyone else); they are fetched as offline copies
     (header __COPY_HEADER__: the sheet without documents).
   - Everything kept is dropped at sign-out (the worker sees POST /salir), when the page says
     nobody is signed in, and when another person signs in.
   - Background Sync («aula-marcas»): the attendance marks queued offline are sent when the
     signal returns, even with the page closed. */
"use strict";
importScripts("__QUEUE__");

var SHELL = "__SHELL__";
var STATIC = "aula-estaticos-__VERSION__";
var PAGES = "aula-paginas";
var OWNER = "/sin-conexion/dueno";
var REFRESH_MS = 5 * 60 * 1000;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) {
    return cache.addAll(SHELL);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("aula-estaticos-") === 0 && name !== STATIC;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

/* Everything personal: the kept pages and the queue of marks. */
function forget() {
  return Promise.all([
    caches.delete(PAGES),
    AulaCola.clear().catch(function () { return null; })
  ]);
}

/* Everything, the stylesheet and scripts included (sign-out). */
function forgetAll() {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("aula-") === 0;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return AulaCola.clear().catch(function () { return null; }); });
}

function keptOwner(cache) {
  return cache.match(OWNER).then(function (response) {
    return response ? response.json() : null;
  });
}

var refreshing = null;

/* Keeps the pages the server lists for `owner`, drops the rest. */
function refresh(owner, force) {
  if (refreshing) return refreshing;
  refreshing = caches.open(PAGES).then(function (cache) {
    return keptOwner(cache).then(function (kept) {
      if (kept && kept.owner !== owner) {
        return caches.delete(PAGES).then(function () { return caches.open(PAGES); });
      }
      if (kept && !force && Date.now() - kept.at < REFRESH_MS) return null;
      return cache;
    });
  }).then(function (cache) {
    if (!cache) return null;
    return fetch("/sin-conexion/paginas", { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.json() : { owner: null, pages: [] };
    }).then(function (list) {
      if (list.owner !== owner) return forget().then(function () { return []; });
      return Promise.all(list.pages.map(function (path) {
        return fetch(path, {
          credentials: "same-origin",
          redirect: "manual",
          headers: { "__COPY_HEADER__": "1" }
        }).then(function (response) {
          if (response.status === 200 && response.type === "basic") {
            return cache.put(path, response).then(function () { return path; });
          }
          return null;
        }).catch(function () { return null; });
      })).then(function (kept) {
        return cache.keys().then(function (requests) {
          return Promise.all(requests.map(function (request) {
            var path = new URL(request.url).pathname;
            if (path !== OWNER && list.pages.indexOf(path) < 0) return cache.delete(request);
            return null;
          }));
        }).then(function () {
          return cache.put(OWNER, new Response(JSON.stringify({ owner: owner, at: Date.now() }),
            { headers: { "Content-Type": "application/json" } }));
        }).then(function () { return kept.filter(Boolean); });
      });
    });
  }).catch(function () { return null; }).then(function (kept) {
    refreshing = null;
    return kept;
  });
  return refreshing;
}

function tell(message) {
  return self.clients.matchAll({ type: "window" }).then(function (clients) {
    clients.forEach(function (client) { client.postMessage(message); });
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "copias" && typeof data.owner === "number") {
    event.waitUntil(refresh(data.owner, !!data.force).then(function (kept) {
      if (kept) return tell({ type: "copias-listas", pages: kept });
      return null;
    }));
  } else if (data.type === "nadie") {
    event.waitUntil(forget());
  } else if (data.type === "salir") {
    event.waitUntil(forgetAll());
  }
});

function offlinePage() {
  return caches.match("/sin-conexion", { cacheName: STATIC }).then(function (response) {
    return response || new Response("Sin conexión", {
      status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" }
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/salir") {
    event.waitUntil(forgetAll());
    return;
  }
  if (request.method !== "GET") return;
  if (SHELL.indexOf(url.pathname) >= 0 && url.pathname !== "/sin-conexion") {
    event.respondWith(caches.match(request, { cacheName: STATIC }).then(function (hit) {
      return hit || fetch(request);
    }));
    return;
  }
  var kept = request.mode === "navigate" || /^\/certificados\/[^/]+\.pdf$/.test(url.pathname);
  if (!kept) return;
  event.respondWith(fetch(request).catch(function () {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(url.pathname, { ignoreVary: true, ignoreSearch: true });
    }).then(function (hit) {
      if (hit) return hit;
      return request.mode === "navigate" ? offlinePage() : Response.error();
    });
  }));
});

self.addEventListener("sync", function (event) {
  if (event.tag !== "aula-marcas") return;
  event.waitUntil(caches.open(PAGES).then(keptOwner).then(function (kept) {
    if (!kept) return null;
    return AulaCola.sendAll(kept.owner).then(function () {
      return tell({ type: "marcas-enviadas" });
    });
  }));
});
