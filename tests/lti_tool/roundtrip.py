#!/usr/bin/env python3
"""The LTI 1.3 round trip against an independent tool (issue 65, item 6), driven by `.ci/lti`.

The platform (our server, demo data) and the tool (tests/lti_tool/app.py: pylti1p3 behind
Flask) run on loopback; this script, with the standard library only:

1. registers the tool as the demo admin (`POST /api/v1/lti/tools`) and hands the tool the
   client_id and deployment_id it got (the file LTI_TOOL_REGISTRATION, read by the tool on
   every request);
2. as the ESAP coordinator, links the tool to a running demo cohort where the demo participant
   is enrolled (`POST /api/v1/cohorts/{id}/lti-links`), makes sure the cohort has an
   assessment and a cancelled enrolment (so «never cancelled» means something);
3. in Chromium at 390×844 (the WebDriver client of tests/browser/journeys.py), signs in as the
   participant, opens the cohort's page and follows «Aula virtual» twice: once with the launch
   page's script blocked (the page is photographed and its «Continuar al aula virtual» button
   pressed, as without JavaScript), once as it is (the form submits itself);
4. checks what the tool recorded: pylti1p3 validated the launch, NRPS gave exactly the
   cohort's enrolled people (Learner) and its instructors (Instructor), the scores were
   accepted; and through our API that the second (newer) score is the assessment's score and
   the participant's progress shows it, and that both launches are listed.

Environment: AULA_BASE_URL, WEBDRIVER_URL, LTI_TOOL_URL, LTI_TOOL_REGISTRATION,
LTI_TOOL_RESULTS, BROWSER_SCREENSHOTS (default target/browser-screenshots), LTI_ENGINE (a
label for the screenshots and the output: sqlite, postgres).
Exit status 0 when every check passed, 1 otherwise (each failed check is listed).
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "browser"))
import journeys  # noqa: E402 - the WebDriver client of the browser journeys
from journeys import Browser, StepFailed, Viewport  # noqa: E402

BASE = os.environ["AULA_BASE_URL"].rstrip("/")
TOOL = os.environ["LTI_TOOL_URL"].rstrip("/")
REGISTRATION = Path(os.environ["LTI_TOOL_REGISTRATION"])
RESULTS = Path(os.environ["LTI_TOOL_RESULTS"])
SHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS", "target/browser-screenshots"))
ENGINE = os.environ.get("LTI_ENGINE", "sqlite")

ADMIN = ("admin@aulaterritorial.example", "Admin-Aula-2026")
COORDINATOR = journeys.COORDINATOR
PARTICIPANT = journeys.REPLICATOR  # participante@aulaterritorial.example
PREFERRED_COHORT = journeys.IN_PROGRESS_COHORT

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
# Who NRPS lists as Learner: enrolled people, also those whose result is already decided.
MEMBER_STATUSES = {"enrolled", "completed", "not_completed"}
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
PHONE = Viewport("390x844", 390, 844, phone=True)

FAILURES: list[str] = []
STARTED = time.time()
_phase = {"name": None, "started": STARTED}


def phase(name: str | None):
    """Ends the phase under way (printing how long it took) and starts the next one."""
    now = time.time()
    if _phase["name"]:
        print(f"[{ENGINE}]   ({_phase['name']}: {now - _phase['started']:.1f} s)", flush=True)
    if name:
        print(f"[{ENGINE}] {name}", flush=True)
    _phase.update(name=name, started=now)


def check(condition: bool, what: str, detail: object = None) -> bool:
    if condition:
        print(f"    ok: {what}", flush=True)
    else:
        text = f"[{ENGINE}] {what}" + (f": {detail}" if detail is not None else "")
        print(f"    FAILED: {text}", flush=True)
        FAILURES.append(text)
    return condition


class ApiError(Exception):
    def __init__(self, method: str, path: str, status: int, body: str):
        super().__init__(f"{method} {path} → {status}: {body[:1500]}")
        self.status = status
        self.body = body


def api(method: str, path: str, token: str | None = None, body=None, expect=(200, 201, 202, 204)):
    url = path if "://" in path else f"{BASE}/api/v1{path}"
    data = None if body is None else json.dumps(body).encode()
    headers = {"Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode(errors="replace")
    if status not in expect:
        raise ApiError(method, path, status, text)
    return json.loads(text) if text.strip() else None


def token_of(account: tuple[str, str]) -> str:
    return api("POST", "/tokens", body={"email": account[0], "password": account[1]})["token"]


def items(answer) -> list:
    return answer["items"] if isinstance(answer, dict) and "items" in answer else answer


def launches_recorded() -> list[dict]:
    if not RESULTS.exists():
        return []
    return [json.loads(line) for line in RESULTS.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_registration(settings: dict):
    temporary = REGISTRATION.with_suffix(".tmp")
    temporary.write_text(json.dumps(settings))
    temporary.replace(REGISTRATION)


def scaled(score_given: float, score_maximum: float) -> float:
    """The product's 0.0–5.0 scale, one decimal."""
    return round(score_given / score_maximum * 5 + 1e-9, 1)


