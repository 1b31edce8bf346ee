#!/usr/bin/env python3
"""Two Aula Territorial instances on one PostgreSQL database, behind a loopback proxy (issue 34).

Starts both instances of the `serve` binary at the same moment on a fresh database (the debug
profile: demo data), a round-robin reverse proxy and an SMTP sink, all on this machine, then
checks with a short mixed load that they behave as one:

  * both prepared the database together (nothing duplicated) and answer /ready;
  * a form (CSRF) and a session of one instance are accepted by the other, and the sign-in
    throttle counts across both;
  * a change made through one (an indicator turned around) shows at once on the other's
    priorities (its cache was filled before);
  * a credential signed by one verifies on the other, and did.json is the same on both;
  * under a mixed load through the proxy nothing answers 5xx, and every email of the run
    (outbox rows) reaches the SMTP sink exactly once;
  * /metrics answers in Prometheus format to this machine through the proxy, 404 to another
    address, and exactly one instance holds the periodic jobs' lease;
  * SIGTERM to one instance finishes the requests in flight, it exits cleanly, and the other
    takes the periodic jobs over; every log line of both is JSON.

Python's standard library only. `.ci/instances` creates and drops the database and calls:

    python3 scripts/instances.py --binary target/debug/aula-territorial \\
        --database-url postgres://postgres@127.0.0.1:5432/aula_instances
"""

import argparse
import collections
import http.client
import http.server
import itertools
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

STARTED = time.monotonic()
COORDINATOR = ("coordinacion@aulaterritorial.example", "Coordina-Aula-2026")
ADMIN = ("admin@aulaterritorial.example", "Admin-Aula-2026")
PARTICIPANT = ("participante@aulaterritorial.example", "Participa-Aula-2026")


def say(message):
    print(f"[{time.monotonic() - STARTED:6.1f} s] {message}", flush=True)


def fail(message):
    print(f"FAILED: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def check(condition, message):
    if not condition:
        fail(message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- an SMTP sink: every message kept with its Message-ID -------------------------------------


class SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        self.reply("220 sumidero.local ESMTP")
        recipients = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-sumidero.local\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                self.wfile.flush()
            elif verb == "HELO":
                self.reply("250 sumidero.local")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while True:
                    chunk = self.rfile.readline()
                    if not chunk or chunk in (b".\r\n", b".\n"):
                        break
                    data.append(chunk)
                self.server.store(recipients, b"".join(data).decode("utf-8", "replace"))
                self.reply("250 OK: queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:  # RSET, NOOP and anything else
                self.reply("250 OK")


class SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port):
        super().__init__(("127.0.0.1", port), SmtpHandler)
        self.lock = threading.Lock()
        self.messages = []

    def store(self, recipients, raw):
        match = re.search(r"^Message-ID:\s*(<[^>]+>)", raw, re.MULTILINE | re.IGNORECASE)
        with self.lock:
            self.messages.append((tuple(recipients), match.group(1) if match else None))

    def received(self):
        with self.lock:
            return list(self.messages)


# ---- the reverse proxy: round robin, X-Forwarded-For, which upstream answered -----------------

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
    "transfer-encoding", "upgrade", "host",
}


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def forward(self):
        upstreams = self.server.upstreams
        pick = self.headers.get("X-Aula-Upstream")
        index = int(pick) if pick is not None else next(self.server.turns) % len(upstreams)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in HOP_BY_HOP and k.lower() != "x-aula-upstream"}
        client = self.client_address[0]
        earlier = self.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{earlier}, {client}" if earlier else client
        headers["Host"] = self.headers.get("Host", "")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", upstreams[index], timeout=60)
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            payload = answer.read()
            connection.close()
        except OSError as error:
            self.send_error(502, f"upstream {index}: {error}")
            return
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Aula-Upstream", str(index))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = forward


class Proxy(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port, upstreams):
        super().__init__(("127.0.0.1", port), ProxyHandler)
        self.upstreams = upstreams
        self.turns = itertools.count()


# ---- an HTTP client with the answers' cookies kept by hand ------------------------------------


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def cookies(self):
        jar = {}
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                name, _, content = pair.partition("=")
                jar[name.strip()] = content.strip()
        return jar

    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


