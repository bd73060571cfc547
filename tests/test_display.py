"""Tables and figures show themselves as Jupyter and Colab need: HTML and SVG display data,
never Markdown display data (Colab does not render it), and still print as their source."""

from __future__ import annotations

import re

import pytest
from IPython.core.formatters import DisplayFormatter

from alphabet_tutorial.display import SVG, Markdown, table
from alphabet_tutorial.plots import curves_svg


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


def test_a_curve_displays_as_an_svg_image_named_by_its_title():
    figure = curves_svg({"loss": [3.0, 2.0, 1.0]}, "Loss & accuracy")
    assert isinstance(figure, SVG) and figure.startswith("<svg ")
    bundle = shown(figure)
    assert set(bundle) == {"text/plain", "image/svg+xml"}
    assert bundle["image/svg+xml"] == str(figure)
    assert bundle["text/plain"] == "<SVG image: Loss & accuracy>"


def epoch_numbers(figure: str) -> list[str]:
    """The numbers under the epoch axis, left to right."""
    return re.findall(r'text-anchor="middle" font-size="12" fill="currentColor">(\d+)<', figure)


def test_a_curve_numbers_its_epochs_from_1_and_marks_each_value():
    figure = curves_svg({"loss": [3.0, 2.0, 1.0], "val_loss": [2.5, 1.5]}, "Loss")
    assert epoch_numbers(figure) == ["1", "2", "3"]
    assert figure.count("<circle") == 3 + 2 + 2  # one per value, one in each legend entry
    many = curves_svg({"loss": [1.0] * 40}, "Loss")
    assert epoch_numbers(many) == [str(epoch) for epoch in range(1, 41, 3)]  # every third of 40


def test_a_curve_ticks_its_vertical_axis_at_round_values_and_names_it():
    def ticks(figure: str) -> list[str]:
        return re.findall(r'text-anchor="end" font-size="12" fill="currentColor">([^<]+)<', figure)

    assert ticks(curves_svg({"loss": [3.25, 2.0, 1.0]}, "Loss")) == ["0", "1", "2", "3", "4"]
    assert ticks(curves_svg({"loss": [0.37, 0.1]}, "Loss")) == ["0", "0.1", "0.2", "0.3", "0.4"]
    assert ">accuracy</text>" in curves_svg({"accuracy": [0.5, 1.0]}, "A", y_label="accuracy")
    assert ">loss</text>" in curves_svg({"loss": [1.0]}, "Loss")


def test_a_row_that_does_not_fit_the_header_is_refused():
    with pytest.raises(ValueError, match="every row needs 2 cells"):
        table(["Layer", "Parameters"], [["LSTM"]])
