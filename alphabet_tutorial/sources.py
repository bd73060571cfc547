"""The package's own source as the tutorial shows it: snippet sections and their code lines.

A section is the text between `# --8<-- [start:name]` and `# --8<-- [end:name]`, the
markers pymdownx.snippets reads; the pages include sections, the notebooks inline them,
and the comparison counts their lines of code.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).parent


def section(source: str, name: str) -> str:
    """The text between `# --8<-- [start:name]` and `# --8<-- [end:name]`."""
    match = re.search(
        rf"^[ \t]*# --8<-- \[start:{name}\]\n(.*?)^[ \t]*# --8<-- \[end:{name}\]",
        source,
        re.S | re.M,
    )
    if match is None:
        raise ValueError(f"no snippet section {name!r} in the source")
    return match.group(1)


def code_lines(source: str) -> int:
    """Lines that hold code: no blank lines, comments or docstrings."""
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            first = body[0]
            if isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                docstrings.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    skip = {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skip:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstrings)


def section_code_lines(filename: str, names) -> int:
    """Code lines of the named sections of one module of the package, summed."""
    source = (PACKAGE / filename).read_text()
    return sum(code_lines(section(source, name)) for name in names)
