#!/usr/bin/env python3
"""End-to-end journeys in a real Chromium, driven through WebDriver (issue 18).

Run by `.ci/browser`, which starts the debug server on a throwaway demo database, chromedriver,
and passes where they are in the environment:

    AULA_BASE_URL      the server, e.g. http://127.0.0.1:41234
    WEBDRIVER_URL      chromedriver, e.g. http://127.0.0.1:41235
    AULA_MAIL_DIR      where the server writes its emails (.eml files)
    AULA_WORK          a scratch folder (the spreadsheet the coordinator uploads)
    AXE_JS             axe-core's axe.min.js (npm, pinned in tests/browser/package-lock.json)
    BROWSER_SCREENSHOTS  where the screenshots go (default target/browser-screenshots)
    BROWSER_HTML       where each visited page's HTML goes, as the server sent it (default
                       target/browser-html), for the W3C Nu HTML Checker (tests/browser/nu_check.py)
    CHROMIUM_BINARY    default /usr/bin/chromium

The journeys drive the real forms (type, click, submit): a participant registers, confirms the
email, signs in, enrols, checks in with the code the instructor's screen shows, sees the
progress and then the certificate and its public verification; the coordinator creates a
course, a cohort, its sessions (one, and the recurring generator), enrols people from a
spreadsheet with a preview first, opens, starts and closes the cohort and issues certificates;
the instructor records marks and scores; the reviewer of Caquetá reads the dashboard, the
reports, the capacity × municipality grid, a municipality and downloads the workbook.

All of it runs twice, at 1366×900 and at 390×844 (a phone: Chrome's mobile emulation), and
every page either pass visits is checked: no horizontal overflow (the page's scrollWidth fits
the viewport) and no element past the viewport's right edge unless it is inside a phone table
(a box that scrolls sideways holding a table whose first column stays in place); every table
that does not fit is such a phone table, with its key columns (th[data-key]) in view before
scrolling; text in inline SVG renders at 12 px or more; on a phone, tap targets are 44 px
tall (issue 45, docs/DECISIONS.md «Phone-first pages»); and axe-core, injected into the page,
reports no serious or critical violation. A screenshot of each step is written per viewport, e.g.
`07-participant-enrol-390x844.png`, and the page's HTML as the server sent it (the response body
from Chrome's network log, before any script ran) to `07-participant-enrol-390x844.html`, with
its path in `pages.json`, for the Nu HTML Checker that `.ci/browser` runs afterwards (issue 67). Problems are collected; the summary at the end lists them
and the exit status is 1 if there is any.

Python standard library only: a small W3C WebDriver client is below.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import io
import json
import os
import re
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

BASE = os.environ.get("AULA_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
DRIVER = os.environ.get("WEBDRIVER_URL", "http://127.0.0.1:9515").rstrip("/")
MAIL_DIR = Path(os.environ.get("AULA_MAIL_DIR", "data/mail"))
WORK = Path(os.environ.get("AULA_WORK", "/tmp"))
AXE_JS = Path(os.environ.get("AXE_JS", "tests/browser/node_modules/axe-core/axe.min.js"))
SHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS", "target/browser-screenshots"))
HTML = Path(os.environ.get("BROWSER_HTML", "target/browser-html"))
CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")

# The demo's accounts (README).
COORDINATOR = ("coordinacion@aulaterritorial.example", "Coordina-Aula-2026")
INSTRUCTOR = ("instructor@aulaterritorial.example", "Instruye-Aula-2026")
REVIEWER = ("revisor.caqueta@aulaterritorial.example", "Revisa-Aula-2026")
LIAISON = ("enlace.elpaujil@aulaterritorial.example", "Enlace-Paujil-2026")
# The demo participant, a certified replicator in Caquetá (issue 48).
REPLICATOR = ("participante@aulaterritorial.example", "Participa-Aula-2026")
INSTRUCTOR_NAME = "Luz Marina Cárdenas"
# The demo's cohorts, by name (domain/src/demo.rs).
OPEN_COHORT = "Rendición Pública de Cuentas · Caquetá y Meta 2027-I"
IN_PROGRESS_COHORT = "Planeación Territorial · Caquetá PDET 2026-II"
# Issue 64: the demo diplomado's edition in progress (domain/src/programmes/demo.rs).
RUNNING_EDITION = "Diplomado en Gestión Pública Territorial · Caquetá PDET 2026-II"
CLOSED_META_COHORT = "Gestión Presupuestal · Macarena–Guaviare 2026-I"
MUNICIPALITY = "18256"  # El Paujíl (Caquetá), one of the demo's pilots

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
BOGOTA = dt.timezone(dt.timedelta(hours=-5))  # Colombia keeps no daylight saving time


class Viewport:
    def __init__(self, name: str, width: int, height: int, phone: bool):
        self.name, self.width, self.height, self.phone = name, width, height, phone


VIEWPORTS = [
    Viewport("1366x900", 1366, 900, phone=False),
    Viewport("390x844", 390, 844, phone=True),
]


class StepFailed(Exception):
    """A journey cannot go on (an element is missing, a page is not the one expected)."""


# ---- a small W3C WebDriver client ------------------------------------------------------------


class WebDriverError(Exception):
    def __init__(self, status: int, error: str, message: str):
        super().__init__(f"{error} ({status}): {message}")
        self.error = error


class Browser:
    def __init__(self, viewport: Viewport):
        self.viewport = viewport
        options = {
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--hide-scrollbars",
                "--lang=es-CO",
                f"--window-size={viewport.width},{viewport.height}",
            ],
            "prefs": {"intl.accept_languages": "es-CO,es"},
            # The network log: each page's response, whose body is read back as served (issue 67).
            "perfLoggingPrefs": {"enableNetwork": True, "enablePage": False},
        }
        if viewport.phone:
            # A phone: the page is laid out at 390 CSS pixels wide with the viewport meta tag,
            # touch events and a mobile user agent (a desktop window cannot be narrower than
            # about 500 pixels).
            options["mobileEmulation"] = {
                "deviceMetrics": {
                    "width": viewport.width,
                    "height": viewport.height,
                    "pixelRatio": 2,
                    "touch": True,
                    "mobile": True,
                }
            }
        answer = self._call(
            "POST",
            "/session",
            {
                "capabilities": {
                    "alwaysMatch": {
                        "browserName": "chrome",
                        "pageLoadStrategy": "normal",
                        "goog:chromeOptions": options,
                        "goog:loggingPrefs": {"performance": "ALL"},
                    }
                }
            },
            session=False,
        )
        self.session = answer["sessionId"]
        # The last document response received for each URL: its request's id in Chrome.
        self.documents: dict[str, str] = {}
        try:
            self._prepare()
        except BaseException:
            self.quit()
            raise

    def _prepare(self):
        viewport = self.viewport
        self._call("POST", "/timeouts", {"script": 60_000, "pageLoad": 60_000, "implicit": 0})
        if not viewport.phone:
            # The window includes the browser's own frame: grow it until the page itself is
            # width × height.
            self.get("about:blank")
            inner = self.script("return [window.innerWidth, window.innerHeight]")
            rect = self._call("GET", "/window/rect")
            self._call(
                "POST",
                "/window/rect",
                {
                    "width": rect["width"] + viewport.width - inner[0],
                    "height": rect["height"] + viewport.height - inner[1],
                },
            )
            self.get("about:blank")
            inner = self.script("return [window.innerWidth, window.innerHeight]")
            if inner != [viewport.width, viewport.height]:
                raise StepFailed(
                    f"the viewport is {inner[0]}×{inner[1]}, not {viewport.width}×{viewport.height}"
                )
        # A phone's layout viewport is checked on each page (about:blank has no viewport tag).

    def _call(self, method: str, path: str, body=None, session: bool = True):
        url = DRIVER + (f"/session/{self.session}" if session else "") + path
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            url, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return json.load(response).get("value")
        except urllib.error.HTTPError as error:
            try:
                value = json.load(error).get("value", {})
            except ValueError:
                value = {}
            raise WebDriverError(
                error.code, value.get("error", "?"), str(value.get("message", ""))[:400]
            ) from None

    def quit(self):
        try:
            self._call("DELETE", "")
        except Exception:  # noqa: BLE001 - the browser may already be gone
            pass

    # navigation and scripts
    def get(self, url: str):
        self._call("POST", "/url", {"url": url if "://" in url or url.startswith("about:") else BASE + url})

    def url(self) -> str:
        return self._call("GET", "/url")

    def path(self) -> str:
        parts = urllib.parse.urlsplit(self.url())
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def script(self, source: str, *args):
        return self._call("POST", "/execute/sync", {"script": source, "args": list(args)})

    def async_script(self, source: str, *args):
        return self._call("POST", "/execute/async", {"script": source, "args": list(args)})

    def served_html(self) -> str | None:
        """The HTML the server sent for the page now shown: the body of the last document
        response for its URL in Chrome's network log (after a redirect, the final response; after
        a form's POST, the answer to it), not the DOM after the page's scripts ran. None when
        Chrome no longer has it."""
        try:
            entries = self._call("POST", "/se/log", {"type": "performance"}) or []
        except WebDriverError:
            entries = []
        for entry in entries:
            try:
                message = json.loads(entry["message"])["message"]
            except (KeyError, TypeError, ValueError):
                continue
            if message.get("method") != "Network.responseReceived":
                continue
            params = message.get("params", {})
            if params.get("type") == "Document":
                url = params.get("response", {}).get("url", "").split("#")[0]
                self.documents[url] = params.get("requestId")
        request_id = self.documents.get(self.url().split("#")[0])
        if request_id is None:
            return None
        try:
            answer = self._call(
                "POST",
                "/goog/cdp/execute",
                {"cmd": "Network.getResponseBody", "params": {"requestId": request_id}},
            )
        except WebDriverError:
            return None
        if answer.get("base64Encoded"):
            return base64.b64decode(answer["body"]).decode("utf-8", errors="replace")
        return answer.get("body")

    def delete_cookies(self):
        self._call("DELETE", "/cookie")

    def screenshot(self, path: Path):
        """The whole page (through the DevTools protocol), or the viewport when that fails."""
        try:
            metrics = self._call(
                "POST", "/goog/cdp/execute", {"cmd": "Page.getLayoutMetrics", "params": {}}
            )
            size = metrics["cssContentSize"]
            shot = self._call(
                "POST",
                "/goog/cdp/execute",
                {
                    "cmd": "Page.captureScreenshot",
                    "params": {
                        "format": "png",
                        "captureBeyondViewport": True,
                        "clip": {
                            "x": 0,
                            "y": 0,
                            "width": max(self.viewport.width, size["width"]),
                            "height": min(size["height"], 12_000),
                            "scale": 1,
                        },
                    },
                },
            )["data"]
        except (WebDriverError, KeyError, TypeError):
            shot = self._call("GET", "/screenshot")
        path.write_bytes(base64.b64decode(shot))

    # elements
    def find(self, css: str, using: str = "css selector", within: str | None = None) -> str:
        found = self.find_all(css, using, within)
        if not found:
            raise StepFailed(f"no element {css!r} on {self.path()}")
        return found[0]

    def find_all(self, css: str, using: str = "css selector", within: str | None = None) -> list[str]:
        path = f"/element/{within}/elements" if within else "/elements"
        return [e[ELEMENT] for e in self._call("POST", path, {"using": using, "value": css})]

    def exists(self, css: str) -> bool:
        return bool(self.find_all(css))

    def text(self, element: str) -> str:
        return self._call("GET", f"/element/{element}/text")

    def attribute(self, element: str, name: str):
        return self._call("GET", f"/element/{element}/attribute/{name}")

    def property(self, element: str, name: str):
        return self._call("GET", f"/element/{element}/property/{name}")

    def clear(self, element: str):
        self._call("POST", f"/element/{element}/clear", {})

    def send_keys(self, element: str, text: str):
        self._call("POST", f"/element/{element}/value", {"text": text})

    def click_element(self, element: str):
        self._call("POST", f"/element/{element}/click", {})

    # the journeys' vocabulary
    def type(self, css: str, text: str):
        element = self.find(css)
        self.clear(element)
        self.send_keys(element, text)

    def set_value(self, css: str, value: str):
        """Date and time inputs: what a person picks, without the locale's typing order."""
        element = self.find(css)
        self.script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
            {ELEMENT: element},
            value,
        )
        if self.property(element, "value") != value:
            raise StepFailed(f"{css} did not take the value {value!r}")

    def choose(self, select_css: str, value: str | None = None, text: str | None = None):
        """Picks an option of a select by clicking it (by value, by visible text, or the first
        one with a value)."""
        if value is not None:
            option = self.find(f'{select_css} option[value="{value}"]')
        elif text is not None:
            select = self.find(select_css)
            option = self.find(
                f".//option[normalize-space()={xpath_literal(text)}]", "xpath", within=select
            )
        else:
            option = self.find(f'{select_css} option:not([value=""])')
        self.click_element(option)
        if not self.property(option, "selected"):
            raise StepFailed(f"the option of {select_css} was not selected")

    def check(self, css: str):
        element = self.find(css)
        if not self.property(element, "checked"):
            self.click_element(element)

    def _mark(self):
        self.script("window.__journeyMark = true")

    def _wait_new_page(self, timeout: float = 60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                state = self.script(
                    "return [window.__journeyMark === true, document.readyState]"
                )
                if not state[0] and state[1] == "complete":
                    return
            except WebDriverError:
                pass  # between two documents
            time.sleep(0.05)
        raise StepFailed(f"no new page after {timeout} s (still {self.path()})")

    def displayed(self, element: str) -> bool:
        return bool(self._call("GET", f"/element/{element}/displayed"))

    def find_shown(self, css: str, using: str = "css selector") -> str:
        """The first match a person can see. On a phone the header's links are in the «Menú»
        (a closed <details>): when the match is only there, the menu is opened first, as a
        person would."""
        found = self.find_all(css, using)
        for element in found:
            if self.displayed(element):
                return element
        menu = self.find_all("header details.menu:not([open]) > summary")
        if found and menu and self.displayed(menu[0]):
            self.click_element(menu[0])
            for element in self.find_all(css, using):
                if self.displayed(element):
                    return element
        if not found:
            raise StepFailed(f"no element {css!r} on {self.path()}")
        return found[0]

    def click(self, css: str, using: str = "css selector"):
        """Clicks something that loads a new page, and waits for it."""
        element = self.find_shown(css, using)
        self._mark()
        self.click_element(element)
        self._wait_new_page()

    def click_link(self, text: str):
        self.click(text, "partial link text")

    def submit(self, button_css: str):
        self.click(button_css)

    def open(self, path: str):
        self.get(path)
        self.script("return document.readyState")


def xpath_literal(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat('" + text.replace("'", "', \"'\", '") + "')"


# ---- checks on every page --------------------------------------------------------------------

OVERFLOW_SCRIPT = r"""
const width = arguments[0];
window.scrollTo(0, 0);
const root = document.documentElement;
const scrollWidth = Math.max(root.scrollWidth, document.body ? document.body.scrollWidth : 0);
const describe = el => {
  let d = el.tagName.toLowerCase();
  if (el.id) d += '#' + el.id;
  if (typeof el.className === 'string' && el.className.trim())
    d += '.' + el.className.trim().split(/\s+/).join('.');
  const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 50);
  return d + (text ? ` «${text}»` : '');
};
const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
const clips = el => ['hidden', 'clip'].includes(getComputedStyle(el).overflowX);
// A phone table (issue 45): a box that scrolls sideways holding a table whose first column stays
// in place while the rest scrolls. What sticks out inside it is meant to be scrolled to.
const firstColumnStays = (box, table) => {
  const row = table.querySelector('tbody tr') || table.querySelector('tr');
  const cell = row && row.cells[0];
  if (!cell || getComputedStyle(cell).position !== 'sticky') return false;
  const before = box.scrollLeft;
  box.scrollLeft = box.scrollWidth;
  const ok = cell.getBoundingClientRect().left >= box.getBoundingClientRect().left - 1;
  box.scrollLeft = before;
  return ok;
};
const phoneTableBox = box => {
  const table = box.tagName === 'TABLE' ? box : box.querySelector('table');
  return !!table && firstColumnStays(box, table);
};
// Visually hidden on purpose (text for screen readers, the skip link, a stacked table's head).
const visuallyHidden = el => {
  // Inside a closed <details> (the phone's «Menú», details on demand) only the summary shows.
  const details = el.closest('details:not([open])');
  if (details && !el.closest('summary')) return true;
  for (let p = el; p && p !== document.body; p = p.parentElement) {
    const style = getComputedStyle(p);
    if (style.position === 'absolute' && (p.getBoundingClientRect().right <= 0 || style.clip !== 'auto'))
      return true;
    if (style.visibility === 'hidden') return true;
  }
  return false;
};
// Every element whose right edge is past the viewport is a problem unless it is inside a phone
// table's scroll box (which itself fits). Inside a box that clips it, it is cut off: a problem.
const sticking = new Set();
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (!(r.width > 0 && r.right > width + 0.5) || visuallyHidden(el)) continue;
  let box = null;
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (scrolls(p) || clips(p)) { box = p; break; }
  }
  if (box && scrolls(box) && phoneTableBox(box)) continue;
  if (box && clips(box) && box.getBoundingClientRect().right <= width + 0.5) {
    sticking.add(el);  // cut off by a box that hides what sticks out
    continue;
  }
  if (box && scrolls(box)) { sticking.add(el); continue; }  // a scroll box without a fixed first column
  sticking.add(el);
}
// The innermost ones name the cause; their ancestors only inherit it.
const offenders = [];
for (const el of sticking) {
  if (![...el.querySelectorAll('*')].some(c => sticking.has(c)))
    offenders.push(`${describe(el)} (right edge ${Math.round(el.getBoundingClientRect().right)} px)`);
}
return {scrollWidth, innerWidth: window.innerWidth, clientWidth: root.clientWidth,
        outside: offenders.length, offenders: offenders.slice(0, 8)};
"""

# Issue 45: what a phone must show. Tables: one that does not fit its width scrolls inside its
# own box with its first column fixed, marks its key columns (th[data-key]) and shows them
# without scrolling; or it is laid out as cards. Charts: every text of an inline SVG renders at
# 12 px or more (closed <details> are opened to measure what they hold). Tap targets: buttons,
# summaries, fields and the menu's and tabs' links are 44 px tall or more.
PHONE_SCRIPT = r"""
const width = arguments[0];
const phone = arguments[1];
window.scrollTo(0, 0);
const problems = [];
const describe = el => {
  let d = el.tagName.toLowerCase();
  if (el.id) d += '#' + el.id;
  if (typeof el.className === 'string' && el.className.trim())
    d += '.' + el.className.trim().split(/\s+/).join('.');
  const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
  return d + (text ? ` «${text}»` : '');
};
const shown = el => {
  const details = el.closest('details:not([open])');
  if (details && !el.closest('summary')) return false;
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0;
};
const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);

// (a) chart text, with every closed <details> opened for the measure.
const closed = [...document.querySelectorAll('details:not([open])')];
closed.forEach(d => { d.open = true; });
const small = [];
let smallest = Infinity;
for (const t of document.querySelectorAll('svg text')) {
  if (!shown(t)) continue;
  const ctm = t.getScreenCTM();
  if (!ctm) continue;
  const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(ctm.a, ctm.b);
  if (px < 11.95) small.push(`«${t.textContent.trim().slice(0, 20)}» ${px.toFixed(1)} px`);
  smallest = Math.min(smallest, px);
}
closed.forEach(d => { d.open = false; });
if (small.length)
  problems.push(`chart text under 12 px (${small.length}): ${small.slice(0, 4).join(', ')}`);

// (b) tables.
for (const table of document.querySelectorAll('table')) {
  if (!shown(table)) continue;
  let box = null;
  for (let p = table; p && p !== document.body; p = p.parentElement) {
    if (scrolls(p)) { box = p; break; }
  }
  const overflowing = box ? box.scrollWidth > box.clientWidth + 1
                          : table.getBoundingClientRect().right > width + 0.5;
  if (!overflowing) continue;
  const name = describe(table.querySelector('caption, th') || table);
  if (!box) { problems.push(`table wider than the screen, not in a scroll box: ${name}`); continue; }
  const row = table.querySelector('tbody tr') || table.querySelector('tr');
  const first = row && row.cells[0];
  const before = box.scrollLeft;
  box.scrollLeft = box.scrollWidth;
  const stays = first && getComputedStyle(first).position === 'sticky'
    && first.getBoundingClientRect().left >= box.getBoundingClientRect().left - 1;
  box.scrollLeft = 0;
  if (!stays) problems.push(`table scrolls sideways without a fixed first column: ${name}`);
  const keys = [...table.querySelectorAll('thead th[data-key], tr:first-child > th[data-key]')];
  if (!keys.length) {
    problems.push(`table scrolls sideways without key columns marked (th[data-key]): ${name}`);
  } else {
    const right = Math.min(box.getBoundingClientRect().right, width);
    const hidden = keys.filter(th => th.getBoundingClientRect().right > right + 1);
    if (hidden.length)
      problems.push(`key column(s) out of view without scrolling: ${hidden.map(th => '«' + th.textContent.trim() + '»').join(', ')} in ${name}`);
  }
  box.scrollLeft = before;
}

// (d) tap targets on a phone.
if (phone) {
  const targets = document.querySelectorAll(
    'main button, main .button, summary, main select, main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), header a, header button, nav.sections a, nav.pager a');
  const tiny = [];
  for (const el of targets) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.height < 43.5) tiny.push(`${describe(el)} ${Math.round(r.height)} px`);
  }
  if (tiny.length) problems.push(`tap targets under 44 px tall (${tiny.length}): ${tiny.slice(0, 4).join(', ')}`);
  // Issue 61: a link standing alone (its block holds no words of its own beside its links: a
  // «← Cohortes», a row's «Eliminar», a list of municipalities) is a tap target too. A link
  // inside a sentence is exempt (WCAG 2.5.8's inline exception).
  const blockOf = el => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const d = getComputedStyle(p).display;
      if (!d.startsWith('inline') && d !== 'contents') return p;
    }
    return document.body;
  };
  const ownWords = block => {
    let words = '';
    const walk = node => {
      for (const c of node.childNodes) {
        if (c.nodeType === Node.TEXT_NODE) words += c.textContent;
        else if (c.nodeType === Node.ELEMENT_NODE && c.tagName !== 'A' && !['SCRIPT', 'STYLE'].includes(c.tagName)
                 && getComputedStyle(c).display.startsWith('inline')) walk(c);
      }
    };
    walk(block);
    return words.replace(/[\s·|,;:()\[\]–—-]/g, '');
  };
  const alone = [];
  for (const a of document.querySelectorAll('main a[href]')) {
    if (!shown(a) || a.closest('svg')) continue;
    if (ownWords(blockOf(a)) !== '') continue;
    const r = a.getBoundingClientRect();
    if (r.height < 43.5) alone.push(`${describe(a)} ${Math.round(r.height)} px`);
  }
  if (alone.length) problems.push(`links standing alone under 44 px tall (${alone.length}): ${alone.slice(0, 4).join(', ')}`);
}

// (e) every link to a place on the page lands on an element that exists (an error summary's
// links above all: issue 61).
const broken = [];
for (const a of document.querySelectorAll('a[href^="#"]')) {
  const id = decodeURIComponent(a.getAttribute('href').slice(1));
  if (id && !document.getElementById(id)) broken.push(`${describe(a)} → #${id}`);
}
if (broken.length) problems.push(`links to a place that does not exist (${broken.length}): ${broken.slice(0, 4).join(', ')}`);
return {problems, smallest: smallest === Infinity ? null : smallest};
"""

# Rules axe-core cannot judge on one page, each with its reason (docs/DECISIONS.md). Nothing
# else is exempt.
AXE_EXEMPT = [
    (
        r"/seguimiento/sesiones/\d+/codigo",
        "meta-refresh",
        "the instructor's projected check-in screen renews its code, which changes every minute, "
        "without a script: a real-time event (WCAG 2.2.1's exception)",
    ),
]

AXE_SCRIPT = r"""
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(results => {
  done(results.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
                targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
                summary: (v.nodes[0] && v.nodes[0].failureSummary || '').split('\n').slice(0, 3).join(' ')})));
}).catch(error => done({error: String(error)}));
"""


class Run:
    """One pass of the journeys at one viewport: the browser, the step counter, the problems."""

    def __init__(self, viewport: Viewport, axe_source: str, failures: list[str], html_pages: dict[str, str]):
        self.viewport = viewport
        self.axe_source = axe_source
        self.failures = failures
        self.browser = Browser(viewport)
        self.number = 0
        self.pages = 0
        self.html_pages = html_pages

    def fail(self, text: str):
        self.failures.append(f"[{self.viewport.name}] {text}")
        print(f"  FAIL {text}", flush=True)

    def page(self, role: str, slug: str, expect: str | None = None, error_page: bool = False):
        """The page now shown is one step: checked, photographed, reported."""
        b = self.browser
        self.number += 1
        self.pages += 1
        name = f"{self.number:02d}-{role}-{slug}-{self.viewport.name}"
        path = b.path()
        problems = []
        if not error_page and b.exists("main > section.error"):
            heading = b.text(b.find("main > section.error"))
            problems.append(f"an error page: {heading.splitlines()[0] if heading else ''}")
        if expect is not None:
            body = b.text(b.find("main"))
            if expect not in body:
                problems.append(f"expected «{expect}» on the page")
        overflow = b.script(OVERFLOW_SCRIPT, self.viewport.width)
        if overflow["scrollWidth"] > self.viewport.width or overflow["outside"]:
            problems.append(
                f"outside the viewport: scrollWidth {overflow['scrollWidth']} (viewport {self.viewport.width}), "
                f"{overflow['outside']} element(s) past its right edge outside a phone table"
                + "".join(f"\n        sticks out: {o}" for o in overflow["offenders"])
            )
        phone = b.script(PHONE_SCRIPT, self.viewport.width, self.viewport.phone)
        problems.extend(phone["problems"])
        if phone["smallest"] is not None:
            print(f"  note {name}: smallest chart text {phone['smallest']:.1f} px", flush=True)
        # The page must be laid out at the viewport's width. (A phone's innerWidth is the visual
        # viewport, which Chrome widens to show a page that overflows: clientWidth is the layout.)
        laid_out = overflow["clientWidth" if self.viewport.phone else "innerWidth"]
        if laid_out != self.viewport.width:
            problems.append(f"laid out {laid_out} px wide, not {self.viewport.width}")
        if not b.script("return typeof axe !== 'undefined'"):
            b.script(self.axe_source)
        violations = b.async_script(AXE_SCRIPT)
        if isinstance(violations, dict):
            problems.append(f"axe-core did not run: {violations.get('error')}")
        else:
            for v in violations:
                exempt = [
                    reason for pattern, rule, reason in AXE_EXEMPT
                    if rule == v["id"] and re.fullmatch(pattern, path.split("?")[0])
                ]
                if exempt:
                    print(f"  note {name}: axe {v['id']} accepted here: {exempt[0]}", flush=True)
                    continue
                problems.append(
                    f"axe {v['impact']}: {v['id']} — {v['help']} ({v['count']} element(s))"
                    + "".join(f"\n        at {t}" for t in v["targets"])
                    + (f"\n        {v['summary']}" if v["summary"] else "")
                )
        b.screenshot(SHOTS / f"{name}.png")
        served = b.served_html()
        if served is None:
            problems.append("the HTML the server sent could not be read from Chrome's network log")
        else:
            (HTML / f"{name}.html").write_text(served, encoding="utf-8")
            self.html_pages[f"{name}.html"] = path
        if problems:
            for p in problems:
                self.fail(f"{name} {path}: {p}")
        else:
            print(f"  ok   {name}  {path}", flush=True)
        if expect is not None and any(p.startswith("expected") for p in problems):
            raise StepFailed(f"{name}: expected «{expect}» on {path}")
        if any(p.startswith("an error page") for p in problems):
            raise StepFailed(f"{name}: error page at {path}")


# ---- the journeys ----------------------------------------------------------------------------


def now_bogota() -> dt.datetime:
    return dt.datetime.now(BOGOTA)


def sign_in(run: Run, role: str, account: tuple[str, str]):
    b = run.browser
    b.delete_cookies()
    b.open("/ingresar")
    run.page(role, "sign-in-form")
    b.type("#email", account[0])
    b.type("#password", account[1])
    b.submit('form[action="/ingresar"] button[type=submit]')
    if b.exists(".flash-error"):
        raise StepFailed(f"could not sign in as {account[0]}: {b.text(b.find('.flash-error'))}")
    if b.path().endswith("/empalme"):
        # Issue 48: a liaison's first sign-in of an administration opens the handover, once.
        run.page(role, "handover-on-sign-in", expect="Empalme de")
        b.open("/")
    run.page(role, "home", expect="Hola,")


def sign_out(run: Run):
    b = run.browser
    b.submit('form[action="/salir"] button')
    b.delete_cookies()


class Journey:
    """What one pass creates and what its later acts need."""

    def __init__(self, run: Run, pass_number: int):
        self.run = run
        self.b = run.browser
        stamp = int(time.time()) % 10_000_000
        self.pass_number = pass_number
        self.document = f"1{stamp:07d}{pass_number}{pass_number}"
        self.first_names, self.last_names = [
            ("Valentina", "Ríos Caicedo"),
            ("Camilo Andrés", "Quintero Lozada"),
        ][pass_number % 2]
        self.email = f"valentina.rios.{stamp}.{pass_number}@correo.example"
        self.password = f"Recorrido-{stamp}-Aula"
        self.course_code = f"REC{stamp % 100_000}{pass_number}"
        self.course_name = f"Contratación estatal para municipios (recorrido {pass_number})"
        self.cohort_name = f"Contratación estatal · El Paujíl recorrido {stamp}-{pass_number}"
        self.cohort_id: int | None = None
        self.session_id: int | None = None
        self.code: str | None = None
        self.certificate: str | None = None
        self.edition_id: int | None = None
        self.edition_name = ""

    # -- participant: register, confirm, sign in, enrol ----------------------------------------
    def participant_registers(self):
        run, b = self.run, self.b
        b.delete_cookies()
        b.open("/")
        run.page("visitor", "home", expect="Aula Territorial")
        b.click('a[href="/registro"]')
        run.page("participant", "register-form", expect="Registrarse como participante")
        b.choose("#document_type", value="CC")
        b.type("#document_number", self.document)
        b.type("#first_names", self.first_names)
        b.type("#last_names", self.last_names)
        b.type("#email", self.email)
        b.type("#phone", "3105550123")
        b.choose("#department_code", value="18")
        b.type("#municipality", MUNICIPALITY)
        b.choose("#entity_type", value="alcaldia")
        b.type("#entity_name", "Alcaldía de El Paujíl")
        b.type("#position", "Profesional de contratación")
        b.choose("#level", value="profesional")
        b.type("#password", self.password)
        b.check('input[name="data_consent"]')
        b.submit('form[action="/registro"] button[type=submit]')
        run.page("participant", "register-sent", expect="Revise su correo")
        link = wait_for_mail(self.email, r"(https?://\S+/registro/confirmar/[A-Za-z0-9_\-]+)")
        b.get(link)
        run.page("participant", "register-confirm", expect="Confirmar registro")
        b.submit('form[action^="/registro/confirmar/"] button')
        run.page("participant", "register-welcome", expect="su cuenta quedó activa")
        sign_out(run)
        sign_in(run, "participant", (self.email, self.password))

    def participant_enrols(self):
        run, b = self.run, self.b
        b.click('header nav a[href="/cohortes"]')
        run.page("participant", "open-cohorts", expect="Cohortes con inscripciones abiertas")
        b.click_link(OPEN_COHORT)
        run.page("participant", "cohort", expect=OPEN_COHORT)
        b.submit('form[action$="/inscribirme"] button')
        run.page("participant", "enrol", expect="Su inscripción quedó confirmada")

    # -- coordinator: course, cohort, sessions, import ------------------------------------------
    def coordinator_prepares(self):
        run, b = self.run, self.b
        sign_in(run, "coordinator", COORDINATOR)
        b.click('header nav a[href="/coordinacion/cursos"]')
        run.page("coordinator", "courses", expect="Crear curso")
        b.type("#c-code", self.course_code)
        b.type("#c-name", self.course_name)
        b.type(
            "#c-description",
            "Principios, modalidades de selección y supervisión de contratos en la alcaldía.",
        )
        b.type("#c-hours", "24")
        b.check('input[name="capacity_ids"]')
        b.type("#c-att", "80")
        b.type("#c-pass", "3,0")
        b.submit('form[action="/coordinacion/cursos"] button[type=submit]')
        run.page("coordinator", "course-created", expect=self.course_name)

        b.click('header nav a[href="/coordinacion/cohortes"]')
        run.page("coordinator", "cohorts", expect="Programar una cohorte")
        b.click('a[href="/coordinacion/cohortes/nueva"]')
        run.page("coordinator", "cohort-form", expect="Programar una cohorte")
        today = now_bogota().date()
        b.choose("#k-course", text=self.course_name)
        b.type("#k-name", self.cohort_name)
        b.choose("#k-modality", value="presencial")
        b.type("#k-venue", "Casa de la Cultura de El Paujíl")
        b.set_value("#k-start", (today - dt.timedelta(days=7)).isoformat())
        b.set_value("#k-end", (today + dt.timedelta(days=14)).isoformat())
        b.set_value("#k-opens", (today - dt.timedelta(days=10)).isoformat())
        b.set_value("#k-closes", (today + dt.timedelta(days=7)).isoformat())
        b.type("#k-seats", "20")
        b.type("#k-munis", MUNICIPALITY)
        instructor = b.find(
            f"//label[contains(normalize-space(), {xpath_literal(INSTRUCTOR_NAME)})]"
            "/input[@name='instructor_ids']",
            "xpath",
        )
        b.click_element(instructor)
        b.submit('form[action="/coordinacion/cohortes"] button[type=submit]')
        match = re.fullmatch(r"/coordinacion/cohortes/(\d+)", b.path())
        if not match:
            run.page("coordinator", "cohort-created", expect=self.cohort_name)
            raise StepFailed(f"the new cohort's page was expected, not {b.path()}")
        self.cohort_id = int(match.group(1))
        run.page("coordinator", "cohort-created", expect=self.cohort_name)

        # One session now (its check-in is open), and three earlier ones from the generator.
        b.click(f'nav.sections a[href="/coordinacion/cohortes/{self.cohort_id}/sesiones"]')
        run.page("coordinator", "sessions", expect="Agregar una sesión")
        # A session is one day's: late at night, wait for the next day so its check-in stays
        # open long enough.
        now = now_bogota()
        if now.time() >= dt.time(23, 50):
            midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0, 0, 30), BOGOTA)
            print(f"  (waiting {int((midnight - now).total_seconds())} s for the next day in Bogotá)")
            time.sleep((midnight - now).total_seconds())
            now = now_bogota()
        start = max(now - dt.timedelta(minutes=2), now.replace(hour=0, minute=0, second=0, microsecond=0))
        end = min(start + dt.timedelta(hours=3), start.replace(hour=23, minute=59))
        b.set_value("#s-date", start.date().isoformat())
        b.set_value("#s-start", start.strftime("%H:%M"))
        b.set_value("#s-end", end.strftime("%H:%M"))
        b.type("#s-topic", "Principios de la contratación estatal")
        b.submit(f'form[action="/coordinacion/cohortes/{self.cohort_id}/sesiones"] button')
        run.page("coordinator", "session-added", expect="Principios de la contratación estatal")
        for day in range(1, 8):
            b.check(f'input[name="weekdays"][value="{day}"]')
        b.set_value("#g-start", "08:00")
        b.set_value("#g-end", "11:00")
        b.set_value("#g-from", (today - dt.timedelta(days=3)).isoformat())
        b.set_value("#g-to", (today - dt.timedelta(days=1)).isoformat())
        b.type("#g-topic", "Taller")
        b.submit(f'form[action="/coordinacion/cohortes/{self.cohort_id}/sesiones/generar"] button')
        run.page("coordinator", "sessions-generated", expect="Taller 4")

        # The edit form: more seats; saving it comes back to the overview.
        b.click(f'nav.sections a[href="/coordinacion/cohortes/{self.cohort_id}/editar"]')
        run.page("coordinator", "cohort-edit", expect="Editar la cohorte")
        b.type("#k-seats", "25")
        b.submit(f'form[action="/coordinacion/cohortes/{self.cohort_id}"] button[type=submit]')
        run.page("coordinator", "cohort-overview", expect="de 25 cupos")

        # Open for enrolment, then enrol an office from a spreadsheet: preview, then import.
        if not b.exists('form[action$="/estado"]:has(input[name="status"][value="open"])'):
            raise StepFailed("the overview offers no «Abrir inscripciones»")
        b.submit('form[action$="/estado"]:has(input[name="status"][value="open"]) button')
        run.page("coordinator", "cohort-opened", expect="Inscripciones abiertas")
        b.click(f'nav.sections a[href="/coordinacion/cohortes/{self.cohort_id}/inscripciones"]')
        run.page("coordinator", "enrolments", expect="Inscribir desde una hoja de cálculo")
        sheet = self.write_sheet()
        b.send_keys(b.find("#i-file"), str(sheet))
        b.submit('form[action$="/importar"] button[value="preview"]')
        run.page("coordinator", "import-preview", expect="Vista previa (no se guardó nada)")
        # Issue 67: «Importar» under the preview declares that each person of the sheet
        # authorized the treatment of her data, and where it is written.
        b.check('form:has(input[name="draft"]) input[name="declaracion"]')
        b.type("#p-source", "Formato físico de inscripción firmado en la jornada del recorrido")
        b.submit('form:has(input[name="draft"]) button[value="import"]')
        run.page("coordinator", "import-done", expect="Importación realizada")

        # A surname came incomplete on the sheet: «Corregir datos» beside the person, with a
        # reason; back on «Inscripciones» with the outcome.
        b.click(
            '//a[starts-with(@href, "/coordinacion/personas/") and contains(., "Hernán Darío")]',
            "xpath",
        )
        run.page("coordinator", "person-correct", expect="Corregir los datos de Hernán Darío")
        b.type("#c-last", "Ortiz Vargas Gómez")
        b.type("#c-reason", "Segundo apellido omitido en la hoja de inscripción")
        b.submit('form[action$="/corregir"] button[type=submit]')
        run.page("coordinator", "person-corrected", expect="Gómez corregidos (apellidos); no tiene correo registrado")

        # Cancelling asks first, on a page of its own; «No, volver» changes nothing.
        b.click(f'nav.sections a[href="/coordinacion/cohortes/{self.cohort_id}"]')
        b.click(f'a[href="/coordinacion/cohortes/{self.cohort_id}/cancelar"]')
        run.page("coordinator", "cancel-confirm", expect="¿Cancelar la cohorte")
        b.click_link("No, volver")
        run.page("coordinator", "cancel-declined", expect="Inscripciones abiertas")
        b.click(f'nav.sections a[href="/coordinacion/cohortes/{self.cohort_id}/inscripciones"]')
        b.click(f'a[href="/cohortes/{self.cohort_id}/inscritos"]')
        run.page("coordinator", "roster", expect="Personas inscritas")
        roster = b.text(b.find("main"))
        for name in (self.first_names, "Yesenia", "Hernán Darío"):
            if name not in roster:
                raise StepFailed(f"{name} is not in the roster after the import")

    def write_sheet(self) -> Path:
        headers = [
            "Tipo de documento", "Número de documento", "Nombres", "Apellidos",
            "Correo electrónico", "Celular", "Código DANE del municipio", "Tipo de entidad",
            "Nombre de la entidad", "Cargo", "Nivel",
        ]
        tail = self.document[-6:]
        rows = [
            ["CC", self.document, self.first_names, self.last_names, self.email, "",
             MUNICIPALITY, "alcaldia", "Alcaldía de El Paujíl", "", "profesional"],
            ["CC", f"40{tail}{self.pass_number}1", "Yesenia", "Cuéllar Ramos",
             f"yesenia.{tail}.{self.pass_number}@correo.example", "3125550101", MUNICIPALITY,
             "concejo", "Concejo de El Paujíl", "Secretaria", "asistencial"],
            ["CC", f"41{tail}{self.pass_number}2", "Hernán Darío", "Ortiz Vargas", "",
             "3135550102", MUNICIPALITY, "personeria", "", "Personero", "directivo"],
        ]

        def cell(text: str) -> str:
            return f'"{text}"' if "," in text or '"' in text else text

        path = WORK / f"inscripciones-{self.pass_number}.csv"
        lines = [",".join(cell(c) for c in row) for row in [headers, *rows]]
        path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
        return path

    # -- instructor: the code on screen -------------------------------------------------------
    def instructor_shows_code(self):
        run, b = self.run, self.b
        sign_in(run, "instructor", INSTRUCTOR)
        b.open(f"/seguimiento/cohortes/{self.cohort_id}")
        run.page("instructor", "followup", expect="Asistencia y notas")
        b.click('a[href$="/codigo"]')
        match = re.fullmatch(r"/seguimiento/sesiones/(\d+)/codigo", b.path())
        if not match:
            raise StepFailed(f"the code screen was expected, not {b.path()}")
        self.session_id = int(match.group(1))
        run.page("instructor", "check-in-code", expect="Registro de asistencia")
        self.code = re.sub(r"\D", "", b.text(b.find("p.code")))
        if len(self.code) != 6:
            raise StepFailed(f"the code on screen is {self.code!r}")

    # -- participant: check in, progress -------------------------------------------------------
    def participant_checks_in(self):
        run, b = self.run, self.b
        sign_in(run, "participant", (self.email, self.password))
        if not b.exists(f'a[href="/sesiones/{self.session_id}/registro"]'):
            raise StepFailed("the participant's home does not offer the session in progress")
        b.click(f'a[href="/sesiones/{self.session_id}/registro"]')
        run.page("participant", "check-in-form", expect="Registrar mi asistencia")
        b.type("#codigo", self.code)
        b.submit(f'form[action="/sesiones/{self.session_id}/registro"] button')
        run.page("participant", "checked-in", expect="Su asistencia quedó registrada")
        # Issue 45: the participant's courses as cards, «¿Cómo voy?» and «Cancelar» in view.
        b.click('header nav a[href="/"]')
        run.page("participant", "home-my-courses", expect="¿Cómo voy?")
        b.click('header nav a[href="/mi-progreso"]')
        run.page("participant", "progress", expect=self.cohort_name)
        b.click('header nav a[href="/perfil"]')
        run.page("participant", "profile", expect=self.document)
        b.click('a[href="/perfil/datos"]')
        run.page("participant", "my-data", expect=self.document)

    # -- habeas data: who read her record, a consulta, the admin answers ----------------------
    def participant_asks_about_her_data(self):
        """Issue 67: the coordinator opens her record; in «Mis datos» she sees that read and
        asks for a consulta; the administrator finds it in «Solicitudes de datos» and answers."""
        run, b = self.run, self.b
        sign_in(run, "coordinator", COORDINATOR)
        b.open(f"/coordinacion/cohortes/{self.cohort_id}/inscripciones")
        run.page("coordinator", "enrolments-for-a-read", expect=self.first_names)
        b.click(
            f'//a[starts-with(@href, "/coordinacion/personas/") and contains(., {xpath_literal(self.first_names)})]',
            "xpath",
        )
        run.page("coordinator", "person-read", expect=self.first_names)
        sign_out(run)
        sign_in(run, "participant", (self.email, self.password))
        b.click('header nav a[href="/perfil"]')
        run.page("participant", "profile-again", expect=self.document)
        b.click('a[href="/perfil/datos"]')
        run.page("participant", "my-data-reads", expect="Quién ha consultado mi registro")
        if "Nadie del equipo ha abierto su registro" in b.text(b.find("main")):
            raise StepFailed("«Mis datos» does not show the coordinator's read")
        b.choose("#solicitud-kind", value="consulta")
        b.type("#solicitud-reason", "Quiero saber qué datos míos guardan")
        b.submit('form[action="/perfil/datos/solicitudes"] button')
        run.page("participant", "data-request-sent", expect="Recibimos su solicitud")
        sign_out(run)
        sign_in(run, "admin", ADMIN)
        b.open("/admin/solicitudes-de-datos")
        run.page("admin", "data-requests", expect=self.first_names)
        b.click(
            f'//tr[contains(., {xpath_literal(self.first_names)}) and contains(., "Consulta")]'
            '//a[starts-with(@href, "/admin/solicitudes-de-datos/")]',
            "xpath",
        )
        run.page("admin", "data-request", expect="Qué pasa si la acepta")
        b.type("#note", "Le enviamos por correo sus datos.")
        b.submit('button[name="decision"][value="accepted"]')
        run.page("admin", "data-request-resolved", expect="Le enviamos la respuesta por correo")
        sign_out(run)

    # -- instructor: marks and scores ----------------------------------------------------------
    def instructor_records(self):
        run, b = self.run, self.b
        sign_in(run, "instructor", INSTRUCTOR)
        b.open(f"/seguimiento/cohortes/{self.cohort_id}")
        run.page("instructor", "followup-after-check-in", expect="Asistencia y notas")
        sessions = sorted(
            {
                int(m.group(1))
                for a in b.find_all('a[href^="/seguimiento/sesiones/"]')
                if (m := re.fullmatch(r"/seguimiento/sesiones/(\d+)", b.attribute(a, "href") or ""))
            }
            - {self.session_id}
        )
        if len(sessions) != 3:
            raise StepFailed(f"three earlier sessions were expected, found {sessions}")
        for n, session in enumerate(sessions, 1):
            b.open(f"/seguimiento/sesiones/{session}")
            if n == 1:
                run.page("instructor", "marks-form", expect="Asistencia:")
            b.click(f'a[href="/seguimiento/sesiones/{session}?prellenar=presente"]')
            run.page("instructor", f"marks-prefilled-{n}", expect="Presente")
            b.submit(f'form[action="/seguimiento/sesiones/{session}"] button[type=submit]')
            run.page("instructor", f"marks-saved-{n}")
            if b.exists(".flash-error"):
                raise StepFailed(f"marks not saved: {b.text(b.find('.flash-error'))}")

        # The demo's cohort in progress: a session's marks (one person absent) and a score.
        b.click('header nav a[href="/"]')
        run.page("instructor", "home-again", expect="Mis cohortes")
        b.click(
            f"//tr[td[contains(., {xpath_literal(IN_PROGRESS_COHORT)})]]"
            "//a[starts-with(@href, '/seguimiento/cohortes/')]",
            "xpath",
        )
        run.page("instructor", "demo-followup", expect=IN_PROGRESS_COHORT)
        demo_id = int(re.search(r"/seguimiento/cohortes/(\d+)", b.path()).group(1))
        taken = [
            b.attribute(a, "href")
            for a in b.find_all('a[href^="/seguimiento/sesiones/"]')
            if re.fullmatch(r"/seguimiento/sesiones/\d+", b.attribute(a, "href") or "")
        ]
        if not taken:
            raise StepFailed("no started session in the demo's cohort in progress")
        session = taken[-1]
        b.open(f"{session}?prellenar=presente")
        run.page("instructor", "demo-marks-prefilled", expect="Presente")
        absent = b.find_all('input[type=radio][value="ausente"]')
        if absent:
            b.click_element(absent[-1])
        b.type('input[name^="nota["]', "Avisó por calamidad doméstica")
        b.submit(f'form[action="{session}"] button[type=submit]')
        run.page("instructor", "demo-marks-saved")
        if b.exists(".flash-error"):
            raise StepFailed(f"marks not saved: {b.text(b.find('.flash-error'))}")
        b.open(f"/seguimiento/cohortes/{demo_id}")
        b.click(f'a[href="/seguimiento/cohortes/{demo_id}/notas"]')
        run.page("instructor", "scores-grid", expect="Notas")
        cells = b.find_all("input.score")
        if len(cells) < 2:
            raise StepFailed("the scores grid has no cells to fill")
        for cell, score in zip(cells[:2], ["4,2", "3,8"]):
            b.clear(cell)
            b.send_keys(cell, score)
        b.submit(f'form[action="/seguimiento/cohortes/{demo_id}/notas"] button[type=submit]')
        run.page("instructor", "scores-saved")
        if b.exists(".flash-error") or b.exists("main .error"):
            raise StepFailed("scores not saved")

    # -- coordinator: start, close, issue ------------------------------------------------------
    def coordinator_closes_and_issues(self):
        run, b = self.run, self.b
        sign_in(run, "coordinator", COORDINATOR)
        b.open(f"/coordinacion/cohortes/{self.cohort_id}")
        run.page("coordinator", "cohort-before-start", expect="Iniciar la cohorte")
        b.submit('form[action$="/estado"]:has(input[name="status"][value="in_progress"]) button')
        run.page("coordinator", "cohort-started", expect="Cerrar la cohorte")
        # Closing says what it will do first (issue 45), then closes when confirmed.
        b.click(f'a[href="/coordinacion/cohortes/{self.cohort_id}/cerrar"]')
        run.page("coordinator", "close-confirm", expect="¿Cerrar la cohorte")
        b.submit('form[action$="/estado"]:has(input[name="confirmed"]) button')
        run.page("coordinator", "cohort-closed", expect="Siguiente paso")
        b.click(f'nav.sections a[href="/coordinacion/cohortes/{self.cohort_id}/certificados"]')
        run.page("coordinator", "certificates", expect="Expedir certificados")
        b.submit(f'form[action="/coordinacion/cohortes/{self.cohort_id}/certificados"] button')
        run.page("coordinator", "certificates-issued", expect=self.first_names)

        # The demo's closed Meta cohort (README): its certificates, once per database.
        b.click('header nav a[href="/coordinacion/cohortes"]')
        run.page("coordinator", "cohorts-list", expect=CLOSED_META_COHORT)
        b.click_link(CLOSED_META_COHORT)
        run.page("coordinator", "meta-cohort", expect=CLOSED_META_COHORT)
        meta_id = int(re.search(r"/coordinacion/cohortes/(\d+)", b.path()).group(1))
        b.click(f'nav.sections a[href="/coordinacion/cohortes/{meta_id}/certificados"]')
        run.page("coordinator", "meta-certificates", expect="Certificados")
        b.submit(f'form[action="/coordinacion/cohortes/{meta_id}/certificados"] button')
        run.page("coordinator", "meta-certificates-issued")

    # -- programmes (issue 64): an edition built from four cohorts, enrolled once ---------------
    def coordinator_builds_an_edition(self):
        """ESAP's coordinator brings in one cohort per module of the demo's diplomado (a
        spreadsheet of four), opens their enrolment, and builds an edition of them from the
        programme's page: refused first without a name (the problem beside its field, the
        choices kept), then built; the edition's page shows the four modules as one calendar."""
        run, b = self.run, self.b
        sign_in(run, "coordinator", COORDINATOR)
        today = now_bogota().date()
        day = lambda n: (today + dt.timedelta(days=n)).isoformat()  # noqa: E731
        stamp = f"{self.pass_number}-{int(time.time()) % 1_000_000}"
        headers = [
            "referencia", "curso", "nombre", "modalidad", "inicio", "fin", "inscripciones_desde",
            "inscripciones_hasta", "cupos", "lugar", "enlace", "municipios", "departamentos",
            "sesion_fecha", "sesion_hora_inicio", "sesion_hora_fin", "sesion_tema", "sesion_lugar",
        ]
        # Gestión Tributaria comes after Planeación Territorial: it starts once that one ends.
        modules = [
            ("PT", "Planeación", 30, 45, "Diagnóstico territorial"),
            ("GPR", "Presupuesto", 30, 60, "Marco fiscal de mediano plazo"),
            ("GT", "Tributaria", 50, 70, "Estatuto tributario municipal"),
            ("RPC", "Rendición", 31, 60, "Audiencia pública"),
        ]
        # And a Gestión Tributaria that would start before Planeación Territorial ends.
        early = ("GT", "Tributaria adelantada", 35, 55, "Estatuto tributario municipal")
        rows = [
            [f"DIP-{stamp}-{n}", code, f"{label} del diplomado {stamp}", "presencial", day(start),
             day(end), day(0), day(25), "30", "Casa de la Cultura", "", MUNICIPALITY, "",
             day(start + 1), "14:00", "17:00", topic, ""]
            for n, (code, label, start, end, topic) in enumerate([*modules, early])
        ]
        path = WORK / f"diplomado-{self.pass_number}.csv"
        path.write_text("\r\n".join(",".join(r) for r in [headers, *rows]) + "\r\n", encoding="utf-8")
        b.open("/coordinacion/cohortes/importar")
        b.send_keys(b.find("#r-file"), str(path))
        b.submit('form[action="/coordinacion/cohortes/importar"] button[formaction$="accion=importar"]')
        run.page("coordinator", "diplomado-cohorts-imported", expect="Importado: 5 registros nuevos")

        b.click('header nav a[href="/programas"]')
        run.page("coordinator", "programmes", expect="Diplomado en Gestión Pública Territorial")
        b.click_link("Diplomado en Gestión Pública Territorial")
        run.page("coordinator", "programme", expect="Nueva edición")
        programme_path = b.path()
        # Each module's chooser offers its course's new cohort: its id, to open it.
        def offered(i: int, name: str) -> str:
            options = b.find_all(f"#e-mod-{i} option")
            ids = [b.attribute(o, "value") for o in options if b.text(o).startswith(name + " ·")]
            if len(ids) != 1:
                raise StepFailed(f"module {i + 1}'s chooser does not offer «{name}» once")
            return ids[0]

        chosen = [offered(i, f"{m[1]} del diplomado {stamp}") for i, m in enumerate(modules)]
        too_early = offered(2, f"{early[1]} del diplomado {stamp}")
        for n, cohort in enumerate([*chosen, too_early]):
            b.open(f"/coordinacion/cohortes/{cohort}")
            if n == 0:
                run.page("coordinator", "diplomado-cohort", expect="Abrir inscripciones")
            b.submit('form[action$="/estado"]:has(input[name="status"][value="open"]) button')
        b.open(programme_path)
        # Gestión Tributaria too early: refused, the problem beside the choosers, the rest kept.
        self.edition_name = f"Diplomado · El Paujíl recorrido {stamp}"
        b.type("#e-name", self.edition_name)
        for i, cohort in enumerate([chosen[0], chosen[1], too_early, chosen[3]]):
            b.choose(f"#e-mod-{i}", value=cohort)
        b.submit(f'form[action="{programme_path}/ediciones"] button[type=submit]')
        run.page("coordinator", "edition-refused", expect="que es su prerrequisito")
        if not b.exists("#error-edicion-cohort_ids"):
            raise StepFailed("the prerequisite's problem is not beside the choosers")
        if not b.exists(f'#e-mod-3 option[value="{chosen[3]}"][selected]'):
            raise StepFailed("the refused form did not keep the cohorts chosen")
        b.choose("#e-mod-2", value=chosen[2])
        b.submit(f'form[action="{programme_path}/ediciones"] button[type=submit]')
        run.page("coordinator", "edition", expect="Calendario de la edición")
        self.edition_id = int(re.search(r"/ediciones/(\d+)", b.path()).group(1))
        body = b.text(b.find("main"))
        if "4 sesiones en 4 módulos" not in body:
            raise StepFailed("the edition's calendar does not hold the four modules' sessions")

    def participant_follows_her_programme(self):
        """The participant enrols once in the edition from the programme's page and follows
        «Mi programa» (each module's state, what is left), then reads the edition's calendar."""
        run, b = self.run, self.b
        sign_in(run, "participant", (self.email, self.password))
        b.click('header nav a[href="/programas"]')
        run.page("participant", "programmes", expect="Diplomado en Gestión Pública Territorial")
        b.click_link("Diplomado en Gestión Pública Territorial")
        run.page("participant", "programme", expect=self.edition_name)
        b.submit(f'form[action="/ediciones/{self.edition_id}/inscribirme"] button')
        run.page("participant", "my-programme-enrolled", expect="confirmada en todos los módulos")
        b.click('header nav a[href="/mi-programa"]')
        run.page("participant", "my-programme", expect="0 de 4 módulos completos")
        b.click(f'main a[href="/ediciones/{self.edition_id}"]')
        run.page("participant", "edition", expect="Su inscripción está confirmada")

    # -- participant: certificate and its public verification ----------------------------------
    def participant_gets_certificate(self):
        run, b = self.run, self.b
        sign_in(run, "participant", (self.email, self.password))
        b.click('header nav a[href="/mis-certificados"]')
        run.page("participant", "my-certificates", expect=self.course_name)
        b.click('a[href^="/verificar/"]')
        run.page("participant", "certificate-verified", expect="Válido")
        self.certificate = b.path().rsplit("/", 1)[-1]
        sign_out(run)
        b.open("/verificar")
        run.page("visitor", "verify-form", expect="Verificación de certificado")
        b.type("#v-code", self.certificate)
        b.submit('form[action="/verificar"] button[type=submit]')
        run.page("visitor", "verify-result", expect=self.first_names)
        if not b.exists(".verdict-valid"):
            raise StepFailed("the certificate is not shown as valid")


