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

Usage:  scripts/load_national.py [--scale 1] [--seconds 10] [--connections 32] [--only TEXT]
Writes a Markdown table to target/load-national-<scale>/results.md and prints it.
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


def wrk(url, header, seconds, connections, body=None, work=None):
    """(requests/s, p50 ms, p99 ms, non-2xx) from wrk's --latency report. With `body`, every
    request is a POST of that JSON (through a small Lua script written to `work`)."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "60s"]
    if header:
        cmd += ["-H", header]
    if body is not None:
        script = Path(work) / "post.lua"
        script.write_text('wrk.method = "POST"\n'
                          'wrk.headers["Content-Type"] = "application/json"\n'
                          f"wrk.body = [==[{body}]==]\n")
        cmd += ["-s", str(script)]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout

    def ms(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, ms("50"), ms("99"), int(bad.group(1)) if bad else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="1")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", default=None,
                        help="measure only pages whose label contains one of these (comma-separated)")
    args = parser.parse_args()

    work = ROOT / "target" / f"load-national-{args.scale}"
    work.mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    run(["cargo", "build", "--release", "--quiet", "--bin", "aula-territorial"], cwd=ROOT)
    binary = ROOT / "target" / "release" / "aula-territorial"
    database = work / "aula.sqlite3"
    env = dict(os.environ,
               LOAD_WORK=str(work),
               ROCKET_PROFILE="release",
               ROCKET_DATABASE_URL=f"sqlite://{database}?mode=rwc",
               ROCKET_DEMO_DATA="true",
               ROCKET_MAIL_POLL_SECONDS="0",
               ROCKET_JOBS_POLL_SECONDS="0",
               ROCKET_CREDENTIALS_KEY_FILE=str(work / "credentials-key"),
               ROCKET_SECRET_KEY=os.environ.get("ROCKET_SECRET_KEY")
               or "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=")
    if not database.exists():
        started = time.perf_counter()
        run([str(binary), "seed", "--synthetic", "national", "--scale", args.scale], env=env,
            cwd=work)
        log(f"synthetic country generated in {time.perf_counter() - started:.1f} s")
        subprocess.run([str(binary), "create-user", "--role", "reviewer", "--email", REVIEWER[0],
                        "--password", REVIEWER[1], "--full-name", "Revisora de Antioquia",
                        "--department", ANTIOQUIA], env=env, cwd=work, check=False)

    server = Server(binary, env)
    rows = []
    try:
        base = server.base
        staff = "Cookie: " + sign_in(base, *COORDINATOR)
        reviewer = "Cookie: " + sign_in(base, *REVIEWER)
        token = api_token(base, *COORDINATOR)
        reviewer_token = api_token(base, *REVIEWER)
        bearer = {"Authorization": f"Bearer {token}"}
        listing = json.loads(get(base, "/api/v1/cohorts?municipality=05001&per_page=1",
                                 bearer)[0])
        cohort = listing["items"][0]["id"] if listing["items"] else 1
        # The public page shows cohorts open for enrolment; the synthetic country's are closed,
        # so one of the demo's open cohorts stands in.
        public = json.loads(get(base, "/api/v1/cohorts?status=open&per_page=1", bearer)[0])
        public_cohort = public["items"][0]["id"] if public["items"] else cohort
        pages = [
            ("floor: static stylesheet", "/static/app.css", None),
            ("roster of a cohort", f"/cohortes/{cohort}/inscritos", staff),
            ("public cohort page (an open cohort)", f"/cohortes/{public_cohort}", None),
            ("coordinator's cohort workspace", f"/coordinacion/cohortes/{cohort}", staff),
            ("municipality page, Medellín", "/municipios/05001", staff),
            ("coordinator dashboard (national)", "/", staff),
            ("reviewer dashboard (Antioquia)", "/", reviewer),
            ("reports page /reportes (Antioquia reviewer)", "/reportes", reviewer),
            ("capacity grid /reportes/capacidades (Antioquia)", "/reportes/capacidades",
             reviewer),
            ("participants /reportes/participantes (Antioquia)", "/reportes/participantes",
             reviewer),
            ("municipality page with impact charts, El Paujíl", "/municipios/18256", staff),
            ("«¿Dónde formar?» /reportes/prioridades (movilización, national)",
             "/reportes/prioridades?capacidad=2", staff),
            ("priorities JSON, national top 50 (movilización)",
             "/api/v1/reports/priorities?capacity=2", "Authorization: Bearer " + token),
            ("municipality impact JSON, El Paujíl", "/api/v1/municipalities/18256/impact",
             "Authorization: Bearer " + token),
            # Issue 17: the satisfaction report of one department (the reviewer's, and the
            # coordinator's with the department filter, which also reads the other
            # departments' answers of the same cohorts for the suppression rule).
            ("satisfaction report JSON, Antioquia reviewer",
             "/api/v1/reports/satisfaction?by=cohort", "Authorization: Bearer " + reviewer_token),
            ("satisfaction report JSON, coordinator, department=Antioquia",
             f"/api/v1/reports/satisfaction?department={ANTIOQUIA}&by=cohort",
             "Authorization: Bearer " + token),
            ("satisfaction page /reportes/satisfaccion (Antioquia reviewer, by quarter)",
             "/reportes/satisfaccion?por=quarter", reviewer),
            ("satisfaction report JSON, national by quarter (coordinator)",
             "/api/v1/reports/satisfaction?by=quarter", "Authorization: Bearer " + token),
            # Issue 32: the alliance's view over every provider's offer in Antioquia (the
            # synthetic country spreads its cohorts over five providers).
            ("offer view /reportes/oferta (Antioquia reviewer, 5 providers)", "/reportes/oferta",
             reviewer),
            ("offer JSON, Antioquia (coordinator)",
             f"/api/v1/reports/offer?department={ANTIOQUIA}", "Authorization: Bearer " + token),
            ("Antioquia report JSON, 32 clients",
             f"/api/v1/reports/attendance?department={ANTIOQUIA}&per_page=500",
             "Authorization: Bearer " + token),
        ]
        # Issue 19: credentials of list 1 (certificate ids 1–131,072); 100 of its certificates
        # revoked through the API first (again: 409, nothing changes), so the list has bits set.
        admin_bearer = {"Authorization": f"Bearer {api_token(base, *ADMIN)}"}
        import sqlite3
        with sqlite3.connect(database) as con:
            codes = [r[0] for r in con.execute(
                "SELECT code FROM certificates WHERE id <= 131072 ORDER BY id LIMIT 200")]
            certificates = con.execute("SELECT count(*) FROM certificates").fetchone()[0]
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
            try:  # warm-up; wrk counts the answers that are not 2xx/3xx
                request = urllib.request.Request(
                    base + path, data=body.encode() if body else None,
                    headers=dict([header.split(": ", 1)]) if header else
                    ({"Content-Type": "application/json"} if body else {}))
                urllib.request.urlopen(request, timeout=600).read()
            except urllib.error.HTTPError as error:
                log(label, f"answers {error.code}")
            rate, p50, p99, bad = wrk(base + path, header, args.seconds, args.connections,
                                      body, work)
            if rate == 0 or p99 == 0:
                rows.append((label, "0 req/s", "—", "—",
                             f"no request completed in {args.seconds} s"))
            else:
                rows.append((label, f"{rate:,.1f} req/s", f"{p50:.1f} ms", f"{p99:.1f} ms",
                             f"{bad} not 2xx/3xx" if bad else ""))
            log(label, rows[-1][1:])

        indicators = json.loads(get(base, "/api/v1/indicators?per_page=500", bearer)[0])["items"]
        idf = next(i["id"] for i in indicators if i["code"] == "idf_puntaje")
        comparison = (f"/api/v1/reports/impact?capacity=2&indicator={idf}"
                      "&from_year=2023&to_year=2025")
        body, _ = get(base, comparison, bearer)
        municipalities = len(json.loads(body)["rows"])
        one = sorted(get(base, comparison, bearer)[1] for _ in range(5))[2]
        rows.append((f"ESAP comparison JSON, {municipalities} municipalities, one client "
                     "(median of 5)", "", f"{one * 1000:.0f} ms", "", ""))
        log(rows[-1])
        # Issue 16: the national overlap report over every cohort of the country.
        overlaps = "/api/v1/reports/overlaps"
        body, _ = get(base, overlaps, bearer)
        pairs = json.loads(body)["total"]
        one = sorted(get(base, overlaps, bearer)[1] for _ in range(5))[2]
        rows.append((f"overlap report JSON, every cohort of the country ({pairs:,} pairs), "
                     "one client (median of 5)", "", f"{one * 1000:.0f} ms", "", ""))
        log(rows[-1])
        if not args.only:
            json_path = f"/api/v1/reports/attendance?department={ANTIOQUIA}&per_page=500"
            one = sorted(get(base, json_path, bearer)[1] for _ in range(5))[2]
            rows.append(("Antioquia report JSON, one client (median of 5)", "",
                         f"{one * 1000:.0f} ms", "", ""))
            xlsx_path = f"/api/v1/reports/attendance.xlsx?department={ANTIOQUIA}"
            times = []
            body = b""
            for _ in range(15):
                body, seconds = get(base, xlsx_path, bearer)
                times.append(seconds)
            rss, hwm = server.memory()
            rows.append(("Antioquia .xlsx over HTTP (median of 15)", "",
                         f"{sorted(times)[7] * 1000:.0f} ms", "",
                         f"{len(body) / 1e6:.1f} MB"))
            rows.append(("server memory after 15 workbooks (VmRSS / VmHWM)", "",
                         f"{rss} MB", f"{hwm} MB", ""))
            threads = [threading.Thread(target=get, args=(base, xlsx_path, bearer))
                       for _ in range(4)]
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
            rows.append(("server memory after 4 workbooks at once (VmRSS / VmHWM)", "",
                         f"{rss} MB", f"{hwm} MB", ""))
            if health:
                rows.append(("/health while 4 workbooks are built: worst", "",
                             f"{max(health) * 1000:.0f} ms", "", f"{len(health)} probes"))
            python = ensure_python_peers(work)
            with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as f:
                f.write(body)
            peers = subprocess.run([str(python), str(ROOT / "scripts" / "xlsx_peers.py"), f.name],
                                   check=True, capture_output=True, text=True).stdout
            for line in peers.strip().splitlines():
                name, seconds = line.split("\t")
                rows.append((f"peer: the same cells written by {name}", "",
                             f"{float(seconds) * 1000:.0f} ms", "", ""))
            os.unlink(f.name)
    finally:
        server.stop()

    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                         capture_output=True, text=True).stdout.strip()
    table = [f"scale {args.scale}, SQLite, release `serve`, wrk -t2 -c{args.connections} "
             f"-d{args.seconds}s; {os.cpu_count()} cores ({cpu})", "",
             "| measurement | throughput | p50 / value | p99 | note |", "|---|---|---|---|---|"]
    table += [f"| {' | '.join(r)} |" for r in rows]
    text = "\n".join(table) + "\n"
    (work / "results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
