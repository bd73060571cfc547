"""Headless Chromium for the screenshots and the browser tests, kept to loopback.

`launch_chromium()` starts the system Chromium through Playwright (its own browser
download is not needed); `guard_loopback(context)` aborts every request to a host
other than this machine and collects the blocked URLs, so a caller can fail with them.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from alphabet_tutorial import stopping

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Chromium's own lookups (update checks, safe browsing) resolve to nothing.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
INSTALL_HINT = (
    "Chromium not found: install it with `apt-get install chromium` (Debian) "
    "or set CHROMIUM=/path/to/chrome"
)


def find_chromium() -> str:
    """The Chromium executable: $CHROMIUM if set, else the first one on this machine."""
    override = os.environ.get("CHROMIUM")
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        raise RuntimeError(f"{INSTALL_HINT} (CHROMIUM={override} is not an executable)")
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(INSTALL_HINT)


def quiet_after_stop(record: logging.LogRecord) -> bool:
    """Drop Playwright's and asyncio's log records once a stop signal arrived.

    A signal that interrupts a Playwright call leaves its reply unclaimed; Playwright then
    logs "Cannot find command to respond" with a traceback. The command's own line says it
    stopped: that record is an echo of the stop, not a second failure.
    """
    return not stopping.received


def quiet_closed_loop_after_stop(unraisable, previous=sys.unraisablehook) -> None:
    """`sys.unraisablehook`: once a stop signal arrived, drop "Event loop is closed".

    The signal reaches Playwright's driver too (Ctrl-C goes to the whole process group),
    and its loop can close before asyncio learns that the driver exited. The driver's pipes
    then close at garbage collection, on the closed loop, and Python prints that error after
    the command's own line; asyncio's child watcher also logs that the loop is closed (the
    "asyncio" logger, which `quiet_after_stop` filters). Both are echoes of the stop.
    """
    error = unraisable.exc_value
    if stopping.received and isinstance(error, RuntimeError) and str(error) == CLOSED_LOOP:
        return
    previous(unraisable)


def quiet_unawaited_after_stop(message, category, *where, previous=warnings.showwarning):
    """`warnings.showwarning`: once a stop signal arrived, drop "coroutine ... was never
    awaited". The stop can end Playwright's loop between creating a coroutine and awaiting
    it; Python warns when that coroutine is collected, after the command's own line."""
    if stopping.received and category is RuntimeWarning and NEVER_AWAITED in str(message):
        return
    previous(message, category, *where)


CLOSED_LOOP = "Event loop is closed"
NEVER_AWAITED = "was never awaited"
for name in ("playwright", "asyncio"):
    logging.getLogger(name).addFilter(quiet_after_stop)
sys.unraisablehook = quiet_closed_loop_after_stop
warnings.showwarning = quiet_unawaited_after_stop


@contextmanager
def launch_chromium() -> Iterator:
    """A headless Playwright `Browser` (sync API) on the system Chromium, closed on exit."""
    executable = find_chromium()  # fail with the install hint before starting Playwright
    from playwright.sync_api import sync_playwright

    # Chromium's own temporary files go to a directory removed after it, however it ends.
    with (
        tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as scratch,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, env={**os.environ, "TMPDIR": scratch}
        )
        try:
            yield browser
        finally:
            browser.close()


def is_loopback(url: str) -> bool:
    """True for URLs served by this machine (and for data:/blob: URLs, which need no host)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in LOOPBACK_HOSTS


def guard_loopback(context) -> list[str]:
    """Route every request of a `BrowserContext`: loopback passes, anything else is aborted.

    Returns the list that collects the blocked URLs; check it is empty after the run.
    """
    blocked: list[str] = []

    def route(route, request):
        if is_loopback(request.url):
            route.continue_()
        else:
            blocked.append(request.url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    return blocked
