#!/usr/bin/env python3
"""Offline attendance in a real Chromium at 390×844 (issue 66), run by `.ci/offline`.

The demo instructor opens today's sheet (a session the coordinator adds through the API, started
a few minutes ago: the demo's own session of today starts at 14:00 Bogotá, and marks before a
session's start are refused), the test cuts the network (CDP `Network.emulateNetworkConditions`
through chromedriver's `goog/cdp/execute`), she marks 10 people, reloads the page offline (the
service worker serves the sheet it kept; the marks are still there), the network returns and the
marks reach the server once (read through the API); then, offline again, she marks two people
while the coordinator corrects both through the API: back online, both conflicts are shown, she
keeps one correction and sends her mark again for the other. A participant reads «Mi progreso»
offline, and a page never kept answers «Sin conexión». After each sign-out the browser keeps
nothing personal: `caches.keys()` holds only the stylesheet and scripts, and the queue is empty.
Every page shown passes journeys.py's checks (overflow, tap targets, axe-core).

Environment: as tests/browser/journeys.py (AULA_BASE_URL, WEBDRIVER_URL, AXE_JS,
BROWSER_SCREENSHOTS).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import journeys  # noqa: E402 - the WebDriver client and the page checks of the browser journeys
from journeys import Run, StepFailed, Viewport  # noqa: E402

BASE = os.environ["AULA_BASE_URL"].rstrip("/")
SHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS", "target/browser-screenshots"))
PHONE = Viewport("390x844", 390, 844, phone=True)
COHORT = journeys.IN_PROGRESS_COHORT
MARKED = 10
STATUSES = ["presente", "presente", "tarde", "presente", "ausente", "presente", "excusado",
            "presente", "tarde", "presente"]

FAILURES: list[str] = []


def check(condition: bool, what: str, detail: object = None) -> bool:
    if condition:
        print(f"    ok: {what}", flush=True)
    else:
        text = what + (f": {detail}" if detail is not None else "")
        print(f"    FAILED: {text}", flush=True)
        FAILURES.append(text)
    return condition


def api(method: str, path: str, token: str | None = None, body=None, expect=(200, 201)):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{BASE}/api/v1{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode(errors="replace")
    if status not in expect:
        raise StepFailed(f"{method} {path} → {status}: {text[:800]}")
    return json.loads(text) if text.strip() else None


def token_of(account: tuple[str, str]) -> str:
    return api("POST", "/tokens", body={"email": account[0], "password": account[1]})["token"]


def items(answer) -> list:
    return answer["items"] if isinstance(answer, dict) and "items" in answer else answer


def marks_on_server(session_id: int, token: str) -> dict[int, str]:
    return {m["enrolment_id"]: m["status"] for m in items(api("GET", f"/sessions/{session_id}/attendance", token))}


def todays_session(coordinator: str) -> int:
    """A session of the running Caquetá cohort that started five minutes ago (Bogotá)."""
    cohorts = items(api("GET", "/cohorts?per_page=200", coordinator))
    cohort = next((c for c in cohorts if c["name"] == COHORT), None)
    if cohort is None:
        raise StepFailed(f"the demo cohort «{COHORT}» is missing")
    now = journeys.now_bogota().replace(microsecond=0)
    midnight = now.replace(hour=0, minute=0, second=0)
    starts = max(now - dt.timedelta(minutes=5), midnight)
    ends = min(starts + dt.timedelta(hours=2), midnight + dt.timedelta(hours=23, minutes=59))
    session = api("POST", f"/cohorts/{cohort['id']}/sessions", coordinator, {
        "starts_at": starts.isoformat(),
        "ends_at": ends.isoformat(),
        "topic": "Sesión en la vereda (sin señal)",
        "location": "Escuela de la vereda La Esperanza",
    })
    return session["id"]


# ---- the browser's network and storage ------------------------------------------------------


def cdp(b, command: str, params: dict | None = None):
    return b._call("POST", "/goog/cdp/execute", {"cmd": command, "params": params or {}})


_worker_sessions: dict[str, str] = {}
_message_ids = iter(range(1, 1_000_000))


def network(b, online: bool):
    """Cuts (or gives back) the network of the page and of its service worker."""
    emulate(b, {"offline": not online, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    deadline = time.time() + 10
    while time.time() < deadline:
        if b.script("return navigator.onLine") == online:
            return
        time.sleep(0.1)
    raise StepFailed(f"navigator.onLine did not become {online}")


def emulate(b, conditions: dict):
    """Network conditions for the page and for its service worker: a worker is a
    target of its own, which the page's emulation does not reach (its fetches would still go
    out). chromedriver's `goog/cdp/execute` talks to the page's target only: the worker's is
    attached to (not flattened) and sent the same command through `Target.sendMessageToTarget`
    (its answers are events nobody reads; the effect is checked below)."""
    cdp(b, "Network.enable")
    cdp(b, "Network.emulateNetworkConditions", conditions)
    for target in cdp(b, "Target.getTargets")["targetInfos"]:
        if target["type"] != "service_worker" or not target["url"].startswith(BASE):
            continue
        session = _worker_sessions.get(target["targetId"])
        if session is None:
            session = cdp(b, "Target.attachToTarget", {"targetId": target["targetId"], "flatten": False})["sessionId"]
            _worker_sessions[target["targetId"]] = session
        for method, params in [("Network.enable", {}), ("Network.emulateNetworkConditions", conditions)]:
            cdp(b, "Target.sendMessageToTarget", {
                "sessionId": session,
                "message": json.dumps({"id": next(_message_ids), "method": method, "params": params}),
            })


def wait_for(b, source: str, what: str, timeout: float = 30, *args):
    """Polls an async script (its last argument is the callback) until it answers truthy."""
    deadline = time.time() + timeout
    answer = None
    while time.time() < deadline:
        answer = b.async_script(source, *args)
        if answer:
            return answer
        time.sleep(0.3)
    raise StepFailed(f"{what}: still {answer!r} after {timeout} s")


KEPT = """
const [path, done] = arguments;
caches.open('aula-paginas').then(c => c.match(path)).then(r => done(!!r), () => done(false));
"""

QUEUE = """
const [sessionId, done] = arguments;
AulaCola.all(sessionId).then(rows => done(rows.map(r => [r.enrolment_id, r.status, r.state])), e => done(String(e)));
"""

STORAGE = """
const done = arguments[0];
(async () => {
  const out = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    out[name] = (await cache.keys()).map(r => new URL(r.url).pathname);
  }
  let queue = [];
  try { queue = await AulaCola.all(null); } catch (e) { queue = ['error ' + e]; }
  return {caches: out, queue: queue.length};
})().then(done, e => done({error: String(e)}));
"""


def nothing_personal_kept(b, who: str):
    """After sign-out: only the stylesheet, the scripts, the icon and «Sin conexión» are kept."""
    time.sleep(1.5)  # the new page registers the worker again, which keeps its files
    kept = b.async_script(STORAGE)
    personal = {
        name: [p for p in paths if not (p.startswith("/static/") or p == "/sin-conexion")]
        for name, paths in kept.get("caches", {}).items()
    }
    personal = {name: paths for name, paths in personal.items() if paths or not name.startswith("aula-estaticos-")}
    check(not personal, f"{who}: after sign-out no page is kept (caches.keys(): {sorted(kept.get('caches', {}))})", kept)
    check(kept.get("queue") == 0, f"{who}: after sign-out the queue of marks is empty", kept)


def viewport_shot(b, name: str):
    """What the phone's screen shows (the top of the page), beside the whole-page screenshots."""
    b.script("window.scrollTo(0, 0)")
    SHOTS.joinpath(f"offline-screen-{name}-390x844.png").write_bytes(
        base64.b64decode(b._call("GET", "/screenshot"))
    )


