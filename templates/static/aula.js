/* Aula Territorial's one page script (issue 66). Every page works without it; with it:
   - the service worker is registered and told who is signed in (it keeps that person's pages
     for reading offline, and drops them when nobody or somebody else is signed in);
   - the connection indicator says «Sin conexión · N cambios por enviar»;
   - on the participant's check-in page without signal, the code and the time are kept on the
     phone and sent when the signal returns, the outcome shown then;
   - on an attendance sheet, each mark is kept on the phone the moment it is made (with its
     time and its own key) and sent at once, or when the signal returns (Background Sync, the
     next load, or «Enviar ahora»); the server's answer is shown per mark, a coordinator's
     correction made meanwhile as a conflict the instructor settles. */
(function () {
  "use strict";
  var body = document.body;
  var owner = body.getAttribute("data-usuario");
  var cola = window.AulaCola;
  var indicator = document.getElementById("conexion");
  var sheet = document.getElementById("planilla");

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function waiting() {
    if (!cola || !owner) return Promise.resolve([]);
    return cola.all(null).then(function (rows) {
      return rows.filter(function (r) { return r.owner === Number(owner); });
    }).catch(function () { return []; });
  }

  function showIndicator() {
    if (!indicator) return Promise.resolve();
    return waiting().then(function (rows) {
      var n = rows.filter(function (r) { return r.state === "pendiente" || r.state === "registro"; }).length;
      var changes = plural(n, "cambio por enviar", "cambios por enviar");
      if (!navigator.onLine) {
        indicator.textContent = n ? "Sin conexión · " + changes
          : "Sin conexión · está viendo la copia guardada en este teléfono";
        indicator.hidden = false;
      } else if (n) {
        indicator.textContent = changes;
        indicator.hidden = false;
      } else {
        indicator.hidden = true;
        indicator.textContent = "";
      }
    });
  }

  var worker = null;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { return null; });
    navigator.serviceWorker.ready.then(function (registration) {
      worker = registration;
      var active = registration.active;
      if (!active) return;
      if (owner) active.postMessage({ type: "copias", owner: Number(owner) });
      else active.postMessage({ type: "nadie" });
    });
    navigator.serviceWorker.addEventListener("message", function (event) {
      var data = event.data || {};
      if (data.type === "copias-listas") body.setAttribute("data-copias", String(data.pages.length));
      if (data.type === "marcas-enviadas" && sheet) loadQueue();
      if (data.type === "marcas-enviadas") showIndicator();
    });
  }

  /* Signing out drops what this phone kept: say so first when marks are still waiting. */
  Array.prototype.forEach.call(document.querySelectorAll("form[action='/salir']"), function (form) {
    form.addEventListener("submit", function (event) {
      waiting().then(function (rows) {
        return rows.filter(function (r) { return r.state === "pendiente" || r.state === "registro"; }).length;
      }).then(function (n) {
        if (n && !window.confirm("Hay " + plural(n, "cambio", "cambios") +
          " de asistencia sin enviar en este teléfono. Si sale ahora, se pierden. ¿Salir de todos modos?")) {
          return;
        }
        if (navigator.serviceWorker && navigator.serviceWorker.controller) {
          navigator.serviceWorker.controller.postMessage({ type: "salir" });
        }
        form.submit();
      });
      event.preventDefault();
    });
  });

  window.addEventListener("online", function () { showIndicator(); if (sheet) sendNow(); });
  window.addEventListener("offline", function () { showIndicator(); if (sheet && cola) loadQueue(); });
  showIndicator();

  /* ---- the participant's check-in ---------------------------------------------------------- */
  var registro = document.getElementById("registro");
  if (registro && cola && owner) {
    var registroSession = Number(registro.getAttribute("data-sesion"));
    var registroUrl = registro.getAttribute("data-sin-conexion");
    var registroState = document.getElementById("registro-estado");
    var codeField = registro.querySelector("input[name=codigo]");
    var registroToken = registro.querySelector("input[name=csrf_token]");
    var fromLink = /[?&]codigo=([^&]*)/.exec(window.location.search);
    /* The QR code's link opened on the phone's copy of the page: its code fills the field. */
    if (fromLink && codeField && !codeField.value) codeField.value = decodeURIComponent(fromLink[1]);
    var say = function (text) { registroState.textContent = text; registroState.hidden = false; };
    var checkInsSending = false;
    var sendCheckIns = function () {
      if (checkInsSending || !navigator.onLine) return Promise.resolve();
      checkInsSending = true;
      return cola.all(registroSession).then(function (rows) {
        return rows.filter(function (r) { return r.kind === "registro" && r.owner === Number(owner); });
      }).then(function (rows) {
        return rows.reduce(function (chain, row) {
          return chain.then(function () { return cola.sendCheckIn(row); }).then(function (sent) {
            var answer = sent.answer || {};
            if (sent.status === 201) {
              say("¡Listo! Su registro hecho sin señal quedó guardado: " +
                String(answer.status_label || "").toLowerCase() + ".");
            } else {
              var reason = (answer.errors && answer.errors[0] && answer.errors[0].message) || answer.detail || "";
              say("Su registro hecho sin señal no se aceptó. " + reason);
            }
          });
        }, Promise.resolve());
      }).catch(function (error) {
        if (error && (error.status === 401 || error.status === 403)) {
          say("No se pudo enviar su registro: su sesión terminó. Ingrese de nuevo; el registro sigue en este teléfono.");
        }
      }).then(function () {
        checkInsSending = false;
        return showIndicator();
      });
    };
    registro.addEventListener("submit", function (event) {
      if (navigator.onLine) return;
      event.preventDefault();
      var code = (codeField.value || "").replace(/[\s-]/g, "");
      if (!code) { codeField.focus(); return; }
      var when = cola.now();
      cola.put({
        key: cola.newKey(),
        kind: "registro",
        session_id: registroSession,
        code: code,
        checked_in_at: when,
        marked_at: when,
        url: registroUrl,
        csrf: registroToken ? registroToken.value : "",
        owner: Number(owner),
        state: "registro"
      }).then(function () {
        say("Registro guardado en el teléfono: se enviará al volver la señal.");
        return showIndicator();
      }, function () {
        say("Este teléfono no pudo guardar el registro. Intente de nuevo cuando vuelva la señal.");
      });
    });
    window.addEventListener("online", sendCheckIns);
    sendCheckIns();
  }

  if (!sheet || !cola) return;

  /* ---- the attendance sheet --------------------------------------------------------------- */
  var sessionId = Number(sheet.getAttribute("data-sesion"));
  var url = sheet.getAttribute("data-lote");
  var starts = Date.parse(sheet.getAttribute("data-inicio") || "");
  var tokenField = sheet.querySelector("input[name=csrf_token]");
  var csrf = tokenField ? tokenField.value : "";
  var panel = document.getElementById("cola");
  var summary = document.getElementById("cola-resumen");
  var outcomes = document.getElementById("cola-resultados");
  var sendButton = document.getElementById("cola-enviar");
  var labels = { presente: "Presente", tarde: "Tarde", ausente: "Ausente", excusado: "Excusado" };
  var sending = false;

  function group(enrolmentId) {
    return sheet.querySelector("fieldset[data-inscripcion='" + enrolmentId + "']");
  }

  function note(enrolmentId, text) {
    var fieldset = group(enrolmentId);
    if (!fieldset) return;
    var line = fieldset.querySelector(".cola-marca");
    if (!line) {
      line = document.createElement("small");
      line.className = "cola-marca";
      fieldset.appendChild(line);
    }
    line.textContent = text;
  }

  function choose(enrolmentId, status) {
    var fieldset = group(enrolmentId);
    var radio = fieldset && fieldset.querySelector("input[value='" + status + "']");
    if (radio) radio.checked = true;
  }

  function nameOf(enrolmentId) {
    var fieldset = group(enrolmentId);
    return fieldset ? fieldset.getAttribute("data-nombre") : "";
  }

  /* A session not started yet (an offline copy kept before it): marks wait for its start. */
  if (starts && Date.now() < starts) {
    Array.prototype.forEach.call(sheet.querySelectorAll("fieldset.marks, button[type=submit]"), function (f) { f.disabled = true; });
    return;
  }
  var notice = document.getElementById("aviso-inicio");
  if (notice) notice.hidden = true;
  panel.hidden = false;

  function conflictBox(mark) {
    var box = document.createElement("div");
    box.className = "conflicto";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Conflicto en la marca de " + mark.name);
    var text = document.createElement("p");
    var current = mark.current && (mark.current.status_label || labels[mark.current.status]);
    text.textContent = mark.name + ": su marca «" + labels[mark.status] + "» no se guardó. " +
      (mark.reason || "Una coordinadora la corrigió después.") +
      (current ? " Queda «" + current + "»." : "");
    var keep = document.createElement("button");
    keep.type = "button";
    keep.textContent = "Dejar la corrección";
    keep.addEventListener("click", function () {
      cola.remove(mark.key).then(function () {
        if (mark.current) choose(mark.enrolment_id, mark.current.status);
        note(mark.enrolment_id, current ? "Queda «" + current + "» (corrección)" : "");
        loadQueue();
      });
    });
    var again = document.createElement("button");
    again.type = "button";
    again.className = "secondary";
    again.textContent = "Enviar mi marca otra vez";
    again.addEventListener("click", function () {
      cola.remove(mark.key).then(function () {
        choose(mark.enrolment_id, mark.status);
        return queue(mark.enrolment_id, mark.status);
      });
    });
    box.appendChild(text);
    box.appendChild(keep);
    box.appendChild(document.createTextNode(" "));
    box.appendChild(again);
    return box;
  }

  /* Draws the queue: marks waiting (their radios as marked), conflicts to settle. */
  function loadQueue() {
    return cola.all(sessionId).then(function (rows) {
      rows = rows.filter(function (r) { return r.owner === Number(owner); });
      var pending = rows.filter(function (r) { return r.state === "pendiente"; });
      var conflicts = rows.filter(function (r) { return r.state === "conflicto"; });
      pending.forEach(function (r) {
        choose(r.enrolment_id, r.status);
        note(r.enrolment_id, "Por enviar");
      });
      Array.prototype.forEach.call(outcomes.querySelectorAll(".conflicto"), function (b) { b.remove(); });
      conflicts.forEach(function (r) { outcomes.appendChild(conflictBox(r)); });
      var n = pending.length;
      if (!n && !conflicts.length) summary.textContent = navigator.onLine ? "Cada marca se guarda al tocarla; las notas, con «Guardar la asistencia»." :
        "Sin conexión · las marcas quedan guardadas en este teléfono y se envían al volver la señal.";
      else summary.textContent = [
        navigator.onLine ? "" : "Sin conexión",
        n ? plural(n, "cambio por enviar", "cambios por enviar") : "",
        conflicts.length ? plural(conflicts.length, "conflicto por resolver", "conflictos por resolver") : ""
      ].filter(Boolean).join(" · ");
      sendButton.hidden = !n || !navigator.onLine;
      showIndicator();
      return rows;
    });
  }

  function report(results) {
    var lines = [];
    var saved = 0;
    results.forEach(function (result) {
      var mark = result.mark;
      if (!mark) return;
      if (result.outcome === "applied" || result.outcome === "unchanged") {
        saved += 1;
        note(mark.enrolment_id, "Guardada");
      } else if (result.outcome === "superseded") {
        var now = result.current && (result.current.status_label || labels[result.current.status]);
        if (result.current) choose(mark.enrolment_id, result.current.status);
        note(mark.enrolment_id, "Ya había una marca más reciente" + (now ? ": «" + now + "»" : ""));
        lines.push(mark.name + ": ya había una marca más reciente" + (now ? " («" + now + "»)" : "") + ".");
      } else if (result.outcome === "refused") {
        note(mark.enrolment_id, "No se guardó");
        lines.push(mark.name + ": no se guardó. " + (result.reason || ""));
      } else if (result.outcome === "conflict") {
        note(mark.enrolment_id, "Conflicto");
      }
    });
    Array.prototype.forEach.call(outcomes.querySelectorAll(".resultado"), function (p) { p.remove(); });
    if (saved) lines.unshift(plural(saved, "marca enviada y guardada", "marcas enviadas y guardadas") + ".");
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.className = "resultado";
      p.textContent = line;
      outcomes.insertBefore(p, outcomes.firstChild);
    });
  }

  function sendNow() {
    if (sending) return Promise.resolve();
    sending = true;
    var sent = false;
    return cola.send(sessionId, Number(owner)).then(function (results) {
      sent = results.length > 0;
      report(results);
    }, function (error) {
      if (error && (error.status === 401 || error.status === 403)) {
        summary.textContent = "No se pudieron enviar: su sesión terminó. Ingrese de nuevo; las marcas siguen en este teléfono.";
      }
      if (worker && worker.sync) worker.sync.register("aula-marcas").catch(function () { return null; });
    }).then(function () {
      sending = false;
      return loadQueue();
    }).then(function (rows) {
      /* Marks made while the batch travelled go next. */
      var more = rows.some(function (r) { return r.state === "pendiente"; });
      if (sent && more && navigator.onLine) return sendNow();
      return rows;
    });
  }

  function queue(enrolmentId, status) {
    return cola.add({
      key: cola.newKey(),
      session_id: sessionId,
      enrolment_id: enrolmentId,
      status: status,
      marked_at: cola.now(),
      name: nameOf(enrolmentId),
      url: url,
      csrf: csrf,
      device_id: cola.deviceId(),
      owner: Number(owner),
      state: "pendiente"
    }).then(function () {
      note(enrolmentId, "Por enviar");
      return loadQueue();
    }).then(function () {
      if (navigator.onLine) return sendNow();
      if (worker && worker.sync) return worker.sync.register("aula-marcas").catch(function () { return null; });
      return null;
    });
  }

  sheet.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "radio") return;
    var fieldset = input.closest("fieldset[data-inscripcion]");
    if (!fieldset) return;
    queue(Number(fieldset.getAttribute("data-inscripcion")), input.value);
  });

  /* Without a connection the form cannot be sent: the marks are already kept. */
  sheet.addEventListener("submit", function (event) {
    if (navigator.onLine) return;
    event.preventDefault();
    loadQueue().then(function () { summary.focus(); });
  });

  sendButton.addEventListener("click", sendNow);
  loadQueue().then(function (rows) {
    if (navigator.onLine && rows.some(function (r) { return r.state === "pendiente"; })) sendNow();
  });
})();
