"""Verifies credentials with openbadgeslib from PyPI (its OB3LdpVerifier: eddsa-rdfc-2022 over
pyld's RDFC-1.0 canonicalization, its own bundled contexts), offline: the `download` hook the
library offers for did:web resolution and status lists reads the server under test over plain
HTTP on loopback (the library asks for https://<host>/.well-known/did.json), and nothing else.

The credential is anchored to the issuer's did:web (issuer and verification method must be
that DID's). Its status is checked through the library's Bitstring Status List check. That
check verifies a status list's own proof only when the list is a JWT-VC (ours is a JSON-LD
credential with Data Integrity proofs), so the list's eddsa-rdfc-2022 proof is verified here
with the library's verify_data_integrity_proof, under the key the DID document publishes.

    python openbadgeslib_verify.py CASES.json   CASES: [{"name", "file", "expect"}]
    env AULA_BASE_URL (the server), AULA_DID (its did:web)
"""

import json
import os
import sys
import urllib.parse
import urllib.request

from openbadgeslib.ob3 import OB3LdpVerifier
from openbadgeslib.ob3.did import resolve_verification_method
from openbadgeslib.ob3.ldp import verify_data_integrity_proof
from openbadgeslib.ob3.status import check_credential_status
from openbadgeslib.ob3.verifier import OB3VerificationError

BASE = os.environ["AULA_BASE_URL"]
DID = os.environ["AULA_DID"]
HOST = urllib.parse.urlsplit(BASE).netloc


def download(url: str) -> bytes:
    """The library's fetch hook, kept to the server under test."""
    parts = urllib.parse.urlsplit(url)
    if parts.netloc != HOST:
        raise OSError(f"offline: {url} is not the server under test")
    local = urllib.parse.urlunsplit(("http", parts.netloc, parts.path, parts.query, ""))
    with urllib.request.urlopen(local, timeout=10) as response:
        return response.read()


def rdfc_proof(document: dict) -> dict:
    proofs = document.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs]
    found = [p for p in proofs if isinstance(p, dict) and p.get("cryptosuite") == "eddsa-rdfc-2022"]
    if len(found) != 1:
        raise OB3VerificationError("the status list has no single eddsa-rdfc-2022 proof")
    return found[0]


def verify_status_lists(document: dict) -> None:
    """Each status list the credential names: its own rdfc proof, by the issuer's key."""
    entries = document.get("credentialStatus")
    entries = entries if isinstance(entries, list) else [entries] if entries else []
    for entry in entries:
        listed = json.loads(download(entry["statusListCredential"]))
        issuer = listed.get("issuer")
        issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
        if issuer != DID:
            raise OB3VerificationError(f"status list issued by {issuer!r}, not {DID}")
        method = rdfc_proof(listed)["verificationMethod"]
        if method.partition("#")[0] != DID:
            raise OB3VerificationError(f"status list signed by {method!r}, not a key of {DID}")
        verify_data_integrity_proof(listed, resolve_verification_method(method, download=download))


def outcome(text: str) -> tuple[str, str]:
    verifier = OB3LdpVerifier.for_issuer_did(DID)
    try:
        credential = verifier.verify(text, download=download)
        document = json.loads(text)
        verify_status_lists(document)
    except OB3VerificationError as error:
        return "invalid", str(error)
    try:
        check_credential_status(credential, download=download, verify_list=False)
    except OB3VerificationError as error:
        if "is set at index" in str(error):
            return "revoked", str(error)
        return "invalid", str(error)
    return "valid", ""


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    passed = failed = 0
    for case in cases:
        with open(case["file"], encoding="utf-8") as f:
            text = f.read()
        got, detail = outcome(text)
        ok = got == case["expect"]
        passed += ok
        failed += not ok
        note = f" ({detail})" if detail else ""
        print(f"{'PASS' if ok else 'FAIL'} openbadgeslib {case['name']}: expected {case['expect']}, verifier says {got}{note}")
    print(f"openbadgeslib: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