# -- reviewer: dashboard, reports, grid, municipality, workbook --------------------------------


FETCH_SCRIPT = r"""
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: 'same-origin'}).then(async r => {
  const bytes = new Uint8Array(await r.arrayBuffer());
  done({status: r.status, type: r.headers.get('content-type') || '',
        disposition: r.headers.get('content-disposition') || '',
        size: bytes.length, magic: String.fromCharCode(bytes[0] || 0, bytes[1] || 0)});
}).catch(e => done({error: String(e)}));
"""


def reviewer_reads(run: Run):
    b = run.browser
    sign_in(run, "reviewer", REVIEWER)
    if "Gobernación: Caquetá" not in b.text(b.find("main")):
        raise StepFailed("the reviewer's dashboard does not name Caquetá")
    if run.viewport.phone:
        # Issue 45: the phone's menu, open (a <details>: no page load), is checked as a page.
        b.click_element(b.find("header details.menu > summary"))
        run.page("reviewer", "menu-open", expect="Gobernación: Caquetá")
        b.click_element(b.find("header details.menu > summary"))
    b.click('header nav a[href="/reportes"]')
    run.page("reviewer", "reports", expect="Informe de asistencia y completación")
    b.click_link("Ver todas las personas con estos filtros")
    run.page("reviewer", "report-participants", expect="Participantes del informe de asistencia")
    b.click('header nav a[href="/reportes"]')
    workbooks = [
        b.attribute(a, "href") for a in b.find_all('main a.button[href*=".xlsx"]')
    ]
    if not workbooks:
        raise StepFailed("no workbook link on the reports page")
    for href in workbooks:
        got = b.async_script(FETCH_SCRIPT, href)
        if got.get("error") or got["status"] != 200:
            raise StepFailed(f"workbook {href}: {got}")
        if "spreadsheetml" not in got["type"] or got["magic"] != "PK" or got["size"] < 1000:
            raise StepFailed(f"workbook {href} is not an .xlsx: {got}")
        print(f"  ok   workbook {href} ({got['size']} bytes, {got['type']})", flush=True)
    # Issue 32: the alliance's view of every provider's offer in the department.
    b.click('header nav a[href="/reportes/oferta"]')
    run.page("reviewer", "offer", expect="La oferta en el territorio")
    offer = b.text(b.find("main"))
    for expected in ("Departamento Nacional de Planeación", "Municipios sin oferta", "Cruces entre oferentes"):
        if expected not in offer:
            raise StepFailed(f"the offer page does not show «{expected}»")
    b.click('header nav a[href="/reportes"]')
    b.click_link("Ver la cuadrícula de capacidades por municipio")
    run.page("reviewer", "capacity-grid", expect="El Paujíl")
    b.click(f'a[href="/municipios/{MUNICIPALITY}"]')
    run.page("reviewer", "municipality", expect="El Paujíl")
    # A capacity's details on demand: its table by year and its indicators' charts.
    b.click_element(b.find("section.capacity:has(svg) details.more > summary"))
    run.page("reviewer", "municipality-capacity-open", expect="línea continua con círculos llenos")
    for href, slug in [
        ("/reportes/prioridades", "priorities"),
        ("/reportes/impacto", "impact"),
        ("/reportes/satisfaccion", "satisfaction"),
        ("/indicadores", "indicators"),
        ("/demandas", "demands"),
    ]:
        b.click(f'header nav a[href="{href}"]')
        run.page("reviewer", slug)


