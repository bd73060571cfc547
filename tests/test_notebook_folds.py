"""What a chapter folds (`??? note "Title"`), its notebook folds: a collapsed heading over
the note's prose, listings and code cells, which ends where the note ends: at the page's
next heading, where the note moves down to when the page goes on without one
(hooks/notebooks.py). Made from small chapters, without a build."""

from __future__ import annotations

from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.exceptions import PluginError

from alphabet_site.hooks.notebooks import COLLAPSED, chapter_notebook

REPO = Path(__file__).resolve().parent.parent

CHAPTER = """\
# A chapter

## Setting up

Some prose.

??? note "How it was measured"

    The note's prose.

    ```python
    print("in the note")
    ```

The section goes on.

```python
print("after the note")
```

??? abstract "A listing"

    ```py title="a/file.py"
    x = 1
    ```

## Another section

!!! tip "Open on the page"

    An open note stays a quote.
"""


@pytest.fixture(scope="module")
def config():
    return load_config(str(REPO / "mkdocs.yml"))


def section(cells, number: int) -> list:
    """The cells a collapsed heading folds: up to the next heading of its level or higher."""
    level = len(cells[number].source) - len(cells[number].source.lstrip("#"))
    folded = []
    for cell in cells[number + 1 :]:
        hashes = len(cell.source) - len(cell.source.lstrip("#"))
        if cell.cell_type == "markdown" and 0 < hashes <= level:
            break
        folded.append(cell)
    return folded


def test_a_note_whose_code_runs_before_its_sections_code_stays_and_ends_at_a_heading(config):
    notebook = chapter_notebook(CHAPTER, "a.md", config)
    cells = notebook.cells
    sources = [cell.source for cell in cells]
    note = sources.index("### How it was measured")
    assert cells[note].metadata == {**COLLAPSED, "id": cells[note].id}
    folded = section(cells, note)
    assert [(cell.cell_type, cell.source) for cell in folded] == [
        ("markdown", "The note's prose."),
        ("code", 'print("in the note")'),
    ]
    # the chapter goes on without a heading, and with code: the note stays, and a heading a
    # level below its section's ends the fold
    after = cells[note + 1 + len(folded)]
    assert after.source == "### Setting up (continued)\n\nThe section goes on."
    assert cells[note + 2 + len(folded)].source == 'print("after the note")'
    assert notebook.metadata["colab"]["collapsed_sections"] == [
        cells[note].id,
        cells[sources.index("### A listing")].id,
    ]


def test_a_note_of_code_alone_is_its_heading_over_its_listing(config):
    """No empty quote: the title is the heading; the page's next heading ends the fold."""
    cells = chapter_notebook(CHAPTER, "a.md", config).cells
    listing = [cell.source for cell in cells].index("### A listing")
    folded = section(cells, listing)
    assert [cell.source for cell in folded] == ["**`a/file.py`**\n```py\nx = 1\n```"]
    assert cells[listing + 2].source.startswith("## Another section")
    markdown = "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")
    assert "> **How it was measured**" not in markdown and "(continued)" in markdown
    assert markdown.count("(continued)") == 1  # not after the listing: a heading follows


def test_an_open_note_stays_a_quote(config):
    cells = chapter_notebook(CHAPTER, "a.md", config).cells
    assert cells[-1].source.endswith("> **Open on the page**\n>\n> An open note stays a quote.")
    assert not cells[-1].metadata


FOLDED_BLOCK = """\
# A chapter

## Runs

The folded block runs them all.

??? example "All runs"

    ```python
    print("runs")
    ```

Of the folded block's runs, the first is the slowest.
"""


def test_the_folded_block_is_named_by_its_title(config):
    cells = chapter_notebook(FOLDED_BLOCK, "a.md", config).cells
    markdown = "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")
    assert "The collapsed section “All runs” runs them all." in markdown
    assert "Of the runs in the collapsed section “All runs”, the first" in markdown
    assert "folded block" not in markdown


def test_the_folded_block_must_be_one_block(config):
    second = FOLDED_BLOCK + '\n??? example "More runs"\n\n    ```python\n    print(2)\n    ```\n'
    with pytest.raises(PluginError, match="folds 2 blocks of code, not one"):
        chapter_notebook(second, "a.md", config)


MOVED = """\
# A chapter

## Setting up

The listing, one line per step:

??? abstract "A listing"

    ```py title="a/file.py"
    x = 1
    ```

The section goes on.

```python
print("after the listing")
```

??? note "How it was measured"

    ```python
    print("measured")
    ```

The section's last words.

??? info "At the end"

    Its prose.

## Another section

**1. An exercise.** Its question.

??? note "A hint"

    The hint.

More of the question.

??? example "Solution"

    The answer.

Next: the end.
"""


def test_a_note_the_page_goes_on_after_moves_to_the_end_of_its_section(config):
    """Its code (if any) stays in the order the page runs it; the fold ends at the page's
    next heading, a note's or an exercise's, as the page orders them; no made-up heading."""
    cells = chapter_notebook(MOVED, "a.md", config).cells
    sources = [cell.source for cell in cells]
    start = sources.index("## Setting up\n\nThe listing, one line per step:" + POINTER)
    assert [(cell.cell_type, cell.source) for cell in cells[start + 1 :]] == [
        ("code", 'print("after the listing")'),
        ("markdown", "The section's last words."),
        ("markdown", "### A listing"),
        ("markdown", "**`a/file.py`**\n```py\nx = 1\n```"),
        ("markdown", "### How it was measured"),
        ("code", 'print("measured")'),
        ("markdown", "### At the end"),
        ("markdown", "Its prose."),
        ("markdown", "## Another section"),
        ("markdown", "### 1. An exercise\n\nIts question."),
        ("markdown", "#### A hint"),
        ("markdown", "The hint."),
        # not moved below the cell for the reader's answer: a heading ends its fold
        ("markdown", "#### 1. An exercise (continued)\n\nMore of the question."),
        ("code", "# Your code here"),
        ("markdown", "#### Solution to exercise 1"),
        ("markdown", "The answer."),
        ("markdown", "## Next\n\nContinue with the end."),
    ]
    assert "\n".join(sources).count("(continued)") == 1
    folded = [cell.source for cell in cells if cell.metadata.get("id")]
    assert folded == [
        "### A listing",
        "### How it was measured",
        "### At the end",
        "#### A hint",
        "#### Solution to exercise 1",
    ]


# Where the prose before a note introduces it (a colon), a line says where it went.
POINTER = "\n\n*It is folded further down in this section, under “A listing”.*"
POINTER += "\n\nThe section goes on."
