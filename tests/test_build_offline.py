"""A second build of the same tree, with no network at all (`unshare -n`: a network
namespace whose loopback is down, so 127.0.0.1 does not answer either; the scale-out
chapter's workers then get a namespace of their own) and a temporary directory of its
own: it passes, leaves nothing in that directory, and makes the same notebooks and pages
as the session's build, byte for byte, apart from the timings it measures.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.site, pytest.mark.timeout(600)]  # a whole build, then its checks
REPO = Path(__file__).resolve().parent.parent
MKDOCS = Path(sys.executable).parent / "mkdocs"
sys.path.insert(0, str(REPO / "hooks"))

from fences import parse  # noqa: E402
from notebooks import notebook_name, page_path  # noqa: E402

# What a build measures differs from build to build: durations and their ratios. They are
# masked as every number with a time unit and every decimal (the comparison prints its
# timings as bare decimals in tables and generated sentences); integers (parameter counts,
# epochs, line counts), ids, order and the splitting of outputs must match exactly.
TIMING = re.compile(r"\d+(?:\s?(?:ms|µs|us|s)\b(?:/\w+)?|\s?×)")
DECIMAL = re.compile(r"\d+\.\d+")
CHAPTERS = [
    path.name
    for path in sorted((REPO / "docs").glob("*.md"))
    if any(fence.runnable for fence in parse(path.read_text(encoding="utf-8")))
]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def offline_build(tmp_path_factory) -> tuple[Path, Path]:
    """(site, its temporary directory): the site built in a network namespace of its own,
    with no interface up, loopback included."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode:
        reason = f"unshare -n is not permitted here: {probe.stderr.strip()}"
        if in_ci():
            pytest.fail(f"{reason}; CI is set, so the offline build must run")
        pytest.skip(reason + " (skipped locally only; in CI this fails)")
    root = tmp_path_factory.mktemp("offline")
    site, tmp = root / "site", root / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        ["unshare", "-n", str(MKDOCS), "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return site, tmp


def test_the_build_needs_no_network_and_leaves_no_temporary_file(offline_build):
    _, tmp = offline_build
    assert sorted(path.name for path in tmp.iterdir()) == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_two_builds_make_the_same_notebook_and_page(offline_build, built_site, chapter):
    site, _ = offline_build
    name = notebook_name(chapter)
    for path in (f"notebooks/{name}/{name}.ipynb", f"{page_path(chapter)}index.html"):
        assert untimed(site / path) == untimed(built_site / path), path


def untimed(path: Path) -> list[str]:
    """The file's lines, with measured figures masked."""
    text = DECIMAL.sub("<n>", path.read_text(encoding="utf-8"))
    return TIMING.sub("<time>", text).splitlines()
