#!/usr/bin/env python3
"""Load test over real HTTP at national scale (issues 20 and 15).

Builds the release binary, fills a SQLite database with the synthetic country
(`seed --synthetic national`, kept under target/load-national-<scale>/), starts `serve` on a
free port and drives every page with 32 concurrent connections through `wrk` (installed from
Debian's packages when missing), beside the static stylesheet as the floor. Then the Antioquia
attendance report: JSON with 1 and 32 clients; the `.xlsx` timed over HTTP, its cells written
again by XlsxWriter and openpyxl (write-only) as peers (installed in a venv under target/);
and the server's memory (VmRSS / VmHWM) after 15 workbooks in a row and 4 at once. Issue 15:
the municipality page with its impact charts, «¿Dónde formar?» (page and JSON) at 32 clients,
and ESAP's comparison over every municipality with one client; issue 16: the national overlap
report over every cohort. Issue 19: a certificate's verifiable credential, a revocation
status list (100 of its certificates revoked first, through the API) and `POST
/credentials/verify`, at 32 clients.

Issue 50 ("Enrolment day at full speed"): the enrolment day in two variants, each with fresh
cohorts — 20 cohorts of 50 seats (each open to one department's people) and 2 of 500 (each
open to 10 of the 20 departments) — the same 2,000 people with their own tokens sending one
enrolment each at the same moment. Per variant: the rate over the burst, p50/p99, the answers
by status (every one 201, each with its own result), enrolled/waitlisted per cohort, cohorts
overbooked, the waiting list in order (positions 1..n; by `enrolled_at`, nobody waitlisted
before an enrolled; each answer's status and position equal to the roster's), the report
figures 2 s after the burst, the maintained figures tables against `rebuild-figures` run
afterwards, and the Antioquia reviewer's /reportes and dashboard read by wrk through the
burst. On PostgreSQL pgbench's TPC-B-like rate (scale 32, 32 clients, 15 s) is measured right
before the bursts, and with `--two-instances` the two variants run again through two
instances (people alternating). The mixed run (`--only mixed`): reviewers of four departments
read their reports with filters while enrolments flow at `--mixed-rate` a second.

Issue 36: both engines in one run (`--engines sqlite,postgres`, the default; PostgreSQL at
`--pg-url`, database aula_load_<scale> created there and kept), the demand map and overlap
pages, and the enrolment day: 2,000 synthetic people with their own API tokens (`seed
--synthetic accounts`) each sending one enrolment at the same moment into 20 cohorts of 50
seats. Issue 34: `--two-instances` measures the same pages on PostgreSQL with a second
instance, each driven by half the clients.

Issue 69 ("First visits as fast as the rest"): the page table shows, for every page and
engine, three p99s at `--connections` clients, each with its sample count:

* kept: the server as configured (kept pages on), after one warm-up visit;
* uncached: the same pages on a server started with `dashboard_cache_seconds = 0`, the
  product's own setting for "nothing kept" (the kept pages, the API's kept answers and the
  dashboards' pictures are computed on every request; the «¿Dónde formar?» rankings keep their
  own versioned cache, so that page's uncached cost is its drawing and per-request reads). A
  new key per request was the other way offered; the kept key is built only from the
  parameters a handler reads (issue 46: an unknown `?v=<random>` is the same page), so minting
  keys would need a parameter that changes what the page shows, and would also fill the
  32-variant bound and the shelf: the setting measures the computation and nothing else;
* first wave: the server restarted as on a Monday morning (the shelf `kept_contents` as the
  last run left it, every value made three days old: its version current, its time to live
  long past, so the start's warming round recomputes every kept scope while the visitors
  arrive), then `--connections` first visitors at once to the page as soon as `/health`
  answers, one restart per page.

Issue 69, item 3 (the programmes' enrolment day, `programme_day`): the same 2,000 people at
once into 20 editions of a diplomado of four modules (four fresh 50-seat cohorts an edition,
each open to one department's people): every answer 201 with its own result, no module
overbooked, each edition's four cohorts holding the same people, p99 under 3 s.

A wrk run shorter than `MIN_SAMPLES` (300) answers is run again for longer (up to
`MAX_SECONDS`), so no p99 comes from a handful of reads. The script exits with status 1 when
any page row misses its target (p99 under 100 ms in every column, no failed answer) and says
which rows did.

Usage:  scripts/load_national.py [--scale 1] [--seconds 10] [--connections 32] [--only TEXT]
                                 [--engines sqlite,postgres] [--pg-url URL] [--two-instances]
                                 [--skip workbooks,enrolment-day,uncached,first-wave,pgbench,mixed]
                                 [--binary PATH] [--mixed-rate 20] [--mixed-seconds 20]
Writes Markdown tables to target/load-national-<scale>/results.md and prints them.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANTIOQUIA = "05"
COORDINATOR = ("coordinacion@aulaterritorial.example", "Coordina-Aula-2026")
# The synthetic offer is spread over five providers; ESAP's coordinator manages only ESAP's, so
# the admin revokes (issue 32).
ADMIN = ("admin@aulaterritorial.example", "Admin-Aula-2026")
REVIEWER = ("revisor.antioquia@aulaterritorial.example", "Revisa-Antioquia-2026")
# Issue 69: every p99 of the page table from at least this many answers; a page's target.
MIN_SAMPLES = 300
MAX_SECONDS = 300
TARGET_MS = 100


def log(*args):
    print("==>", *args, file=sys.stderr, flush=True)


def run(cmd, **kw):
    log(" ".join(str(c) for c in cmd))
    return subprocess.run(cmd, check=True, **kw)


def ensure_wrk():
    if shutil.which("wrk"):
        return
    log("wrk is not installed: installing it from Debian's packages")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    run(sudo + ["apt-get", "update", "-qq"], env=env)
    run(sudo + ["apt-get", "install", "-y", "-qq", "wrk"], env=env)


def ensure_python_peers(work):
    venv = work.parent / "load-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", str(venv)])
    run([str(python), "-m", "pip", "install", "-q", "openpyxl==3.1.5", "XlsxWriter==3.2.0"])
    return python


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, env, name="serve"):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(env, ROCKET_PORT=str(self.port), ROCKET_ADDRESS="127.0.0.1",
                   ROCKET_LOG_LEVEL="critical",
                   # Profiling aid: LOAD_SERVER_LOG (a RUST_LOG filter, for instance
                   # "warn,aula_territorial::web::fairings=info") keeps the request log.
                   RUST_LOG=os.environ.get("LOAD_SERVER_LOG", "warn"))
        self.log = open(Path(env["LOAD_WORK"]) / f"{name}.log", "w")
        self.proc = subprocess.Popen([str(binary), "serve"], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        for _ in range(600):
            try:
                urllib.request.urlopen(self.base + "/health", timeout=2).read()
                return
            except Exception:
                if self.proc.poll() is not None:
                    raise SystemExit(f"serve stopped; see {name}.log")
                time.sleep(0.5)
        raise SystemExit("serve did not answer /health")

    def memory(self):
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        value = lambda key: int(re.search(rf"{key}:\s+(\d+) kB", status).group(1)) // 1024
        return value("VmRSS"), value("VmHWM")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def sign_in(base, email, password):
    """The page's sign-in form (CSRF included): returns the Cookie header of the session. The
    release profile marks cookies `Secure`, so they are carried by hand over plain HTTP."""
    import http.client
    host = urllib.parse.urlparse(base).netloc

    def request(method, path, body=None, headers=None):
        connection = http.client.HTTPConnection(host, timeout=60)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        cookies = {}
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookies[name.strip()] = rest.split(";", 1)[0]
        connection.close()
        return response.status, data.decode(errors="replace"), cookies

    _, html, cookies = request("GET", "/ingresar")
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password})
    jar = "; ".join(f"{k}={v}" for k, v in cookies.items())
    status, _, signed = request("POST", "/ingresar", body, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": jar})
    if "aula_sesion" not in signed:
        raise SystemExit(f"sign-in as {email} failed ({status})")
    return f"aula_sesion={signed['aula_sesion']}"


def api_token(base, email, password):
    request = urllib.request.Request(
        base + "/api/v1/tokens",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(request).read())["token"]


def get(base, path, headers):
    request = urllib.request.Request(base + path, headers=headers)
    started = time.perf_counter()
    body = urllib.request.urlopen(request, timeout=600).read()
    return body, time.perf_counter() - started


# Every answer is looked at (issue 50): an error status, a redirect to the sign-in page (a
# session that expired or never worked) and a socket timeout or error are failures, never
# "requests per second". Each wrk thread counts in its own Lua state; `done` adds them up.
WRK_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) failed = 0; to_sign_in = 0 end
function response(status, headers, body)
  if status >= 400 then
    failed = failed + 1
  elseif status >= 300 then
    local location = headers["Location"] or headers["location"] or ""
    if string.find(location, "/ingresar", 1, true) then to_sign_in = to_sign_in + 1 end
  end
end
function done(summary, latency, requests)
  local f, s = 0, 0
  for _, t in ipairs(threads) do f = f + t:get("failed"); s = s + t:get("to_sign_in") end
  io.write(string.format("AULA failed=%d to_sign_in=%d\\n", f, s))
end
"""


_WRK_SCRIPTS = iter(range(1, 1 << 30))


def wrk_script(work, body=None, paths=None):
    """A Lua file of its own for one wrk run (several run at once): the failure counting, and
    a POST body or a list of paths visited in turn."""
    lua = WRK_LUA
    if body is not None:
        lua += ('wrk.method = "POST"\n'
                'wrk.headers["Content-Type"] = "application/json"\n'
                f"wrk.body = [==[{body}]==]\n")
    if paths:
        lua += ("local paths = {" + ", ".join(f"[==[{p}]==]" for p in paths) + "}\n"
                "local turn = 0\n"
                "function request()\n"
                "  turn = turn % #paths + 1\n"
                "  return wrk.format(nil, paths[turn])\n"
                "end\n")
    script = Path(work or tempfile.gettempdir()) / \
        f"aula-wrk-{os.getpid()}-{next(_WRK_SCRIPTS)}.lua"
    script.write_text(lua)
    return script


