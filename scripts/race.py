#!/usr/bin/env python3
"""The overbooking race through two real `serve` processes on one database (issue 63, item 4).

Inside one process every self-enrolment into a cohort goes through that process's desk
(`domain::enrolment::desk`), so a test with two app instances in one process shares the desk
and never races the database. Here two `serve` processes of the built binary share one
database (a SQLite file or a PostgreSQL database), each with its own desk and pool, and the
only thing that keeps a cohort from being overbooked is the database: the cohort's lock
(`cohorts::lock`: `SELECT … FOR UPDATE` on PostgreSQL, the writer's `BEGIN IMMEDIATE` on
SQLite).

Before the processes start, `seed --synthetic national` and `seed --synthetic accounts` give
the database people with their own API tokens. Then, in rounds, a coordinator opens a
national cohort with few seats and, at one gate, everybody fires at once over real HTTP, half
at each process: people enrolling themselves; the coordinator enrolling other people by id
(not through the desk: each its own transaction); the same person asking twice (once at each
process) and a person enrolling herself while the coordinator enrols her. The coordinator
enrols half of her people through the API (`POST /api/v1/cohorts/{id}/enrolments`) and half
through the page's form (`POST /coordinacion/cohortes/{id}/inscripciones`, by document, signed
in on both processes with one session). Checked:

  * the cohort never holds more people enrolled than seats (the roster through the API and a
    count in the database), nobody holds two enrolments in force, the waiting list's tickets
    are handed out once each, 1..n;
  * every answer is the API's 201 or 409, or the page's 303 (done) or 422 (the form again):
    no 5xx, no error of the connection; every 409 is problem+json with its Spanish reason
    («… inscripción vigente …») and every 422 page says it; every person asked for got exactly
    one enrolment, the one of her 201 (or 303);
  * both processes answered.

Python's standard library only (the instances' helpers of scripts/instances.py). `.ci/race`
creates the database of each engine, runs this, and drops it:

    python3 scripts/race.py --binary target/debug/aula-territorial \\
        --database-url sqlite:///tmp/race/aula.db?mode=rwc
    python3 scripts/race.py --binary target/debug/aula-territorial \\
        --database-url postgres://postgres@127.0.0.1:5432/aula_race
"""

import argparse
import collections
import html
import http.client
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from instances import (  # noqa: E402  (the instances' helpers, one machinery for both)
    COORDINATOR, Instance, api_token, call, check, csrf_of, fail, free_port, psql, say,
    wait_ready,
)

# Each round: a cohort of `seats` seats, `selves` people enrolling themselves, `staffed` people
# enrolled by the coordinator, `twice` people asking at both processes at once and `mixed`
# people enrolling themselves while the coordinator enrols them. The first round races only
# the two processes' desks (people enrolling themselves); the others add the coordinator's
# enrolments, each its own transaction, raced against both desks and one another.
ROUNDS = [
    {"seats": 1, "selves": 36, "staffed": 0, "twice": 4, "mixed": 0},
    {"seats": 2, "selves": 36, "staffed": 0, "twice": 4, "mixed": 0},
    {"seats": 1, "selves": 24, "staffed": 8, "twice": 4, "mixed": 4},
    {"seats": 2, "selves": 24, "staffed": 8, "twice": 4, "mixed": 4},
    {"seats": 3, "selves": 16, "staffed": 16, "twice": 4, "mixed": 4},
    {"seats": 5, "selves": 8, "staffed": 24, "twice": 4, "mixed": 4},
]
PEOPLE_PER_ROUND = max(r["selves"] + r["staffed"] + r["twice"] + r["mixed"] for r in ROUNDS)
DEPARTMENTS = 4


def bogota_dates():
    """(today, later(days)) in Bogotá's calendar, as the server reads dates."""
    bogota = lambda days: time.gmtime(time.time() - 5 * 3600 + days * 86400)  # noqa: E731
    return time.strftime("%Y-%m-%d", bogota(0)), \
        lambda days: time.strftime("%Y-%m-%d", bogota(days))


def query(database_url, sql):
    """Rows of `sql` (as lists of strings) on either engine."""
    if database_url.startswith("sqlite"):
        path = database_url.split("://", 1)[1].split("?", 1)[0]
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as connection:
            return [[str(v) for v in row] for row in connection.execute(sql).fetchall()]
    return psql(database_url, sql)


