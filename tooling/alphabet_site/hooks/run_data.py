"""The runs two chapters measure, kept as data beside their pages: `runs.json`.

"Beyond one machine" trains every data-parallel setup and "One model, three backends"
every backend, once per build, and their tables show the figures. This hook writes the
runs the chapter's code left (hooks/execute.py ran it) as JSON beside the page, so that
the tests check those very runs as data (tests/test_distribute.py, tests/test_backends.py)
instead of reading them back from the HTML. A build in which such a chapter left no runs
fails. Under `make serve`, the runs are kept with the chapter's execution cache entry, and
a build that takes the chapter from the cache writes them from there.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from mkdocs.exceptions import PluginError

from alphabet_site.hooks.execute import derived

RUNS = {"beyond-one-machine.md": "results", "backends.md": "runs"}  # chapter: its variable
FILE = "runs.json"
KEPT: dict[str, list] = {}  # the page's directory in the site -> its runs as JSON data


def on_pre_build(config) -> None:
    KEPT.clear()  # `mkdocs serve` rebuilds in the same process


def on_page_markdown(markdown: str, page, config, files) -> str:
    name = RUNS.get(page.file.src_uri)
    if name is not None and "code_error" not in page.meta:  # `make serve`: the page shows
        directory = str(Path(page.file.dest_uri).parent)  # the failure, and has no runs
        KEPT[directory] = derived(page, "runs", lambda: left_runs(page, name))
    return markdown


def left_runs(page, name: str) -> list:
    """The runs of the chapter's last block that left `name` (execute.py, at priority 50,
    ran the chapter's blocks before this hook), as JSON data."""
    left = [space[name] for _, space in page.meta.get("code_sessions", []) if name in space]
    if not left:
        raise PluginError(f"{page.file.src_uri}: no code block left its runs in `{name}`")
    return [as_data(run) for run in left[-1]]


def as_data(run):
    """A run as JSON data: a dict as it is, a dataclass (backends.BackendRun) as a dict."""
    if dataclasses.is_dataclass(run) and not isinstance(run, type):
        return dataclasses.asdict(run)
    return run


def on_post_build(config) -> None:
    for directory, runs in KEPT.items():
        path = Path(config["site_dir"]) / directory / FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(runs, indent=1) + "\n", encoding="utf-8")
