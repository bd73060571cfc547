"""What a terminal or Jupyter shows of a program's output, for outputs that redraw a line.

Keras's `fit` draws its progress bar by moving back over the line (`\\b`, `\\r`) and
drawing it again, in colour (ANSI escapes). A terminal, Jupyter and Colab show only the
last drawing; `shown` returns that text, without the colours, so the page and the
published notebook show what the reader saw. Not a hook: execute.py imports it (and the
notebook tests, to compare a reader's run with the page).
"""

from __future__ import annotations

import re

ANSI = re.compile(r"\x1b\[[\d;]*[A-Za-z]")


def shown(text: str) -> str:
    """`text` as displayed: each line redrawn after `\\r` and `\\b`, colours removed."""
    return "\n".join(redrawn(line) for line in ANSI.sub("", text).split("\n"))


def redrawn(line: str) -> str:
    """One line of output with its carriage returns and backspaces applied."""
    screen: list[str] = []
    column = 0
    for char in line:
        if char == "\r":
            column = 0
        elif char == "\b":
            column = max(column - 1, 0)
        else:
            if column < len(screen):
                screen[column] = char
            else:
                screen.append(char)
            column += 1
    return "".join(screen).rstrip() if ("\r" in line or "\b" in line) else line
