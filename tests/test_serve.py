"""`make serve` and `mkdocs build` with the execution cache (alphabet_site/hooks/execute.py,
alphabet_site/execution_cache.py), on a two-page site of cheap blocks run by the real hook.

The preview takes unchanged chapters from the cache and says so on the page, re-runs a
chapter whose code changed, shows a failing block's error on its page while serving the
others, and, stopped by Ctrl-C, SIGTERM or SIGHUP in the middle of a block, leaves no
process and no temporary file. The build the site is published from never reads the
cache: a tampered entry under the right key changes nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from alphabet_site import execution_cache
from alphabet_site.hooks import execute
from alphabet_tutorial.processes import free_ports

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow  # several short mkdocs processes (about 20 s in all)

HOME = "# Home\n\nProse WORD.\n\n```python\nprint('home says', 6 * 7)\n```\n"
OTHER = "# Other\n\n```python\nprint('other says', 2 + 3)\n```\n"
# A block that starts a process and waits: where a stop usually lands (scale-out, workers).
WAITING = (
    "# Other\n\n```python\nimport os, subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'],\n"
    "    start_new_session=True, stdout=subprocess.DEVNULL)  # the terminal's signals miss it\n"
    "open(os.environ['SERVE_TEST_STARTED'], 'w').write(str(child.pid))\n"
    "time.sleep(300)\n```\n"
)


def make_site(root: Path, hooks: tuple[str, ...] = (), more: str = "") -> Path:
    """The site, its hooks the execute hook (by its path) and `hooks` (names of others)."""
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text(HOME)
    (root / "docs" / "other.md").write_text(OTHER)
    (root / "tmp").mkdir()
    config = root / "mkdocs.yml"
    paths = [execute.__file__, *(str(Path(execute.__file__).with_name(h)) for h in hooks)]
    config.write_text(
        "site_name: Serve test\ntheme: mkdocs\nnav: [index.md, other.md]\n"
        f"hooks: [{', '.join(paths)}]\n"
        "markdown_extensions: [admonition, pymdownx.superfences,\n"
        "  pymdownx.snippets: {check_paths: true}]\n" + more
    )
    return config


def environment(root: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return {
        **keep,
        "ALPHABET_EXECUTION_CACHE": str(root / "cache"),
        "TMPDIR": str(root / "tmp"),
        "SERVE_TEST_STARTED": str(root / "started"),
    }


class Serve:
    """`make serve` of the test site, in a session of its own (as a terminal's job)."""

    def __init__(self, root: Path):
        self.root, self.port = root, free_ports(1)[0]
        config = root / "mkdocs.yml" if (root / "mkdocs.yml").exists() else make_site(root)
        flags = f"-f {config} --dev-addr 127.0.0.1:{self.port}"
        venv = f"VENV={sys.prefix}", "-o", f"{sys.prefix}/.installed"
        self.make = subprocess.Popen(
            [
                "make",
                "--no-print-directory",
                "-C",
                str(REPO),
                "serve",
                *venv,
                f"SERVE_FLAGS={flags}",
            ],
            env=environment(root),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def page(self, path: str = "") -> str:
        url = f"http://127.0.0.1:{self.port}/{path}"
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()

    def wait_for(self, text: str, path: str = "", seconds: float = 60) -> str:
        """The page once it shows `text` (as a browser's live reload would see it)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.make.poll() is None, self.make.communicate()[0]
            try:
                page = self.page(path)
                if text in page:
                    return page
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{path or 'home'} never showed {text!r}")

    def edit(self, name: str, text: str) -> None:
        (self.root / "docs" / name).write_text(text)

    def stop(self, how: signal.Signals, to_make_only: bool = False) -> str:
        """Stop it as a user would, once a block is waiting on a process it started; check
        that nothing it started is left and that its temporary directory is empty."""
        started = self.root / "started"
        deadline = time.monotonic() + 60
        while not started.exists() or not started.read_text():
            assert time.monotonic() < deadline, "the waiting block never started"
            time.sleep(0.2)
        child = int(started.read_text())
        processes = [psutil.Process(self.make.pid), *psutil.Process(self.make.pid).children(True)]
        if to_make_only:
            self.make.send_signal(how)  # `kill PID` of make: make passes it on
        else:  # Ctrl-C, a closed terminal, `kill -TERM -PGID`: the whole job (make passes
            os.killpg(self.make.pid, how)  # a SIGTERM on: mkdocs gets two)
        output = self.make.communicate(timeout=30)[0]
        gone, alive = psutil.wait_procs(processes, timeout=10)
        assert not alive, f"left running: {alive}\n{output}"
        assert not psutil.pid_exists(child) or psutil.Process(child).status() == "zombie"
        assert list((self.root / "tmp").iterdir()) == [], output
        return output


def test_serve_reuses_unchanged_chapters_reruns_edited_ones_and_shows_failures(tmp_path):
    serve = Serve(tmp_path)
    try:
        home = serve.wait_for("home says 42")
        assert "Outputs fresh: run at" in home
        assert "Outputs fresh: run at" in serve.wait_for("other says 5", "other/")
        serve.edit("index.md", HOME.replace("WORD", "EDITED"))
        home = serve.wait_for("Prose EDITED.")
        assert "home says 42" in home and "Outputs from the execution cache: run at" in home
        serve.edit("other.md", OTHER.replace("2 + 3", "2 + 4"))  # a code edit: re-run
        assert "Outputs fresh: run at" in serve.wait_for("other says 6", "other/")
        serve.edit("other.md", OTHER.replace("print('other says', 2 + 3)", "1 / 0"))
        other = serve.wait_for("This block failed", "other/")
        assert "docs/other.md, line 3: the code block raised ZeroDivisionError" in other
        assert "The code failed at docs/other.md, line 3" in other  # the page's note
        assert "home says 42" in serve.page()  # the other pages are still served
        serve.edit("other.md", WAITING)
        serve.stop(signal.SIGTERM, to_make_only=True)
    finally:
        if serve.make.poll() is None:
            os.killpg(serve.make.pid, signal.SIGKILL)
    # the entries of the chapters that ran, none of the failed one
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["index.json", "other.json"]


@pytest.mark.parametrize(
    "how", [signal.SIGINT, signal.SIGHUP, signal.SIGTERM], ids=["ctrl-c", "sighup", "sigterm"]
)
def test_serve_stopped_in_a_block_leaves_no_process_and_no_file(tmp_path, how):
    serve = Serve(tmp_path)
    serve.edit("other.md", WAITING)
    try:
        serve.stop(how)
    finally:
        if serve.make.poll() is None:
            os.killpg(serve.make.pid, signal.SIGKILL)


def test_rebuilds_leave_no_temporary_folders_behind_them(tmp_path):
    """Each build's notebooks are written to a temporary folder (hooks/notebooks.py) and the
    diagram to another (hooks/architecture.py): the preview's rebuilds, in one process,
    do not pile them up, one set per rebuild, and a stop removes what is left."""
    hooks = ("notebooks.py", "architecture.py")
    colab = "extra:\n  colab: {repository: a/b, branch: gh-pages, install: alphabet-tutorial}\n"
    make_site(tmp_path, hooks, "site_url: http://127.0.0.1/\n" + colab)
    serve = Serve(tmp_path)

    def left() -> list[str]:
        return sorted(p.name.rsplit("-", 1)[0] for p in (tmp_path / "tmp").glob("alphabet-*"))

    try:
        serve.wait_for("home says 42")
        assert "home says 42" in serve.page("notebooks/home.ipynb")  # the notebooks hook ran
        for word in ("EDITED", "AGAIN"):  # two rebuilds
            serve.edit("index.md", HOME.replace("WORD", word))
            serve.wait_for(f"Prose {word}.")
            assert left() == ["alphabet-diagram"], left()  # the notebooks went with the build
        serve.edit("other.md", WAITING)
        serve.stop(signal.SIGTERM)
    finally:
        if serve.make.poll() is None:
            os.killpg(serve.make.pid, signal.SIGKILL)


def test_the_published_build_never_reads_the_cache(tmp_path, monkeypatch):
    """A tampered entry under the chapter's right key: `mkdocs build` (what `make docs`, CI
    and the Pages workflow run) shows the fresh outputs, and leaves the entry alone."""
    config = make_site(tmp_path)
    monkeypatch.setattr(execution_cache, "DIRECTORY", tmp_path / "cache")
    monkeypatch.setattr(execution_cache, "INPUTS", execution_cache.environment())
    for name, code in (("index.md", HOME), ("other.md", OTHER)):
        entry = {"key": execution_cache.chapter_key(code), "ran": "2020-01-01 00:00:00"}
        entry |= {"seconds": 0.0, "outputs": [["TAMPERED\n", None]], "derived": {}}
        execution_cache.store(name, entry)
    before = {p.name: p.read_bytes() for p in (tmp_path / "cache").iterdir()}
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config)],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    home = (tmp_path / "site" / "index.html").read_text()
    assert "home says 42" in home and "TAMPERED" not in home
    assert "Outputs" not in home  # the preview's note is the preview's only
    assert {p.name: p.read_bytes() for p in (tmp_path / "cache").iterdir()} == before
    # The control: the preview takes these very entries (their keys are right).
    serve = Serve(tmp_path)
    try:
        assert "home says 42" not in serve.wait_for("TAMPERED")
    finally:
        os.killpg(serve.make.pid, signal.SIGTERM)
        serve.make.communicate(timeout=30)
