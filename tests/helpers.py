"""What several test modules need, written once (test modules never import each other).

- `in_ci`, `cannot_run_here`: a check this machine cannot run is skipped on a local run
  and fails in CI, where every check must run.
- process trees, read with psutil: `descendants`, `running`, `running_in_group`,
  `command_name`.
- TensorBoard event files: `read_events`.
- the built site: `page`, `text` and `tables` of a page.
- axe-core in the browser: `AXE`, `axe_violations`, `describe`.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import psutil
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

REPO = Path(__file__).resolve().parent.parent

# --- checks that cannot run here ------------------------------------------------------


def in_ci() -> bool:
    """CI is set to anything non-empty."""
    return bool(os.environ.get("CI"))


def cannot_run_here(reason: str) -> NoReturn:
    """Skip the calling test on a local run; fail it in CI, where everything must run."""
    if in_ci():
        pytest.fail(f"{reason}; CI is set, so this must run")
    pytest.skip(f"{reason} (skipped locally only; in CI this fails)")


# --- process trees ---------------------------------------------------------------------


def running(pid: int) -> bool:
    """Whether `pid` runs (a zombie, ended but not yet reaped, counts as ended)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def descendants(pid: int) -> set[int]:
    """Every process below `pid`."""
    try:
        return {child.pid for child in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def running_in_group(group: int) -> list[int]:
    """The processes of a process group that still run."""
    found = []
    for pid in psutil.pids():
        try:
            if os.getpgid(pid) == group and running(pid):
                found.append(pid)
        except ProcessLookupError:
            continue
    return found


def command_name(pid: int) -> str:
    try:
        return psutil.Process(pid).name()
    except psutil.NoSuchProcess:
        return ""


# --- TensorBoard event files -----------------------------------------------------------


def read_events(directory: Path) -> tuple[dict, int]:
    """({tag: [(step, plugin, value), ...]}, number of op graphs) of the event files in
    `directory`."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.util import tensor_util

    found: dict[str, list] = {}
    graphs = 0
    for path in sorted(directory.glob("events.out.tfevents.*")):
        for event in EventFileLoader(str(path)).Load():
            graphs += event.HasField("graph_def")
            for value in event.summary.value:
                plugin = value.metadata.plugin_data.plugin_name
                array = tensor_util.make_ndarray(value.tensor) if value.HasField("tensor") else None
                found.setdefault(value.tag, []).append((event.step, plugin, array))
    return found, graphs


# --- the built site ----------------------------------------------------------------------


class Elements(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def page(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def text(site: Path, url: str) -> str:
    return "".join(Elements(page(site, url)).text)


def table_rows(html: str) -> list[list[list[str]]]:
    """Every HTML table of a page: its rows, each the text of its cells."""
    return [
        [
            [
                re.sub(r"<[^>]+>", "", cell).strip()
                for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
            ]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
        ]
        for table in re.findall(r"<table>.*?</table>", html, re.S)
    ]


def tables(html: str) -> list[dict[str, list[str]]]:
    """Every HTML table of a page: {first cell of a row: the row's other cells}."""
    return [{row[0]: row[1:] for row in rows} for rows in table_rows(html)]


# --- axe-core in the browser -----------------------------------------------------------

# axe-core, one of the Node tools the tests run (.ci/package.json; `make test` installs it).
AXE = REPO / ".ci" / "node_modules" / "axe-core" / "axe.min.js"
AXE_JS = """
async ([scheme, rules]) => {
  document.body.setAttribute("data-md-color-scheme", scheme);
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const options = {resultTypes: ["violations"]};
  if (rules) options.runOnly = {type: "rule", values: rules};
  const result = await axe.run(document, options);
  return result.violations.map((v) => ({
    rule: v.id, impact: v.impact, help: v.help, more: v.helpUrl,
    nodes: v.nodes.map((node) => ({
      target: node.target.join(" "), html: node.html.slice(0, 160),
      why: (node.failureSummary || "").replace(/\\s+/g, " ").trim(),
    })),
  }));
}
"""
# What axe checks in Material's two schemes (mkdocs.yml's palette): every rule in the
# light one; in the dark one, only the rules that depend on colours (half the time).
SCHEMES = {"default": None, "slate": ["color-contrast", "link-in-text-block"]}
# Colours switch with CSS transitions: switch them off so axe sees the final colours.
NO_TRANSITIONS = "*, *::before, *::after { transition: none !important; }"


def axe_violations(page: Page, axe_source: str) -> dict[str, list[dict]]:
    """axe-core's violations on the loaded page, per colour scheme."""
    page.add_script_tag(content=axe_source)
    page.add_style_tag(content=NO_TRANSITIONS)
    start = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    try:
        return {scheme: page.evaluate(AXE_JS, [scheme, rules]) for scheme, rules in SCHEMES.items()}
    finally:
        page.evaluate(
            "(scheme) => document.body.setAttribute('data-md-color-scheme', scheme)", start
        )


def describe(violation: dict) -> str:
    nodes = violation["nodes"]
    shown = [f"{node['target']}: {node['why']}\n      {node['html']}" for node in nodes[:3]]
    more = f"\n    ... and {len(nodes) - 3} more" if len(nodes) > 3 else ""
    return (
        f"{violation['rule']} ({violation['impact']}): {violation['help']} "
        f"[{len(nodes)} element(s)] {violation['more']}"
        + "".join(f"\n    {line}" for line in shown)
        + more
    )
