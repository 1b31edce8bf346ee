#!/usr/bin/env python3
"""The page-weight budget (issue 66, item 4), run by `.ci/weight`.

The ten pages participants and instructors use most, fetched from the running debug server
with its demo data, signed in as the demo participant or instructor, with
`Accept-Encoding: gzip` (what travels): each page's HTML must stay within PAGE_BUDGET bytes
gzipped, and the stylesheet and the script (fetched once, then cached a year under their
content-hashed names) within ASSETS_BUDGET together. Then each page is loaded in Chromium at
390×844 over a throttled 3G profile (400 kbit/s both ways, 400 ms latency: CDP
`Network.emulateNetworkConditions` through chromedriver): the first visit with an empty cache
(page, stylesheet and script) and every page once the stylesheet and the script are cached (a
page's usual cost); the time is the navigation's load event. Over LOAD_BUDGET_MS fails.

Writes the table to the file named by WEIGHT_TABLE (markdown), for BENCHMARKS.md. Environment:
as tests/browser/journeys.py (AULA_BASE_URL, WEBDRIVER_URL).
"""

from __future__ import annotations

import datetime as dt
import gzip
import http.cookiejar
import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import journeys  # noqa: E402
import offline  # noqa: E402 - network conditions for the page and its service worker
from journeys import Browser, Viewport  # noqa: E402

BASE = os.environ["AULA_BASE_URL"].rstrip("/")
TABLE = Path(os.environ.get("WEIGHT_TABLE", "target/weight.md"))
PAGE_BUDGET = 10 * 1024
ASSETS_BUDGET = 12 * 1024
LOAD_BUDGET_MS = 4000
THREE_G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
PHONE = Viewport("390x844", 390, 844, phone=True)


class Client:
    """A signed-in HTTP client (cookies, the sign-in form's CSRF token)."""

    def __init__(self, account: tuple[str, str]):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        form = self.get("/ingresar")[1].decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, "email": account[0], "password": account[1]}).encode()
        self.opener.open(urllib.request.Request(f"{BASE}/ingresar", data=body), timeout=60).read()

    def get(self, path: str, gzip_ok: bool = False) -> tuple[int, bytes, dict]:
        headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
        with self.opener.open(urllib.request.Request(f"{BASE}{path}", headers=headers), timeout=60) as r:
            return r.status, r.read(), {k.lower(): v for k, v in r.headers.items()}


