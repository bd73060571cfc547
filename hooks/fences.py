"""Find the code fences of a chapter the way pytest-codeblocks 0.18 reads them.

Both hooks share this reading: `execute.py` runs the fences pytest-codeblocks runs, with
the same chaining (`<!--pytest-codeblocks:cont-->`), and `notebooks.py` turns the same
fences into notebook cells. Not a hook itself: the hooks import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,}|~{3,})(?P<info>[^`]*)$")
COMMENT = re.compile(r"^\s*<!--\s*(?P<body>.*?)\s*-->\s*$")
SKIP = "pytest.mark.skip"
CONT = "pytest-codeblocks:cont"
MARKDOWN_OUTPUT = "output: markdown"  # our marker: render what the block prints as Markdown


@dataclass
class Fence:
    """One fenced block: its lines in the page (0-based, both fence lines included)."""

    start: int
    end: int
    indent: str
    ticks: str
    info: str
    code: str  # the body, with the fence's indentation removed
    markers: list[str] = field(default_factory=list)  # HTML comments right before it

    @property
    def runnable(self) -> bool:
        """A block pytest-codeblocks collects and runs: exactly ```python, not skipped."""
        return self.ticks.startswith("`") and self.info == "python" and not self.skipped

    @property
    def skipped(self) -> bool:
        return any(marker.startswith(SKIP) for marker in self.markers)

    @property
    def continued(self) -> bool:
        """Joins the previous block's session, as `<!--pytest-codeblocks:cont-->` does."""
        return CONT in self.markers

    @property
    def markdown_output(self) -> bool:
        return MARKDOWN_OUTPUT in self.markers


def parse(text: str) -> list[Fence]:
    """Every fence of a Markdown page, in order, with the comment markers before each."""
    lines = text.splitlines()
    fences, markers, number = [], [], 0
    while number < len(lines):
        line = lines[number]
        comment = COMMENT.match(line)
        opening = FENCE_OPEN.match(line)
        if comment:
            markers.append(comment.group("body"))
        elif opening:
            indent, ticks = opening.group("indent"), opening.group("ticks")
            end = number + 1
            while end < len(lines) and not lines[end].lstrip().startswith(ticks):
                end += 1
            if end == len(lines):
                raise ValueError(f"the fence opened on line {number + 1} is never closed")
            body = [
                body_line[len(indent) :] if body_line.startswith(indent) else body_line.lstrip()
                for body_line in lines[number + 1 : end]
            ]
            code = "\n".join(body) + "\n" if body else ""
            info = opening.group("info").strip()
            fences.append(Fence(number, end, indent, ticks, info, code, markers))
            markers, number = [], end
        number += 1
    return fences


def sessions(fences: list[Fence], prefix: str) -> dict[int, str]:
    """A session name per runnable fence (by start line): a new one unless it continues."""
    names, count = {}, 0
    for fence in fences:
        if not fence.runnable:
            continue
        if not fence.continued or not names:
            count += 1
        names[fence.start] = f"{prefix}-{count}"
    return names