def reviewer_downloads_an_editions_workbook(run: Run):
    """Issue 64: the Caquetá reviewer opens the diplomado's edition in progress from the
    programmes' catalogue, reads its people's progress module by module (her department's
    only) and downloads it as a workbook."""
    b = run.browser
    sign_in(run, "reviewer", REVIEWER)
    b.open("/programas")
    run.page("reviewer", "programmes", expect="Diplomado en Gestión Pública Territorial")
    b.click("//main//a[contains(., 'Diplomado en Gestión Pública Territorial')]", "xpath")
    run.page("reviewer", "programme", expect="Módulos")
    b.click(f"//main//a[contains(., {xpath_literal(RUNNING_EDITION)})]", "xpath")
    run.page("reviewer", "edition", expect=RUNNING_EDITION)
    b.click("//main//a[contains(@href, '/avance') and not(contains(@href, '.xlsx'))]", "xpath")
    run.page("reviewer", "edition-progress", expect="Ana Lucía")
    shown = b.text(b.find("main"))
    if "Mapiripán" in shown or "Puerto Concordia" in shown:
        raise StepFailed("the reviewer of Caquetá sees people of Meta in the edition's progress")
    links = [b.attribute(a, "href") for a in b.find_all('main a[href$="avance.xlsx"]')]
    if not links:
        raise StepFailed("no workbook link on the edition's progress")
    got = b.async_script(FETCH_SCRIPT, links[0])
    if got.get("error") or got["status"] != 200:
        raise StepFailed(f"workbook {links[0]}: {got}")
    if "spreadsheetml" not in got["type"] or got["magic"] != "PK" or got["size"] < 1000:
        raise StepFailed(f"workbook {links[0]} is not an .xlsx: {got}")
    print(f"  ok   workbook {links[0]} ({got['size']} bytes, {got['type']})", flush=True)