def api(method: str, path: str, token: str | None = None, body=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{BASE}/api/v1{path}", data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


def items(answer):
    return answer["items"] if isinstance(answer, dict) and "items" in answer else answer


def pages() -> list[tuple[str, str, tuple[str, str]]]:
    """(label, path, account): the participant's pages, then the instructor's."""
    coordinator = api("POST", "/tokens", body={"email": journeys.COORDINATOR[0], "password": journeys.COORDINATOR[1]})["token"]
    cohort = next(c for c in items(api("GET", "/cohorts?per_page=200", coordinator)) if c["name"] == journeys.IN_PROGRESS_COHORT)
    now = journeys.now_bogota()
    sessions = items(api("GET", f"/cohorts/{cohort['id']}/sessions", coordinator))
    # The sheet as an instructor marks it: the latest session already started (its form).
    started = [s for s in sessions if dt.datetime.fromisoformat(s["starts_at"].replace("Z", "+00:00")) <= now]
    session = started[-1] if started else sessions[0]
    p, i = journeys.REPLICATOR, journeys.INSTRUCTOR
    return [
        ("Inicio (participante)", "/", p),
        ("Cohortes abiertas", "/cohortes", p),
        ("Una cohorte", f"/cohortes/{cohort['id']}", p),
        ("Mi progreso", "/mi-progreso", p),
        ("Mis certificados", "/mis-certificados", p),
        ("Mi programa", "/mi-programa", p),
        ("Registro de asistencia (código)", f"/sesiones/{session['id']}/registro", p),
        ("Inicio (instructora)", "/", i),
        ("Planilla de asistencia", f"/seguimiento/sesiones/{session['id']}", i),
        ("Asistencia y notas de la cohorte", f"/seguimiento/cohortes/{cohort['id']}", i),
    ]


def cdp(b: Browser, command: str, params: dict | None = None):
    return b._call("POST", "/goog/cdp/execute", {"cmd": command, "params": params or {}})


LOAD_TIME = """
const n = performance.getEntriesByType('navigation')[0];
return n && n.loadEventEnd > 0 ? Math.round(n.loadEventEnd - n.startTime) : null;
"""


def load_ms(b: Browser, path: str) -> int:
    b._mark()
    b.get(BASE + path)
    b._wait_new_page(120)
    for _ in range(100):
        ms = b.script(LOAD_TIME)
        if ms is not None:
            return ms
        time.sleep(0.1)
    raise journeys.StepFailed(f"no load time for {path}")


def sign_in(b: Browser, account: tuple[str, str]):
    b.delete_cookies()
    b.open("/ingresar")
    b.type("#email", account[0])
    b.type("#password", account[1])
    b.submit('form[action="/ingresar"] button[type=submit]')


def main() -> int:
    failures: list[str] = []
    listed = pages()
    clients = {account: Client(account) for account in {a for _, _, a in listed}}
    rows = []
    assets_seen: dict[str, int] = {}
    for label, path, account in listed:
        status, body, headers = clients[account].get(path, gzip_ok=True)
        raw = len(gzip.decompress(body)) if headers.get("content-encoding") == "gzip" else len(body)
        html = gzip.decompress(body).decode() if headers.get("content-encoding") == "gzip" else body.decode()
        for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
            if asset not in assets_seen:
                _, a_body, a_headers = clients[account].get(asset, gzip_ok=True)
                assets_seen[asset] = len(a_body)
                if "immutable" not in a_headers.get("cache-control", ""):
                    failures.append(f"{asset} is not cached as immutable: {a_headers.get('cache-control')}")
        if status != 200:
            failures.append(f"{path}: {status}")
        if headers.get("content-encoding") != "gzip":
            failures.append(f"{path}: not compressed")
        if len(body) > PAGE_BUDGET:
            failures.append(f"{label} ({path}): {len(body)} bytes gzipped, over the budget of {PAGE_BUDGET}")
        rows.append({"label": label, "path": path, "gzip": len(body), "raw": raw, "account": account})
    assets_total = sum(assets_seen.values())
    if assets_total > ASSETS_BUDGET:
        failures.append(f"stylesheet and script: {assets_total} bytes gzipped, over the budget of {ASSETS_BUDGET}")

    b = Browser(PHONE)
    cold = None
    try:
        current = None
        for row in rows:
            if row["account"] != current:
                offline.emulate(b, {**THREE_G, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
                sign_in(b, row["account"])
                current = row["account"]
            cdp(b, "Network.enable")
            if cold is None:
                cdp(b, "Network.clearBrowserCache")
                b.script("return caches.keys().then(k => Promise.all(k.map(n => caches.delete(n))))")
                offline.emulate(b, THREE_G)
                cold = (row["label"], load_ms(b, row["path"]))
            offline.emulate(b, THREE_G)
            row["ms"] = load_ms(b, row["path"])
            if row["ms"] > LOAD_BUDGET_MS:
                failures.append(f"{row['label']} ({row['path']}): {row['ms']} ms over 3G, over {LOAD_BUDGET_MS} ms")
    finally:
        b.quit()

    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured {stamp} by `.ci/weight` (debug binary, demo data, SQLite; Chromium "
        f"{os.environ.get('CHROMIUM_VERSION', '')} at 390×844, 3G: 400 kbit/s, 400 ms).",
        "",
        "| Page | Path | HTML gzipped | HTML | Load over 3G (stylesheet and script cached) |",
        "|---|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(f"| {row['label']} | `{row['path']}` | {row['gzip']:,} B | {row['raw']:,} B | {row['ms']:,} ms |")
    lines += [
        "",
        f"Stylesheet and script (once, then cached a year under content-hashed names): "
        + ", ".join(f"`{a}` {n:,} B" for a, n in sorted(assets_seen.items()))
        + f" gzipped ({assets_total:,} B together).",
        f"First visit with an empty cache ({cold[0]}: page, stylesheet and script): {cold[1]:,} ms over 3G.",
        f"Budgets: {PAGE_BUDGET:,} B gzipped per page, {ASSETS_BUDGET:,} B for the stylesheet and script, "
        f"{LOAD_BUDGET_MS:,} ms per page over 3G.",
    ]
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    if failures:
        print(f"\n{len(failures)} problem(s):")
        for f in failures:
            print(f"- {f}")
        return 1
    print("\nevery page within its budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
