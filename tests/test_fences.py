"""How the hooks read a chapter's fences (alphabet_site/fences.py): as pytest-codeblocks
does, and never so that a Python fence silently runs nothing."""

from __future__ import annotations

import pytest

from alphabet_site.fences import parse

CHAINED = """\
```python
x = 1
```

<!--pytest-codeblocks:cont-->
```python
print(x)
```
"""


def test_a_chained_python_fence_shares_the_session_of_the_fence_above():
    first, second = parse(CHAINED)
    assert first.runnable and second.runnable
    assert first.session == second.session
    assert second.code == "print(x)\n"


def test_a_python_fence_chained_to_one_that_does_not_run_is_refused():
    page = CHAINED.replace("```python\nx = 1", "```text\nx = 1")
    with pytest.raises(ValueError, match=r"line 6: .*chained .* to a `text` fence"):
        parse(page)


def test_an_ipython_fence_is_a_notebook_cell_that_nothing_else_runs():
    (cell,) = parse("```ipython\n%load_ext tensorboard\n%tensorboard --logdir runs\n```\n")
    assert cell.notebook_cell and not cell.runnable
    assert cell.code == "%load_ext tensorboard\n%tensorboard --logdir runs\n"


def test_the_retired_markdown_output_marker_is_refused():
    """It printed Markdown that notebooks showed as raw text."""
    page = "<!-- output: markdown -->\n" + CHAINED
    with pytest.raises(ValueError, match=r"line 2: .*retired.*end the block with the table"):
        parse(page)
