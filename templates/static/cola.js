/* Aula Territorial: the queue of attendance marks made without a connection (issue 66).
   Shared by the sheet's page (aula.js) and the service worker (sw.js, importScripts): each
   mark is kept in IndexedDB with the time it was made (marked_at, with its offset) and its own
   key, until the server has answered for it. One store, "marcas", keyed by the mark's key. */
(function (scope) {
  "use strict";
  var DB = "aula-territorial", STORE = "marcas";

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, { keyPath: "key" });
        store.createIndex("session", "session_id");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), out;
        t.oncomplete = function () { db.close(); resolve(out); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error); };
        out = work(t.objectStore(STORE));
      });
    });
  }

  function all(sessionId) {
    return tx("readonly", function (store) {
      var box = { rows: [] };
      var source = sessionId == null ? store : store.index("session");
      var cursor = sessionId == null ? source.openCursor() : source.openCursor(IDBKeyRange.only(sessionId));
      cursor.onsuccess = function () {
        var c = cursor.result;
        if (c) { box.rows.push(c.value); c.continue(); }
      };
      return box;
    }).then(function (box) {
      return box.rows.sort(function (a, b) { return a.marked_at < b.marked_at ? -1 : 1; });
    });
  }

  /* The device's time with its offset: 2026-11-28T09:14:03-05:00. */
  function now() {
    var d = new Date(), off = -d.getTimezoneOffset(), sign = off >= 0 ? "+" : "-";
    function two(n) { return (n < 10 ? "0" : "") + n; }
    off = Math.abs(off);
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + "T" +
      two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()) +
      sign + two(Math.floor(off / 60)) + ":" + two(off % 60);
  }

  function newKey() {
    if (scope.crypto && scope.crypto.randomUUID) return scope.crypto.randomUUID();
    var bytes = new Uint8Array(16), hex = "";
    scope.crypto.getRandomValues(bytes);
    for (var i = 0; i < 16; i++) hex += (bytes[i] + 256).toString(16).slice(1);
    return hex;
  }

  function deviceId() {
    try {
      var id = scope.localStorage && scope.localStorage.getItem("aula-dispositivo");
      if (!id) { id = newKey(); scope.localStorage.setItem("aula-dispositivo", id); }
      return id;
    } catch (e) { return "sw"; }
  }

  /* A new mark for a person replaces one still waiting (the later wins anyway). Each mark
     carries `owner`, the user who made it: only she sends it. */
  function add(mark) {
    return all(mark.session_id).then(function (rows) {
      return tx("readwrite", function (store) {
        rows.forEach(function (r) {
          if (r.enrolment_id === mark.enrolment_id && r.state === "pendiente") store.delete(r.key);
        });
        store.put(mark);
      });
    });
  }

  function put(mark) { return tx("readwrite", function (store) { store.put(mark); }); }
  function remove(key) { return tx("readwrite", function (store) { store.delete(key); }); }
  function clear() { return tx("readwrite", function (store) { store.clear(); }); }

  /* Sends the marks waiting for one session; resolves with the server's results (each with
     the queued mark as `mark`), or rejects (no connection, signed out, refused batch): the
     marks stay queued. Marks the server answered for leave the queue, except conflicts, which
     wait for the instructor's choice. */
  function send(sessionId, owner, fetcher) {
    return all(sessionId).then(function (rows) {
      /* Only the marks of whoever is signed in now: another person's wait for her. */
      var pending = rows.filter(function (r) { return r.state === "pendiente" && r.owner === owner; });
      if (!pending.length) return [];
      var body = {
        device_id: pending[0].device_id || "",
        marks: pending.map(function (r) {
          return { key: r.key, enrolment_id: r.enrolment_id, status: r.status, marked_at: r.marked_at };
        })
      };
      return (fetcher || fetch)(pending[0].url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": pending[0].csrf },
        body: JSON.stringify(body)
      }).then(function (response) {
        if (!response.ok) {
          var error = new Error("HTTP " + response.status);
          error.status = response.status;
          throw error;
        }
        return response.json();
      }).then(function (answer) {
        var byKey = {};
        pending.forEach(function (r) { byKey[r.key] = r; });
        var results = (answer.results || []).map(function (result) {
          var first = result.outcome === "unchanged" && result.first_outcome ? result.first_outcome : null;
          if (first && first.outcome === "conflict") {
            result = { key: result.key, outcome: "conflict", current: result.current || first.current, reason: first.reason };
          }
          result.mark = byKey[result.key];
          return result;
        });
        return Promise.all(results.map(function (result) {
          if (!result.mark) return null;
          if (result.outcome === "conflict") {
            result.mark.state = "conflicto";
            result.mark.reason = result.reason || "";
            result.mark.current = result.current || null;
            return put(result.mark);
          }
          return remove(result.key);
        })).then(function () { return results; });
      });
    });
  }

  /* Every session with marks of `owner` waiting, sent one after another. */
  function sendAll(owner, fetcher) {
    return all(null).then(function (rows) {
      var sessions = [];
      rows.forEach(function (r) {
        if (r.state === "pendiente" && r.owner === owner && sessions.indexOf(r.session_id) < 0) sessions.push(r.session_id);
      });
      return sessions.reduce(function (chain, id) {
        return chain.then(function () { return send(id, owner, fetcher); });
      }, Promise.resolve());
    });
  }

  /* A participant's check-in made without signal (kind "registro", state "registro": the
     marks' sending leaves it alone), sent by itself. Resolves with { status, answer } once the
     server has answered for it (accepted, or refused for good: it leaves the queue); rejects
     when it must wait (no connection, signed out, expired token, too many attempts). */
  function sendCheckIn(row, fetcher) {
    return (fetcher || fetch)(row.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": row.csrf },
      body: JSON.stringify({ code: row.code, checked_in_at: row.checked_in_at })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        var final = response.ok || [400, 404, 409, 422].indexOf(response.status) >= 0;
        if (!final) {
          var error = new Error("HTTP " + response.status);
          error.status = response.status;
          throw error;
        }
        return remove(row.key).then(function () { return { status: response.status, answer: answer }; });
      });
    });
  }

  scope.AulaCola = { all: all, add: add, put: put, remove: remove, clear: clear, send: send,
    sendAll: sendAll, sendCheckIn: sendCheckIn, now: now, newKey: newKey, deviceId: deviceId };
})(self);