def staff_records_a_visit(run: Run, pass_number: int):
    """Issue 33: ESAP's coordinator, in the field, opens the accompaniment of El Paujíl's
    alcaldía from the list of assistances and records today's visit with an attendee, two
    agreements and a product handed over; the workspace shows it. Issue 49: the agreements are
    rows, and one is then marked done from its card, with a note."""
    b = run.browser
    sign_in(run, "coordinator", COORDINATOR)
    b.open("/asistencias?estado=in_progress")
    run.page("coordinator", "assistances", expect="Asistencia técnica")
    links = [
        b.attribute(a, "href")
        for a in b.find_all('main a[href^="/asistencias/"]')
        if re.search(r"/asistencias/\d+$", b.attribute(a, "href") or "")
        and "El Paujíl · Alcaldía" in b.text(a)
    ]
    if not links:
        raise StepFailed("El Paujíl's accompaniment is not in the list")
    b.open(re.sub(r"^https?://[^/]+", "", links[0]))
    run.page("coordinator", "assistance-workspace", expect="Visitas")
    # Opening the form is not a page load: click the summary itself.
    b.click_element(b.find("//summary[contains(., 'Registrar una visita')]", "xpath"))
    topic = f"Seguimiento en campo número {pass_number}"
    b.set_value("#v-date", now_bogota().date().isoformat())
    b.type("#v-hours", "2,5")
    b.type("#v-topics", topic)
    # Attendees, agreements and products are rows of fields (issue 49), not typed lines.
    b.type("#v-att-0-name", "Luz Dary Peña")
    b.type("#v-att-0-pos", "Secretaria de Planeación")
    agreement = f"Cargar el avance del trimestre (visita {pass_number})"
    b.type("#v-agr-0-text", agreement)
    b.type("#v-agr-0-owner", "Secretaría de Planeación")
    b.set_value("#v-agr-0-due", (now_bogota().date() + dt.timedelta(days=15)).isoformat())
    b.type("#v-agr-1-text", f"Publicar el tablero en la página de la alcaldía (visita {pass_number})")
    b.type("#v-agr-1-owner", "Oficina de Comunicaciones")
    b.set_value("#v-agr-1-due", (now_bogota().date() + dt.timedelta(days=30)).isoformat())
    b.type("#v-prod-0-title", "Tablero de seguimiento")
    b.click("//form[contains(@action, '/visitas')]/button[@type='submit' and not(@aria-hidden)]", "xpath")
    run.page("coordinator", "visit-recorded", expect=topic)
    page = b.text(b.find("main"))
    for expected in ("Luz Dary Peña", agreement, "Publicar el tablero", "Tablero de seguimiento"):
        if expected not in page:
            raise StepFailed(f"the workspace does not show «{expected}» after the visit")
    # The first agreement done, from its card in «Compromisos»: state, note, saved.
    card_xpath = f"//section[@aria-labelledby='compromisos']//article[h3[normalize-space()={xpath_literal(agreement)}]]"
    card = b.find(card_xpath, "xpath")
    b.click_element(b.find(".//summary", "xpath", within=card))
    b.click_element(b.find(".//input[@name='status' and @value='done']", "xpath", within=card))
    note = b.find(".//input[@name='note']", "xpath", within=card)
    b.clear(note)
    b.send_keys(note, "Cargado en el tablero con el equipo")
    b.click(f"{card_xpath}//form//button[@type='submit']", "xpath")
    run.page("coordinator", "agreement-done", expect="Compromiso marcado como cumplido")
    shown = b.text(b.find(card_xpath, "xpath"))
    if "Cumplido" not in shown or "Cargado en el tablero con el equipo" not in shown:
        raise StepFailed(f"the agreement is not shown done with its note: {shown!r}")


