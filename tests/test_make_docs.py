"""`make docs` replaces site/ only with a complete build: a failed build keeps the previous
site and leaves no half-built directory. Run on a one-page site, so it takes a second."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]  # make, mkdocs: one page each
REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("page", "fails"),
    [("# A page\n", False), ("# A page\n\n[a link](missing.md)\n", True)],
    ids=["complete", "failing-at-its-end"],
)
def test_make_docs_swaps_in_only_a_complete_site(tmp_path, page, fails):
    site = tmp_path / "site"
    site.mkdir()
    (site / "old.html").write_text("the previous build")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(page)  # a broken link: a strict warning
    config = tmp_path / "mkdocs.yml"
    config.write_text(f"site_name: one page\ndocs_dir: {tmp_path / 'docs'}\n")
    result = subprocess.run(
        ["make", "-C", str(REPO), "docs", f"SITE={site}", f"MKDOCS_FLAGS=--config-file {config}"],
        capture_output=True,
        text=True,
    )
    assert (result.returncode != 0) == fails, result.stdout + result.stderr
    assert (site / "old.html").exists() == fails
    assert (site / "index.html").exists() != fails
    assert sorted(path.name for path in tmp_path.iterdir()) == ["docs", "mkdocs.yml", "site"]
