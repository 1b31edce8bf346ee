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

Issue 36: both engines in one run (`--engines sqlite,postgres`, the default; PostgreSQL at
`--pg-url`, database aula_load_<scale> created there and kept), the demand map and overlap
pages, and the enrolment day: 2,000 synthetic people with their own API tokens (`seed
--synthetic accounts`) each sending one enrolment at the same moment into 20 cohorts of 50
seats. Issue 34: `--two-instances` measures the same pages on PostgreSQL with a second
instance, each driven by half the clients.

Usage:  scripts/load_national.py [--scale 1] [--seconds 10] [--connections 32] [--only TEXT]
                                 [--engines sqlite,postgres] [--pg-url URL] [--two-instances]
                                 [--skip workbooks,enrolment-day]
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
    def __init__(self, binary, env):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(env, ROCKET_PORT=str(self.port), ROCKET_ADDRESS="127.0.0.1",
                   ROCKET_LOG_LEVEL="critical", RUST_LOG="warn")
        self.log = open(Path(env["LOAD_WORK"]) / "serve.log", "w")
        self.proc = subprocess.Popen([str(binary), "serve"], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        for _ in range(600):
            try:
                urllib.request.urlopen(self.base + "/health", timeout=2).read()
                return
            except Exception:
                if self.proc.poll() is not None:
                    raise SystemExit("serve stopped; see serve.log")
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


def wrk(url, header, seconds, connections, body=None, work=None):
    """(requests/s, p50 ms, p99 ms, failures) from wrk's --latency report. Failures are the
    answers with an error status, the redirects to /ingresar and the socket errors and
    timeouts; any failure marks the row ✘. With `body`, every request is a POST of that JSON."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "60s"]
    if header:
        cmd += ["-H", header]
    script = Path(work or tempfile.gettempdir()) / f"aula-wrk-{os.getpid()}.lua"
    lua = WRK_LUA
    if body is not None:
        lua += ('wrk.method = "POST"\n'
                'wrk.headers["Content-Type"] = "application/json"\n'
                f"wrk.body = [==[{body}]==]\n")
    script.write_text(lua)
    cmd += ["-s", str(script)]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout

    def ms(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    counted = re.search(r"AULA failed=(\d+) to_sign_in=(\d+)", out)
    failed = int(counted.group(1)) + int(counted.group(2)) if counted else 0
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        out)
    if sockets:
        failed += sum(int(n) for n in sockets.groups())
    return rate, ms("50"), ms("99"), failed


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
        rate, p50, p99, bad = wrk(base + path, header, args.seconds, args.connections, body, work)
        rows[label] = (rate, p50, p99, bad)
        log(engine, label, f"{rate:,.1f} req/s p50 {p50:.1f} ms p99 {p99:.1f} ms",
            f"{bad} failed" if bad else "")
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


def measure_computed(args, binary, env, pages, computed):
    """Each page's cost without the kept pages (issue 50): the same server with nothing kept
    (`dashboard_cache_seconds = 0`), one client, the median of five visits — what the first
    reader after a version change waits for a kept page, once per scope."""
    server = Server(binary, dict(env, ROCKET_DASHBOARD_CACHE_SECONDS="0"))
    try:
        for label, path, header, *post in pages:
            if args.only and not any(o in label for o in args.only.split(",")):
                continue
            body = post[0].encode() if post else None
            headers = dict([header.split(": ", 1)]) if header else {}
            if body:
                headers["Content-Type"] = "application/json"
            times = []
            for _ in range(5):
                request = urllib.request.Request(server.base + path, data=body, headers=headers)
                started = time.perf_counter()
                try:
                    urllib.request.urlopen(request, timeout=600).read()
                except urllib.error.HTTPError:
                    pass
                times.append(time.perf_counter() - started)
            computed[label] = sorted(times)[2] * 1000
    finally:
        server.stop()


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
    second = Server(binary, env)
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


def enrolment_day(args, engine, binary, env, work, base, extra):
    """Issue 36: 20 cohorts open at once to 2,000 people, each sending one enrolment request
    at the same moment over HTTP (its own account). Seats 50 per cohort: exactly 50 enrolled
    and 50 waitlisted in each, whatever the interleaving."""
    import asyncio
    accounts_file = work / f"accounts-{engine}.tsv"
    run([str(binary), "seed", "--synthetic", "accounts", "--departments", "20",
         "--per-department", "100", "--out", str(accounts_file)], env=env, cwd=work)
    accounts = [line.split("\t") for line in accounts_file.read_text().splitlines()]
    token = api_token(base, *COORDINATOR)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(method, path, body=None):
        request = urllib.request.Request(base + path, method=method, headers=headers,
                                         data=json.dumps(body).encode() if body else None)
        try:
            return json.loads(urllib.request.urlopen(request, timeout=120).read() or b"null")
        except urllib.error.HTTPError as error:
            raise SystemExit(f"{method} {path}: {error.code} {error.read().decode()}")

    # One of ESAP's courses (the coordinator schedules ESAP's offer only).
    course = next(c["id"] for c in call("GET", "/api/v1/courses?per_page=500")["items"]
                  if c["provider"]["id"] == 1 and not c["retired"])
    # Dates as the server reads them: Bogotá's calendar (UTC−5, no daylight saving), not the
    # machine's (in UTC the next day starts at 19:00 in Colombia, and a cohort dated so would
    # not open until tomorrow).
    bogota = lambda days: time.gmtime(time.time() - 5 * 3600 + days * 86400)
    today = time.strftime("%Y-%m-%d", bogota(0))
    later = lambda days: time.strftime("%Y-%m-%d", bogota(days))
    cohort_of = {}
    stamp = int(time.time())
    for department in sorted({a[3] for a in accounts}):
        created = call("POST", "/api/v1/cohorts", {
            "course_id": course, "name": f"Día de inscripción {department} {stamp}",
            "modality": "presencial", "venue": "Sede de la dirección territorial",
            "start_date": later(30), "end_date": later(60), "enrolment_opens": today,
            "enrolment_closes": later(20), "seats": 50, "municipality_codes": [],
            "department_codes": [department], "instructor_ids": []})
        call("POST", f"/api/v1/cohorts/{created['id']}/sessions", {
            "starts_at": f"{later(30)}T09:00:00-05:00", "ends_at": f"{later(30)}T12:00:00-05:00",
            "topic": "Apertura", "location": "Sede"})
        call("PATCH", f"/api/v1/cohorts/{created['id']}", {"status": "open"})
        cohort_of[department] = created["id"]
    host, port = "127.0.0.1", int(base.rsplit(":", 1)[1])

    async def enrol(account, gate):
        cohort = cohort_of[account[3]]
        request = (f"POST /api/v1/cohorts/{cohort}/enrolments HTTP/1.1\r\nHost: {host}\r\n"
                   f"Authorization: Bearer {account[0]}\r\nContent-Length: 0\r\n"
                   "Connection: close\r\n\r\n").encode()
        reader, writer = await asyncio.open_connection(host, port)
        await gate.wait()
        started = time.perf_counter()
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()
        writer.close()
        return int(status_line.split()[1]), time.perf_counter() - started

    async def day():
        gate = asyncio.Event()
        tasks = [asyncio.create_task(enrol(a, gate)) for a in accounts]
        await asyncio.sleep(1.0)  # every connection open before the gate opens
        started = time.perf_counter()
        gate.set()
        results = await asyncio.gather(*tasks)
        return results, time.perf_counter() - started

    results, wall = asyncio.run(day())
    times = sorted(t for _, t in results)
    statuses = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    over = 0
    enrolled = waitlisted = 0
    # Issue 50: the report figures follow a write within 2 s (the figures worker); read them
    # after that bound and compare them with the rosters.
    time.sleep(2.0)
    behind = 0
    for cohort in cohort_of.values():
        items = call("GET", f"/api/v1/cohorts/{cohort}/enrolments?per_page=500")["items"]
        e = sum(1 for i in items if i["status"] == "enrolled")
        w = sum(1 for i in items if i["status"] == "waitlisted")
        enrolled += e
        waitlisted += w
        over += e > 50
        report = call("GET", f"/api/v1/reports/attendance?cohort={cohort}&per_page=500")
        behind += sum(row["enrolled"] for row in report["items"]) != e
    pct = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000
    extra["enrolment day: 2,000 requests at once into 20 cohorts of 50 seats"] = (
        f"{len(results) / wall:,.0f} req/s over {wall:.1f} s; p50 {pct(0.5):,.0f} ms, "
        f"p99 {pct(0.99):,.0f} ms; answers {dict(sorted(statuses.items()))}; "
        f"{enrolled:,} enrolled, {waitlisted:,} waitlisted, {over} cohorts overbooked; "
        f"{behind} cohorts' report figures behind their roster 2 s after the burst")
    log(engine, "enrolment day", extra["enrolment day: 2,000 requests at once into 20 cohorts "
                                      "of 50 seats"])


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
                             "parts unless named («workbook», «enrolment», «restart»)")
    parser.add_argument("--two-instances", action="store_true",
                        help="on PostgreSQL, the same pages again with a second instance")
    parser.add_argument("--skip", default="",
                        help="parts to leave out: workbooks, enrolment-day, computed "
                             "(comma-separated)")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for engine in engines:
        if engine not in ("sqlite", "postgres"):
            raise SystemExit(f"unknown engine {engine}")
    skip = set(filter(None, args.skip.split(",")))

    work = ROOT / "target" / f"load-national-{args.scale}"
    work.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    run(["cargo", "build", "--release", "--quiet", "--bin", "aula-territorial"], cwd=ROOT)
    binary = ROOT / "target" / "release" / "aula-territorial"

    pages_by_engine, extra_by_engine, two = {}, {}, {}
    try:
        measure_all(args, engines, skip, work, binary, pages_by_engine, extra_by_engine, two)
    finally:
        report(args, engines, work, pages_by_engine, extra_by_engine, two)


def measure_all(args, engines, skip, work, binary, pages_by_engine, extra_by_engine, two):
    generation = {}
    extra_by_engine["_generation"] = generation
    for engine in engines:
        url, env, generated = prepare(engine, args, work, binary)
        if generated is not None:
            generation[engine] = generated
        server = Server(binary, env)
        rows, extra = {}, {}
        pages_by_engine[engine], extra_by_engine[engine] = rows, extra
        try:
            bearer, pages = measure_pages(args, engine, url, server, work, rows)
            if "computed" not in skip:
                server.stop()
                computed = {}
                extra["_computed"] = computed
                measure_computed(args, binary, env, pages, computed)
                server = Server(binary, env)
            if not args.only or "restart" in args.only:
                server = measure_restarts(engine, url, binary, env, server, pages, extra)
            if not args.only:
                measure_one_client(args, server.base, bearer, extra)
            if not args.only or "workbook" in args.only:
                if "workbooks" not in skip:
                    body, median = measure_workbooks(server.base, bearer, server, extra)
                    extra_by_engine.setdefault("_workbook", (body, median))
            if "enrolment-day" not in skip and (not args.only or "enrolment" in args.only):
                enrolment_day(args, engine, binary, env, work, server.base, extra)
            if args.two_instances and engine == "postgres":
                measure_two_instances(args, binary, env, work, pages, server, two)
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
    text = [f"scale {args.scale}, release `serve`, wrk -t2 -c{args.connections} "
            f"-d{args.seconds}s, engines measured one after the other in this run; "
            f"{os.cpu_count()} cores ({cpu})", ""]
    computed = {e: extra_by_engine[e].pop("_computed", {}) for e in engines}
    head = "| page (32 clients) | " + " | ".join(
        f"{names[e]} req/s | {names[e]} p99 | {names[e]} computed" for e in engines) + " |"
    text += ["computed: the page with nothing kept, one client, median of five visits (what "
             "the first reader after a change waits); a row is ✘ when its p99 is 100 ms or "
             "more or any answer failed (error status, redirect to /ingresar, socket error or "
             "timeout)", "", head, "|---|" + "---|---|---|" * len(engines)]
    labels = [l for l in pages_by_engine[engines[0]]]
    for label in labels:
        cells = []
        for engine in engines:
            rate, p50, p99, bad = pages_by_engine[engine].get(label, (0, 0, 0, 0))
            good = p99 < 100 and bad == 0
            mark = "" if label.startswith("floor") else (" ✔" if good else " ✘")
            cells += [f"{rate:,.0f}", f"{p99:.1f} ms{mark}" + (f" ({bad:,} failed)"
                                                               if bad else ""),
                      f"{computed[engine][label]:,.1f} ms" if label in computed[engine]
                      else "—"]
        text.append(f"| {label} | " + " | ".join(cells) + " |")
    keys = []
    for engine in engines:
        keys += [k for k in extra_by_engine[engine] if k not in keys]
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


if __name__ == "__main__":
    main()