def execute(database_url, sql):
    """Runs one writing statement on either engine."""
    if database_url.startswith("sqlite"):
        path = database_url.split("://", 1)[1].split("?", 1)[0]
        with sqlite3.connect(path, timeout=30) as connection:
            connection.execute(sql)
    else:
        subprocess.run(["psql", database_url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       check=True, capture_output=True, text=True)


def seed(binary, env, work, accounts_file):
    """The synthetic country at a small scale, and people of it with their own API tokens."""
    started = time.monotonic()
    for arguments in (["seed", "--synthetic", "national", "--scale", "0.01"],
                      ["seed", "--synthetic", "accounts", "--departments", str(DEPARTMENTS),
                       "--per-department", str(PEOPLE_PER_ROUND * len(ROUNDS) // DEPARTMENTS + 1),
                       "--out", accounts_file]):
        done = subprocess.run([binary, *arguments], env=env, cwd=work, capture_output=True,
                              text=True)
        check(done.returncode == 0,
              f"{' '.join(arguments)}: {done.returncode}\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    with open(accounts_file, encoding="utf-8") as f:
        accounts = [line.split("\t") for line in f.read().splitlines() if line]
    # The synthetic country's cédulas have 11 digits (99 and nine more), one more than a form
    # takes; the coordinator's page names people by document, so theirs lose the second 9.
    ids = ", ".join(a[1] for a in accounts)
    execute(env["ROCKET_DATABASE_URL"],
            "UPDATE participants SET document_number = substr(document_number, 2) "
            f"WHERE id IN ({ids}) AND length(document_number) = 11 AND document_number LIKE '99%'")
    say(f"synthetic country and {len(accounts)} people with API tokens in "
        f"{time.monotonic() - started:.1f} s")
    return [{"token": a[0], "id": int(a[1])} for a in accounts]


def open_cohort(port, token, name, seats):
    """A national cohort of one of ESAP's courses, open for enrolment today."""
    courses = call(port, "GET", "/api/v1/courses?per_page=100", token=token)
    check(courses.status == 200, f"courses: {courses.status} {courses.text()[:300]}")
    course = next(c["id"] for c in courses.json()["items"]
                  if c["provider"]["id"] == 1 and not c["retired"])
    today, later = bogota_dates()
    created = call(port, "POST", "/api/v1/cohorts", token=token, body={
        "course_id": course, "name": name, "modality": "presencial",
        "venue": "Sede de la dirección territorial", "start_date": later(30),
        "end_date": later(60), "enrolment_opens": today, "enrolment_closes": later(20),
        "seats": seats, "municipality_codes": [], "department_codes": [],
        "instructor_ids": []})
    check(created.status == 201, f"cohort created: {created.status} {created.text()[:500]}")
    cohort = created.json()["id"]
    session = call(port, "POST", f"/api/v1/cohorts/{cohort}/sessions", token=token, body={
        "starts_at": f"{later(30)}T09:00:00-05:00", "ends_at": f"{later(30)}T12:00:00-05:00",
        "topic": "Apertura", "location": "Sede"})
    check(session.status == 201, f"session: {session.status} {session.text()[:300]}")
    opened = call(port, "PATCH", f"/api/v1/cohorts/{cohort}", token=token,
                  body={"status": "open"})
    check(opened.status == 200 and opened.json().get("status") == "open",
          f"cohort opened: {opened.status} {opened.text()[:300]}")
    return cohort


def signed_in_pages(port, account):
    """The cookies of a session of `account` on the pages (a form of one process is valid on
    the other, and so is the session)."""
    form = call(port, "GET", "/ingresar")
    jar = form.cookies()
    answer = call(port, "POST", "/ingresar", cookies=jar,
                  headers={"Content-Type": "application/x-www-form-urlencoded"},
                  body=urllib.parse.urlencode({"csrf_token": csrf_of(form.text()),
                                               "email": account[0], "password": account[1]}))
    check(answer.status == 303, f"signed in on the pages: {answer.status}")
    jar.update(answer.cookies())
    return jar


def alert_of(page):
    """The problems a page shows (its alert), as text."""
    found = re.search(r'role="alert"[^>]*>(.*?)</(?:div|section|ul)>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()[:300] \
        if found else page[:300]


def api_request(port, path, token, body, label):
    headers = {"Authorization": f"Bearer {token}"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    return (port, path, headers, payload, label)


def page_request(port, path, jar, csrf, document, label):
    """The coordinator's «Inscribir» form of the cohort's «Inscripciones», naming the person
    by her document."""
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
               "Content-Type": "application/x-www-form-urlencoded"}
    payload = urllib.parse.urlencode({"csrf_token": csrf, "document_type": "CC",
                                      "document_number": document}).encode()
    return (port, path, headers, payload, label)


def fire(requests):
    """Every request of `requests` (port, path, headers, payload, label), a POST, sent at the
    same moment, each over its own connection, opened before the gate. Returns (label, status,
    content type, body, error) in the order given."""
    gate = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def send(index, port, path, headers, payload, label):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            connection.connect()
            gate.wait(timeout=60)
            connection.request("POST", path, body=payload, headers=headers)
            response = connection.getresponse()
            answers[index] = (label, response.status, response.getheader("Content-Type") or "",
                              response.read(), None)
        except (OSError, threading.BrokenBarrierError, http.client.HTTPException) as error:
            answers[index] = (label, 0, "", b"", repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def race(round_number, spec, people, ports, staff, jar, database_url):
    seats = spec["seats"]
    cohort = open_cohort(ports[0], staff, f"Carrera {round_number} ({time.strftime('%H%M%S')})",
                         seats)
    people = iter(people)
    take = lambda n: [next(people) for _ in range(n)]  # noqa: E731
    path = f"/api/v1/cohorts/{cohort}/enrolments"
    page_path = f"/coordinacion/cohortes/{cohort}/inscripciones"
    page = call(ports[1], "GET", page_path, cookies=jar)
    check(page.status == 200, f"the cohort's «Inscripciones»: {page.status}")
    csrf = csrf_of(page.text())
    staffed, mixed = take(spec["staffed"]), take(spec["mixed"])
    named = [p["id"] for p in staffed + mixed]
    documents = dict(query(database_url, "SELECT id, document_number FROM participants WHERE id "
                                         f"IN ({', '.join(map(str, named or [0]))})"))

    def by_staff(n, port, person, kind):
        # Half through the API, half through the page.
        if n % 2 == 0:
            return api_request(port, path, staff, {"participant_id": person["id"]},
                               (kind, person["id"]))
        return page_request(port, page_path, jar, csrf, documents[str(person["id"])],
                            (kind, person["id"]))

    requests = []  # (port, path, headers, payload, (kind, person id))
    for n, person in enumerate(take(spec["selves"])):
        requests.append(api_request(ports[n % 2], path, person["token"], None,
                                    ("self", person["id"])))
    for n, person in enumerate(staffed):
        requests.append(by_staff(n, ports[(n + 1) % 2], person, "staff"))
    for person in take(spec["twice"]):
        for port in ports:
            requests.append(api_request(port, path, person["token"], None,
                                        ("twice", person["id"])))
    for n, person in enumerate(mixed):
        requests.append(api_request(ports[n % 2], path, person["token"], None,
                                    ("mixed", person["id"])))
        requests.append(by_staff(n, ports[(n + 1) % 2], person, "mixed"))
    # Interleaved, so that no kind of request waits for another to be sent first.
    requests.sort(key=lambda r: hash((round_number, r[4], r[0])))
    started = time.monotonic()
    answers = fire(requests)
    seconds = time.monotonic() - started

    problems = []
    created = collections.defaultdict(list)  # person id → the enrolment ids of her 201 (or 303)
    statuses = collections.Counter()
    per_port = collections.Counter()
    for (port, sent_to, _, _, _), (label, status, content_type, body, error) in zip(requests,
                                                                                 answers):
        kind, person = label
        statuses[status] += 1
        per_port[port] += status != 0
        if error:
            problems.append(f"{kind} {person} at {port}: no answer: {error}")
        elif status == 201:
            created[person].append(json.loads(body)["id"])
        elif status == 303 and sent_to == page_path:
            created[person].append(None)  # the page's «Inscripción confirmada» (or waiting)
        elif status == 422 and sent_to == page_path:
            text = html.unescape(body.decode("utf-8", "replace"))
            if "inscripción vigente" not in text:
                problems.append(f"{kind} {person} at {port} (page): 422 without its Spanish "
                                f"reason: {alert_of(text)}")
        elif status == 409:
            detail = ""
            try:
                detail = json.loads(body).get("detail", "")
            except ValueError:
                pass
            if "problem+json" not in content_type or "inscripción vigente" not in detail:
                problems.append(f"{kind} {person} at {port}: 409 without its Spanish reason: "
                                f"{content_type} {body[:300]!r}")
        else:
            problems.append(f"{kind} {person} at {port}: {status} {body[:300]!r}")

    roster = call(ports[1], "GET", path, token=staff)
    check(roster.status == 200, f"roster: {roster.status} {roster.text()[:300]}")
    rows = [r for r in roster.json()["items"] if r["status"] != "cancelled"]
    enrolled = [r for r in rows if r["status"] == "enrolled"]
    holders = collections.Counter(r["participant_id"] for r in rows)
    database = query(database_url,
                     "SELECT status, count(*), count(DISTINCT participant_id), "
                     "count(waitlist_seq), count(DISTINCT waitlist_seq), "
                     "coalesce(max(waitlist_seq), 0) FROM enrolments "
                     f"WHERE cohort_id = {cohort} GROUP BY status ORDER BY status")
    counted = {row[0]: [int(v) for v in row[1:]] for row in database}
    asked = {label[1] for _, _, _, _, label in requests}
    say(f"round {round_number}: {len(requests)} requests at once for {seats} seat(s) in "
        f"{seconds:.1f} s, statuses {dict(statuses)}, per process {dict(per_port)}; "
        f"{len(enrolled)} enrolled, {len(rows) - len(enrolled)} waiting; database {counted}")
    # Every broken rule is reported, not only the first one met.
    broken = []
    if len(enrolled) > seats or counted.get("enrolled", [0])[0] > seats:
        broken.append(f"OVERBOOKED: {len(enrolled)} people enrolled in a cohort of {seats} "
                      f"seat(s) (database: {counted})")
    elif len(enrolled) < seats:
        broken.append(f"seats left free: {len(enrolled)} of {seats} taken")
    twice = sorted(p for p, n in holders.items() if n > 1)
    if twice:
        broken.append(f"people holding two enrolments: {twice}")
    waiting = counted.get("waitlisted", [0, 0, 0, 0, 0])
    if not waiting[2] == waiting[3] == waiting[4] == waiting[0]:
        broken.append(f"the waiting list's tickets are not 1..n once each: {waiting}")
    if set(holders) != asked:
        broken.append(f"{len(asked)} people asked, {len(holders)} hold an enrolment: "
                      f"without one {sorted(asked - set(holders))[:20]}")
    several = {p: ids for p, ids in created.items() if len(ids) != 1}
    if several or set(created) != asked:
        broken.append(f"people without exactly one 201: {len(several) + len(asked - set(created))}"
                      f" (e.g. {sorted(asked - set(created))[:10]} {several or ''})")
    elif any(ids[0] is not None and {r["participant_id"]: r["id"] for r in rows}[p] != ids[0]
             for p, ids in created.items()):
        broken.append("the roster is not the enrolments answered 201")
    if len(per_port) != 2 or not all(per_port.values()):
        broken.append(f"not both processes answered: {dict(per_port)}")
    if problems:
        broken.append(f"{len(problems)} unexpected answers:\n    " + "\n    ".join(problems[:20]))
    for problem in broken:
        print(f"BROKEN: round {round_number}: {problem}", file=sys.stderr, flush=True)
    return statuses, [f"round {round_number}: {problem}" for problem in broken]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    engine = "SQLite" if args.database_url.startswith("sqlite") else "PostgreSQL"
    work = tempfile.mkdtemp(prefix="aula-race.")
    env = dict(os.environ, **{
        "ROCKET_PROFILE": "debug",
        "ROCKET_ADDRESS": "127.0.0.1",
        "ROCKET_DATABASE_URL": args.database_url,
        "ROCKET_LOG_FORMAT": "json",
        "ROCKET_CREDENTIALS_KEY_FILE": os.path.join(work, "no-key-file"),
        "ROCKET_MAIL_DIR": os.path.join(work, "mail"),
        "RUST_LOG": "warn",
    })
    people = seed(binary, env, work, os.path.join(work, "accounts.tsv"))
    ports = [free_port(), free_port()]
    say(f"{engine}: two serve processes on one database (ports {ports[0]} and {ports[1]})")
    env["ROCKET_PUBLIC_URL"] = f"http://127.0.0.1:{ports[0]}"
    instances = [Instance(f"process-{i}", binary, port, env, work) for i, port in enumerate(ports)]
    try:
        for instance in instances:
            wait_ready(instance, 180)
        staff = api_token(ports[0], COORDINATOR)
        jar = signed_in_pages(ports[0], COORDINATOR)
        totals = collections.Counter()
        broken = []
        # Every round runs, whatever the one before found: the note says which rules broke where.
        for n, spec in enumerate(ROUNDS, 1):
            statuses, problems = race(n, spec, people[(n - 1) * PEOPLE_PER_ROUND:], ports, staff,
                                      jar, args.database_url)
            totals.update(statuses)
            broken += [problem.split("\n", 1)[0] for problem in problems]
        check(not broken, f"{len(broken)} broken rule(s) on {engine}:\n  " + "\n  ".join(broken))
        for instance in instances:
            check(instance.alive(), f"{instance.name} stopped:\n{instance.tail()}")
    except BaseException:
        for instance in instances:
            print(f"---- {instance.name} (last lines) ----\n{instance.tail()}", file=sys.stderr)
        print(f"logs kept in {work}", file=sys.stderr)
        raise
    finally:
        for instance in instances:
            instance.stop()
    shutil.rmtree(work, ignore_errors=True)
    say(f"green on {engine}: {sum(totals.values())} requests over {len(ROUNDS)} rounds "
        f"({dict(totals)}), never overbooked, nobody twice, every refusal a Spanish 409 (API) or 422 (page)")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        fail("interrupted")