# ---- set-up through the API -----------------------------------------------------------------


def prepare() -> dict:
    phase("tokens (admin, coordinator, participant)")
    admin, coordinator, participant = (token_of(a) for a in (ADMIN, COORDINATOR, PARTICIPANT))
    me = api("GET", "/me", participant)
    profile = me.get("participant") or {}
    participant_id = profile.get("id")
    user_id = (me.get("user") or me).get("id")
    if participant_id is None:
        raise StepFailed(f"the demo participant has no participant profile: {me}")

    phase("a running cohort where the participant is enrolled")
    mine = [e for e in items(api("GET", "/me/enrolments", participant)) if e["status"] == "enrolled"]
    running = {c["id"]: c for c in items(api("GET", "/cohorts?status=in_progress&per_page=500", coordinator))}
    candidates = [running[e["cohort_id"]] for e in mine if e["cohort_id"] in running]
    if not candidates:
        raise StepFailed(f"no running cohort with the participant enrolled (enrolments {mine})")
    cohort = next((c for c in candidates if c["name"] == PREFERRED_COHORT), candidates[0])
    cohort_id = cohort["id"]
    print(f"    cohort {cohort_id}: {cohort['name']}")

    phase("the admin registers the tool (POST /api/v1/lti/tools)")
    tool = api(
        "POST",
        "/lti/tools",
        admin,
        {
            "name": f"Aula virtual de prueba (pylti1p3, {ENGINE})",
            "login_url": f"{TOOL}/login",
            "target_link_uri": f"{TOOL}/launch",
            "redirect_uris": [f"{TOOL}/launch"],
            "jwks_url": f"{TOOL}/jwks",
            "share_name": True,
            "share_email": True,
        },
    )
    check(
        tool.get("issuer") == BASE, "the registration names the issuer the tool expects", tool.get("issuer")
    )
    check(
        tool.get("authorization_endpoint") == f"{BASE}/lti/authorize",
        "authorization endpoint",
        tool.get("authorization_endpoint"),
    )
    check(tool.get("token_endpoint") == f"{BASE}/lti/token", "token endpoint", tool.get("token_endpoint"))
    check(
        tool.get("platform_jwks_url") == f"{BASE}/lti/jwks",
        "platform JWKS URL",
        tool.get("platform_jwks_url"),
    )
    registration = {"client_id": tool["client_id"], "deployment_id": tool["deployment_id"]}
    print(f"    tool {tool['id']}: client_id {tool['client_id']}, deployment_id {tool['deployment_id']}")

    phase("the coordinator links the tool to the cohort (POST /api/v1/cohorts/{id}/lti-links)")
    link = api(
        "POST",
        f"/cohorts/{cohort_id}/lti-links",
        coordinator,
        {"tool_id": tool["id"], "title": "Aula virtual de prueba"},
    )
    print(f"    link {link['id']}: resource_link_id {link.get('resource_link_id')}, {link.get('launch_url')}")

    phase("the cohort's assessment and roster")
    assessments = api("GET", f"/cohorts/{cohort_id}/assessments", coordinator)
    if not assessments["items"]:
        weight = max(1, min(20, 100 - assessments.get("weights_total", 0)))
        api(
            "POST",
            f"/cohorts/{cohort_id}/assessments",
            coordinator,
            {"name": "Actividad del aula virtual", "weight": weight},
        )
        assessments = api("GET", f"/cohorts/{cohort_id}/assessments", coordinator)
    assessment = assessments["items"][0]
    print(f"    assessment {assessment['id']}: «{assessment['name']}»")

    roster = items(api("GET", f"/cohorts/{cohort_id}/enrolments", coordinator))
    own = next((r for r in roster if r["participant_id"] == participant_id), None)
    if own is None:
        raise StepFailed("the participant is not on the cohort's roster")
    if not any(r["status"] in ("cancelled", "waitlisted") for r in roster):
        # Someone else cancels, so that «never cancelled» is put to the test.
        other = next(
            (r for r in roster if r["status"] == "enrolled" and r["participant_id"] != participant_id), None
        )
        if other is not None:
            try:
                api("DELETE", f"/enrolments/{other['id']}", coordinator)
                print(f"    cancelled enrolment {other['id']} (participant {other['participant_id']})")
            except ApiError as error:
                print(f"    (could not cancel an enrolment to test NRPS with: {error})")
        roster = items(api("GET", f"/cohorts/{cohort_id}/enrolments", coordinator))
    statuses = {}
    for r in roster:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    print(f"    roster: {statuses}")
    instructor_ids = cohort.get("instructor_ids") or [i["id"] for i in cohort.get("instructors", [])]
    if not instructor_ids:
        instructor_ids = api("GET", f"/cohorts/{cohort_id}", coordinator).get("instructor_ids", [])

    current = next(
        (
            s
            for s in items(api("GET", f"/assessments/{assessment['id']}/scores", coordinator))
            if s["enrolment_id"] == own["id"]
        ),
        None,
    )
    # Two launches, two scores (in the tool's own scale, out of 100): the second, newer one must
    # be the one kept; both differ from what the demo holds.
    existing = current["score"] if current else None
    pairs = [(g, scaled(g, 100)) for g in (76, 84, 92, 68)]
    first, second = [p for p in pairs if p[1] != existing][:2]
    print(f"    the participant's score now: {existing}; the tool posts {first[0]}/100 then {second[0]}/100")

    return {
        "admin": admin,
        "coordinator": coordinator,
        "participant": participant,
        "participant_id": participant_id,
        "user_id": user_id,
        "cohort_id": cohort_id,
        "tool": tool,
        "link": link,
        "registration": registration,
        "assessment": assessment,
        "roster": roster,
        "own_enrolment": own,
        "instructor_ids": instructor_ids,
        "scores": (first, second),
    }