def reviewer_records_a_table(run: Run, pass_number: int):
    """Issue 48: the Caquetá reviewer opens her department's alliance (members, plan, open
    agreements, the overdue one marked), its edit form, and records a table with an attendee
    and an agreement as rows; the alliance's page shows it."""
    b = run.browser
    sign_in(run, "reviewer", REVIEWER)
    b.open("/alianzas")
    run.page("reviewer", "alliances", expect="Alianza por la gestión pública territorial del Caquetá")
    b.click_link("Alianza por la gestión pública territorial del Caquetá")
    run.page("reviewer", "alliance", expect="Acuerdos abiertos")
    page = b.text(b.find("main"))
    for expected in ("Universidad de la Amazonia", "Vencido", "La oferta en el departamento"):
        if expected not in page:
            raise StepFailed(f"the alliance's page does not show «{expected}»")
    alliance = b.path()
    b.open(f"{alliance}/editar")
    run.page("reviewer", "alliance-edit", expect="Cambiar la alianza")
    b.open(alliance)
    b.click_element(b.find("//summary[contains(., 'Registrar mesa')]", "xpath"))
    agenda = f"Balance de la oferta del trimestre (mesa {pass_number})"
    b.set_value("#m-date", now_bogota().date().isoformat())
    b.type("#m-place", "Gobernación del Caquetá, Florencia")
    b.type("#m-agenda", agenda)
    b.type("#m-att-0-name", "Luz Dary Peña")
    b.type("#m-att-0-org", "Alcaldía de El Paujíl")
    agreement = f"Compartir el calendario de talleres (mesa {pass_number})"
    b.type("#m-agr-0-text", agreement)
    b.type("#m-agr-0-owner", "ESAP")
    b.set_value("#m-agr-0-due", (now_bogota().date() + dt.timedelta(days=20)).isoformat())
    b.click("//form[contains(@action, '/mesas')]/button[@type='submit' and not(@aria-hidden)]", "xpath")
    run.page("reviewer", "table-recorded", expect="Mesa registrada")
    page = b.text(b.find("main"))
    for expected in (agenda, agreement, "Luz Dary Peña"):
        if expected not in page:
            raise StepFailed(f"the alliance's page does not show «{expected}» after the table")


