"""`make docs` (tooling/build_docs.sh) replaces site/ only with a complete build: a failed
build keeps the previous site and leaves no half-built directory. Where this user may make
a network namespace (as in CI), the build runs in one with no network but loopback; a build
that leaves a file in its temporary directory fails. Run on a one-page site whose hook
probes both, so each case takes a second."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]  # make, mkdocs: one page each
REPO = Path(__file__).resolve().parent.parent

# The page's hook: the network interfaces the build saw and what 127.0.0.1 answered, into
# the site; a temporary file, if asked.
PROBE = """
import socket, tempfile
from pathlib import Path

def on_post_build(config):
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=5).close()
        answer = "connected"
    except OSError as error:
        answer = error.strerror
    Path(config.site_dir, "loopback.txt").write_text(answer)
    interfaces = " ".join(name for _, name in socket.if_nameindex())
    Path(config.site_dir, "interfaces.txt").write_text(interfaces)
    if config.extra.get("leak"):
        tempfile.mkstemp(prefix="left-by-the-build-")
"""


def make_docs(tmp_path: Path, page: str, *, leak: bool = False) -> subprocess.CompletedProcess:
    """`make docs` of a one-page site into tmp_path/site, which holds a previous build."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "old.html").write_text("the previous build")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(page)
    (tmp_path / "probe.py").write_text(PROBE)
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        f"site_name: one page\ndocs_dir: {tmp_path / 'docs'}\n"
        f"hooks: [{tmp_path / 'probe.py'}]\nextra: {{leak: {str(leak).lower()}}}\n"
    )
    return subprocess.run(
        ["make", "-C", str(REPO), "docs", f"SITE={site}", f"MKDOCS_FLAGS=--config-file {config}"],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("page", "leak", "fails"),
    [
        ("# A page\n", False, False),
        ("# A page\n\n[a link](missing.md)\n", False, True),  # a strict warning
        ("# A page\n", True, True),
    ],
    ids=["complete", "failing-at-its-end", "leaving-a-temporary-file"],
)
def test_make_docs_swaps_in_only_a_complete_site(tmp_path, page, leak, fails):
    result = make_docs(tmp_path, page, leak=leak)
    assert (result.returncode != 0) == fails, result.stdout + result.stderr
    site = tmp_path / "site"
    assert (site / "old.html").exists() == fails
    assert (site / "index.html").exists() != fails
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "docs",
        "mkdocs.yml",
        "probe.py",
        "site",
    ]
    if leak:
        assert "docs: the build left temporary files: left-by-the-build-" in result.stderr


def test_the_build_runs_with_loopback_only_where_it_may_and_its_stamp_says_so(tmp_path):
    """Where `unshare -n` is permitted, the build sees one network interface, loopback, and
    127.0.0.1 answers it (here, port 9 refuses); the stamp says which network the build
    had (tests/test_build_offline.py reads site/'s)."""
    result = make_docs(tmp_path, "# A page\n")
    assert result.returncode == 0, result.stdout + result.stderr
    site = tmp_path / "site"
    stamp = (site / ".built").read_text()
    interfaces = (site / "interfaces.txt").read_text().split()
    may_unshare = (
        shutil.which("unshare")
        and shutil.which("ip")
        and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0
    )
    if may_unshare:
        assert stamp == "network: loopback only (unshare -n)\ntemporary files left: none\n"
        assert interfaces == ["lo"]
        assert (site / "loopback.txt").read_text() == "Connection refused"  # reached, closed
    else:
        assert stamp == "network: this machine's\ntemporary files left: none\n"
