"""The code fences of a chapter, exactly as pytest-codeblocks reads them.

pytest-codeblocks' own extractor decides which fences run and which share globals
(`<!--pytest-codeblocks:cont-->` joins a fence to the block before it), so the build
(`execute.py`), the notebooks (`notebooks.py`) and `pytest --codeblocks` cannot disagree.
The extractor merges chained fences into one block; the hooks need each fence (to put
its output under it), so it is read a second time with the chaining markers blanked,
and each fence is assigned to the block that holds it. The body is taken from the page
itself: the extractor drops the blank lines of indented fences. Not a hook: the hooks import it.

An ```ipython fence is a notebook cell: IPython's own syntax (`%tensorboard`), which
neither pytest nor the build can run. The page shows it, the chapter's notebook holds it
as a code cell without output, and tests/test_notebooks.py runs it in a reader's kernel.

Two traps are refused here: a Python fence chained to a fence that does not run (a `text`
or `console` fence above its `cont` marker) would silently run nothing, in pytest and in
the build alike; and the retired `<!-- output: markdown -->` marker, whose printed
Markdown reached notebooks as raw text (a block now shows a table or a figure by ending
with it, see hooks/execute.py).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pytest_codeblocks import extract_from_buffer

CONT = re.compile(r"^[ \t]*<!--[-\s]*pytest-codeblocks:[-\s]*cont[-\s]*-->[ \t]*$", re.M)
COMMENT = re.compile(r"^\s*<!--.*-->\s*$")
RETIRED = "<!-- output: markdown -->"


@dataclass(frozen=True)
class Fence:
    """One fenced block of a page: 0-based line numbers of its opening and closing lines."""

    start: int
    end: int
    indent: str
    info: str  # what follows the backticks: python, py title="...", text, ...
    code: str  # the body, with the fence's indentation removed
    skipped: bool  # marked <!--pytest.mark.skip...-->
    runnable: bool  # pytest-codeblocks runs it: ```python (or chained to one), not skipped
    session: int  # fences with the same session share their globals
    notebook_cell: bool  # ```ipython: run in notebooks only


def parse(text: str) -> list[Fence]:
    """Every fence of a Markdown page, in order."""
    blocks = extract_from_buffer(io.StringIO(text))  # what pytest-codeblocks runs
    starts = [block.lineno for block in blocks]
    lines = text.splitlines()
    fences = []
    for fence in extract_from_buffer(io.StringIO(CONT.sub("", text))):
        session = max(n for n, start in enumerate(starts) if start <= fence.lineno)
        block = blocks[session]
        skipped = any(mark.startswith("pytest.mark.skip") for mark in block.marks)
        start = fence.lineno - 1
        above = start - 1
        while above >= 0 and COMMENT.match(lines[above]):
            above -= 1
        if fence.syntax == "python" and block.syntax != "python":
            raise ValueError(
                f"line {fence.lineno}: this Python fence is chained "
                f"(pytest-codeblocks:cont) to a `{block.syntax}` fence, which does not run, "
                "so it would never run: remove the cont marker or chain it to a Python fence"
            )
        if RETIRED in (s.strip() for s in lines[above + 1 : start]):
            raise ValueError(
                f"line {fence.lineno}: `{RETIRED}` is retired (notebooks showed the printed "
                "Markdown as raw text): end the block with the table instead of printing it "
                "(alphabet_tutorial.display.Markdown)"
            )
        line = lines[start]
        indent = line[: len(line) - len(line.lstrip())]
        ticks = line.strip()[: len(line.strip()) - len(line.strip().lstrip("`"))]
        end = next(n for n in range(start + 1, len(lines)) if lines[n].lstrip().startswith(ticks))
        body = [
            s[len(indent) :] if s.startswith(indent) else s.lstrip() for s in lines[start + 1 : end]
        ]
        fences.append(
            Fence(
                start=start,
                end=end,
                indent=indent,
                info=fence.syntax or "",
                code="".join(s + "\n" for s in body),
                skipped=skipped,
                runnable=block.syntax == "python" and not skipped,
                session=session,
                notebook_cell=fence.syntax == "ipython",
            )
        )
    return fences