def liaison_nominates(run: Run, pass_number: int):
    """Issue 35: El Paujíl's liaison, on a phone, opens the cohort shared by Caquetá and Meta
    from their home's nominations, sees the seats kept for the municipality and proposes an
    official of the alcaldía who is not registered yet; the nomination waits for the person's
    confirmation."""
    b = run.browser
    sign_in(run, "liaison", LIAISON)
    links = [
        b.attribute(a, "href")
        for a in b.find_all('main a[href*="#postulaciones"]')
    ]
    if not links:
        raise StepFailed("the liaison's home lists no nominations")
    b.open(re.sub(r"^https?://[^/]+", "", links[0]))
    run.page("liaison", "cohort-nominations", expect="Postulaciones de El Paujíl")
    if not re.search(r"\d+ cupos?\b", b.text(b.find("#postulaciones"))):
        raise StepFailed("the cohort's page does not say how many seats El Paujíl keeps")
    b.click_element(b.find("//summary[contains(., 'Postular a una persona')]", "xpath"))
    name = f"Postulada {pass_number}"
    b.type("#n-number", f"11175{pass_number:05d}")
    b.type("#n-first", "Marleny")
    b.type("#n-last", name)
    b.type("#n-email", f"marleny.{pass_number}@elpaujil.example")
    b.submit('form[action$="/postulaciones"] button[type=submit]')
    run.page("liaison", "nominated", expect="Postulación registrada")
    section = b.text(b.find("#postulaciones"))
    if f"Marleny {name} · Por confirmar" not in section:
        raise StepFailed(f"the nomination is not listed as waiting for confirmation: {section[:300]}")


def liaison_prints_the_handover(run: Run):
    """Issue 48: El Paujíl's liaison, on a phone, opens the municipality's handover (empalme)
    from their home — the people trained and who left, the assistance with its open agreements
    and pending milestones, the products, the open demands, the indicators — and «prints» it:
    follows «Descargar PDF para imprimir» and gets a PDF (no script calls window.print)."""
    b = run.browser
    sign_in(run, "liaison", LIAISON)
    b.click('main a[href$="/empalme"]')
    run.page("liaison", "handover", expect="Empalme de El Paujíl")
    text = b.text(b.find("main"))
    for section in (
        "Personas formadas y certificadas",
        "Asistencia técnica recibida",
        "Compromisos abiertos",
        "Hitos pendientes",
        "Productos y recursos entregados",
        "Demandas sin atender",
        "Indicadores antes y después",
        "Ya no está",
    ):
        if section not in text:
            raise StepFailed(f"the handover does not show «{section}»")
    links = [b.attribute(a, "href") for a in b.find_all('main a[href$="/empalme.pdf"]')]
    if not links:
        raise StepFailed("no «Descargar PDF para imprimir» link on the handover")
    got = b.async_script(FETCH_SCRIPT, links[0])
    if got.get("error") or got["status"] != 200:
        raise StepFailed(f"the handover's PDF {links[0]}: {got}")
    if "application/pdf" not in got["type"] or got["magic"] != "%P" or got["size"] < 2000:
        raise StepFailed(f"the handover's PDF is not a PDF: {got}")
    print(f"  ok   handover PDF {links[0]} ({got['size']} bytes, {got['type']})", flush=True)


def reviewer_reads_key_positions(run: Run, pass_number: int):
    """Issue 68: the Caquetá reviewer's home says Puerto Rico's certified treasurer left; she
    follows it to the municipality's «Cargos clave» (the «N de 5» headline, the table as cards
    on a phone, the vacant treasury and who left), opens the treasury's page (record a holder,
    a departure) and adds a position to the list."""
    b = run.browser
    sign_in(run, "reviewer", REVIEWER)
    alert = b.text(b.find('main section[aria-labelledby="cargos-vacantes"]'))
    if "Puerto Rico: Tesorero(a)" not in alert:
        raise StepFailed(f"the reviewer's home does not say the treasurer left: {alert[:200]}")
    b.click('main section[aria-labelledby="cargos-vacantes"] a[href="/municipios/18592/cargos"]')
    run.page("reviewer", "key-positions", expect="Cargos clave de Puerto Rico")
    text = b.text(b.find("main"))
    if not re.search(r"\d+ de \d+\s+cargos clave con titular certificado", text):
        raise StepFailed("the key positions page has no «N de M» headline")
    if "salió el" not in text or "(estaba certificado)" not in text:
        raise StepFailed("the vacant treasury does not say who left")
    b.click_element(b.find("//a[contains(., 'Nombrar titular')][contains(., 'Tesorero(a)')]", "xpath"))
    run.page("reviewer", "key-position", expect="Nombrar al titular")
    b.click('main a[href="/municipios/18592/cargos"]')
    b.click_element(b.find("//summary[contains(., 'Agregar un cargo clave')]", "xpath"))
    b.type("#nuevo-title", f"Asesor(a) jurídico(a) {pass_number}")
    b.choose("#nuevo-capacity", text="Gobierno abierto y transparencia")
    b.submit('form[action="/municipios/18592/cargos"] button[type=submit]')
    run.page("reviewer", "key-position-added", expect=f"Cargo agregado: Asesor(a) jurídico(a) {pass_number}")


def knowledge_bank_is_read(run: Run):
    """Issue 48: a visitor, on a phone, finds Mapiripán's lesson learned on the public knowledge
    bank and reads its structure; ESAP's coordinator searches the bank signed in, opens the
    review list (the Puerto Rico template waits as a draft) and the form to add a resource."""
    b = run.browser
    b.open("/banco-de-conocimiento")
    run.page("visitor", "knowledge-public", expect="Banco de conocimiento público")
    b.click_link("lo que aprendimos en Mapiripán")
    run.page("visitor", "knowledge-lesson", expect="Qué funcionó")
    text = b.text(b.find("main"))
    for section in ("Contexto", "Problema", "Qué se hizo", "Qué funcionó", "Evidencia"):
        if section not in text:
            raise StepFailed(f"the lesson learned does not show «{section}»")
    sign_in(run, "coordinator", COORDINATOR)
    b.open("/conocimiento")
    b.type("#k-q", "plan indicativo")
    b.submit('main form.filters button[type="submit"]')
    run.page("coordinator", "knowledge-search", expect="Guía para la formulación del plan indicativo")
    b.click_link("Revisar recursos")
    run.page("coordinator", "knowledge-review", expect="Plantilla de estatuto de rentas")
    b.click_link("Agregar un recurso")
    run.page("coordinator", "knowledge-new", expect="Agregar un recurso al banco")
    sign_out(run)


META_DIRECTION = ("coordinacion.meta@aulaterritorial.example", "Coordina-Meta-2026")