def parse_wrk(out):
    """(requests/s, p50 ms, p99 ms, failures, requests) from wrk's --latency report."""
    def ms(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    rate = float(found.group(1)) if found else 0.0
    done = re.search(r"(\d+) requests in", out)
    counted = re.search(r"AULA failed=(\d+) to_sign_in=(\d+)", out)
    failed = int(counted.group(1)) + int(counted.group(2)) if counted else 0
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        out)
    if sockets:
        failed += sum(int(n) for n in sockets.groups())
    return rate, ms("50"), ms("99"), failed, int(done.group(1)) if done else 0


def wrk(url, header, seconds, connections, body=None, work=None):
    """(requests/s, p50 ms, p99 ms, failures) from wrk's --latency report. Failures are the
    answers with an error status, the redirects to /ingresar and the socket errors and
    timeouts; any failure marks the row ✘. With `body`, every request is a POST of that JSON."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "60s"]
    if header:
        cmd += ["-H", header]
    script = wrk_script(work, body)
    cmd += ["-s", str(script)]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    script.unlink(missing_ok=True)
    return parse_wrk(out)[:4]


def wrk_samples(url, header, seconds, connections, body=None, work=None):
    """`wrk`, run again for longer while it answered fewer than MIN_SAMPLES requests (issue
    69): (requests/s, p50 ms, p99 ms, failures, answers counted)."""
    while True:
        cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout",
               "60s"]
        if header:
            cmd += ["-H", header]
        script = wrk_script(work, body)
        cmd += ["-s", str(script)]
        out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
        script.unlink(missing_ok=True)
        rate, p50, p99, failed, done = parse_wrk(out)
        if done >= MIN_SAMPLES or seconds >= MAX_SECONDS:
            return rate, p50, p99, failed, done
        seconds = min(MAX_SECONDS, int(seconds * MIN_SAMPLES * 1.3 / max(done, 1)) + 1)
        log(f"{done} answers in the run: again for {seconds} s")


class WrkWhile:
    """wrk reading `paths` in turn on `base` until `stop()` (SIGINT: wrk stops and reports what
    it measured so far), so its numbers cover exactly the window of something else (a burst,
    a flow of writes). `stop()` returns parse_wrk's tuple."""

    def __init__(self, base, paths, header, connections, work):
        self.script = wrk_script(work, paths=paths)
        cmd = ["wrk", "-t1", f"-c{connections}", "-d3600s", "--latency", "--timeout", "60s",
               "-s", str(self.script)]
        if header:
            cmd += ["-H", header]
        self.proc = subprocess.Popen(cmd + [base + paths[0]], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.started = time.perf_counter()

    def stop(self):
        import signal
        self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=120)
        self.script.unlink(missing_ok=True)
        self.seconds = time.perf_counter() - self.started
        return parse_wrk(out)


def _paced_reads(base, paths, header, rate, stop, out):
    """The child process of [`PacedWhile`]: GETs `paths` in turn at `rate` a second, each at its slot
    (open loop: a slow answer does not delay the next request, up to 8 in flight), until `stop`.
    Latency is counted from the slot, not from when a thread was free (no coordinated
    omission)."""
    import http.client
    import threading
    host = urllib.parse.urlparse(base).netloc
    name, _, value = header.partition(": ")
    lock = threading.Lock()
    slots = []
    latencies, failed, timeline = [], 0, []
    started = time.perf_counter()

    def reader():
        nonlocal failed
        connection = http.client.HTTPConnection(host, timeout=60)
        while True:
            with lock:
                if not slots:
                    slot = None
                else:
                    slot, path = slots.pop(0)
            if slot is None:
                if stop.is_set():
                    return
                time.sleep(0.001)
                continue
            wait = slot - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            try:
                connection.request("GET", path, headers={name: value})
                response = connection.getresponse()
                response.read()
                bad = response.status >= 400 or (
                    300 <= response.status < 400
                    and "/ingresar" in (response.getheader("Location") or ""))
            except (OSError, http.client.HTTPException):
                bad = True
                connection.close()
                connection = http.client.HTTPConnection(host, timeout=60)
            with lock:
                latencies.append(time.perf_counter() - slot)
                timeline.append((slot - started, latencies[-1], path))
                failed += bad

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(8)]
    for t in threads:
        t.start()
    n = 0
    while not stop.is_set():
        slot = started + n / rate
        with lock:
            slots.append((slot, paths[n % len(paths)]))
        n += 1
        pause = started + n / rate - time.perf_counter()
        if pause > 0:
            stop.wait(pause)
    for t in threads:
        t.join(timeout=60)
    elapsed = time.perf_counter() - started
    if os.environ.get("LOAD_SLOWEST"):
        # Profiling aid: the slowest reads, when they were due (s after the reader started).
        for at, took, path in sorted(timeline, key=lambda t: -t[1])[:6]:
            print(f"    slow read {path} due at {at:.2f} s took {took * 1000:.0f} ms",
                  file=sys.stderr)
    out.put((len(latencies) / elapsed if elapsed else 0.0,
             percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000, failed,
             len(latencies)))


class PacedWhile:
    """A reader at a steady pace (`rate` GETs a second of `path`, or of a list of paths in
    turn; open loop, in a process of its own so the burst's client does not slow it) until
    `stop()`; returns the same tuple as [`WrkWhile`]: (reads/s, p50 ms, p99 ms, failures,
    reads)."""

    def __init__(self, base, path, header, rate):
        paths = [path] if isinstance(path, str) else list(path)
        import multiprocessing
        context = multiprocessing.get_context("fork")
        self.stop_event = context.Event()
        self.out = context.Queue()
        self.proc = context.Process(target=_paced_reads,
                                    args=(base, paths, header, rate, self.stop_event, self.out))
        self.proc.start()

    def stop(self):
        self.stop_event.set()
        result = self.out.get(timeout=120)
        self.proc.join(timeout=60)
        return result


def psql(url, sql):
    return subprocess.run(["psql", "-X", "-q", "-At", url, "-c", sql], check=True,
                          capture_output=True, text=True).stdout.strip()


def query(engine, database_url, sql):
    """Rows of a read-only query, straight from the database (the certificate codes to ask
    for: no API lists every certificate of the country)."""
    if engine == "sqlite":
        import sqlite3
        path = database_url.removeprefix("sqlite://").split("?", 1)[0]
        with sqlite3.connect(path) as con:
            return [tuple(str(v) for v in r) for r in con.execute(sql)]
    out = psql(database_url, sql)
    return [tuple(line.split("|")) for line in out.splitlines() if line]


