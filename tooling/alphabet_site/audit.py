"""Audit the built site as a reader's browser sees it: Lighthouse and the Nu HTML validator.

Serves the built site (default `site/`, from `make docs`) on a loopback port, runs
Lighthouse on every page in its desktop and mobile settings with the system Chromium,
runs the Nu validator (vnu.jar) over every HTML file, and prints per page: the four
Lighthouse scores for both form factors, the page weight, the validator's error count,
and what failed. Exits 1 when a page misses the targets (accessibility and best practices
100, desktop performance at least 95, no validator error), 0 otherwise.

The tools come from `tooling/audit/package.json` (`npm ci --prefix tooling/audit`, which
`make audit` runs). Usage: python -m alphabet_site.audit [SITE_DIR] [--only SUBSTRING]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / "audit"  # its package.json: the Node tools
LIGHTHOUSE = TOOLS / "node_modules" / "lighthouse" / "cli" / "index.js"
VNU = TOOLS / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"accessibility": 100, "best-practices": 100}  # every form factor
DESKTOP_PERFORMANCE = 95


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(site: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def pages(site: Path) -> list[str]:
    """Every HTML page of the site, as its path from the site root ('' is the home page)."""
    found = []
    for path in sorted(site.rglob("*.html")):
        relative = path.relative_to(site).as_posix()
        if relative != "404.html":
            found.append(relative.removesuffix("index.html"))
    return found


def lighthouse(url: str, form_factor: str) -> dict:
    command = [
        "node",
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        "--output-path=stdout",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    if form_factor == "desktop":
        command.append("--preset=desktop")
    result = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "CHROME_PATH": CHROME}
    )
    if result.returncode:
        raise RuntimeError(f"lighthouse failed on {url}:\n{result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    scores = {name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES}
    failed = sorted(
        audit_id
        for name in ("accessibility", "best-practices")
        for ref in report["categories"][name]["auditRefs"]
        if ref["weight"]
        and (audit_id := ref["id"])
        and (report["audits"][audit_id]["score"] is not None)
        and report["audits"][audit_id]["score"] < 1
    )
    weight = report["audits"]["total-byte-weight"]["numericValue"]
    return {"scores": scores, "failed": failed, "bytes": int(weight)}


def validator_errors(site: Path) -> dict[str, list[str]]:
    """Nu validator errors per page path."""
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--skip-non-html", str(site)],
        capture_output=True,
        text=True,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors: dict[str, list[str]] = {}
    for message in messages:
        if message["type"] != "error":
            continue
        path = Path(message["url"].removeprefix("file:")).relative_to(site).as_posix()
        page = path.removesuffix("index.html")
        errors.setdefault(page, []).append(
            f"line {message.get('lastLine', '?')}: {message['message']}"
        )
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", default="site", type=Path)
    parser.add_argument("--only", default="", help="audit only pages whose path contains this")
    args = parser.parse_args()
    site = args.site.resolve()
    if not (site / "index.html").is_file():
        print(f"audit: {site} holds no built site: run `make docs` first", file=sys.stderr)
        return 2
    for tool in (LIGHTHOUSE, VNU):
        if not tool.is_file():
            print(f"audit: {tool} is missing: run `npm ci --prefix tooling/audit`", file=sys.stderr)
            return 2
    if not shutil.which(CHROME) and not Path(CHROME).is_file():
        print(f"audit: no Chromium at {CHROME} (set CHROME_PATH)", file=sys.stderr)
        return 2

    selected = [page for page in pages(site) if args.only in page]
    errors = validator_errors(site)
    server, base = serve(site)
    misses = []
    columns = ("perf", "a11y", "b.p.", "seo")
    header = f"{'page':<42} {'form':<8} " + " ".join(f"{c:>4}" for c in columns)
    header += f" {'KB':>6} {'Nu':>3}"
    print(header)
    print("-" * len(header))
    try:
        for page in selected:
            html_kb = site / page / "index.html" if not page.endswith(".html") else site / page
            for form_factor in ("desktop", "mobile"):
                result = lighthouse(base + page, form_factor)
                scores = result["scores"]
                print(
                    f"{'/' + page:<42} {form_factor:<8} "
                    + " ".join(f"{scores[name]:>4}" for name in CATEGORIES)
                    + f" {result['bytes'] / 1024:>6.0f} {len(errors.get(page, [])):>3}",
                    flush=True,
                )
                for name, target in TARGETS.items():
                    if scores[name] < target:
                        misses.append(f"/{page} {form_factor}: {name} {scores[name]} < {target}")
                if form_factor == "desktop" and scores["performance"] < DESKTOP_PERFORMANCE:
                    misses.append(
                        f"/{page} desktop: performance {scores['performance']} "
                        f"< {DESKTOP_PERFORMANCE}"
                    )
                misses += [f"/{page} {form_factor}: failed audit {a}" for a in result["failed"]]
            html_size = html_kb.stat().st_size / 1024
            print(f"{'':<42} {'html':<8} {html_size:>27.0f}")
    finally:
        server.shutdown()
    for page in selected:
        misses += [f"/{page}: Nu validator: {error}" for error in errors.get(page, [])]
    total = sum(len(errors.get(page, [])) for page in selected)
    print(f"\nNu validator: {total} errors in {sum(1 for p in selected if errors.get(p))} files")
    if misses:
        print("\nMissed targets:\n  " + "\n  ".join(misses))
        return 1
    print("Every page meets the targets.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
