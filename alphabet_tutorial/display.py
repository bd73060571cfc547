"""Tables that show themselves: as HTML in Jupyter and Colab, as their Markdown source
when printed.

A `Markdown` is a string, so a function that returns one still prints, joins and
compares as text (the CLI prints them). Left as the last line of a notebook cell, Jupyter
and Colab show it rendered, from the `_repr_html_` method they look for: a table as an
HTML table (Colab does not render Markdown output, googlecolab/colabtools#322). The site
shows the same rendering under the chapter's code block.
"""

from __future__ import annotations

import markdown


class Markdown(str):
    """Markdown text (a table, paragraphs) that Jupyter and Colab show rendered."""

    def _repr_html_(self) -> str:
        return markdown.markdown(self, extensions=["tables"])

    def __repr__(self) -> str:  # Jupyter's plain-text form: the Markdown itself
        return str(self)


def table(header: list[str], rows: list[list]) -> Markdown:
    """A table with the first column aligned left and the others right (figures)."""
    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"every row needs {len(header)} cells, one per column of {header}")
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return Markdown("\n".join(lines))
