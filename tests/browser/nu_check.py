#!/usr/bin/env python3
"""The W3C Nu HTML Checker over the pages the browser journeys visited (issue 67).

`tests/browser/journeys.py` saves the HTML the server sent for every page it checks (the response
body, before any script ran) into a folder, with `pages.json` naming the path each file was
served at. This runs vnu.jar (npm's `vnu-jar`, pinned in tests/browser/package-lock.json) over
that folder offline, errors only, and prints each error with its page, line and the markup
around it. Exit status 1 on any error (or when there is nothing to check), 0 when there is none.

    python3 tests/browser/nu_check.py target/browser-html [path/to/vnu.jar]

Run by `.ci/browser` after the journeys.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from pathlib import Path

DEFAULT_JAR = Path(__file__).parent / "node_modules/vnu-jar/build/dist/vnu.jar"


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    folder = Path(sys.argv[1])
    jar = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_JAR
    files = sorted(folder.glob("*.html"))
    if not files:
        print(f"no saved page in {folder}: the journeys saved nothing to check", file=sys.stderr)
        return 1
    try:
        served_at = json.loads((folder / "pages.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        served_at = {}
    version = subprocess.run(
        ["java", "-jar", str(jar), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(f"Nu HTML Checker {version or '?'} over {len(files)} page(s) in {folder}", flush=True)
    # Errors only (warnings are advice), as JSON on stderr; --exit-zero-always so a run with
    # errors is told from a checker that could not run.
    done = subprocess.run(
        [
            "java",
            "-Xss4m",
            "-jar",
            str(jar),
            "--errors-only",
            "--exit-zero-always",
            "--format",
            "json",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        messages = json.loads(done.stderr)["messages"]
    except (ValueError, KeyError):
        print(f"the checker did not answer in JSON (exit {done.returncode}):", file=sys.stderr)
        print(done.stderr[-4000:] or done.stdout[-4000:], file=sys.stderr)
        return 1
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")]
    by_message: dict[str, int] = {}
    for m in errors:
        name = Path(urllib.parse.unquote(urllib.parse.urlsplit(m.get("url", "")).path)).name
        line = m.get("lastLine", m.get("firstLine", "?"))
        column = m.get("firstColumn", m.get("lastColumn", "?"))
        print(f"- {name} ({served_at.get(name, '?')}), line {line}, column {column}: {m.get('message')}")
        extract = (m.get("extract") or "").replace("\n", "↵")
        if extract:
            print(f"      {extract}")
        by_message[m.get("message", "")] = by_message.get(m.get("message", ""), 0) + 1
    if errors:
        pages = {m.get("url") for m in errors}
        print(f"\n{len(errors)} error(s) on {len(pages)} of {len(files)} page(s); by message:")
        for message, count in sorted(by_message.items(), key=lambda item: -item[1]):
            print(f"  {count:4d} × {message}")
        return 1
    print(f"no error on {len(files)} page(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
