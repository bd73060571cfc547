"""The execution cache of `make serve`: each chapter's outputs, keyed by what they depend on.

Only the preview uses it (alphabet_site/hooks/execute.py asks `enabled()`, true under `mkdocs serve`
alone): `make docs`, CI and the Pages workflow neither read nor write it, so what is
published was executed in that build.

A chapter's key is a SHA-256 of its code blocks (each fence's code and the session it
shares globals with, not its line numbers: prose edits above it keep the key) and of the
environment the code ran in: every file of the package (a package edit changes every
chapter's key, since the chapters import it through `impls.get` and worker processes,
which no static reading follows), the hooks that run the code and shape its output, the
installed distributions and their versions, the Python version and the platform.

The entry of a chapter is one JSON file, `.execution-cache/<chapter>.json`, replaced each
time the chapter runs: the key, when it ran and for how long, each fence's output, and
what other hooks derived from the run (`derived`: the widget's weights, the runs kept as
runs.json). An entry that cannot be read, or whose key differs, is a miss. Not a hook:
the execute hook imports it (its state lives for the whole `mkdocs serve` process).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import os
import platform
import sys
from pathlib import Path

from alphabet_site.fences import parse

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
# Where the entries live; tests point it elsewhere (nothing is written into the checkout).
DIRECTORY = Path(os.environ.get("ALPHABET_EXECUTION_CACHE", REPO / ".execution-cache"))
PACKAGE = REPO / "alphabet_tutorial"
# The hooks whose code decides what a fence shows (how it runs, how output is captured).
TOOLING = [HERE / "hooks" / "execute.py", HERE / "fences.py", HERE / "terminal.py"]
FORMAT = 2  # bumped when the entry's layout changes

ENABLED = False  # set once, at `mkdocs serve`'s startup
INPUTS: dict[str, str] = {}  # this build's environment(): the keys' inputs besides the code


def enabled() -> bool:
    return ENABLED


def new_build() -> None:
    """Read the environment for this build's keys. When the package changed since the last
    build, reload its modules in this process (the serve process keeps modules between
    rebuilds), so the chapters that re-run import the edited code. In place, and the
    dependencies first (the reverse of the order they were first imported in): the hooks
    that hold a package module see its new code."""
    package = INPUTS.get("package")
    INPUTS.update(environment())
    if package is not None and package != INPUTS["package"]:
        names = [n for n in sys.modules if n.split(".")[0] == "alphabet_tutorial"]
        for name in reversed(names):
            try:
                importlib.reload(sys.modules[name])
            except ImportError:  # a module the edit removed
                del sys.modules[name]


def tree_digest(paths) -> str:
    """SHA-256 over the files' paths and bytes (no __pycache__), in a stable order."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def package_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def environment() -> dict[str, str]:
    """Everything but the chapter's code that its outputs depend on: read once per build."""
    distributions = sorted(
        {f"{d.metadata['Name']}=={d.version}".lower() for d in importlib.metadata.distributions()}
    )
    return {
        "package": tree_digest(package_files()),
        "tooling": tree_digest(TOOLING),
        "dependencies": "\n".join(distributions),
        "python": f"{sys.implementation.name} {sys.version}",
        "platform": f"{platform.platform()} {platform.machine()}",
    }


def key(blocks: list[tuple[int, str]], inputs: dict[str, str] | None = None) -> str:
    """The key of a chapter whose fences are `blocks` ((session, code) each), run in
    `inputs` (default: this build's environment)."""
    inputs = INPUTS if inputs is None else inputs
    text = json.dumps({"format": FORMAT, "blocks": blocks, **inputs}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def chapter_key(markdown: str) -> str:
    """The key of a chapter's source (the execute hook: the runnable fences, as it runs them)."""
    return key([(fence.session, fence.code) for fence in parse(markdown) if fence.runnable])


def will_reuse(file) -> bool:
    """True when this build takes the chapter `file` (a MkDocs File) from the cache."""
    if not enabled():
        return False
    markdown = Path(file.abs_src_path).read_text(encoding="utf-8")
    return load(file.src_uri, chapter_key(markdown)) is not None


def entry_path(chapter: str) -> Path:
    """docs' recap.md -> .execution-cache/recap.json (a chapter in a folder: a/b.md -> a--b)."""
    return DIRECTORY / (chapter.removesuffix(".md").replace("/", "--") + ".json")


def load(chapter: str, expected_key: str) -> dict | None:
    """The chapter's entry when its key is `expected_key`; None otherwise (or unreadable)."""
    try:
        entry = json.loads(entry_path(chapter).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != expected_key:
        return None
    return entry


def store(chapter: str, entry: dict) -> None:
    """Write the chapter's entry whole or not at all (a stopped serve leaves no half file)."""
    path = entry_path(chapter)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        partial.write_text(json.dumps(entry), encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
