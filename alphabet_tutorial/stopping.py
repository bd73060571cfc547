"""The stop signals (SIGINT, SIGTERM, SIGHUP): one, remembered once it has arrived, and
how to hold them off while cleaning up.

The command line turns a stop signal into the `Stopped` exception, raised wherever the
program is, so that every `with` block cleans up. A library can swallow that exception
(Playwright's event loop, on a loaded machine, has been seen to); `check()`, called
before a step that commits or starts more work, raises it again, so a stopped command
never publishes what it made after the signal.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
received: list[int] = []  # the signals that arrived, in order


class Stopped(KeyboardInterrupt):
    """SIGTERM, SIGHUP or SIGINT: unwinds like Ctrl-C; `args[0]` is the signal number."""


def stop(signum: int) -> None:
    """Remember the signal and raise `Stopped` where the program is."""
    received.append(signum)
    raise Stopped(signum)


def check() -> None:
    """Raise `Stopped` again if a stop signal arrived (and was swallowed on the way)."""
    if received:
        raise Stopped(received[0])


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Stop signals arriving in the body take effect after it (in the main thread; a
    stop signal always arrives there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
