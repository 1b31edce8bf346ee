"""Prepares the cases of .ci/ob3 from a running server with demo data: three freshly served
credentials of issued certificates (codes read from the server's SQLite database), tampered
copies of one (a result value, the holder's name, the rdfc proof's date), and one certificate
revoked through the API (as the demo administrator) whose credential is then downloaded.
Checks the product's own verifier agrees (POST /api/v1/credentials/verify) and writes
CASES.json for dcc.mjs and openbadgeslib_verify.py.

    python3 prepare.py WORK_DIR     env AULA_BASE_URL, AULA_DATABASE (the SQLite file)
"""

import json
import os
import sqlite3
import sys
import urllib.request

BASE = os.environ["AULA_BASE_URL"]
WORK = sys.argv[1]
ADMIN = ("admin@aulaterritorial.example", "Admin-Aula-2026")


def api(method: str, path: str, token: str | None = None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{BASE}/api/v1{path}", data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def main() -> int:
    with sqlite3.connect(os.environ["AULA_DATABASE"]) as db:
        codes = [row[0] for row in db.execute(
            "SELECT code FROM certificates WHERE status = 'valid' ORDER BY id LIMIT 4")]
    if len(codes) < 4:
        print(f"FAIL the demo data has {len(codes)} valid certificates, 4 are needed")
        return 1
    fresh, to_revoke = codes[:3], codes[3]
    token = api("POST", "/tokens", body={"email": ADMIN[0], "password": ADMIN[1]})["token"]
    api("POST", f"/certificates/{to_revoke}/revoke", token,
        {"reason": "Prueba de interoperabilidad: credencial revocada (.ci/ob3)."})

    cases = []
    problems = 0

    def keep(name: str, credential: dict, expect: str) -> None:
        nonlocal problems
        path = os.path.join(WORK, f"{name}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(credential, f, ensure_ascii=False, indent=2)
        cases.append({"name": name, "file": path, "expect": expect})
        ours = api("POST", "/credentials/verify", body=credential)["status"]
        ok = ours == expect
        problems += not ok
        print(f"{'PASS' if ok else 'FAIL'} aula {name}: expected {expect}, our verifier says {ours}")

    credentials = {}
    for i, code in enumerate(fresh, 1):
        credentials[code] = api("GET", f"/certificates/{code}/credential")
        suites = [p.get("cryptosuite") for p in credentials[code]["proof"]]
        if suites != ["eddsa-jcs-2022", "eddsa-rdfc-2022"]:
            print(f"FAIL fresh-{i} carries the proofs {suites}")
            problems += 1
        keep(f"fresh-{i}", credentials[code], "valid")

    original = credentials[fresh[0]]
    tampered = json.loads(json.dumps(original))
    results = tampered["credentialSubject"]["result"]
    results[-1]["value"] = "5.0" if results[-1]["value"] != "5.0" else "4.9"
    keep("tampered-result", tampered, "invalid")

    tampered = json.loads(json.dumps(original))
    tampered["credentialSubject"]["name"] += " Pérez"
    keep("tampered-name", tampered, "invalid")

    tampered = json.loads(json.dumps(original))
    rdfc = next(p for p in tampered["proof"] if p["cryptosuite"] == "eddsa-rdfc-2022")
    rdfc["created"] = "2020-01-01T00:00:00Z"
    keep("tampered-rdfc-proof", tampered, "invalid")

    keep("revoked", api("GET", f"/certificates/{to_revoke}/credential"), "revoked")

    with open(os.path.join(WORK, "cases.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, indent=2)
    print(f"aula: {len(cases) - problems} passed, {problems} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