def prepare(engine, args, work, binary):
    """The database URL of `engine` filled with the synthetic country (generated once, then
    kept), and the environment that serves it."""
    if engine == "sqlite":
        database = work / "aula.sqlite3"
        url = f"sqlite://{database}?mode=rwc"
        ready = database.exists()
    else:
        name = "aula_load_" + args.scale.replace(".", "_")
        url = f"{args.pg_url.rstrip('/')}/{name}?sslmode={args.pg_sslmode}"
        marker = work / f"{name}.ready"
        exists = psql(f"{args.pg_url.rstrip('/')}/postgres",
                      f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"
        if exists and not marker.exists():
            log(f"{name} exists but its generation did not finish: dropped")
            psql(f"{args.pg_url.rstrip('/')}/postgres", f"DROP DATABASE {name} WITH (FORCE)")
            exists = False
        if not exists:
            psql(f"{args.pg_url.rstrip('/')}/postgres", f"CREATE DATABASE {name}")
        ready = marker.exists()
    env = dict(os.environ,
               LOAD_WORK=str(work),
               LOAD_ENGINE=engine,
               ROCKET_PROFILE="release",
               ROCKET_DATABASE_URL=url,
               ROCKET_DEMO_DATA="true",
               ROCKET_MAIL_POLL_SECONDS="0",
               ROCKET_JOBS_POLL_SECONDS="0",
               ROCKET_SECRET_KEY=os.environ.get("ROCKET_SECRET_KEY")
               or "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=")
    generated = None
    if not ready:
        started = time.perf_counter()
        run([str(binary), "seed", "--synthetic", "national", "--scale", args.scale], env=env,
            cwd=work)
        generated = time.perf_counter() - started
        log(f"{engine}: synthetic country generated in {generated:.1f} s")
        subprocess.run([str(binary), "create-user", "--role", "reviewer", "--email", REVIEWER[0],
                        "--password", REVIEWER[1], "--full-name", "Revisora de Antioquia",
                        "--department", ANTIOQUIA], env=env, cwd=work, check=False)
        if engine == "postgres":
            (work / ("aula_load_" + args.scale.replace(".", "_") + ".ready")).write_text("")
    return url, env, generated


def measure_pages(args, engine, url, server, work, rows):
    """Every page at `args.connections` clients; returns the sessions and tokens it made."""
    base = server.base
    staff = "Cookie: " + sign_in(base, *COORDINATOR)
    reviewer = "Cookie: " + sign_in(base, *REVIEWER)
    token = api_token(base, *COORDINATOR)
    reviewer_token = api_token(base, *REVIEWER)
    bearer = {"Authorization": f"Bearer {token}"}
    listing = json.loads(get(base, "/api/v1/cohorts?municipality=05001&per_page=1", bearer)[0])
    cohort = listing["items"][0]["id"] if listing["items"] else 1
    # The public page shows cohorts open for enrolment; the synthetic country's are closed,
    # so one of the demo's open cohorts stands in.
    public = json.loads(get(base, "/api/v1/cohorts?status=open&per_page=1", bearer)[0])
    public_cohort = public["items"][0]["id"] if public["items"] else cohort
    pages = page_list(cohort, public_cohort, staff, reviewer, token, reviewer_token)
    # Issue 47: ESAP's national plan of the year (the synthetic country's), page and progress.
    plans = json.loads(get(base, "/api/v1/plans?provider=1&per_page=100", bearer)[0])["items"]
    national = next((p for p in plans if not p["territorial_direction"]
                     and not p["department_code"] and p["status"] != "draft"), None)
    if national:
        pages += [
            (f"plan page /planes/{{id}} (ESAP's national plan, {national['lines']} lines, progress)",
             f"/planes/{national['id']}", staff),
            ("plan progress JSON (ESAP's national plan)",
             f"/api/v1/plans/{national['id']}/progress", "Authorization: Bearer " + token),
        ]
    pages += [
        ("plans compared /reportes/planes (national coordinator)", "/reportes/planes", staff),
        ("plans comparison JSON (national coordinator)", "/api/v1/reports/plans/comparison",
         "Authorization: Bearer " + token),
    ]
    # Issue 19: credentials of list 1 (certificate ids 1–131,072); 100 of its certificates
    # revoked through the API first (again: 409, nothing changes), so the list has bits set.
    admin_bearer = {"Authorization": f"Bearer {api_token(base, *ADMIN)}"}
    codes = [r[0] for r in query(engine, url, "SELECT code FROM certificates WHERE id <= 131072 "
                                 "ORDER BY id LIMIT 200")]
    certificates = int(query(engine, url, "SELECT count(*) FROM certificates")[0][0])
    for code in codes[::2]:
        revoke = urllib.request.Request(
            f"{base}/api/v1/certificates/{code}/revoke", method="POST",
            data=json.dumps({"reason": "Prueba de carga"}).encode(),
            headers=dict(admin_bearer, **{"Content-Type": "application/json"}))
        try:
            urllib.request.urlopen(revoke).read()
        except urllib.error.HTTPError as error:
            if error.code != 409:
                raise
    credential = get(base, f"/api/v1/certificates/{codes[1]}/credential", {})[0].decode()
    pages += [
        (f"credential JSON of a certificate (one of {certificates:,})",
         f"/api/v1/certificates/{codes[1]}/credential", None),
        ("status list 1 (131,072 certificates, 100 revoked), signed",
         "/api/v1/credentials/status/1", None),
        ("POST /credentials/verify (a valid credential: proof, status list)",
         "/api/v1/credentials/verify", None, credential),
    ]
    for label, path, header, *post in pages:
        if args.only and not any(o in label for o in args.only.split(",")):
            continue
        body = post[0] if post else None
        try:  # warm-up; wrk counts the failures (error statuses, sign-in redirects, timeouts)
            request = urllib.request.Request(
                base + path, data=body.encode() if body else None,
                headers=dict([header.split(": ", 1)]) if header else
                ({"Content-Type": "application/json"} if body else {}))
            urllib.request.urlopen(request, timeout=600).read()
        except urllib.error.HTTPError as error:
            log(label, f"answers {error.code}")
        rate, p50, p99, bad, samples = wrk_samples(base + path, header, args.seconds,
                                                   args.connections, body, work)
        rows[label] = (rate, p50, p99, bad, samples)
        log(engine, label, f"{rate:,.1f} req/s p50 {p50:.1f} ms p99 {p99:.1f} ms "
            f"({samples:,} answers)", f"{bad} failed" if bad else "")
    return bearer, pages


def page_list(cohort, public_cohort, staff, reviewer, token, reviewer_token):
    return [
        ("floor: static stylesheet", "/static/app.css", None),
        ("roster of a cohort", f"/cohortes/{cohort}/inscritos", staff),
        ("public cohort page (an open cohort)", f"/cohortes/{public_cohort}", None),
        ("coordinator's cohort workspace", f"/coordinacion/cohortes/{cohort}", staff),
        ("municipality page, Medellín", "/municipios/05001", staff),
        ("coordinator dashboard (national)", "/", staff),
        ("reviewer dashboard (Antioquia)", "/", reviewer),
        ("reports page /reportes (Antioquia reviewer)", "/reportes", reviewer),
        ("capacity grid /reportes/capacidades (Antioquia)", "/reportes/capacidades", reviewer),
        ("participants /reportes/participantes (Antioquia)", "/reportes/participantes",
         reviewer),
        ("municipality page with impact charts, El Paujíl", "/municipios/18256", staff),
        ("«¿Dónde formar?» /reportes/prioridades (movilización, national)",
         "/reportes/prioridades?capacidad=2", staff),
        ("offer view /reportes/oferta (Antioquia reviewer, 5 providers)", "/reportes/oferta",
         reviewer),
        ("demand map /reportes/demanda (national)", "/reportes/demanda", staff),
        ("overlaps /reportes/traslapes (Antioquia reviewer)", "/reportes/traslapes", reviewer),
        ("overlaps /reportes/traslapes (national)", "/reportes/traslapes", staff),
        ("Antioquia report JSON, 32 clients",
         f"/api/v1/reports/attendance?department={ANTIOQUIA}&per_page=500",
         "Authorization: Bearer " + token),
        ("priorities JSON, national top 50 (movilización)",
         "/api/v1/reports/priorities?capacity=2", "Authorization: Bearer " + token),
        ("municipality impact JSON, El Paujíl", "/api/v1/municipalities/18256/impact",
         "Authorization: Bearer " + token),
        # Issue 17: the satisfaction report of one department (the reviewer's, and the
        # coordinator's with the department filter, which also reads the other departments'
        # answers of the same cohorts for the suppression rule).
        ("satisfaction report JSON, Antioquia reviewer",
         "/api/v1/reports/satisfaction?by=cohort", "Authorization: Bearer " + reviewer_token),
        ("satisfaction report JSON, coordinator, department=Antioquia",
         f"/api/v1/reports/satisfaction?department={ANTIOQUIA}&by=cohort",
         "Authorization: Bearer " + token),
        ("satisfaction page /reportes/satisfaccion (Antioquia reviewer, by quarter)",
         "/reportes/satisfaccion?por=quarter", reviewer),
        ("offer JSON, Antioquia (coordinator)",
         f"/api/v1/reports/offer?department={ANTIOQUIA}", "Authorization: Bearer " + token),
    ]


def wanted_page(args, label):
    return not args.only or any(o in label for o in args.only.split(","))


def measure_uncached(args, binary, env, work, pages, uncached):
    """Issue 69: each page's p99 at `args.connections` clients with nothing kept (a server
    started with `dashboard_cache_seconds = 0`; see the module's comment), from at least
    MIN_SAMPLES answers: (p99 ms, failures, answers) per label."""
    server = Server(binary, dict(env, ROCKET_DASHBOARD_CACHE_SECONDS="0"), "serve-uncached")
    try:
        for label, path, header, *post in pages:
            if not wanted_page(args, label):
                continue
            body = post[0] if post else None
            _, _, p99, bad, samples = wrk_samples(server.base + path, header, args.seconds,
                                                  args.connections, body, work)
            uncached[label] = (p99, bad, samples)
            log("uncached", label, f"p99 {p99:.1f} ms ({samples:,} answers)",
                f"{bad} failed" if bad else "")
    finally:
        server.stop()


def first_wave(base, path, header, body, connections):
    """`connections` visits at once to `path` (released together): (p99 ms, failures)."""
    headers = dict([header.split(": ", 1)]) if header else {}
    if body:
        headers["Content-Type"] = "application/json"
    times, failed = [], []
    gate = threading.Barrier(connections)

    def visit():
        request = urllib.request.Request(base + path, data=body.encode() if body else None,
                                         headers=headers)
        gate.wait()
        started = time.perf_counter()
        try:
            urllib.request.urlopen(request, timeout=600).read()
        except Exception:
            failed.append(1)
        times.append(time.perf_counter() - started)

    threads = [threading.Thread(target=visit) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return percentile(times, 0.99) * 1000, len(failed)


def age_shelf(engine, url):
    """Every value on the shelf (`kept_contents`) made three days old, its version unchanged:
    the shelf as a Monday morning finds it, every kept page past its time to live."""
    if engine == "sqlite":
        import sqlite3
        from datetime import datetime, timedelta
        path = url.removeprefix("sqlite://").split("?", 1)[0]
        with sqlite3.connect(path) as con:
            rows = con.execute("SELECT key, computed_at FROM kept_contents").fetchall()
            for key, at in rows:
                aged = datetime.fromisoformat(at) - timedelta(days=3)
                con.execute("UPDATE kept_contents SET computed_at = ? WHERE key = ?",
                            (aged.strftime("%Y-%m-%d %H:%M:%S.%f") + "+00:00", key))
        return
    psql(url, "UPDATE kept_contents SET computed_at = computed_at - INTERVAL '3 days'")


def measure_first_waves(args, binary, env, server, pages, waves):
    """Issue 69: per page, the server restarted after a weekend (`age_shelf`: every kept value
    past its time to live, so the start's warming round recomputes them all), then
    `args.connections` first visitors at once as soon as it answers `/health`: (p99 ms,
    failures, visitors) per label. Returns the running server (the last one started)."""
    for label, path, header, *post in pages:
        if not wanted_page(args, label) or label.startswith("floor"):
            continue
        server.stop()
        age_shelf(env["LOAD_ENGINE"], env["ROCKET_DATABASE_URL"])
        server = Server(binary, env)
        p99, bad = first_wave(server.base, path, header, post[0] if post else None,
                              args.connections)
        waves[label] = (p99, bad, args.connections)
        log("first wave", label, f"p99 {p99:.1f} ms", f"{bad} failed" if bad else "")
        # Let the background writes of the shelf land before the next stop.
        time.sleep(1)
    return server


def measure_one_client(args, base, bearer, extra):
    indicators = json.loads(get(base, "/api/v1/indicators?per_page=500", bearer)[0])["items"]
    idf = next(i["id"] for i in indicators if i["code"] == "idf_puntaje")
    comparison = (f"/api/v1/reports/impact?capacity=2&indicator={idf}"
                  "&from_year=2023&to_year=2025")
    body, _ = get(base, comparison, bearer)
    municipalities = len(json.loads(body)["rows"])
    one = sorted(get(base, comparison, bearer)[1] for _ in range(5))[2]
    extra[f"ESAP comparison JSON, {municipalities} municipalities, one client (median of 5)"] = \
        f"{one * 1000:.0f} ms"
    overlaps = "/api/v1/reports/overlaps"
    body, _ = get(base, overlaps, bearer)
    pairs = json.loads(body)["total"]
    one = sorted(get(base, overlaps, bearer)[1] for _ in range(5))[2]
    extra[f"overlap report JSON, every cohort of the country ({pairs:,} pairs), one client "
          "(median of 5)"] = f"{one * 1000:.0f} ms"
    json_path = f"/api/v1/reports/attendance?department={ANTIOQUIA}&per_page=500"
    one = sorted(get(base, json_path, bearer)[1] for _ in range(5))[2]
    extra["Antioquia report JSON, one client (median of 5)"] = f"{one * 1000:.0f} ms"


def measure_workbooks(base, bearer, server, extra):
    """The Antioquia workbook: 15 in a row (median), memory after, then 4 at once (peak) with
    /health probed meanwhile. Returns the workbook's bytes (for the peers)."""
    xlsx_path = f"/api/v1/reports/attendance.xlsx?department={ANTIOQUIA}"
    times = []
    body = b""
    for _ in range(15):
        body, seconds = get(base, xlsx_path, bearer)
        times.append(seconds)
    rss, hwm = server.memory()
    extra["Antioquia .xlsx over HTTP (median of 15)"] = \
        f"{sorted(times)[7] * 1000:,.0f} ms ({len(body) / 1e6:.1f} MB)"
    extra["server memory after 15 workbooks (VmRSS / VmHWM)"] = f"{rss} MB / {hwm} MB"
    threads = [threading.Thread(target=get, args=(base, xlsx_path, bearer)) for _ in range(4)]
    health = []

    def probe():
        while any(t.is_alive() for t in threads):
            health.append(get(base, "/health", {})[1])
            time.sleep(0.05)

    for t in threads:
        t.start()
    prober = threading.Thread(target=probe)
    prober.start()
    for t in threads:
        t.join()
    prober.join()
    rss, hwm = server.memory()
    extra["server memory after 4 workbooks at once (VmRSS / VmHWM = peak)"] = \
        f"{rss} MB / {hwm} MB"
    if health:
        extra["/health while 4 workbooks are built: worst"] = \
            f"{max(health) * 1000:.0f} ms ({len(health)} probes)"
    return body, sorted(times)[7]


def measure_two_instances(args, binary, env, work, pages, first, rows):
    """Issue 34: the same pages with a second instance on the same database, each instance
    driven by half the clients at once (no proxy: on two cores a proxy would measure itself).
    Throughputs add up; the p99 is the worse of the two."""
    second = Server(binary, env, "serve-2")
    try:
        # Issue 36, item 2: 32 first visits at once to a kept page on the instance just
        # started (nothing kept yet): one computes, the others wait for it.
        for label, path, header, *post in pages:
            if label.startswith("reports page /reportes"):
                times = []

                def visit():
                    times.append(get(second.base, path, dict([header.split(": ", 1)]))[1])

                threads = [threading.Thread(target=visit) for _ in range(32)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                rows["_cold"] = (f"{sorted(times)[len(times) // 2] * 1000:,.0f} ms",
                                 f"{max(times) * 1000:,.0f} ms")
                log("cold start", label, rows["_cold"])
        for label, path, header, *post in pages:
            if label not in TWO_INSTANCE_PAGES:
                continue
            if args.only and not any(o in label for o in args.only.split(",")):
                continue
            # Sessions and tokens live in the database: the one made through the first
            # instance is sent to both (several instances behave as one). One visit to each
            # first, as for one instance: both warm (the first visits after a start are measured
            # apart, in `cold start`).
            header = [header, header]
            for base in (first.base, second.base):
                try:
                    get(base, path, dict([header[0].split(": ", 1)]) if header[0] else {})
                except urllib.error.HTTPError as error:
                    log(label, f"answers {error.code}")
            results = [None, None]

            def drive(n, base, header):
                results[n] = wrk(base + path, header, args.seconds, args.connections // 2)

            threads = [threading.Thread(target=drive, args=(0, first.base, header[0])),
                       threading.Thread(target=drive, args=(1, second.base, header[1]))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            rate = results[0][0] + results[1][0]
            p50 = max(results[0][1], results[1][1])
            p99 = max(results[0][2], results[1][2])
            rows[label] = (rate, p50, p99, results[0][3] + results[1][3])
            log("two instances", label, f"{rate:,.1f} req/s p99 {p99:.1f} ms")
    finally:
        second.stop()


RESTART_PAGES = [
    "reports page /reportes (Antioquia reviewer)",
    "capacity grid /reportes/capacidades (Antioquia)",
    "«¿Dónde formar?» /reportes/prioridades (movilización, national)",
    "Antioquia report JSON, 32 clients",
    "priorities JSON, national top 50 (movilización)",
]


def first_visits(base, pages):
    """32 first visits at once to each kept page: (median, slowest) in ms, over the pages."""
    medians, slowest = [], []
    for label, path, header, *post in pages:
        if label not in RESTART_PAGES:
            continue
        times = []

        def visit():
            times.append(get(base, path, dict([header.split(": ", 1)]))[1])

        threads = [threading.Thread(target=visit) for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        times.sort()
        medians.append(times[len(times) // 2] * 1000)
        slowest.append(times[-1] * 1000)
    return max(medians), max(slowest)


def measure_restarts(engine, url, binary, env, server, pages, extra):
    """Issue 36, item 2: the first 32 visits at once to each kept page on an instance just
    restarted, with the shelf (`kept_contents`) empty, holding the current versions, and
    holding stale ones (the figures moved while the instance was down). Returns the running
    server (the last one started)."""
    def restart(server, sql):
        server.stop()
        for statement in sql:
            if engine == "sqlite":
                import sqlite3
                path = url.removeprefix("sqlite://").split("?", 1)[0]
                with sqlite3.connect(path) as con:
                    con.execute(statement)
            else:
                psql(url, statement)
        return Server(binary, env)

    cases = [
        ("nothing kept: the shelf emptied", ["DELETE FROM kept_contents"]),
        ("the shelf holds the current versions", []),
        ("the shelf holds stale versions (figures moved while down)",
         ["UPDATE cache_versions SET version = version + 1 WHERE name = 'figures'"]),
    ]
    for case, sql in cases:
        server = restart(server, sql)
        median, slowest = first_visits(server.base, pages)
        key = f"restart, {case}: 32 first visits at once to each of {len(RESTART_PAGES)} kept " \
              f"pages, worst median / slowest"
        extra[key] = f"{median:,.0f} ms / {slowest:,.0f} ms"
        log(engine, key, extra[key])
        # Let the background writes of the shelf land before the next stop.
        time.sleep(2)
    return server


TWO_INSTANCE_PAGES = [
    "floor: static stylesheet",
    "roster of a cohort",
    "public cohort page (an open cohort)",
    "coordinator's cohort workspace",
    "municipality page, Medellín",
    "reviewer dashboard (Antioquia)",
    "reports page /reportes (Antioquia reviewer)",
    "priorities JSON, national top 50 (movilización)",
    "Antioquia report JSON, 32 clients",
]


# Issue 50's reviewers for the mixed run: department, account, and the name for the rows. The
# codes are DANE's; `mixed_run` checks each department has figures in the synthetic country.
REVIEWERS = [
    (ANTIOQUIA, REVIEWER, "Antioquia"),
    ("25", ("revisor.cundinamarca@aulaterritorial.example", "Revisa-Cundinamarca-2026"),
     "Cundinamarca"),
    ("76", ("revisor.valle@aulaterritorial.example", "Revisa-Valle-2026"), "Valle del Cauca"),
    ("52", ("revisor.narino@aulaterritorial.example", "Revisa-Narino-2026"), "Nariño"),
]
# The enrolment day's two variants (issue 50): fresh cohorts each, the same 2,000 people.
VARIANTS = [
    ("20 cohorts of 50 seats", 20, 50),
    ("2 cohorts of 500 seats", 2, 500),
]
FIGURES_TABLES = ["cohort_figures", "differential_people", "capacity_people", "capacity_figures",
                  "capacity_year_figures", "assistance_figures", "delivery_facts",
                  "replica_figures", "place_figures", "trend_figures"]
ok = lambda good: " ✔" if good else " ✘"


class Api:
    """JSON calls to the API with one bearer token; an unexpected status stops the run."""

    def __init__(self, base, token):
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def __call__(self, method, path, body=None):
        request = urllib.request.Request(self.base + path, method=method, headers=self.headers,
                                         data=json.dumps(body).encode() if body else None)
        try:
            return json.loads(urllib.request.urlopen(request, timeout=600).read() or b"null")
        except urllib.error.HTTPError as error:
            raise SystemExit(f"{method} {path}: {error.code} {error.read().decode()}")

    def every(self, path):
        """Every item of a paged list (500 a page)."""
        items, page = [], 1
        while True:
            sep = "&" if "?" in path else "?"
            answer = self(f"GET", f"{path}{sep}per_page=500&page={page}")
            items += answer["items"]
            if len(items) >= answer["total"] or not answer["items"]:
                return items
            page += 1


def synthetic_accounts(engine, binary, env, work, base, cache):
    """2,000 synthetic people (100 from each of 20 departments) with their own API tokens:
    made once per engine and database, then kept in accounts-<engine>.tsv while its tokens
    still work (a run again reuses them: people without an account run out at small scales).
    Rows: token, participant id, municipality, department."""
    if engine in cache:
        return cache[engine]
    accounts_file = work / f"accounts-{engine}.tsv"
    accounts = None
    if accounts_file.exists():
        kept = [line.split("\t") for line in accounts_file.read_text().splitlines()]
        try:
            get(base, "/api/v1/me/enrolments", {"Authorization": f"Bearer {kept[0][0]}"})
            get(base, "/api/v1/me/enrolments", {"Authorization": f"Bearer {kept[-1][0]}"})
            accounts = kept
            log(engine, f"reusing the {len(kept):,} synthetic accounts of {accounts_file.name}")
        except (urllib.error.HTTPError, IndexError):
            pass
    if accounts is None:
        run([str(binary), "seed", "--synthetic", "accounts", "--departments", "20",
             "--per-department", "100", "--out", str(accounts_file)], env=env, cwd=work)
        accounts = [line.split("\t") for line in accounts_file.read_text().splitlines()]
    cache[engine] = accounts
    return accounts


def bogota_dates():
    """(today, later(days)) as the server reads dates: Bogotá's calendar (UTC−5, no daylight
    saving), not the machine's (in UTC the next day starts at 19:00 in Colombia, and a cohort
    dated so would not open until tomorrow)."""
    bogota = lambda days: time.gmtime(time.time() - 5 * 3600 + days * 86400)
    return time.strftime("%Y-%m-%d", bogota(0)), \
        lambda days: time.strftime("%Y-%m-%d", bogota(days))


def esap_courses(call):
    """ESAP's courses in force (the coordinator schedules ESAP's offer only), by id."""
    return sorted(c["id"] for c in call.every("/api/v1/courses")
                  if c["provider"]["id"] == 1 and not c["retired"])


def open_cohorts(call, name, groups, seats, course=None):
    """One open cohort of `seats` seats for each group of department codes (of `course`, by
    default ESAP's first); checks each cohort came back open to exactly its departments.
    Returns the ids, in the order of `groups`."""
    course = course or esap_courses(call)[0]
    today, later = bogota_dates()
    stamp = time.strftime("%H%M%S")
    ids = []
    for n, departments in enumerate(groups, 1):
        created = call("POST", "/api/v1/cohorts", {
            "course_id": course, "name": f"{name} {n} ({stamp})",
            "modality": "presencial", "venue": "Sede de la dirección territorial",
            "start_date": later(30), "end_date": later(60), "enrolment_opens": today,
            "enrolment_closes": later(20), "seats": seats, "municipality_codes": [],
            "department_codes": list(departments), "instructor_ids": []})
        if sorted(created.get("department_codes") or []) != sorted(departments):
            raise SystemExit(f"cohort {created['id']} is open to {created.get('department_codes')}"
                             f", not to {sorted(departments)}")
        call("POST", f"/api/v1/cohorts/{created['id']}/sessions", {
            "starts_at": f"{later(30)}T09:00:00-05:00", "ends_at": f"{later(30)}T12:00:00-05:00",
            "topic": "Apertura", "location": "Sede"})
        opened = call("PATCH", f"/api/v1/cohorts/{created['id']}", {"status": "open"})
        if opened.get("status") != "open":
            raise SystemExit(f"cohort {created['id']} did not open: {opened.get('status')}")
        ids.append(created["id"])
    return ids


def parse_http(raw):
    """(status, body bytes) of one HTTP/1.1 answer read whole (Connection: close)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in
               (line.partition(b":") for line in lines[1:])}
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        body = out
    return status, body


def listen_overflows():
    """The kernel's count of connections dropped because a listening socket's queue was full
    (TcpExt ListenOverflows, the whole machine since boot; None where it cannot be read): each
    such connection waits a second or more for its retransmission."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return None
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:]))
            return int(table["ListenOverflows"]) if "ListenOverflows" in table else None
    return None


def burst(sends, on_gate=None):
    """Every (host, port, path, token) of `sends` POSTs its enrolment at the same moment,
    each over its own connection (opened before the gate opens). `on_gate` runs half a second
    before the gate opens. Returns ([(status, seconds, answer JSON or text)], wall seconds from
    the gate to the last answer)."""
    import asyncio

    async def enrol(host, port, path, token, gate):
        request = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
                   f"Authorization: Bearer {token}\r\nContent-Length: 0\r\n"
                   "Connection: close\r\n\r\n").encode()
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError as error:
            await gate.wait()
            return 0, 0.0, f"connect error: {error}"
        await gate.wait()
        started = time.perf_counter()
        try:
            writer.write(request)
            await writer.drain()
            raw = await asyncio.wait_for(reader.read(), timeout=600)
        except (OSError, asyncio.TimeoutError) as error:
            writer.close()
            return 0, time.perf_counter() - started, f"socket error or timeout: {error!r}"
        seconds = time.perf_counter() - started
        writer.close()
        try:
            status, body = parse_http(raw)
        except (ValueError, IndexError):
            return 0, seconds, f"no HTTP answer ({len(raw)} bytes)"
        try:
            return status, seconds, json.loads(body)
        except ValueError:
            return status, seconds, body.decode(errors="replace")[:200]

    async def day():
        gate = asyncio.Event()
        tasks = [asyncio.create_task(enrol(*send, gate)) for send in sends]
        await asyncio.sleep(0.5)  # every connection open before the gate opens
        if on_gate:
            on_gate()
        await asyncio.sleep(0.5)
        started = time.perf_counter()
        gate.set()
        results = await asyncio.gather(*tasks)
        return results, time.perf_counter() - started

    return asyncio.run(day())


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def instant(text):
    """An RFC 3339 timestamp as seconds (nanoseconds cut to microseconds for Python)."""
    from datetime import datetime
    text = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00"))
    return datetime.fromisoformat(text).timestamp()


def figures_fingerprint(engine, url):
    """Every row of the maintained figures tables, per table as a sorted list of row hashes
    (the tables have natural keys only: a rebuild gives back the same rows), and the rows
    themselves by hash for the tables small enough to show which rows differ."""
    out, rows_of = {}, {}
    for table in FIGURES_TABLES:
        rows = query(engine, url, f"SELECT * FROM {table}")
        out[table] = sorted(hash(row) for row in rows)
        if len(rows) <= 300_000:
            rows_of[table] = {hash(row): row for row in rows}
    return out, rows_of


def figures_against_rebuild(engine, url, binary, env, work):
    """The figures as the servers maintained them against `rebuild-figures` run afterwards
    (issue 50): waits for the figures worker to drain `figures_dirty` (at most 60 s), takes a
    fingerprint, rebuilds, takes another. Returns the row's text and whether they are equal."""
    from collections import Counter
    waited = time.perf_counter()
    pending = None
    while time.perf_counter() - waited < 60:
        pending = int(query(engine, url, "SELECT count(*) FROM figures_dirty")[0][0])
        if pending == 0:
            break
        time.sleep(0.5)
    drained = time.perf_counter() - waited
    before, before_rows = figures_fingerprint(engine, url)
    started = time.perf_counter()
    printed = subprocess.run([str(binary), "rebuild-figures"], env=env, cwd=work, check=True,
                             capture_output=True, text=True).stdout.strip()
    rebuilt = time.perf_counter() - started
    log(engine, printed)
    after, after_rows = figures_fingerprint(engine, url)
    differing, rows = 0, 0
    tables = []
    for table in FIGURES_TABLES:
        rows += len(after[table])
        if before[table] != after[table]:
            a, b = Counter(before[table]), Counter(after[table])
            n = sum(((a - b) + (b - a)).values())
            differing += n
            tables.append(f"{table} {n:,}")
            for label, only, kept_rows in (("maintained", a - b, before_rows),
                                           ("rebuilt", b - a, after_rows)):
                for h in sorted(only)[:4]:
                    if table in kept_rows:
                        log(engine, f"{table}, {label} only:", kept_rows[table][h])
    equal = differing == 0 and pending == 0
    text = (("equal" if differing == 0 else
             f"different: {differing:,} rows ({', '.join(tables)})") +
            f" over {rows:,} rows in {len(FIGURES_TABLES)} tables{ok(equal)}; "
            f"rebuild-figures took {rebuilt:,.1f} s" +
            (f"; the worker had drained figures_dirty {drained:.1f} s after the checks"
             if pending == 0 else f"; {pending:,} rows still in figures_dirty after 60 s"))
    settle_database(engine, url)
    return text, equal


def settle_database(engine, url):
    """What a rebuild (a million figure rows rewritten) or pgbench left to the database is
    written out before the next burst is measured: a checkpoint (PostgreSQL: and the rewritten
    figures tables vacuumed and analysed), so a burst does not pay for the measurement before
    it — nobody rebuilds the figures just before an enrolment day."""
    if engine == "sqlite":
        import sqlite3
        path = url.removeprefix("sqlite://").split("?", 1)[0]
        with sqlite3.connect(path, timeout=60) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    psql(url, "VACUUM (ANALYZE) " + ", ".join(FIGURES_TABLES))
    psql(url, "CHECKPOINT")


def pgbench_tps(args, extra):
    """pgbench's TPC-B-like rate on the same server, right before the PostgreSQL bursts (issue
    50): scale 32, 32 clients, 2 threads, 15 s, in a database of its own (dropped after)."""
    server = args.pg_url.rstrip("/")
    admin = f"{server}/postgres?sslmode={args.pg_sslmode}"
    psql(admin, "DROP DATABASE IF EXISTS aula_pgbench WITH (FORCE)")
    psql(admin, "CREATE DATABASE aula_pgbench")
    bench = f"{server}/aula_pgbench?sslmode={args.pg_sslmode}"
    try:
        started = time.perf_counter()
        subprocess.run(["pgbench", "-i", "-s", "32", "-q", bench], check=True,
                       capture_output=True, text=True)
        log(f"pgbench -i -s 32 in {time.perf_counter() - started:.0f} s")
        out = subprocess.run(["pgbench", "-c", "32", "-j", "2", "-T", "15", "-n", bench],
                             check=True, capture_output=True, text=True).stdout
    finally:
        psql(admin, "DROP DATABASE IF EXISTS aula_pgbench WITH (FORCE)")
        psql(admin, "CHECKPOINT")
    tps = float(re.search(r"^tps = ([\d.]+)", out, re.M).group(1))
    extra["pgbench TPC-B-like (scale 32, -c 32 -j 2 -T 15), same server, right before the "
          "bursts"] = f"{tps:,.0f} tps"
    log("pgbench", f"{tps:,.0f} tps")
    return tps


# Each reviewer of the mixed run: reads a second, its pages in turn, at a steady pace.
MIXED_READER_RATE = 4

# The gobernaciones' reviewers reading during a burst: each page read this many times a second
# (the 32 departments' reviewers, about one page every two seconds each), at a steady pace.
READER_RATE = 16


def reviewer_paths():
    return [("reports page /reportes", "/reportes"), ("reviewer dashboard", "/")]


def enrolment_day(args, engine, url, binary, env, work, servers, extra, accounts_cache,
                  pgbench=None, prefix="enrolment day", baseline=True):
    """Issue 50: the same 2,000 people (each their own token) send one enrolment at the same
    moment into fresh cohorts, twice: 20 cohorts of 50 seats (each open to one department's
    people) and 2 of 500 (each open to 10 of the 20 departments). With several `servers`, the
    people send to each in turn. Every answer must be 201 with its own result; each cohort
    exactly its seats enrolled and the rest waitlisted in order; the Antioquia reviewer's pages
    are read meanwhile (`PacedWhile`: READER_RATE reads a second each, open loop); the report figures after 2 s and against a
    rebuild."""
    base = servers[0].base
    accounts = synthetic_accounts(engine, binary, env, work, base, accounts_cache)
    departments = sorted({a[3] for a in accounts})
    call = Api(base, api_token(base, *COORDINATOR))
    reviewer = "Cookie: " + sign_in(base, *REVIEWER)
    if baseline:
        # What the generated country (and the parts measured before) left: the figures after
        # each burst are then compared with a rebuild of a state that matched one.
        text, _ = figures_against_rebuild(engine, url, binary, env, work)
        extra[f"{prefix}: figures maintained = rebuild-figures before the day (the country as "
              "generated, after the parts measured before)"] = text
        log(engine, "figures before the day", text)
    for variant, cohorts, seats in VARIANTS:
        per = len(departments) // cohorts
        groups = [departments[i * per:(i + 1) * per] for i in range(cohorts)]
        ids = open_cohorts(call, f"Día de inscripción, {variant}", groups, seats)
        cohort_of = {d: ids[n] for n, group in enumerate(groups) for d in group}
        missing = [a for a in accounts if a[3] not in cohort_of]
        if missing:
            raise SystemExit(f"{len(missing)} accounts of departments without a cohort")
        sends = []
        for n, account in enumerate(accounts):
            server = servers[n % len(servers)]
            sends.append(("127.0.0.1", server.port,
                          f"/api/v1/cohorts/{cohort_of[account[3]]}/enrolments", account[0]))
        # The reviewer's pages, warm (as a reviewer finds them), then read through the burst.
        for _, path in reviewer_paths():
            get(base, path, dict([reviewer.split(": ", 1)]))
        readers = []
        dropped_before = listen_overflows()
        results, wall = burst(sends, on_gate=lambda: readers.extend(
            PacedWhile(base, path, reviewer, READER_RATE) for _, path in reviewer_paths()))
        read = [r.stop() for r in readers]
        dropped_after = listen_overflows()
        key = lambda what: f"{prefix}, {variant}: {what}"
        if dropped_before is not None and dropped_after is not None:
            dropped = dropped_after - dropped_before
            extra[key("connections the kernel dropped, its listening queue full (TcpExt "
                      "ListenOverflows over the burst; each waits a second for its "
                      "retransmission)")] = f"{dropped:,}{ok(dropped == 0)}"
        times = [s for _, s, _ in results]
        p50, p99 = percentile(times, 0.5) * 1000, percentile(times, 0.99) * 1000
        rate = len(results) / wall
        statuses = {}
        for status, _, _ in results:
            statuses[status] = statuses.get(status, 0) + 1
        bad = {s: n for s, n in statuses.items() if s != 201}
        # Each answer names its own person and cohort, a status, and ids never repeat.
        own = 0
        answer_of = {}
        for (status, _, body), account, send in zip(results, accounts, sends):
            if (status == 201 and isinstance(body, dict)
                    and str(body.get("participant_id")) == account[1]
                    and body.get("cohort_id") == cohort_of[account[3]]
                    and body.get("status") in ("enrolled", "waitlisted")
                    and body.get("id") not in answer_of):
                own += 1
                answer_of[body["id"]] = body
        samples = sorted({str(body)[:160] for status, _, body in results if status != 201})[:3]
        servers_note = f" through {len(servers)} instances" if len(servers) > 1 else ""
        extra[key(f"{len(results):,} enrolments at once{servers_note}: rate over the burst")] = (
            f"{rate:,.0f} req/s over {wall:.2f} s" +
            (ok(rate >= 700) + " (target ≥ 700/s)" if engine == "sqlite" else "") +
            (f"; {100 * rate / pgbench:.1f} % of pgbench's {pgbench:,.0f} tps"
             f"{ok(rate >= 0.15 * pgbench)} (target ≥ 15 %)" if pgbench else ""))
        extra[key("latency p50 / p99 (target p99 < 3 s)")] = \
            f"{p50:,.0f} ms / {p99:,.0f} ms{ok(p99 < 3000)}"
        extra[key("answers by status (every one 201)")] = (
            ", ".join(f"{s or 'no answer'} × {n:,}" for s, n in sorted(statuses.items())) +
            ok(not bad) + (f"; e.g. {' | '.join(samples)}" if samples else ""))
        extra[key("answers carrying their own result (their person, cohort, status; ids "
                  "distinct)")] = f"{own:,} of {len(results):,}{ok(own == len(results))}"
        # Two seconds after the burst: the rosters against the seats, the waiting list and
        # the report figures.
        time.sleep(2.0)
        counts, over, behind, disorder, early, mismatched = [], 0, 0, [], 0, 0
        for cohort in ids:
            roster = call("GET", f"/api/v1/cohorts/{cohort}/enrolments?per_page=500")["items"]
            enrolled = [r for r in roster if r["status"] == "enrolled"]
            waiting = [r for r in roster if r["status"] == "waitlisted"]
            counts.append((len(enrolled), len(waiting)))
            over += len(enrolled) > seats
            positions = sorted(r["waitlist_position"] or 0 for r in waiting)
            if positions != list(range(1, len(waiting) + 1)):
                disorder.append(cohort)
            # When each enrolment was made (`enrolled_at`, taken under the cohort's lock):
            # nobody waitlisted asked before someone enrolled, and the list goes in that order.
            if enrolled and waiting:
                last_in = max(instant(r["enrolled_at"]) for r in enrolled)
                early += sum(1 for r in waiting if instant(r["enrolled_at"]) < last_in)
            by_position = sorted(waiting, key=lambda r: r["waitlist_position"] or 0)
            made = [instant(r["enrolled_at"]) for r in by_position]
            if any(b < a for a, b in zip(made, made[1:])):
                disorder.append(cohort)
            # The answer each person got against the roster now (nobody cancelled).
            for r in roster:
                answer = answer_of.get(r["id"])
                if not answer or answer["status"] != r["status"] or \
                        answer.get("waitlist_position") != r["waitlist_position"]:
                    mismatched += 1
            report = call.every(f"/api/v1/reports/attendance?cohort={cohort}")
            behind += sum(row["enrolled"] for row in report) != len(enrolled)
        expected = (seats, len(accounts) // cohorts - seats)
        exact = all(c == expected for c in counts)
        shown = f"{len(ids)} × {expected[0]} / {expected[1]}" if exact else ", ".join(
            f"{e} / {w}" for e, w in counts)
        extra[key("enrolled / waitlisted per cohort (exactly the seats enrolled)")] = (
            f"{shown}{ok(exact)} ({sum(e for e, _ in counts):,} enrolled, "
            f"{sum(w for _, w in counts):,} waitlisted)")
        extra[key("cohorts overbooked")] = f"{over}{ok(over == 0)}"
        in_order = not disorder and early == 0 and mismatched == 0
        extra[key("waiting list in order (positions 1..n; by enrolled_at, none waitlisted "
                  "before an enrolled; each answer's status and position = the roster's)")] = (
            f"{len(ids) - len(set(disorder))} of {len(ids)} cohorts 1..n in order; "
            f"{early:,} waitlisted made before an enrolled; {mismatched:,} answers differ from "
            f"the roster{ok(in_order)}")
        extra[key("cohorts whose report figures are behind their roster 2 s after the burst")] = \
            f"{behind} of {len(ids)}{ok(behind == 0)}"
        for (label, _), (r_rate, _, r_p99, r_bad, r_n) in zip(reviewer_paths(), read):
            extra[key(f"Antioquia reviewer's {label} during the burst ({READER_RATE} reads a "
                      f"second at a steady pace, open loop, from 0.5 s before the gate to the "
                      f"last answer; target p99 < 150 ms)")] = (
                f"p99 {r_p99:,.1f} ms{ok(r_p99 < 150 and r_bad == 0 and r_n > 0)}; "
                f"{r_n:,} reads ({r_rate:,.0f}/s), {r_bad:,} failed")
        text, _ = figures_against_rebuild(engine, url, binary, env, work)
        extra[key("figures maintained = rebuild-figures afterwards")] = text
        for k in list(extra):
            if k.startswith(key("")):
                log(engine, k, extra[k])
        # Warm again what the rebuild made the servers recompute.
        for _, path in reviewer_paths():
            get(base, path, dict([reviewer.split(": ", 1)]))


# Issue 69, item 3: the programmes' enrolment day.
PROGRAMME_EDITIONS, PROGRAMME_MODULES, PROGRAMME_SEATS = 20, 4, 50


def programme_day(args, engine, url, binary, env, work, server, extra, accounts_cache):
    """Issue 69, item 3: the same 2,000 people (each their own token) send one enrolment at
    the same moment into 20 editions of a diplomado of four modules (each edition: four fresh
    cohorts of 50 seats open to one department's people; a person is enrolled in every
    module or in none, on the edition's waiting list). Every answer must be 201 with its own
    result; no module cohort overbooked; each edition's enrolled the same people in its four
    cohorts; p99 under 3 s; the figures against a rebuild afterwards."""
    base = server.base
    accounts = synthetic_accounts(engine, binary, env, work, base, accounts_cache)
    departments = sorted({a[3] for a in accounts})
    call = Api(base, api_token(base, *COORDINATOR))
    courses = esap_courses(call)[:PROGRAMME_MODULES]
    if len(courses) < PROGRAMME_MODULES:
        raise SystemExit(f"ESAP offers {len(courses)} courses, fewer than {PROGRAMME_MODULES}")
    stamp = time.strftime("%H%M%S")
    programme = call("POST", "/api/v1/programmes", {
        "code": f"DIP-CARGA-{stamp}", "name": f"Diplomado de carga ({stamp})",
        "kind": "diplomado", "description": "Diplomado del día de inscripción (prueba de carga).",
        "modules": [{"course_id": c, "order": n, "required": True}
                    for n, c in enumerate(courses, 1)]})
    call("POST", f"/api/v1/programmes/{programme['id']}/publication")
    per = len(departments) // PROGRAMME_EDITIONS
    groups = [departments[i * per:(i + 1) * per] for i in range(PROGRAMME_EDITIONS)]
    # The cohorts of each module, one per department group, then one edition per group.
    by_module = [open_cohorts(call, f"Diplomado de carga, módulo {m}", groups, PROGRAMME_SEATS,
                              course) for m, course in enumerate(courses, 1)]
    editions, edition_of = [], {}
    for n, group in enumerate(groups):
        cohorts = [ids[n] for ids in by_module]
        edition = call("POST", f"/api/v1/programmes/{programme['id']}/editions",
                       {"name": f"Edición {n + 1} ({stamp})", "cohort_ids": cohorts})
        editions.append((edition["id"], cohorts))
        for d in group:
            edition_of[d] = (edition["id"], cohorts)
    sends = [("127.0.0.1", server.port,
              f"/api/v1/programme-editions/{edition_of[a[3]][0]}/enrolments", a[0])
             for a in accounts]
    results, wall = burst(sends)
    key = lambda what: f"programme day, {PROGRAMME_EDITIONS} editions of {PROGRAMME_MODULES} " \
                       f"modules ({PROGRAMME_SEATS} seats): {what}"
    times = [t for _, t, _ in results]
    p50, p99 = percentile(times, 0.5) * 1000, percentile(times, 0.99) * 1000
    statuses = {}
    for status, _, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    samples = sorted({str(body)[:160] for status, _, body in results if status != 201})[:3]
    own, seen = 0, set()
    for (status, _, body), account in zip(results, accounts):
        edition, cohorts = edition_of[account[3]]
        if (status == 201 and isinstance(body, dict)
                and str(body.get("participant_id")) == account[1]
                and body.get("edition_id") == edition
                and body.get("status") in ("enrolled", "waitlisted")
                and sorted(m.get("cohort_id") for m in body.get("modules", [])) == sorted(cohorts)
                and body.get("id") not in seen):
            own += 1
            seen.add(body["id"])
    extra[key(f"{len(results):,} enrolments at once: rate over the burst")] = \
        f"{len(results) / wall:,.0f} req/s over {wall:.2f} s"
    extra[key("latency p50 / p99 (target p99 < 3 s)")] = \
        f"{p50:,.0f} ms / {p99:,.0f} ms{ok(p99 < 3000)}"
    extra[key("answers by status (every one 201)")] = (
        ", ".join(f"{s or 'no answer'} × {n:,}" for s, n in sorted(statuses.items())) +
        ok(set(statuses) == {201}) + (f"; e.g. {' | '.join(samples)}" if samples else ""))
    extra[key("answers carrying their own result (person, edition, its four cohorts; ids "
              "distinct)")] = f"{own:,} of {len(results):,}{ok(own == len(results))}"
    time.sleep(2.0)
    # Who each answer says is in each module cohort: an enrolled person is in every module
    # she was not recognised for (a recognised module keeps her out of its roster).
    placed = {}
    for status, _, body in results:
        if status == 201 and isinstance(body, dict) and body.get("status") == "enrolled":
            for module in body.get("modules", []):
                if module.get("status") == "enrolled":
                    placed.setdefault(module["cohort_id"], set()).add(body["participant_id"])
    over, split, counts = 0, 0, []
    for edition, cohorts in editions:
        rosters = [call("GET", f"/api/v1/cohorts/{c}/enrolments?per_page=500")["items"]
                   for c in cohorts]
        enrolled = [{r["participant_id"] for r in roster if r["status"] == "enrolled"}
                    for roster in rosters]
        over += sum(len(e) > PROGRAMME_SEATS for e in enrolled)
        # All or none: each module's roster is exactly the people the answers placed in it.
        split += sum(1 for c, e in zip(cohorts, enrolled) if e != placed.get(c, set()))
        counts.append(max(len(e) for e in enrolled))
    answered = {s: sum(1 for st, _, b in results if st == 201 and isinstance(b, dict)
                       and b.get("status") == s) for s in ("enrolled", "waitlisted")}
    extra[key("module cohorts overbooked")] = f"{over}{ok(over == 0)}"
    extra[key("module cohorts whose roster differs from the answers (all or none: each "
              "person enrolled in every module she was not recognised for, or in none)")] = \
        f"{split} of {len(editions) * PROGRAMME_MODULES}{ok(split == 0)}"
    extra[key("enrolled / waitlisted (answers); enrolled per edition")] = (
        f"{answered['enrolled']:,} / {answered['waitlisted']:,}; "
        f"{min(counts)}–{max(counts)} per edition (seats {PROGRAMME_SEATS})"
        f"{ok(max(counts) <= PROGRAMME_SEATS)}")
    text, _ = figures_against_rebuild(engine, url, binary, env, work)
    extra[key("figures maintained = rebuild-figures afterwards")] = text
    for k in list(extra):
        if k.startswith("programme day"):
            log(engine, k, extra[k])


def mixed_run(args, engine, url, binary, env, work, server, extra, accounts_cache):
    """Issue 50, item 6: reviewers of four departments read their reports with several filters
    (MIXED_READER_RATE reads a second each, every page in turn, steady pace) while enrolments flow at a steady rate (one
    each 1/rate s, each its own person and connection, into 20 open cohorts) for
    `--mixed-seconds`."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor
    base = server.base
    accounts = synthetic_accounts(engine, binary, env, work, base, accounts_cache)
    call = Api(base, api_token(base, *COORDINATOR))
    readers = []
    for code, (email, password), name in REVIEWERS:
        known = query(engine, url, "SELECT count(*) FROM municipalities WHERE department_code "
                      f"= '{code}'")[0][0]
        if known == "0":
            raise SystemExit(f"department {code} ({name}) is not in the reference data")
        try:
            cookie = sign_in(base, email, password)
        except SystemExit:
            subprocess.run([str(binary), "create-user", "--role", "reviewer", "--email", email,
                            "--password", password, "--full-name", f"Revisora de {name}",
                            "--department", code], env=env, cwd=work, check=True,
                           capture_output=True)
            cookie = sign_in(base, email, password)
        # Filters a reviewer uses: a municipality of hers with the most figures, a provider,
        # a period; on the attendance report, its participants and the capacity grid.
        found = query(engine, url, "SELECT municipality_code FROM cohort_figures WHERE "
                      f"department_code = '{code}' GROUP BY municipality_code "
                      "ORDER BY count(*) DESC, municipality_code LIMIT 1")
        if not found:
            raise SystemExit(f"no figures in department {code} ({name}): no real filter to use")
        municipality = found[0][0]
        year = time.gmtime().tm_year
        paths = ["/", "/reportes", f"/reportes?municipality={municipality}",
                 "/reportes?provider=1", f"/reportes?from={year - 1}-01-01&to={year - 1}-12-31",
                 f"/reportes/participantes?municipality={municipality}",
                 "/reportes/capacidades", f"/reportes/capacidades?capacity=2"]
        headers = {"Cookie": cookie}
        for path in paths:  # each answers (a 4xx here is the product refusing a filter)
            try:
                get(base, path, headers)
            except urllib.error.HTTPError as error:
                raise SystemExit(f"{name}'s reviewer: {path} answers {error.code}")
        readers.append((name, municipality, paths, "Cookie: " + cookie))
    departments = sorted({a[3] for a in accounts})
    ids = open_cohorts(call, "Inscripciones continuas", [[d] for d in departments], 50)
    cohort_of = dict(zip(departments, ids))
    # People in turn from every department, each once.
    by_department = {}
    for account in accounts:
        by_department.setdefault(account[3], []).append(account)
    queue = [a for group in zip(*by_department.values()) for a in group]
    total = min(len(queue), int(args.mixed_rate * args.mixed_seconds))
    writes = []

    def enrol(account):
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            connection.request("POST", f"/api/v1/cohorts/{cohort_of[account[3]]}/enrolments",
                               headers={"Authorization": f"Bearer {account[0]}",
                                        "Content-Length": "0"})
            response = connection.getresponse()
            response.read()
            status = response.status
        except OSError:
            status = 0
        finally:
            connection.close()
        writes.append((status, time.perf_counter() - started))

    wrks = [PacedWhile(base, paths, header, MIXED_READER_RATE) for _, _, paths, header in readers]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        for n in range(total):
            delay = started + n / args.mixed_rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(enrol, queue[n])
    wall = time.perf_counter() - started
    read = [w.stop() for w in wrks]
    for (name, municipality, paths, _), (rate, _, p99, failed, n) in zip(readers, read):
        extra[f"mixed run: {name} reviewer reading {len(paths)} pages with filters in turn "
              f"(municipality {municipality}, provider, period, capacity; "
              f"{MIXED_READER_RATE} reads a second, steady pace)"] = (
            f"{rate:,.0f} req/s, p99 {p99:,.1f} ms{ok(p99 < 150 and failed == 0 and n > 0)}; "
            f"{n:,} reads, {failed:,} failed")
    statuses = {}
    for status, _ in writes:
        statuses[status] = statuses.get(status, 0) + 1
    times = [s for _, s in writes]
    good = statuses.get(201, 0) == len(writes) == total
    extra[f"mixed run: writes, {args.mixed_rate:g} enrolments/s for {args.mixed_seconds:g} s "
          f"(each its own person and connection)"] = (
        f"{len(writes):,} sent at {len(writes) / wall:,.1f}/s; p50 "
        f"{percentile(times, 0.5) * 1000:,.0f} ms, p99 {percentile(times, 0.99) * 1000:,.0f} ms; "
        + ", ".join(f"{s or 'no answer'} × {n:,}" for s, n in sorted(statuses.items()))
        + ok(good))
    for k in extra:
        if k.startswith("mixed run"):
            log(engine, k, extra[k])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="1")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--engines", default="sqlite,postgres",
                        help="sqlite, postgres or both (comma-separated), measured one after "
                             "the other in this run")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432",
                        help="PostgreSQL server; the script creates aula_load_<scale> on it")
    parser.add_argument("--pg-sslmode", default="disable",
                        help="TLS to PostgreSQL: this machine's server has ssl on (self-signed), "
                             "and on loopback TLS only adds cost (generation: more than 10 min "
                             "against 82 s; pages about a tenth)")
    parser.add_argument("--only", default=None,
                        help="measure only pages whose label contains one of these "
                             "(comma-separated); skips the one-client, workbook and enrolment-day "
                             "parts unless named («workbook», «enrolment», «programme», «restart», "
                             "«mixed»)")
    parser.add_argument("--two-instances", action="store_true",
                        help="on PostgreSQL, the same pages again with a second instance")
    parser.add_argument("--skip", default="",
                        help="parts to leave out: workbooks, enrolment-day, programme-day, "
                             "uncached (also «computed», its old name), first-wave, pgbench, "
                             "mixed "
                             "(comma-separated)")
    parser.add_argument("--binary", default=None,
                        help="use this aula-territorial binary instead of building the release "
                             "one (the default)")
    parser.add_argument("--mixed-rate", type=float, default=20,
                        help="the mixed run's enrolments per second")
    parser.add_argument("--mixed-seconds", type=float, default=20,
                        help="how long the mixed run's writes flow")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for engine in engines:
        if engine not in ("sqlite", "postgres"):
            raise SystemExit(f"unknown engine {engine}")
    skip = set(filter(None, args.skip.split(",")))

    work = ROOT / "target" / f"load-national-{args.scale}"
    work.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    # 2,000 connections at once, on both sides (the server inherits the limit).
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        wanted = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    if args.binary:
        binary = Path(args.binary).resolve()
        if not binary.exists():
            raise SystemExit(f"{binary} does not exist")
    else:
        run(["cargo", "build", "--release", "--quiet", "--bin", "aula-territorial"], cwd=ROOT)
        binary = ROOT / "target" / "release" / "aula-territorial"

    pages_by_engine, extra_by_engine, two = {}, {}, {}
    missed = None
    try:
        measure_all(args, engines, skip, work, binary, pages_by_engine, extra_by_engine, two)
    finally:
        missed = report(args, engines, work, pages_by_engine, extra_by_engine, two)
    if missed:
        print(f"{len(missed)} measurement(s) missed the target of {TARGET_MS} ms:",
              file=sys.stderr)
        for miss in missed:
            print(f"  ✘ {miss}", file=sys.stderr)
        sys.exit(1)


def measure_all(args, engines, skip, work, binary, pages_by_engine, extra_by_engine, two):
    generation = {}
    extra_by_engine["_generation"] = generation
    accounts_cache = {}
    wanted = lambda part: not args.only or part in args.only
    for engine in engines:
        url, env, generated = prepare(engine, args, work, binary)
        if generated is not None:
            generation[engine] = generated
        server = Server(binary, env)
        rows, extra = {}, {}
        pages_by_engine[engine], extra_by_engine[engine] = rows, extra
        try:
            bearer, pages = measure_pages(args, engine, url, server, work, rows)
            if "uncached" not in skip and "computed" not in skip:
                uncached = {}
                extra["_uncached"] = uncached
                measure_uncached(args, binary, env, work, pages, uncached)
            if "first-wave" not in skip:
                waves = {}
                extra["_first_wave"] = waves
                server = measure_first_waves(args, binary, env, server, pages, waves)
            if not args.only or "restart" in args.only:
                server = measure_restarts(engine, url, binary, env, server, pages, extra)
            if not args.only:
                measure_one_client(args, server.base, bearer, extra)
            if not args.only or "workbook" in args.only:
                if "workbooks" not in skip:
                    body, median = measure_workbooks(server.base, bearer, server, extra)
                    extra_by_engine.setdefault("_workbook", (body, median))
            day = "enrolment-day" not in skip and wanted("enrolment")
            tps = None
            if day and engine == "postgres" and "pgbench" not in skip:
                tps = pgbench_tps(args, extra)
            if day:
                enrolment_day(args, engine, url, binary, env, work, [server], extra,
                              accounts_cache, tps)
            if "programme-day" not in skip and wanted("programme"):
                programme_day(args, engine, url, binary, env, work, server, extra,
                              accounts_cache)
            if args.two_instances and engine == "postgres":
                measure_two_instances(args, binary, env, work, pages, server, two)
                if day:
                    second = Server(binary, env, "serve-2")
                    try:
                        enrolment_day(args, engine, url, binary, env, work, [server, second],
                                      extra, accounts_cache, tps,
                                      prefix="enrolment day, two instances",
                                      baseline=False)
                    finally:
                        second.stop()
            if "mixed" not in skip and wanted("mixed"):
                mixed_run(args, engine, url, binary, env, work, server, extra, accounts_cache)
        finally:
            server.stop()
            for key, value in extra.items():
                log(engine, key, value)


def report(args, engines, work, pages_by_engine, extra_by_engine, two):
    generation = extra_by_engine.pop("_generation", {})
    workbook = extra_by_engine.pop("_workbook", None)
    engines = [e for e in engines if e in pages_by_engine]
    if not engines:
        return
    peers = {}
    if workbook:
        python = ensure_python_peers(work)
        with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as f:
            f.write(workbook[0])
        out = subprocess.run([str(python), str(ROOT / "scripts" / "xlsx_peers.py"), f.name],
                             check=True, capture_output=True, text=True).stdout
        os.unlink(f.name)
        for line in out.strip().splitlines():
            name, seconds = line.split("\t")
            peers[name] = float(seconds)

    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                         capture_output=True, text=True).stdout.strip()
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    served = f"`serve` of {args.binary}" if getattr(args, "binary", None) else "release `serve`"
    text = [f"scale {args.scale}, {served}, wrk -t2 -c{args.connections} "
            f"-d{args.seconds}s, engines measured one after the other in this run; "
            f"{os.cpu_count()} cores ({cpu})", ""]
    uncached = {e: extra_by_engine[e].pop("_uncached", {}) for e in engines}
    waves = {e: extra_by_engine[e].pop("_first_wave", {}) for e in engines}
    c = args.connections
    head = "| page | " + " | ".join(
        f"{names[e]} req/s | {names[e]} kept p99 | {names[e]} uncached p99 | "
        f"{names[e]} first-wave p99" for e in engines) + " |"
    labels = [l for l in pages_by_engine[engines[0]]]
    if labels:  # none when --only names no page (e.g. «enrolment»)
        text += [f"{c} clients. kept: the server as configured, after one warm-up visit; "
                 f"uncached: a server with `dashboard_cache_seconds = 0` (nothing kept); "
                 f"first wave: {c} first visitors at once right after a restart with every "
                 f"kept value three days old (a Monday morning), one restart per page. Each "
                 f"p99 with its answers counted in brackets (kept and uncached: at least "
                 f"{MIN_SAMPLES}). A row is ✘ when a p99 is {TARGET_MS} ms or more "
                 f"or any answer failed (error status, redirect to /ingresar, socket error or "
                 f"timeout)", "", head, "|---|" + "---|---|---|---|" * len(engines)]
    missed = []

    def cell(found, good):
        if found is None:
            return "—"
        p99, bad, samples = found
        return (f"{p99:.1f} ms ({samples:,})" + (f", {bad:,} failed" if bad else "")
                + ("" if good else " ✘"))

    for label in labels:
        cells, row_good = [], True
        for engine in engines:
            rate, p50, p99, bad, samples = pages_by_engine[engine].get(label, (0, 0, 0, 0, 0))
            floor = label.startswith("floor")
            found = [(p99, bad, samples), uncached[engine].get(label), waves[engine].get(label)]
            goods = [f is None or floor or (f[0] < TARGET_MS and f[1] == 0) for f in found]
            row_good = row_good and all(goods)
            cells += [f"{rate:,.0f}"] + [cell(f, g) for f, g in zip(found, goods)]
            for name, f, g in zip(("kept", "uncached", "first wave"), found, goods):
                if not g:
                    missed.append(f"{names[engine]} {name}: {label} ({f[0]:.1f} ms"
                                  + (f", {f[1]:,} failed" if f[1] else "") + ")")
        mark = "" if label.startswith("floor") else (" ✔" if row_good else " ✘")
        text.append(f"| {label}{mark} | " + " | ".join(cells) + " |")
    if labels:
        text += ["", (f"rows that missed their target ({TARGET_MS} ms): " + "; ".join(missed))
                 if missed else f"every row met its target ({TARGET_MS} ms)"]
    keys = []
    for engine in engines:
        keys += [k for k in extra_by_engine[engine] if k not in keys]
    # Issue 50: the enrolment day opens the table (pgbench's rate first, which it is set
    # against), then the same day through two instances, then the mixed run; the rest after.
    rank = lambda k: (0 if k.startswith("pgbench") else
                      2 if k.startswith("enrolment day, two instances") else
                      1 if k.startswith("enrolment day") or k.startswith("programme day") else
                      3 if k.startswith("mixed run") else 4)
    keys.sort(key=rank)
    if keys:
        text += ["", "| measurement | " + " | ".join(names[e] for e in engines) + " |",
                 "|---|" + "---|" * len(engines)]
        for key in keys:
            text.append(f"| {key} | " + " | ".join(extra_by_engine[e].get(key, "—")
                                                   for e in engines) + " |")
    if generation:
        text += ["", "synthetic country generated in " + ", ".join(
            f"{names[e]} {s:,.0f} s" for e, s in generation.items())]
    if workbook:
        ours = workbook[1]
        text += ["", f"workbook over HTTP (median, first engine): {ours * 1000:,.0f} ms"]
        for name, seconds in peers.items():
            text.append(f"peer {name}: {seconds * 1000:,.0f} ms ({seconds / ours:.1f}× ours)")
    if two:
        text += ["", "PostgreSQL, one instance against two (each driven by half the clients)",
                 "", "| page | one: req/s | one: p99 | two: req/s | two: p99 |",
                 "|---|---|---|---|---|"]
        cold = two.pop("_cold", None)
        for label, (rate, _, p99, bad) in two.items():
            one = pages_by_engine["postgres"].get(label, (0, 0, 0, 0))
            text.append(f"| {label} | {one[0]:,.0f} | {one[2]:.1f} ms | {rate:,.0f} | "
                        f"{p99:.1f} ms |")
        if cold:
            text += ["", f"cold start: 32 first visits at once to /reportes (Antioquia reviewer) "
                         f"on the instance just started: median {cold[0]}, slowest {cold[1]}"]
    text = "\n".join(text) + "\n"
    (work / "results.md").write_text(text)
    print(text)
    return missed


if __name__ == "__main__":
    main()