def call(port, method, path, body=None, headers=None, pick=None, cookies=None, token=None,
         timeout=60):
    headers = dict(headers or {})
    if pick is not None:
        headers["X-Aula-Upstream"] = str(pick)
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif isinstance(body, str):
        body = body.encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    answer = Answer(response.status, response.getheaders(), response.read())
    connection.close()
    return answer


def csrf_of(html):
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    check(match, "a form with a CSRF token")
    return match.group(1)


def psql(database_url, sql):
    out = subprocess.run(["psql", database_url, "-qAt", "-F", "\t", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


# ---- the instances ------------------------------------------------------------------------------


class Instance:
    def __init__(self, name, binary, port, env, work):
        self.name = name
        self.port = port
        self.log_path = os.path.join(work, f"{name}.log")
        self.err_path = os.path.join(work, f"{name}.err")
        environment = dict(os.environ, **env, ROCKET_PORT=str(port))
        self.process = subprocess.Popen(
            [binary, "serve"], env=environment,
            stdout=open(self.log_path, "wb"), stderr=open(self.err_path, "wb"))

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def logs(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def tail(self):
        text = self.logs()[-3000:]
        with open(self.err_path, encoding="utf-8", errors="replace") as f:
            return text + f.read()[-2000:]


def wait_ready(instance, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not instance.alive():
            fail(f"{instance.name} stopped while starting:\n{instance.tail()}")
        try:
            if call(instance.port, "GET", "/ready", timeout=5).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    fail(f"{instance.name} was not ready within {seconds} s:\n{instance.tail()}")


def api_token(port, account, pick=None):
    answer = call(port, "POST", "/api/v1/tokens",
                  body={"email": account[0], "password": account[1]}, pick=pick)
    check(answer.status == 201, f"token for {account[0]}: {answer.status} {answer.text()}")
    return answer.json()["token"]


def letters(n):
    """`n` written with letters (names take no digits): 0 → «a», 27 → «bb»."""
    text = ""
    while True:
        text = chr(ord("a") + n % 26) + text
        n = n // 26 - 1
        if n < 0:
            return text


def registration(n, email_tag):
    return {
        "document_type": "CC",
        "document_number": f"1117{n:06d}",
        "first_names": "Persona",
        "last_names": f"De Carga {letters(n).capitalize()}",
        "email": f"{email_tag}{n}@example.org",
        "password": "Caqueta-2026",
        "municipality_code": "18256",
        "entity_type": "alcaldia",
        "position": "Profesional",
        "level": "profesional",
        "data_consent": True,
    }


def priorities(port, token, pick):
    answer = call(port, "GET", "/api/v1/reports/priorities?department=18&limit=100",
                  token=token, pick=pick)
    check(answer.status == 200, f"priorities: {answer.status} {answer.text()[:300]}")
    check(answer.header("X-Aula-Upstream") == str(pick), "the proxy honours the pick")
    return sorted((i["municipality_code"], i["indicator_percentile"], i["completed_recent"])
                  for i in answer.json()["items"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--load-seconds", type=float, default=15)
    parser.add_argument("--load-threads", type=int, default=6)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="aula-instances.")
    smtp_port, proxy_port = free_port(), free_port()
    ports = [free_port(), free_port()]

    sink = SmtpSink(smtp_port)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    proxy = Proxy(proxy_port, ports)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()

    # Both instances share every setting but the port; the public address is the proxy's, so
    # both sign as the same did:web. The key file does not exist: the key is the database's.
    env = {
        "ROCKET_PROFILE": "debug",
        "ROCKET_ADDRESS": "127.0.0.1",
        "ROCKET_DATABASE_URL": args.database_url,
        "ROCKET_PUBLIC_URL": f"http://127.0.0.1:{proxy_port}",
        "ROCKET_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "ROCKET_MAIL_POLL_SECONDS": "1",
        "ROCKET_JOBS_POLL_SECONDS": "2",
        "ROCKET_TRUSTED_PROXIES": '["127.0.0.1"]',
        "ROCKET_LOG_FORMAT": "json",
        "ROCKET_CREDENTIALS_KEY_FILE": os.path.join(work, "no-key-file"),
        "ROCKET_MAIL_DIR": os.path.join(work, "mail"),
        "RUST_LOG": "info,sqlx=warn,sea_orm=warn",
    }
    say(f"starting two instances together on {args.database_url.rsplit('/', 1)[-1]} "
        f"(ports {ports[0]} and {ports[1]}), proxy on {proxy_port}, SMTP sink on {smtp_port}")
    instances = [Instance(f"instance-{i}", binary, port, env, work) for i, port in enumerate(ports)]
    try:
        run_checks(args, instances, proxy_port, sink)
    except BaseException:
        for instance in instances:
            print(f"---- {instance.name} (last lines) ----\n{instance.tail()}", file=sys.stderr)
        print(f"logs kept in {work}", file=sys.stderr)
        raise
    finally:
        for instance in instances:
            instance.stop()
        proxy.shutdown()
        sink.shutdown()
    shutil.rmtree(work, ignore_errors=True)
    say("green: two instances behave as one")


def run_checks(args, instances, proxy, sink):
    a, b = instances
    for instance in instances:
        wait_ready(instance, 180)
    say("both ready: migrations and demo data prepared once under the startup lock")
    rows = psql(args.database_url,
                "SELECT (SELECT count(*) FROM users WHERE email = 'admin@aulaterritorial.example'),"
                " (SELECT count(*) FROM credentials_keys), (SELECT count(*) FROM municipalities)")
    check(rows == [["1", "1", "1122"]], f"one demo admin, one key, 1,122 municipalities: {rows}")

    documents = [call(i.port, "GET", "/.well-known/did.json").json() for i in instances]
    check(documents[0] == documents[1], "did.json is the same on both instances")
    say(f"did.json identical on both ({documents[0]['id']})")

    # ---- a form of one, sent to the other; the session it opens, used on the first ----------
    form = call(proxy, "GET", "/ingresar", pick=0)
    jar = form.cookies()
    signed_in = call(proxy, "POST", "/ingresar", pick=1, cookies=jar,
                     headers={"Content-Type": "application/x-www-form-urlencoded"},
                     body=urllib.parse.urlencode({"csrf_token": csrf_of(form.text()),
                                                  "email": COORDINATOR[0],
                                                  "password": COORDINATOR[1]}))
    check(signed_in.status == 303, f"sign-in with the other instance's form: {signed_in.status}")
    jar.update(signed_in.cookies())
    check("aula_sesion" in jar, "a session cookie")
    page = call(proxy, "GET", "/coordinacion/cohortes", pick=0, cookies=jar)
    check(page.status == 200 and "Salir" in page.text(),
          f"the session of instance 1 on instance 0: {page.status}")
    say("CSRF form from instance 0 accepted by 1; session opened on 1 accepted by 0")

    # ---- the sign-in throttle counts across both instances ---------------------------------
    statuses = []
    for n in range(6):
        password = PARTICIPANT[1] if n == 5 else "Clave-equivocada-1"
        answer = call(proxy, "POST", "/api/v1/tokens", pick=n % 2,
                      body={"email": PARTICIPANT[0], "password": password},
                      headers={"X-Forwarded-For": "198.51.100.7"})
        statuses.append(answer.status)
    check(statuses == [401] * 5 + [429],
          f"five wrong passwords from one address, then 429 whichever instance: {statuses}")
    say("throttle shared: five failed sign-ins spread over both, the sixth (right) one waits: 429")

    # ---- a change through one instance, seen at once on the other's cached priorities -------
    staff = api_token(proxy, COORDINATOR)
    admin = api_token(proxy, ADMIN)
    before = priorities(proxy, staff, 1)
    check(before == priorities(proxy, staff, 1), "kept between two reads")
    indicators = call(proxy, "GET", "/api/v1/indicators?per_page=100", token=admin, pick=0).json()
    turned_around = [i for i in indicators["items"] if not i["unit"].startswith("categoría")]
    for indicator in turned_around:
        turned = call(proxy, "PATCH", f"/api/v1/indicators/{indicator['id']}", token=admin,
                      pick=0, body={"higher_is_better": not indicator["higher_is_better"]})
        check(turned.status == 200, f"indicator turned: {turned.status} {turned.text()[:300]}")
    after = priorities(proxy, staff, 1)
    check(after != before, "instance 1's priorities changed at once")
    check(after == priorities(proxy, staff, 0), "both instances give the same priorities")
    say(f"{len(turned_around)} indicators turned around on 0: instance 1's priorities changed")

    # ---- a credential signed by one, verified by the other ----------------------------------
    closed = call(proxy, "GET", "/api/v1/cohorts?status=closed", token=staff).json()["items"]
    check(closed, "the demo has a closed cohort")
    issued = call(proxy, "POST", f"/api/v1/cohorts/{closed[0]['id']}/certificates",
                  token=staff, pick=0)
    check(issued.status == 200, f"certificates issued: {issued.status} {issued.text()[:300]}")
    codes = [c["code"] for c in issued.json()["issued"]]
    check(codes, "certificates issued")
    credential = call(proxy, "GET", f"/api/v1/certificates/{codes[0]}/credential", pick=0)
    check(credential.status == 200, f"credential: {credential.status}")
    verdict = call(proxy, "POST", "/api/v1/credentials/verify", body=credential.json(), pick=1)
    check(verdict.status == 200 and verdict.json()["status"] == "valid",
          f"verified on the other instance: {verdict.status} {verdict.text()[:300]}")
    say(f"credential of {codes[0]} signed on 0, «valid» on 1")

    # ---- a short mixed load through the proxy ----------------------------------------------
    results = collections.Counter()
    upstreams = collections.Counter()
    problems = []
    lock = threading.Lock()
    counter = itertools.count(100)
    deadline = time.monotonic() + args.load_seconds

    def worker(seed):
        steps = itertools.cycle([
            ("GET", "/", None, None),
            ("GET", "/cohortes", None, None),
            ("GET", f"/verificar/{codes[seed % len(codes)]}", None, None),
            ("GET", "/api/v1/reports/priorities?department=50&limit=20", staff, None),
            ("GET", "/api/v1/cohorts", staff, None),
            ("GET", "/coordinacion/cohortes", None, jar),
            ("GET", f"/api/v1/certificates/{codes[0]}/credential", None, None),
            ("REGISTER", None, None, None),
        ])
        for method, path, token, cookies in steps:
            if time.monotonic() > deadline:
                return
            headers = {}
            body = None
            expected = (200,)
            if method == "REGISTER":
                n = next(counter)
                method, path = "POST", "/api/v1/registrations"
                body = registration(n, "carga")
                headers["X-Forwarded-For"] = f"203.0.113.{n % 250 + 1}"
                expected = (201, 429)
            try:
                answer = call(proxy, method, path, body=body, headers=headers, token=token,
                              cookies=cookies)
            except OSError as error:
                with lock:
                    problems.append(f"{method} {path}: {error}")
                continue
            with lock:
                results[answer.status] += 1
                upstreams[answer.header("X-Aula-Upstream")] += 1
                if answer.status not in expected:
                    problems.append(f"{method} {path}: {answer.status} {answer.text()[:200]}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.load_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    check(not problems, "unexpected answers under load:\n" + "\n".join(problems[:20]))
    check(upstreams["0"] > 0 and upstreams["1"] > 0, f"both instances served: {dict(upstreams)}")
    say(f"mixed load: {sum(results.values())} requests in {args.load_seconds:.0f} s, "
        f"statuses {dict(results)}, per instance {dict(upstreams)}")

    # ---- every email of the run delivered exactly once --------------------------------------
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pending = psql(args.database_url, "SELECT count(*) FROM outbox WHERE status = 'pending'")
        if pending == [["0"]]:
            break
        time.sleep(0.5)
    outbox = psql(args.database_url, "SELECT id, status, recipient FROM outbox ORDER BY id")
    check(outbox, "the run queued emails")
    not_sent = [row for row in outbox if row[1] != "sent"]
    check(not not_sent, f"emails not sent: {not_sent[:10]}")
    time.sleep(2.5)  # two more passes of both workers: nothing may go out again
    received = sink.received()
    ids = collections.Counter()
    for recipients, message_id in received:
        match = re.match(r"<outbox\.(\d+)\.", message_id or "")
        check(match, f"a Message-ID of the outbox: {message_id}")
        ids[match.group(1)] += 1
    twice = [i for i, n in ids.items() if n > 1]
    check(not twice, f"emails delivered more than once: {twice}")
    check(set(ids) == {row[0] for row in outbox},
          f"{len(outbox)} outbox rows, {len(ids)} distinct emails received")
    say(f"emails: {len(outbox)} queued by both instances, each received exactly once")

    # ---- metrics and readiness ---------------------------------------------------------------
    held = []
    for pick in (0, 1):
        metrics = call(proxy, "GET", "/metrics", pick=pick)
        check(metrics.status == 200, f"/metrics from this machine through the proxy: {metrics.status}")
        text = metrics.text()
        for needle in ("aula_http_requests_total{method=\"GET\",route=\"/\",status=\"200\"}",
                       "aula_http_request_duration_seconds_bucket",
                       "aula_outbox_emails{status=\"pending\"} 0",
                       "aula_figures_flush_seconds_count",
                       "aula_db_pool_connections{state=\"in_use\"}"):
            check(needle in text, f"{needle} in /metrics of instance {pick}")
        held.append("aula_job_lease_held{job=\"periodic\"} 1" in text)
        check(call(proxy, "GET", "/ready", pick=pick).status == 200, "/ready through the proxy")
    check(held.count(True) == 1, f"exactly one instance holds the periodic jobs: {held}")
    hidden = call(proxy, "GET", "/metrics", headers={"X-Forwarded-For": "192.0.2.44"})
    check(hidden.status == 404, f"/metrics for another network: {hidden.status}")
    say(f"/metrics (Prometheus) and /ready answer on both; 404 elsewhere; "
        f"instance {held.index(True)} runs the periodic jobs")

    # ---- graceful shutdown: requests in flight finish, the other takes the jobs over --------
    stopping = instances[held.index(True)]
    other = instances[1 - held.index(True)]
    outcomes = collections.Counter()
    signalled = threading.Event()
    finished_after = []

    signalled_at = [None]

    def in_flight():
        # Requests until the signal; those under way then must finish.
        while not signalled.is_set():
            started = time.monotonic()
            before_signal = not signalled.is_set()
            try:
                answer = call(stopping.port, "GET",
                              "/api/v1/reports/attendance.xlsx", token=staff, timeout=30)
            except OSError as error:
                # Refused once the instance stops accepting; a request it had surely accepted
                # (sent well before the signal) must not be cut.
                if before_signal and signalled_at[0] and signalled_at[0] - started > 0.5:
                    with lock:
                        outcomes[f"cut: {error}"] += 1
                return
            with lock:
                outcomes[answer.status] += 1
                if before_signal and signalled.is_set():
                    finished_after.append(answer.status)

    threads = [threading.Thread(target=in_flight) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    stopping.process.send_signal(signal.SIGTERM)
    signalled_at[0] = time.monotonic()
    signalled.set()
    for thread in threads:
        thread.join(timeout=40)
    code = stopping.process.wait(timeout=40)
    stopped_in = time.monotonic() - signalled_at[0]
    check(code == 0, f"{stopping.name} exited with {code}")
    check(set(outcomes) == {200}, f"answers around the shutdown: {dict(outcomes)}")
    say(f"SIGTERM to {stopping.name}: {sum(outcomes.values())} requests answered 200 "
        f"({len(finished_after)} finished after the signal), exit code 0 after {stopped_in:.1f} s")
    deadline = time.monotonic() + 15
    taken = False
    while time.monotonic() < deadline and not taken:
        taken = "aula_job_lease_held{job=\"periodic\"} 1" in call(other.port, "GET", "/metrics").text()
        time.sleep(0.5)
    check(taken, f"{other.name} took the periodic jobs over")
    say(f"{other.name} took the periodic jobs over")

    # ---- structured logs ----------------------------------------------------------------------
    other.stop()
    requests = 0
    for instance in instances:
        for line in instance.logs().splitlines():
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except ValueError:
                fail(f"{instance.name}: a log line that is not JSON: {line[:200]}")
            check("level" in event and "timestamp" in event, f"{instance.name}: {line[:200]}")
            requests += event.get("message") == "request"
    check(requests > 0, "request lines in the logs")
    check("deteniendo" in stopping.logs(), "the shutdown is logged")
    say(f"logs: every line of both instances is JSON ({requests} request lines)")


if __name__ == "__main__":
    main()
