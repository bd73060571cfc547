"""benchmarks/bench_serve.py refuses bad arguments in one line, exit status 2, before it
copies anything or starts a server (its figures are a benchmark's, not a test's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_serve.py"


@pytest.mark.parametrize(
    "args, says",
    [
        (["--prose", "-1"], "--prose must be 0 or more, not -1"),
        (["--prose", "two"], "invalid int value: 'two'"),
        (["--timeout", "0"], "--timeout must be positive"),
        (["--fast"], "unrecognized arguments: --fast"),
        (["--checkout", "{tmp}"], "is not a git checkout"),
    ],
)
def test_bad_arguments_exit_2_in_one_line(tmp_path, args, says):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    args = [a.format(tmp=tmp_path) for a in args]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(temporary)},
        timeout=60,
    )
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and says in done.stderr, done.stderr
    assert not list(temporary.iterdir())  # nothing copied


def test_seed_needs_a_cache(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--seed", "--checkout", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done
    cache = tmp_path / ".execution-cache"
    assert done.stderr == f"bench_serve.py: error: --seed: {cache} holds no entry\n"


@pytest.mark.slow  # a real `make serve` of a one-page site: 3 s, more on a busy machine
def test_times_prose_edits_of_a_copy_and_leaves_nothing(tmp_path):
    """The benchmark run end to end on a checkout of one page that runs no code: it edits
    its copy, never the checkout, sees each edit served, and stops the server cleanly."""
    checkout, temporary = tmp_path / "checkout", tmp_path / "tmp"
    (checkout / "docs").mkdir(parents=True)
    (checkout / "alphabet_tutorial").mkdir()  # `make serve` watches it
    (checkout / "alphabet_tutorial" / "__init__.py").write_text("")
    (checkout / "Makefile").write_text((SCRIPT.parent.parent / "Makefile").read_text())
    (checkout / "mkdocs.yml").write_text(
        "site_name: Bench\nsite_url: https://example.org/alphabet-tutorial/\ntheme: mkdocs\n"
    )
    page = "# Home\n\nThis sentence gets a new first word.\n"
    (checkout / "docs" / "index.md").write_text(page)
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    subprocess.run(["git", "-C", str(checkout), "add", "."], check=True)
    temporary.mkdir()
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--checkout",
            str(checkout),
            "--prose",
            "2",
            "--timeout",
            "60",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(temporary)},
        timeout=120,
    )
    assert done.returncode == 0, done
    lines = done.stdout.splitlines()
    assert "execution cache: empty" in lines[0]
    assert lines[1].startswith("first build: ") and "0 chapter(s) ran, 0 from the cache" in lines[1]
    assert sum(line.startswith("  prose edit ") for line in lines) == 2
    assert "prose edit, 2 edits, wall: median" in done.stdout
    assert "0 process(es) still running (killed), 0 file(s) left in its TMPDIR" in lines[-1]
    assert (checkout / "docs" / "index.md").read_text() == page  # edits went to the copy
    assert not list(temporary.iterdir())  # the copy removed