# ---- the launches in Chromium --------------------------------------------------------------


def shot(browser: Browser, name: str):
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"lti-{ENGINE}-{name}-{PHONE.name}.png"
    browser.screenshot(path)
    print(f"    screenshot {path}")


def cdp(browser: Browser, command: str, params: dict):
    return browser._call("POST", "/goog/cdp/execute", {"cmd": command, "params": params})


def wait_for(browser: Browser, condition, what: str, timeout: float = 45):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = browser.url()
            if condition(last):
                return last
        except journeys.WebDriverError:
            pass  # between two documents
        time.sleep(0.1)
    raise StepFailed(f"{what}: still at {last} after {timeout} s")


def wait_loaded(browser: Browser):
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if browser.script("return document.readyState") == "complete":
                return
        except journeys.WebDriverError:
            pass
        time.sleep(0.05)


def sign_in(browser: Browser, account: tuple[str, str]):
    browser.delete_cookies()
    browser.open("/ingresar")
    browser.type("#email", account[0])
    browser.type("#password", account[1])
    browser.submit('form[action="/ingresar"] button[type=submit]')
    if browser.exists(".flash-error"):
        raise StepFailed(f"could not sign in as {account[0]}: {browser.text(browser.find('.flash-error'))}")


def launch_link(browser: Browser, ctx: dict) -> str:
    """The «Aula virtual» link on the cohort's page (its element id)."""
    cohort_id, link_id = ctx["cohort_id"], ctx["link"]["id"]
    browser.open(f"/cohortes/{cohort_id}")
    wait_loaded(browser)
    path = f"/cohortes/{cohort_id}/aula-virtual/{link_id}"
    found = [
        e
        for e in browser.find_all("a[href]")
        if urllib.parse.urlsplit(browser.property(e, "href")).path == path
    ]
    if not found:
        raise StepFailed(f"no link to {path} on the cohort's page /cohortes/{cohort_id}")
    text = browser.text(found[0])
    check("Aula virtual" in text, "the cohort's page links «Aula virtual»", text)
    return found[0]