def sign_out(run: Run):
    b = run.browser
    b.submit("form[action='/salir'] button")


# ---- the journeys ---------------------------------------------------------------------------


def instructor_marks_offline(run: Run, session_id: int, coordinator: str, instructor: str):
    b = run.browser
    sheet = f"/seguimiento/sesiones/{session_id}"
    journeys.sign_in(run, "offline-instructor", journeys.INSTRUCTOR)
    b.open(sheet)
    run.page("offline-instructor", "sheet-online", expect="Asistencia: Sesión en la vereda")
    wait_for(b, KEPT, "the worker keeps today's sheet", 40, sheet)
    check(True, "the service worker keeps today's sheet")
    groups = b.find_all("fieldset[data-inscripcion]")
    ids = [int(b.attribute(g, "data-inscripcion")) for g in groups]
    if len(ids) < MARKED:
        raise StepFailed(f"the sheet lists {len(ids)} people; the journey marks {MARKED}")
    kept_copy = b.async_script("""
        const [path, done] = arguments;
        caches.open('aula-paginas').then(c => c.match(path)).then(r => r.text()).then(done, e => done(String(e)));
    """, sheet)
    check("CC " not in kept_copy and "TI " not in kept_copy and "Cédula" not in kept_copy,
          "the kept sheet carries no documents")

    # Offline: ten marks.
    network(b, online=False)
    for eid, status in zip(ids[:MARKED], STATUSES):
        b.click_element(b.find(f"fieldset[data-inscripcion='{eid}'] input[value='{status}']"))
    queued = None
    deadline = time.time() + 10
    while time.time() < deadline:
        queued = b.async_script(QUEUE, session_id)
        if isinstance(queued, list) and len(queued) == MARKED:
            break
        time.sleep(0.2)
    check(isinstance(queued, list) and len(queued) == MARKED, "ten marks queued on the phone", queued)
    indicator = b.text(b.find("#conexion"))
    check(indicator == f"Sin conexión · {MARKED} cambios por enviar", "the indicator", indicator)
    run.page("offline-instructor", "ten-marks-offline")
    viewport_shot(b, "ten-marks-offline")

    # Reload without a connection: the worker's copy, the marks still there.
    b._mark()
    b.get(BASE + sheet)
    b._wait_new_page()
    check(b.exists("#planilla"), "offline, the sheet reloads from the worker's copy")
    time.sleep(0.5)
    checked = {
        eid: b.script(
            "const c = document.querySelector(`fieldset[data-inscripcion='${arguments[0]}'] input:checked`);"
            "return c ? c.value : null;", eid)
        for eid in ids[:MARKED]
    }
    check(checked == dict(zip(ids[:MARKED], STATUSES)), "after the reload the ten marks are still there", checked)
    indicator = b.text(b.find("#conexion"))
    check(indicator == f"Sin conexión · {MARKED} cambios por enviar", "the indicator after the reload", indicator)
    run.page("offline-instructor", "sheet-reloaded-offline")
    viewport_shot(b, "sheet-reloaded-offline")
    b._mark()
    b.get(BASE + "/cohortes")
    b._wait_new_page()
    check("Sin conexión" in b.text(b.find("main")), "offline, a page never kept answers «Sin conexión»")
    run.page("offline-instructor", "not-kept-offline")
    viewport_shot(b, "not-kept-offline")
    # A kept sheet of a session that has not started yet (the demo's of 14:00 Bogotá, while it
    # is earlier): offline it opens, its marks closed until the start.
    later = b.async_script("""
        const done = arguments[0];
        caches.open('aula-paginas').then(async c => {
          for (const r of await c.keys()) {
            const path = new URL(r.url).pathname;
            if (!path.startsWith('/seguimiento/sesiones/')) continue;
            const html = await (await c.match(r)).text();
            const m = html.match(/data-inicio="([^"]+)"/);
            if (m && Date.parse(m[1]) > Date.now() + 60000) return path;
          }
          return null;
        }).then(done, e => done(null));
    """)
    if later:
        b._mark()
        b.get(BASE + later)
        b._wait_new_page()
        closed = b.script(
            "return [...document.querySelectorAll('fieldset.marks')].every(f => f.disabled)"
            " && !!document.querySelector('#aviso-inicio:not([hidden])')"
        )
        check(closed, f"offline, a kept sheet of a session not started ({later}) keeps its marks closed")
        run.page("offline-instructor", "not-started-offline")
        viewport_shot(b, "not-started-offline")
    else:
        print("    (no kept session starts later today: the not-started copy is not checked)", flush=True)
    b._mark()
    b.get(BASE + sheet)
    b._wait_new_page()
    on_server = marks_on_server(session_id, instructor)
    check(not on_server, "nothing reached the server while offline", on_server)

    # The signal returns: the queue is sent once.
    network(b, online=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        if b.async_script(QUEUE, session_id) == []:
            break
        time.sleep(0.3)
    on_server = marks_on_server(session_id, instructor)
    check(on_server == dict(zip(ids[:MARKED], STATUSES)), "the ten marks reached the server", on_server)
    b.script("return window.location.reload()")
    time.sleep(1)
    b.open(sheet)
    time.sleep(1.5)
    check(b.async_script(QUEUE, session_id) == [], "a reload online sends nothing more")
    check(marks_on_server(session_id, instructor) == on_server, "the server holds the ten marks once")
    run.page("offline-instructor", "sheet-sent")

    # A coordinator's correction while the phone was offline: the conflict is shown.
    a, c = ids[0], ids[1]
    network(b, online=False)
    for eid in (a, c):
        b.click_element(b.find(f"fieldset[data-inscripcion='{eid}'] input[value='ausente']"))
    time.sleep(1.2)
    api("PUT", f"/sessions/{session_id}/attendance", coordinator, [
        {"enrolment_id": a, "status": "excusado", "note": "Presentó excusa médica"},
        {"enrolment_id": c, "status": "excusado"},
    ])
    network(b, online=True)
    deadline = time.time() + 30
    while time.time() < deadline and len(b.find_all("#cola-resultados .conflicto")) < 2:
        time.sleep(0.3)
    # The queue's panel is drawn again as answers arrive: read the boxes' text in one script,
    # not element by element (an element found may be replaced before it is read).
    texts = b.script(
        "return [...document.querySelectorAll('#cola-resultados .conflicto')].map(e => e.innerText)"
    )
    check(len(texts) == 2, "both conflicts are shown", len(texts))
    if texts:
        text = texts[0]
        check("Dejar la corrección" in text and "Enviar mi marca otra vez" in text,
              "the conflict offers both choices", text)
    summary = b.text(b.find("#cola-resumen"))
    check("2 conflictos por resolver" in summary, "the summary counts the conflicts", summary)
    run.page("offline-instructor", "conflict-shown")
    viewport_shot(b, "conflict-shown")
    check(marks_on_server(session_id, instructor).get(a) == "excusado", "the correction was not overwritten")
    # Keep the correction for the first, send her mark again for the second.
    name_a = b.attribute(b.find(f"fieldset[data-inscripcion='{a}']"), "data-nombre")
    box_a = b.find(
        f".//div[contains(@class,'conflicto')][contains(., {journeys.xpath_literal(name_a)})]", "xpath"
    )
    b.click_element(b.find(".//button[normalize-space()='Dejar la corrección']", "xpath", within=box_a))
    time.sleep(0.8)
    box_c = b.find("#cola-resultados .conflicto")
    b.click_element(b.find(".//button[normalize-space()='Enviar mi marca otra vez']", "xpath", within=box_c))
    deadline = time.time() + 20
    while time.time() < deadline:
        on_server = marks_on_server(session_id, instructor)
        if on_server.get(c) == "ausente" and b.async_script(QUEUE, session_id) == []:
            break
        time.sleep(0.3)
    check(on_server.get(a) == "excusado" and on_server.get(c) == "ausente",
          "the correction kept for one, her new mark applied for the other", {a: on_server.get(a), c: on_server.get(c)})
    check(not b.find_all("#cola-resultados .conflicto"), "no conflict left on the page")
    run.page("offline-instructor", "conflicts-settled")
    viewport_shot(b, "conflicts-settled")

    sign_out(run)
    nothing_personal_kept(b, "instructor")


def participant_reads_offline(run: Run):
    """Her pages and certificates are kept for reading offline (reading them offline is the
    mechanism the instructor's part proves), and nothing after sign-out."""
    b = run.browser
    journeys.sign_in(run, "offline-participant", journeys.REPLICATOR)
    wait_for(b, KEPT, "the worker keeps «Mi progreso»", 40, "/mi-progreso")
    time.sleep(2)
    kept = b.async_script(STORAGE)["caches"].get("aula-paginas", [])
    listed = b.async_script(
        "const d = arguments[0]; fetch('/sin-conexion/paginas').then(r => r.json()).then(d, e => d(String(e)))"
    )
    for page in ["/", "/mi-progreso", "/mis-certificados"]:
        check(page in kept, f"the participant's {page} is kept", kept)
    check(any(p.startswith("/cohortes/") for p in kept), "her cohorts' pages are kept", kept)
    missing = [p for p in listed.get("pages", []) if p not in kept] if isinstance(listed, dict) else listed
    check(not missing, "every page the server lists for her is kept (her certificates' PDFs among them)", missing)
    check(not any(p.startswith("/seguimiento/") or p.startswith("/reportes") for p in kept),
          "nothing of anyone else is kept", kept)
    # Offline she reads «Mi progreso» from the copy; the indicator says so.
    network(b, online=False)
    b._mark()
    b.get(BASE + "/cohortes")
    b._wait_new_page()
    check("Sin conexión" in b.text(b.find("main")), "offline, a page not hers answers «Sin conexión»")
    b._mark()
    b.get(BASE + "/mi-progreso")
    b._wait_new_page()
    check("Mi progreso" in b.text(b.find("main")), "offline, «Mi progreso» opens from the worker's copy")
    time.sleep(0.5)
    indicator = b.text(b.find("#conexion"))
    check(indicator.startswith("Sin conexión"), "the indicator on her page offline", indicator)
    run.page("offline-participant", "progress-offline")
    viewport_shot(b, "progress-offline")
    network(b, online=True)
    b.open("/")
    sign_out(run)
    nothing_personal_kept(b, "participant")


def main() -> int:
    SHOTS.mkdir(parents=True, exist_ok=True)
    # The journeys' Run keeps each page's HTML as served (for the Nu checker of .ci/browser).
    journeys.HTML.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*offline-*.png"):
        old.unlink()
    axe_source = journeys.AXE_JS.read_text(encoding="utf-8")
    started = time.time()
    coordinator = token_of(journeys.COORDINATOR)
    instructor = token_of(journeys.INSTRUCTOR)
    session_id = todays_session(coordinator)
    print(f"server {BASE} · session {session_id} · screenshots in {SHOTS}", flush=True)
    page_failures: list[str] = []
    run = Run(PHONE, axe_source, page_failures, {})
    try:
        instructor_marks_offline(run, session_id, coordinator, instructor)
        participant_reads_offline(run)
    except StepFailed as error:
        FAILURES.append(f"stopped: {error}")
        print(f"    STOPPED: {error}", flush=True)
    finally:
        run.browser.quit()
    FAILURES.extend(page_failures)
    print(f"\n{run.pages} page(s) checked in {time.time() - started:.0f} s")
    if FAILURES:
        print(f"\n{len(FAILURES)} problem(s):")
        for failure in FAILURES:
            print(f"- {failure}")
        return 1
    print("offline marks kept, reloaded, sent once; conflicts shown and settled; nothing kept after sign-out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