def direction_reads_plan_and_invitations(run: Run):
    """Issues 46–47: the Dirección Territorial Meta's coordinator, on a phone, reads the year's
    plan (its lines, goals, budget and the June amendment) and the invitations of the cohort
    shared by Caquetá and Meta (a person it does not reach is invited, never enrolled)."""
    b = run.browser
    sign_in(run, "direction", META_DIRECTION)
    b.click('header nav a[href="/planes"]')
    run.page("direction", "plans", expect="Planes de trabajo")
    links = [
        b.attribute(a, "href")
        for a in b.find_all('main a[href^="/planes/"]')
        if re.search(r"/planes/\d+$", b.attribute(a, "href") or "")
    ]
    if not links:
        raise StepFailed("the direction's plan is not in the list")
    b.open(re.sub(r"^https?://[^/]+", "", links[0]))
    run.page("direction", "plan", expect="Líneas")
    if "Versiones" not in b.text(b.find("main")):
        raise StepFailed("the plan page does not show its versions")
    b.open("/coordinacion/cohortes")
    run.page("direction", "cohorts")
    cohorts = [
        b.attribute(a, "href")
        for a in b.find_all('main a[href^="/coordinacion/cohortes/"]')
        if "Rendición Pública de Cuentas" in b.text(a)
        and re.search(r"/coordinacion/cohortes/\d+$", b.attribute(a, "href") or "")
    ]
    if not cohorts:
        raise StepFailed("the shared cohort is not in the direction's list")
    b.open(re.sub(r"^https?://[^/]+", "", cohorts[0]) + "/inscripciones")
    run.page("direction", "cohort-invitations", expect="Invitaciones")


def direction_reads_plan_against_reality(run: Run):
    """Issue 47: the Dirección Territorial Meta's coordinator, on a phone, finds on the home
    the plan's lines behind, opens the plan, reads each line's progress against what is
    expected by today, its execution and cost per person certified, and then a closed quarter,
    whose figures are frozen."""
    b = run.browser
    sign_in(run, "direction", META_DIRECTION)
    run.page("direction", "home-plans-behind", expect="del plan va")
    b.click('main section[aria-labelledby="planes-atrasados"] a[href^="/planes/"]')
    run.page("direction", "plan-progress", expect="Avance: Año a la fecha")
    main = b.text(b.find("main"))
    for words in ("Esperado a la fecha", "Ejecutado", "Atrasada"):
        if words not in main:
            raise StepFailed(f"the plan's progress does not say «{words}»")
    b.choose("#periodo", value=time.strftime("%Y") + "-S1")
    b.submit('main form.filters button[type="submit"]')
    run.page("direction", "plan-closed-semester", expect="Periodo cerrado")
    # The directions and providers side by side (its own row only), then what the line's
    # cohort cost: the Meta planning cohort's «Costos».
    b.open("/reportes/planes")
    run.page("direction", "plans-compared", expect="Planes comparados")
    b.open("/coordinacion/cohortes")
    b.click_link("Meta PDET 2026-I")
    cohort = re.search(r"/(\d+)", b.path())
    if not cohort:
        raise StepFailed(f"the cohort's link led to {b.path()}")
    b.open(f"/coordinacion/cohortes/{cohort.group(1)}/costos")
    run.page("direction", "cohort-costs", expect="Costos")
    if "Ejecutado" not in b.text(b.find("main")):
        raise StepFailed("the cohort's costs do not say what was executed")


FETCH_BYTES_SCRIPT = r"""
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: 'same-origin'}).then(async r => {
  const bytes = new Uint8Array(await r.arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  done({status: r.status, type: r.headers.get('content-type') || '', base64: btoa(text)});
}).catch(e => done({error: String(e)}));
"""


def workbook_texts(b64: str) -> str:
    """Every sheet's XML and the shared strings of an .xlsx, as one text to look in."""
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(b64))) as book:
        return "\n".join(
            book.read(name).decode("utf-8")
            for name in book.namelist()
            if name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml"
        )


def coordinator_reads_cost_per_point(run: Run):
    """Issue 68: ESAP's coordinator opens the impact comparison, sets ESAP's study on the IDF
    from 2022 to 2023 in Caquetá, reads what a point of change cost the municipalities that had
    one to four closed assistances (the demo's 2022 accompaniments), and finds the same figure
    in the comparison's workbook."""
    b = run.browser
    sign_in(run, "coordinator", COORDINATOR)
    b.open("/reportes/impacto")
    run.page("coordinator", "impact", expect="Formación e indicadores")
    # ESAP's study (any capacity, closed assistances, five or more), chosen field by field.
    b.choose("#i-cap", value="any")
    b.choose("#i-ind", text="IDF – Índice de Desempeño Fiscal")
    b.type("#i-from", "2022")
    b.type("#i-to", "2023")
    b.choose("#i-unit", value="assistance")
    b.type("#i-th", "5")
    b.choose("#i-dep", value="18")
    b.submit('main form.filters button[type="submit"]')
    run.page("coordinator", "impact-cost", expect="Costo por punto de cambio")
    shown = None
    for row in b.find_all('div[aria-labelledby="costo"] tbody tr'):
        if "De 1 a 4" in b.text(b.find("th", within=row)):
            shown = b.text(b.find("td", within=row))
    if not shown or not re.fullmatch(r"\$\s?\d{1,3}(\.\d{3})+", shown.strip()):
        raise StepFailed(f"no cost per point of change in pesos for «De 1 a 4…»: {shown!r}")
    print(f"  ok   cost per point of change {shown}", flush=True)
    href = b.attribute(b.find('main a.button[href*="/reportes/impacto.xlsx"]'), "href")
    got = b.async_script(FETCH_BYTES_SCRIPT, href)
    if got.get("error") or got["status"] != 200 or "spreadsheetml" not in got["type"]:
        raise StepFailed(f"workbook {href}: { {k: v for k, v in got.items() if k != 'base64'} }")
    texts = workbook_texts(got["base64"])
    digits = re.sub(r"\D", "", shown)
    # A number cell is written as a float (`<v>10965166.0</v>`).
    if "Costo por punto de cambio (pesos)" not in texts or not re.search(rf">{digits}(\.0+)?<", texts):
        raise StepFailed(f"the workbook {href} does not carry the cost per point of change {digits}")
    print(f"  ok   workbook {href} carries {digits}", flush=True)


def coordinator_reviews_a_name_change(run: Run):
    """Issue 46: ESAP's coordinator finds, from the home, the participant's own change of
    surnames waiting for review, and opens its confirmation (approving is not done here)."""
    b = run.browser
    sign_in(run, "coordinator", COORDINATOR)
    b.click('main a[href="/coordinacion/cambios-de-nombre"]')
    run.page("coordinator", "name-changes", expect="Cambios de nombre")
    b.click('main a.button[href^="/coordinacion/cambios-de-nombre/"]')
    run.page("coordinator", "name-change-confirm", expect="Muñoz de la Peña")


def coordinator_imports_cohorts(run: Run, pass_number: int):
    """Issue 49: ESAP's coordinator brings in two cohorts it kept in a spreadsheet (one with
    two sessions) from «Importar cohortes», linked from the cohorts list: it reviews what the
    file would do first (nothing saved), then imports it."""
    b = run.browser
    sign_in(run, "coordinator", COORDINATOR)
    b.open("/coordinacion/cohortes")
    b.click('main a[href="/coordinacion/cohortes/importar"]')
    run.page("coordinator", "cohorts-import", expect="Importar cohortes")
    today = now_bogota().date()
    day = lambda n: (today + dt.timedelta(days=n)).isoformat()  # noqa: E731
    headers = [
        "referencia", "curso", "nombre", "modalidad", "inicio", "fin", "inscripciones_desde",
        "inscripciones_hasta", "cupos", "lugar", "enlace", "municipios", "departamentos",
        "sesion_fecha", "sesion_hora_inicio", "sesion_hora_fin", "sesion_tema", "sesion_lugar",
    ]
    stamp = f"{pass_number}-{int(time.time())}"
    rows = [
        [f"NAV-{stamp}-1", "PT", f"Planeación importada {stamp}", "presencial", day(30), day(60),
         day(1), day(20), "30", "Casa de la Cultura", "", f"{MUNICIPALITY};18094", "",
         day(31), "14:00", "17:00", "Diagnóstico territorial", ""],
        [f"NAV-{stamp}-1", "", "", "", "", "", "", "", "", "", "", "", "",
         day(38), "14:00", "17:00", "Plan de acción", ""],
        [f"NAV-{stamp}-2", "PT", f"Segunda importada {stamp}", "virtual", day(40), day(70),
         day(1), day(30), "40", "", "https://salas.example/planeacion", MUNICIPALITY, "",
         "", "", "", "", ""],
    ]
    path = WORK / f"cohortes-{pass_number}.csv"
    path.write_text("\r\n".join(",".join(r) for r in [headers, *rows]) + "\r\n", encoding="utf-8")
    b.send_keys(b.find("#r-file"), str(path))
    b.submit('form[action="/coordinacion/cohortes/importar"] button[formaction$="accion=revisar"]')
    run.page("coordinator", "cohorts-import-preview", expect="no se guardó nada")
    if "se crearían 2" not in b.text(b.find("main")):
        raise StepFailed("the preview does not say it would create the two cohorts")
    b.send_keys(b.find("#r-file"), str(path))
    b.submit('form[action="/coordinacion/cohortes/importar"] button[formaction$="accion=importar"]')
    run.page("coordinator", "cohorts-imported", expect="Importado: 2 registros nuevos")
    if f"Planeación importada {stamp}" not in b.text(b.find("main")):
        raise StepFailed("the import's outcome does not list the cohort it created")


# ---- mail -----------------------------------------------------------------------------------


def wait_for_mail(to: str, pattern: str, timeout: float = 40) -> str:
    """The first match of `pattern` in an email to `to` the server wrote to AULA_MAIL_DIR (the
    outbox worker writes them every few seconds)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for path in sorted(MAIL_DIR.rglob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to.lower() not in str(message.get("To", "")).lower():
                continue
            for part in message.walk():
                if part.get_content_type() in ("text/plain", "text/html"):
                    found = re.search(pattern, part.get_content())
                    if found:
                        return found.group(1).rstrip(".,;)>\"'")
        time.sleep(0.5)
    raise StepFailed(f"no email to {to} matching {pattern} in {MAIL_DIR} after {timeout} s")


# ---- the run --------------------------------------------------------------------------------


def replicator_records_a_replica(run: Run, pass_number: int):
    """Issue 48: a replicator, on a phone, opens «Mis réplicas», sees her certification and
    records a replica in El Paujíl with two attendees by name (rows of fields); the list shows
    it with their names."""
    b = run.browser
    sign_in(run, "replicator", REPLICATOR)
    b.open("/mis-replicas")
    run.page("replicator", "my-replicas", expect="Registrar una réplica")
    b.set_value("#r-date", now_bogota().date().isoformat())
    b.choose("#r-mun", value="18256")
    b.choose("#r-cap")
    b.choose("#r-aud", value="servidores")
    first = f"Ana Lucía Trujillo {pass_number}"
    second = f"Jhon Fredy Cabrera {pass_number}"
    b.type("#r-att-0-name", first)
    b.type("#r-att-0-pos", "Secretaria de Gobierno")
    b.type("#r-att-1-name", second)
    b.click("//form[@action='/mis-replicas']/button[@type='submit' and not(@aria-hidden) and not(@name)]", "xpath")
    run.page("replicator", "replica-recorded", expect="Réplica registrada")
    listed = b.text(b.find("//section[@aria-labelledby='replicas']", "xpath"))
    if first not in listed or second not in listed:
        raise StepFailed(f"the replica is not listed with its attendees: {listed!r}")
    sign_out(run)


DEMO_PARTICIPANT = "María Fernanda Muñoz Peña"
ADMIN = ("admin@aulaterritorial.example", "Admin-Aula-2026")


def percent_in(text: str, where: str) -> str:
    """The first percentage of a text («75 %», «66,7 %»), as written."""
    found = re.search(r"(\d+(?:,\d+)?)\s*%", text)
    if not found:
        raise StepFailed(f"no percentage in {where}: «{text[:120]}»")
    return found.group(1)


def one_person_everywhere(run: Run):
    """Issue 61: one person of the demo's cohort in progress reads the same attendance and the
    same verdict («Se decide al cierre», never «No») wherever she appears: the coordinator's
    «Asistencia y notas», the reviewer's list of participants and her own «Mi progreso»."""
    b = run.browser
    sign_in(run, "coordinator", COORDINATOR)
    b.open("/coordinacion/cohortes")
    b.click(f"//main//a[contains(., {xpath_literal(IN_PROGRESS_COHORT)})]", "xpath")
    cohort_id = int(re.search(r"/cohortes/(\d+)", b.path()).group(1))
    b.open(f"/seguimiento/cohortes/{cohort_id}")
    run.page("coordinator", "results-in-progress", expect=DEMO_PARTICIPANT)
    row = b.find(f"//section[@aria-labelledby='resultados']//tr[contains(., {xpath_literal(DEMO_PARTICIPANT)})]", "xpath")
    cells = b.find_all("td", within=row)
    coordinator_pct = percent_in(b.text(cells[1]), "the coordinator's results row")
    verdict = b.text(cells[2]).strip()
    if verdict in ("No", "Sí") or "No aprueba" in verdict:
        raise StepFailed(f"a cohort in progress gives a verdict before closing: «{verdict}»")
    sign_out(run)

    sign_in(run, "reviewer", REVIEWER)
    b.open(f"/reportes/participantes?cohort={cohort_id}")
    run.page("reviewer", "participants-of-cohort", expect=DEMO_PARTICIPANT)
    row = b.find(f"//table//tr[th[contains(., {xpath_literal(DEMO_PARTICIPANT)})]]", "xpath")
    reviewer_pct = percent_in(b.text(b.find_all("td", within=row)[0]), "the reviewer's participants row")
    sign_out(run)

    sign_in(run, "participant", REPLICATOR)
    b.click('header nav a[href="/mi-progreso"]')
    run.page("participant", "progress-in-progress", expect=IN_PROGRESS_COHORT)
    section = b.find(f"//main/section[h2[contains(., {xpath_literal(IN_PROGRESS_COHORT)})]]", "xpath")
    own_pct = percent_in(b.text(b.find("ul.figures li", within=section)), "her own progress")
    sign_out(run)
    if not coordinator_pct == reviewer_pct == own_pct:
        raise StepFailed(
            f"one person, three attendances: coordinator {coordinator_pct} %, reviewer {reviewer_pct} %, "
            f"herself {own_pct} %"
        )
    print(f"  ok   one attendance everywhere: {own_pct} %, verdict «{verdict}»", flush=True)