def launch(browser: Browser, ctx: dict, number: int, score_given: int, with_script: bool) -> dict | None:
    write_registration(
        {
            **ctx["registration"],
            "lineitem_label": ctx["assessment"]["name"],
            "score_given": score_given,
            "score_maximum": 100,
        }
    )
    before = len(launches_recorded())
    link = launch_link(browser, ctx)
    if number == 1:
        shot(browser, "cohort")
    if not with_script:
        # The launch page's own script blocked: the page stays, as without JavaScript.
        cdp(browser, "Network.enable", {})
        cdp(browser, "Network.setBlockedURLs", {"urls": ["*/static/lti-launch.js*"]})
    browser.click_element(link)
    if not with_script:
        url = wait_for(
            browser,
            lambda u: urllib.parse.urlsplit(u).path == "/lti/authorize" or u.startswith(TOOL + "/launch"),
            "the launch page",
        )
        check(
            urllib.parse.urlsplit(url).path == "/lti/authorize",
            "the tool's login sent the browser to /lti/authorize",
            url,
        )
        wait_loaded(browser)
        form = browser.find_all("form#lti-launch")
        if not check(bool(form), "the launch page holds form#lti-launch", browser.url()):
            shot(browser, f"launch-{number}-refused")
            return None
        action = browser.property(form[0], "action")
        check(action == f"{TOOL}/launch", "the form posts to the tool's redirect URI", action)
        names = {browser.attribute(e, "name") for e in browser.find_all("input[type=hidden]", within=form[0])}
        check({"id_token", "state"} <= names, "the form carries id_token and state", names)
        shot(browser, "launch")
        buttons = browser.find_all(
            ".//button[contains(normalize-space(), 'Continuar al aula virtual')]", "xpath", within=form[0]
        )
        if not check(bool(buttons), "the launch page shows «Continuar al aula virtual»"):
            return None
        cdp(browser, "Network.setBlockedURLs", {"urls": []})
        browser.click_element(buttons[0])
    wait_for(browser, lambda u: u.startswith(TOOL + "/launch"), "the tool's page")
    wait_loaded(browser)
    shot(browser, "tool" if number == 1 else f"tool-{number}")
    deadline = time.time() + 30
    while len(launches_recorded()) <= before and time.time() < deadline:
        time.sleep(0.1)
    recorded = launches_recorded()[before:]
    if not check(len(recorded) == 1, f"launch {number}: the tool recorded one outcome", len(recorded)):
        return recorded[-1] if recorded else None
    return recorded[0]


# ---- the checks ----------------------------------------------------------------------------


def check_outcome(ctx: dict, outcome: dict, number: int, score_given: int):
    label = f"launch {number}"
    if not check(
        outcome.get("ok") is True,
        f"{label}: pylti1p3 validated the launch, NRPS and AGS answered",
        {k: outcome.get(k) for k in ("stage", "error", "service_response", "claims_unverified")},
    ):
        if not outcome.get("validated"):
            return
    expected_sub = f"p{ctx['participant_id']}"
    check(outcome.get("sub") == expected_sub, f"{label}: sub is the participant's", outcome.get("sub"))
    check(LEARNER in (outcome.get("roles") or []), f"{label}: roles carry Learner", outcome.get("roles"))
    check(
        outcome.get("message_type") == "LtiResourceLinkRequest",
        f"{label}: message type",
        outcome.get("message_type"),
    )
    check(
        outcome.get("deployment_id") == ctx["registration"]["deployment_id"],
        f"{label}: deployment_id",
        outcome.get("deployment_id"),
    )
    context = outcome.get("context") or {}
    check(str(context.get("id")) == str(ctx["cohort_id"]), f"{label}: the context is the cohort", context)
    resource_link = outcome.get("resource_link") or {}
    if ctx["link"].get("resource_link_id"):
        check(
            resource_link.get("id") == ctx["link"]["resource_link_id"],
            f"{label}: the resource link is the cohort's link",
            resource_link,
        )

    if "members" in outcome:
        members = outcome["members"]
        ids = [m["user_id"] for m in members]
        check(len(ids) == len(set(ids)), f"{label}: NRPS lists nobody twice", ids)
        learners = {m["user_id"] for m in members if LEARNER in (m.get("roles") or [])}
        instructors = {m["user_id"] for m in members if INSTRUCTOR in (m.get("roles") or [])}
        roster = ctx["roster"]
        enrolled = {f"p{r['participant_id']}" for r in roster if r["status"] in MEMBER_STATUSES}
        others = {f"p{r['participant_id']}" for r in roster if r["status"] not in MEMBER_STATUSES} - enrolled
        check(
            learners == enrolled,
            f"{label}: NRPS Learners are exactly the cohort's enrolled people ({len(enrolled)})",
            {"missing": sorted(enrolled - learners), "extra": sorted(learners - enrolled)},
        )
        check(
            not (set(ids) & others),
            f"{label}: NRPS lists no waitlisted or cancelled person ({len(others)} in the roster)",
            sorted(set(ids) & others),
        )
        expected_instructors = {f"u{i}" for i in ctx["instructor_ids"]}
        # A person with a participant record is p{participant_id} (the design's identity rule).
        unmatched = instructors - expected_instructors
        check(
            len(instructors) == len(expected_instructors)
            and not (unmatched - {i for i in unmatched if i.startswith("p")}),
            f"{label}: NRPS Instructors are the cohort's instructors ({len(expected_instructors)})",
            {"nrps": sorted(instructors), "cohort instructor user ids": sorted(ctx["instructor_ids"])},
        )
        check(
            set(ids) == learners | instructors,
            f"{label}: every NRPS member is a Learner or an Instructor",
            sorted(set(ids) - learners - instructors),
        )
    if "lineitems" in outcome:
        labels = [i.get("label") for i in outcome["lineitems"]]
        check(ctx["assessment"]["name"] in labels, f"{label}: AGS lists a line item per assessment", labels)
    check(
        outcome.get("score_accepted") is True,
        f"{label}: the platform accepted the score {score_given}/100",
        outcome.get("service_response") or outcome.get("error"),
    )
    if "results" in outcome:
        mine = [r for r in outcome["results"] if r.get("userId") == expected_sub]
        check(bool(mine), f"{label}: AGS results list the participant's result", outcome["results"])


