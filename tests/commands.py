"""The command line as a reader runs it: `python -m alphabet_tutorial ...` in a process of
its own (a helper module of the tests, like tests/venvs.py)."""

from __future__ import annotations

import subprocess
import sys


def alphabet_tutorial(
    *argv: str, env: dict | None = None, python: tuple[str, ...] = (), timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the command with `argv`; `python` holds interpreter flags such as -S."""
    return subprocess.run(
        [sys.executable, *python, "-m", "alphabet_tutorial", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
