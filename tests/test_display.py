"""Tables show themselves as Jupyter and Colab need: HTML display data, never Markdown
display data (Colab does not render it), and still print as their source."""

from __future__ import annotations

import pytest
from IPython.core.formatters import DisplayFormatter

from alphabet_tutorial.display import Markdown, table


def shown(value) -> dict[str, str]:
    """The MIME bundle a Jupyter kernel makes of `value` (IPython's own formatter)."""
    return DisplayFormatter().format(value)[0]


def test_a_table_displays_as_an_html_table_and_prints_as_markdown():
    shown_table = table(["Layer", "Parameters"], [["`LSTM`", "8,410"], ["`GRU`", "6,362"]])
    assert str(shown_table).splitlines() == [
        "| Layer | Parameters |",
        "|---|---:|",
        "| `LSTM` | 8,410 |",
        "| `GRU` | 6,362 |",
    ]
    bundle = shown(shown_table)
    assert set(bundle) == {"text/plain", "text/html"}
    assert bundle["text/plain"] == str(shown_table)
    html = bundle["text/html"]
    assert html.startswith("<table>")
    assert "<td><code>LSTM</code></td>" in html
    assert '<th style="text-align: right;">Parameters</th>' in html


def test_markdown_paragraphs_display_as_html():
    bundle = shown(Markdown("**How.** One rule for `both`.\n\nA second paragraph."))
    assert bundle["text/html"] == (
        "<p><strong>How.</strong> One rule for <code>both</code>.</p>\n<p>A second paragraph.</p>"
    )


def test_a_row_that_does_not_fit_the_header_is_refused():
    with pytest.raises(ValueError, match="every row needs 2 cells"):
        table(["Layer", "Parameters"], [["LSTM"]])