def check_platform(ctx: dict, expected: float):
    coordinator, participant = ctx["coordinator"], ctx["participant"]
    assessment_id = ctx["assessment"]["id"]
    scores = items(api("GET", f"/assessments/{assessment_id}/scores", coordinator))
    own = next((s for s in scores if s["enrolment_id"] == ctx["own_enrolment"]["id"]), None)
    check(
        own is not None and abs(own["score"] - expected) < 1e-9,
        f"the assessment's scores hold the newer score {expected} (GET /assessments/{assessment_id}/scores)",
        own,
    )
    progress = items(api("GET", "/me/progress", participant))
    line = next((p for p in progress if p["cohort_id"] == ctx["cohort_id"]), None)
    score = None
    if line is not None:
        score = next((s.get("score") for s in line["scores"] if s["assessment_id"] == assessment_id), None)
    check(
        score is not None and abs(score - expected) < 1e-9,
        f"the participant's progress shows {expected} (GET /me/progress)",
        score,
    )
    launches = items(api("GET", f"/cohorts/{ctx['cohort_id']}/lti-launches", coordinator))
    hers = [
        l
        for l in launches
        if l.get("participant_id") == ctx["participant_id"] or l.get("user_id") == ctx["user_id"]
    ]
    check(
        len(hers) >= 2,
        "the cohort's launches list both of the participant's launches (GET /cohorts/{id}/lti-launches)",
        launches,
    )


# ---- main ----------------------------------------------------------------------------------


def main() -> int:
    print(f"[{ENGINE}] platform {BASE} · tool {TOOL} · WebDriver {journeys.DRIVER}", flush=True)
    browser = None
    try:
        ctx = prepare()
        phase("Chromium at 390×844: the participant signs in")
        browser = Browser(PHONE)
        sign_in(browser, PARTICIPANT)
        (first, first_scaled), (second, second_scaled) = ctx["scores"]

        phase("launch 1: the launch page without its script, «Continuar al aula virtual» pressed")
        outcome = launch(browser, ctx, 1, first, with_script=False)
        if outcome is not None:
            check_outcome(ctx, outcome, 1, first)
        phase("launch 2: the launch page submits itself")
        outcome = launch(browser, ctx, 2, second, with_script=True)
        if outcome is not None:
            check_outcome(ctx, outcome, 2, second)

        phase("the score through our API: the assessment and the participant's progress")
        check_platform(ctx, second_scaled)
    except (StepFailed, ApiError, journeys.WebDriverError, KeyError) as error:
        FAILURES.append(f"[{ENGINE}] {type(error).__name__}: {error}")
        print(f"    FAILED: {error}", flush=True)
        if browser is not None:
            try:
                shot(browser, "failure")
                print(f"    the browser was at {browser.url()}")
            except Exception:  # noqa: BLE001
                pass
    finally:
        if browser is not None:
            browser.quit()
    phase(None)
    print(f"[{ENGINE}] round trip: {time.time() - STARTED:.1f} s", flush=True)
    if FAILURES:
        print(f"\n[{ENGINE}] {len(FAILURES)} problem(s):")
        for failure in FAILURES:
            print(f"- {failure}")
        return 1
    print(
        f"[{ENGINE}] the pylti1p3 tool validated both launches, NRPS gave exactly the enrolled people and instructors, AGS scores landed"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
