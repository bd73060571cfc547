"""What a chapter folds (`??? note "Title"`), its notebook folds: a collapsed heading over
the note's prose, listings and code cells, which ends where the note ends
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


def test_a_note_is_a_collapsed_section_that_ends_where_the_note_ends(config):
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
    # the chapter goes on without a heading: one, a level below its section's, ends the fold
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