def pages_at_a_glance(run: Run):
    """Issue 61: pages the other journeys do not reach, each checked as a page (overflow, tap
    targets, links to places that exist, axe): the admin's mail and audit, a coordinator's
    participants report, «¿Dónde formar?», a cohort's sessions and its public page."""
    b = run.browser
    sign_in(run, "admin", ADMIN)
    for path, slug in [("/admin/correos", "outbox"), ("/admin/auditoria", "audit"), ("/admin/usuarios", "users"),
                       ("/admin/aula-virtual", "virtual-classroom")]:
        b.open(path)
        run.page("admin", slug)
    sign_out(run)
    sign_in(run, "coordinator", COORDINATOR)
    for path, slug in [
        ("/reportes/participantes", "participants"),
        ("/reportes/prioridades", "where-to-train"),
        ("/coordinacion/cohortes", "cohorts"),
        ("/cohortes", "catalogue"),
        ("/asistencias", "assistances"),
        ("/planes", "plans"),
    ]:
        b.open(path)
        run.page("coordinator", slug)
    b.open("/coordinacion/cohortes")
    b.click(f"//main//a[contains(., {xpath_literal(IN_PROGRESS_COHORT)})]", "xpath")
    run.page("coordinator", "cohort-in-progress", expect=IN_PROGRESS_COHORT)
    # Issue 65: its sessions page, with the virtual classroom's links and who entered.
    b.click('nav.sections a[href$="/sesiones"]')
    run.page("coordinator", "cohort-sessions-virtual-classroom", expect="Quién entró")
    sign_out(run)


def liaison_fills_the_self_assessment(run: Run):
    """Issue 68: El Paujíl's liaison opens «Autodiagnóstico» and this quarter's form — a group
    per capacity, each question's levels 1–4 as radio buttons with their descriptors and the
    evidence of each answer. On the phone she fills it and sends it; one self-assessment per
    quarter, so the laptop pass reads the form and leaves it."""
    b = run.browser
    sign_in(run, "liaison", LIAISON)
    b.click('header a[href="/autodiagnosticos"]')
    run.page("liaison", "self-assessments", expect="Autodiagnóstico de capacidades")
    b.click('main a[href$="/autodiagnostico/nuevo"]')
    run.page("liaison", "self-assessment-form", expect="Nivel 4")
    questions = b.find_all("main fieldset.question")
    if len(questions) != 10:
        raise StepFailed(f"the form asks {len(questions)} questions, not two per capacity")
    if not run.viewport.phone:
        return
    for n, question in enumerate(questions):
        radios = b.find_all("input[type=radio]", within=question)
        if len(radios) != 4:
            raise StepFailed("a question without its four levels")
        b.click_element(radios[1 + n % 3])
        b.send_keys(b.find("textarea", within=question), f"Acta {n + 1} del comité de gestión")
    b.submit('main form[action$="/autodiagnostico"] button[type=submit]')
    run.page("liaison", "self-assessment-sent", expect="Enviado, por validar")
    if "Acta 10 del comité de gestión" not in b.text(b.find("main")):
        raise StepFailed("the self-assessment sent does not show its evidence")


def reviewer_validates_a_self_assessment(run: Run):
    """Issue 68: the reviewer of Caquetá opens «Autodiagnóstico», the oldest waiting for her (on
    the laptop the demo's of last quarter, on the phone the one the liaison just sent), reads its
    answers and evidence and validates it; the municipality page shows the series."""
    b = run.browser
    sign_in(run, "reviewer", REVIEWER)
    b.click('header a[href="/autodiagnosticos"]')
    run.page("reviewer", "self-assessments-waiting", expect="Por validar")
    b.click('main a[href^="/autodiagnosticos/"]')
    run.page("reviewer", "self-assessment", expect="Respuestas y evidencias")
    b.submit('main form[action$="/validacion"] button[value="true"]')
    run.page("reviewer", "self-assessment-validated", expect="validado por la gobernación")
    b.open("/municipios/18256")
    run.page("reviewer", "municipality-self-assessment", expect="Autodiagnóstico de capacidades (autorreportado)")


def site_pages(run: Run):
    """Issue 67: the pages a Colombian public entity's site must have, signed out: the
    accessibility statement, transparency and the data-treatment policy, each with the GOV.CO
    top bar and the institutional footer (axe at both widths, like every page)."""
    b = run.browser
    for path, slug, expect in [
        ("/accesibilidad", "accessibility", "Cómo reportar una barrera"),
        ("/transparencia", "transparency", "Datos abiertos"),
        ("/politica-de-datos", "data-policy", "Sus derechos"),
    ]:
        b.open(path)
        run.page("visitor", slug, expect=expect)


def run_pass(
    viewport: Viewport, pass_number: int, axe_source: str, failures: list[str], html_pages: dict[str, str]
) -> int:
    print(f"\n== journeys at {viewport.name}{' (phone)' if viewport.phone else ''}", flush=True)
    try:
        run = Run(viewport, axe_source, failures, html_pages)
    except (WebDriverError, StepFailed, OSError) as error:
        failures.append(f"[{viewport.name}] could not start Chromium: {error}")
        print(f"  FAIL could not start Chromium: {error}", flush=True)
        return 0
    journey = Journey(run, pass_number)
    acts = [
        ("participant registers and enrols", [], lambda: (journey.participant_registers(), journey.participant_enrols())),
        ("coordinator creates course, cohort, sessions; imports", [], journey.coordinator_prepares),
        ("instructor shows the check-in code", [1], journey.instructor_shows_code),
        ("participant checks in, sees progress", [0, 2], journey.participant_checks_in),
        ("instructor records marks and scores", [1], journey.instructor_records),
        ("coordinator closes the cohort and issues certificates", [3, 4], journey.coordinator_closes_and_issues),
        ("participant's certificate and public verification", [5], journey.participant_gets_certificate),
        ("coordinator builds a diplomado's edition from four cohorts", [], journey.coordinator_builds_an_edition),
        ("participant enrols in the diplomado and follows «Mi programa»", [0, 7], journey.participant_follows_her_programme),
        ("reviewer: dashboard, reports, grid, municipality, workbook", [], lambda: reviewer_reads(run)),
        ("reviewer downloads the diplomado edition's workbook", [], lambda: reviewer_downloads_an_editions_workbook(run)),
        ("provider's staff records a visit's agreements as rows and marks one done", [], lambda: staff_records_a_visit(run, pass_number)),
        ("liaison nominates an official for a cohort", [], lambda: liaison_nominates(run, pass_number)),
        ("reviewer records a table of the department's alliance", [], lambda: reviewer_records_a_table(run, pass_number)),
        ("liaison opens the handover and prints it", [], lambda: liaison_prints_the_handover(run)),
        ("reviewer reads Puerto Rico's key positions and adds one", [], lambda: reviewer_reads_key_positions(run, pass_number)),
        ("a visitor and a coordinator read the knowledge bank", [], lambda: knowledge_bank_is_read(run)),
        ("direction reads its plan and its cohort's invitations", [], lambda: direction_reads_plan_and_invitations(run)),
        ("direction reads its plan against reality", [], lambda: direction_reads_plan_against_reality(run)),
        ("coordinator reviews a participant's change of name", [], lambda: coordinator_reviews_a_name_change(run)),
        ("coordinator reads the cost per point of change and its workbook", [], lambda: coordinator_reads_cost_per_point(run)),
        ("coordinator imports a spreadsheet of cohorts", [], lambda: coordinator_imports_cohorts(run, pass_number)),
        ("replicator records a replica with two attendees", [], lambda: replicator_records_a_replica(run, pass_number)),
        ("one person of a cohort in progress reads the same everywhere", [], lambda: one_person_everywhere(run)),
        ("pages at a glance: admin, reports, where to train, a cohort", [], lambda: pages_at_a_glance(run)),
        ("a visitor reads the site's accessibility, transparency and data policy", [], lambda: site_pages(run)),
        ("participant sees who read her record and asks for a consulta; the admin answers", [0, 1],
         journey.participant_asks_about_her_data),
        ("liaison fills the self-assessment of capacities", [], lambda: liaison_fills_the_self_assessment(run)),
        ("reviewer validates a self-assessment", [], lambda: reviewer_validates_a_self_assessment(run)),
    ]
    done: set[int] = set()
    try:
        for index, (title, needs, act) in enumerate(acts):
            missing = [acts[n][0] for n in needs if n not in done]
            if missing:
                run.fail(f"skipped «{title}»: needs «{'», «'.join(missing)}»")
                continue
            print(f"-- {title}", flush=True)
            try:
                act()
                done.add(index)
            except (StepFailed, WebDriverError) as error:
                shot = SHOTS / f"{run.number + 1:02d}-FAILED-{viewport.name}.png"
                try:
                    run.browser.screenshot(shot)
                except Exception:  # noqa: BLE001
                    pass
                run.fail(f"«{title}» stopped at {safe_path(run)}: {error} (screenshot {shot.name})")
            except Exception:  # noqa: BLE001 - a bug in this script: report it, go on
                run.fail(f"«{title}» crashed:\n{traceback.format_exc()}")
    finally:
        run.browser.quit()
    return run.pages


def safe_path(run: Run) -> str:
    try:
        return run.browser.path()
    except Exception:  # noqa: BLE001
        return "?"


def main() -> int:
    started = time.time()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    HTML.mkdir(parents=True, exist_ok=True)
    for old in [*HTML.glob("*.html"), *HTML.glob("pages.json")]:
        old.unlink()
    # Each saved page's file name → the path it was served at (tests/browser/nu_check.py).
    html_pages: dict[str, str] = {}
    axe_source = AXE_JS.read_text(encoding="utf-8")
    print(f"server {BASE} · WebDriver {DRIVER} · screenshots in {SHOTS}", flush=True)
    failures: list[str] = []
    pages = 0
    only = os.environ.get("BROWSER_VIEWPORTS")  # e.g. "390x844" while fixing a page
    for number, viewport in enumerate(VIEWPORTS, 1):
        if only and viewport.name not in only.split(","):
            continue
        pages += run_pass(viewport, number, axe_source, failures, html_pages)
        (HTML / "pages.json").write_text(json.dumps(html_pages, indent=1, ensure_ascii=False), encoding="utf-8")
    elapsed = time.time() - started
    print(f"\n{pages} page(s) checked in {elapsed:.0f} s; screenshots in {SHOTS}; served HTML in {HTML}")
    if failures:
        print(f"\n{len(failures)} problem(s):")
        for failure in failures:
            print(f"- {failure}")
        return 1
    print(
        "no horizontal overflow, nothing outside the viewport but phone tables, key columns in view, "
        "chart text of 12 px or more, tap targets of 44 px on a phone, no serious or critical "
        "axe-core violation, every journey done"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
