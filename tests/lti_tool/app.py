#!/usr/bin/env python3
"""An independent LTI 1.3 tool for CI (issue 65, item 6): pylti1p3 from PyPI behind Flask.

Nothing here implements LTI by hand: the OIDC login, the launch's validation (the id_token's
RS256 signature against the platform's JWKS, state, nonce, deployment and the message's
claims), the client-credentials token request with a signed assertion, NRPS and AGS are all
pylti1p3's own code. `.ci/lti` starts it on loopback beside the platform and reads what it saw.

Routes:
    GET|POST /login    OIDC third-party initiated login: FlaskOIDCLogin(...).redirect(target_link_uri)
    POST     /launch   the redirect URI: FlaskMessageLaunch(...).validate(), then NRPS
                       (get_members), AGS (get_lineitems, put_grade, get_grades); an HTML page
                       with the outcome and one JSON line appended to LTI_TOOL_RESULTS
    GET      /jwks     the tool's public key set (its RSA key, made at start)
    GET      /health   "ok"

Settings (environment):
    LTI_ISSUER               the platform's issuer (its public_url, no trailing slash); required
    LTI_CLIENT_ID, LTI_DEPLOYMENT_ID
                             what the platform gave the tool when it was registered; when
                             unset, read on every request from LTI_TOOL_REGISTRATION
    LTI_TOOL_REGISTRATION    a JSON file {"client_id", "deployment_id", "lineitem_label"?,
                             "score_given"?, "score_maximum"?} read on every request (the tool
                             must be running, its /jwks answering, before the platform
                             registers it; the driver changes the score between launches)
    LTI_AUTH_LOGIN_URL, LTI_AUTH_TOKEN_URL, LTI_KEY_SET_URL
                             default {issuer}/lti/authorize, {issuer}/lti/token, {issuer}/lti/jwks
    LTI_TOOL_RESULTS         a file where each launch appends one JSON line (its outcome)
    LTI_TOOL_LINEITEM_LABEL  the label of the line item to grade (default: the first one)
    LTI_TOOL_SCORE_GIVEN, LTI_TOOL_SCORE_MAXIMUM
                             the score posted (default 84 of 100)
    LTI_TOOL_HOST, LTI_TOOL_PORT   where to listen (default 127.0.0.1:5000)
    LTI_TOOL_KEY_DIR         where the tool's key is written (default a new temporary folder)
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import tempfile
import threading
import time
import traceback
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, jsonify, request
from pylti1p3.contrib.flask import (
    FlaskCacheDataStorage,
    FlaskMessageLaunch,
    FlaskOIDCLogin,
    FlaskRequest,
)
from pylti1p3.exception import LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfDict

ISSUER = os.environ["LTI_ISSUER"].rstrip("/")
AUTH_LOGIN_URL = os.environ.get("LTI_AUTH_LOGIN_URL", f"{ISSUER}/lti/authorize")
AUTH_TOKEN_URL = os.environ.get("LTI_AUTH_TOKEN_URL", f"{ISSUER}/lti/token")
KEY_SET_URL = os.environ.get("LTI_KEY_SET_URL", f"{ISSUER}/lti/jwks")
REGISTRATION_FILE = os.environ.get("LTI_TOOL_REGISTRATION")
RESULTS = os.environ.get("LTI_TOOL_RESULTS")

NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


# ---- the tool's key ------------------------------------------------------------------------


def make_key() -> tuple[str, str]:
    """A fresh RSA key, written as PEM files in LTI_TOOL_KEY_DIR (a new temporary folder by
    default); returns (private PEM, public PEM)."""
    folder = Path(os.environ.get("LTI_TOOL_KEY_DIR") or tempfile.mkdtemp(prefix="lti-tool-key."))
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    (folder / "private.pem").write_text(private_pem)
    (folder / "private.pem").chmod(0o600)
    (folder / "public.pem").write_text(public_pem)
    return private_pem, public_pem


PRIVATE_PEM, PUBLIC_PEM = make_key()


# ---- the tool's configuration (pylti1p3's ToolConfDict) ------------------------------------


def settings() -> dict:
    """The registration (client_id, deployment_id) and what to grade (lineitem_label,
    score_given, score_maximum): the environment, over which LTI_TOOL_REGISTRATION's JSON wins
    (read on every request, so a driver may change it between launches)."""
    values = {
        "client_id": os.environ.get("LTI_CLIENT_ID"),
        "deployment_id": os.environ.get("LTI_DEPLOYMENT_ID"),
        "lineitem_label": os.environ.get("LTI_TOOL_LINEITEM_LABEL") or None,
        "score_given": float(os.environ.get("LTI_TOOL_SCORE_GIVEN", "84")),
        "score_maximum": float(os.environ.get("LTI_TOOL_SCORE_MAXIMUM", "100")),
    }
    if REGISTRATION_FILE and Path(REGISTRATION_FILE).is_file():
        values.update(json.loads(Path(REGISTRATION_FILE).read_text()))
    if not values["client_id"] or not values["deployment_id"]:
        raise RuntimeError("the tool is not registered yet (LTI_CLIENT_ID or LTI_TOOL_REGISTRATION)")
    return values


def tool_conf() -> ToolConfDict:
    values = settings()
    client_id, deployment_id = str(values["client_id"]), str(values["deployment_id"])
    conf = ToolConfDict(
        {
            ISSUER: {
                "default": True,
                "client_id": client_id,
                "auth_login_url": AUTH_LOGIN_URL,
                "auth_token_url": AUTH_TOKEN_URL,
                "auth_audience": None,
                "key_set_url": KEY_SET_URL,
                "key_set": None,
                "deployment_ids": [deployment_id],
            }
        }
    )
    conf.set_private_key(ISSUER, PRIVATE_PEM)
    conf.set_public_key(ISSUER, PUBLIC_PEM)
    return conf


class MemoryCache:
    """The cache behind pylti1p3's FlaskCacheDataStorage (nonces, state, launch data): a dict
    in this process, with expiry (the library's interface: get, set(key, value, exp))."""

    def __init__(self):
        self._lock = threading.Lock()
        self._data: dict[str, tuple[object, float | None]] = {}

    def get(self, key):
        with self._lock:
            value, expires = self._data.get(key, (None, None))
            if expires is not None and expires < time.time():
                self._data.pop(key, None)
                return None
            return value

    def set(self, key, value, exp=None):
        with self._lock:
            self._data[key] = (value, time.time() + exp if exp else None)


CACHE = MemoryCache()

app = Flask(__name__)
app.secret_key = os.urandom(32)
# The platform runs on the same loopback host (another port): cookies do not tell ports
# apart, so the tool's session cookie gets a name of its own.
app.config["SESSION_COOKIE_NAME"] = "lti_tool_session"


def storage() -> FlaskCacheDataStorage:
    return FlaskCacheDataStorage(CACHE)


def own_launch_url() -> str:
    return request.host_url.rstrip("/") + "/launch"


# ---- routes --------------------------------------------------------------------------------


@app.get("/health")
def health():
    return "ok"


@app.get("/jwks")
def jwks():
    # pylti1p3's own JWK of the key (its kid is the one the client assertions carry).
    return jsonify({"keys": [Registration.get_jwk(PUBLIC_PEM)]})


@app.route("/login", methods=["GET", "POST"])
def login():
    target_link_uri = request.values.get("target_link_uri")
    if not target_link_uri:
        return page(400, "Falta target_link_uri", "<p>La plataforma no envió target_link_uri.</p>")
    if target_link_uri != own_launch_url():
        # Never redirect the browser somewhere the platform names but the tool does not own.
        return page(
            400,
            "target_link_uri desconocido",
            f"<p>{html.escape(target_link_uri)} no es {html.escape(own_launch_url())}.</p>",
        )
    try:
        oidc_login = FlaskOIDCLogin(FlaskRequest(), tool_conf(), launch_data_storage=storage())
        return oidc_login.redirect(target_link_uri)
    except Exception as error:  # noqa: BLE001 - reported to the driver, whatever it is
        outcome = {
            "ok": False,
            "stage": "login",
            "error": f"{type(error).__name__}: {error}",
            "params": dict(request.values),
        }
        record(outcome)
        return page(400, "Inicio de sesión LTI rechazado", f"<pre>{html.escape(outcome['error'])}</pre>")


@app.post("/launch")
def launch():
    started = time.time()
    outcome: dict = {"ok": False, "stage": "launch", "at": now()}
    try:
        message_launch = FlaskMessageLaunch(FlaskRequest(), tool_conf(), launch_data_storage=storage())
        message_launch.validate()
    except Exception as error:  # noqa: BLE001
        outcome["error"] = f"{type(error).__name__}: {error}"
        outcome["claims_unverified"] = unverified_claims(request.form.get("id_token"))
        outcome["state_cookie_present"] = any(k.startswith("lti1p3-state-") for k in request.cookies)
        record(outcome)
        return page(
            400, "Lanzamiento rechazado por la herramienta", f"<pre>{html.escape(outcome['error'])}</pre>"
        )

    data = message_launch.get_launch_data()
    outcome.update(
        validated=True,
        sub=data.get("sub"),
        roles=data.get(CLAIM + "roles", []),
        message_type=data.get(CLAIM + "message_type"),
        version=data.get(CLAIM + "version"),
        deployment_id=data.get(CLAIM + "deployment_id"),
        target_link_uri=data.get(CLAIM + "target_link_uri"),
        resource_link=data.get(CLAIM + "resource_link"),
        context=data.get(CLAIM + "context"),
        custom=data.get(CLAIM + "custom"),
        name=data.get("name"),
        email=data.get("email"),
        nrps_claim=data.get(NRPS_CLAIM),
        ags_claim=data.get(AGS_CLAIM),
    )

    # NRPS: every member of the context, all pages (the library follows Link: rel="next").
    outcome["stage"] = "nrps"
    try:
        if not message_launch.has_nrps():
            raise RuntimeError("the launch carries no NRPS claim")
        members = message_launch.get_nrps().get_members()
        outcome["members"] = [
            {k: m.get(k) for k in ("user_id", "roles", "status", "name", "email")} for m in members
        ]
    except Exception as error:  # noqa: BLE001
        return failed(outcome, error)

    # AGS: the line items, one graded, the results read back.
    outcome["stage"] = "ags"
    try:
        if not message_launch.has_ags():
            raise RuntimeError("the launch carries no AGS claim")
        ags = message_launch.get_ags()
        items = ags.get_lineitems()
        outcome["lineitems"] = [
            {k: i.get(k) for k in ("id", "label", "scoreMaximum", "resourceLinkId", "tag")} for i in items
        ]
        wanted = settings()
        label = wanted["lineitem_label"]
        chosen = next((i for i in items if label is None or i.get("label") == label), None)
        if chosen is None:
            raise RuntimeError(f"no line item labelled {label!r} among {[i.get('label') for i in items]}")
        outcome["lineitem"] = {k: chosen.get(k) for k in ("id", "label", "scoreMaximum")}
        grade = (
            Grade()
            .set_score_given(float(wanted["score_given"]))
            .set_score_maximum(float(wanted["score_maximum"]))
            .set_timestamp(now())
            .set_activity_progress("Completed")
            .set_grading_progress("FullyGraded")
            .set_user_id(data["sub"])
        )
        outcome["score"] = json.loads(grade.get_value())
        outcome["stage"] = "score"
        answer = ags.put_grade(grade, LineItem(chosen))
        outcome["score_accepted"] = True
        outcome["score_response"] = answer.get("body")
        outcome["stage"] = "results"
        outcome["results"] = ags.get_grades(LineItem(chosen))
    except Exception as error:  # noqa: BLE001
        return failed(outcome, error)

    outcome["stage"] = "done"
    outcome["ok"] = True
    outcome["seconds"] = round(time.time() - started, 2)
    record(outcome)
    return page(200, "Aula virtual de prueba (pylti1p3)", summary(outcome))


# ---- helpers -------------------------------------------------------------------------------


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def failed(outcome: dict, error: Exception):
    outcome["error"] = f"{type(error).__name__}: {error}"
    if isinstance(error, LtiServiceException):
        response = error.response
        outcome["service_response"] = {
            "method": response.request.method,
            "url": response.url,
            "status": response.status_code,
            "content_type": response.headers.get("Content-Type"),
            "body": response.text[:2000],
        }
    else:
        outcome["traceback"] = traceback.format_exc()[-3000:]
    record(outcome)
    return page(
        502,
        "La herramienta no completó el lanzamiento",
        f"<pre>{html.escape(json.dumps(outcome, indent=2, ensure_ascii=False))}</pre>",
    )


def unverified_claims(token: str | None):
    if not token:
        return None
    try:
        import jwt  # PyJWT, a dependency of pylti1p3

        return {
            "header": jwt.get_unverified_header(token),
            "body": jwt.decode(token, options={"verify_signature": False}),
        }
    except Exception as error:  # noqa: BLE001
        return f"undecodable: {error}"


_record_lock = threading.Lock()


def record(outcome: dict):
    if not RESULTS:
        return
    with _record_lock, open(RESULTS, "a", encoding="utf-8") as out:
        out.write(json.dumps(outcome, ensure_ascii=False) + "\n")


def summary(outcome: dict) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(str(m.get('user_id')))}</td>"
        f"<td>{html.escape(', '.join(r.rsplit('#', 1)[-1] for r in m.get('roles') or []))}</td></tr>"
        for m in outcome.get("members", [])
    )
    context = outcome.get("context") or {}
    score = outcome.get("score") or {}
    return (
        f'<p id="outcome" data-ok="true">Lanzamiento validado con pylti1p3: '
        f"<strong>{html.escape(str(outcome.get('sub')))}</strong> "
        f"({html.escape(', '.join(r.rsplit('#', 1)[-1] for r in outcome.get('roles', [])))}).</p>"
        f"<p>Contexto: {html.escape(str(context.get('title')))} ({html.escape(str(context.get('id')))})</p>"
        f"<h2>Participantes (NRPS): {len(outcome.get('members', []))}</h2>"
        f'<table id="members"><thead><tr><th>user_id</th><th>Rol</th></tr></thead><tbody>{rows}</tbody></table>'
        f"<h2>Calificación (AGS)</h2>"
        f'<p id="score">«{html.escape(str((outcome.get("lineitem") or {}).get("label")))}»: '
        f"{score.get('scoreGiven', 0):g} de {score.get('scoreMaximum', 0):g}, recibida por la plataforma.</p>"
    )


def page(status: int, title: str, body: str) -> Response:
    document = f"""<!doctype html>
<html lang="es-CO"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1rem; line-height: 1.4; color: #1b1b1b; }}
h1 {{ font-size: 1.4rem; }} h2 {{ font-size: 1.1rem; margin-top: 1.5rem; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ccc; padding: .4rem; text-align: left; }}
pre {{ white-space: pre-wrap; word-break: break-word; background: #f4f4f4; padding: .5rem; }}
</style></head>
<body><h1>{html.escape(title)}</h1>
{body}
</body></html>"""
    return Response(document, status=status, mimetype="text/html")


if __name__ == "__main__":
    app.run(
        host=os.environ.get("LTI_TOOL_HOST", "127.0.0.1"),
        port=int(os.environ.get("LTI_TOOL_PORT", "5000")),
        threaded=True,
        use_reloader=False,
    )
