"""LaTeX to MathML that every browser lays out as written, the chapters' and the notebook pages'.

latex2mathml writes two things MathML Core, the part Chromium implements, ignores:
- an array's column alignment as `columnalign` on each cell: Chromium centres every
  cell, so the right-hand sides of a column of equations no longer line up. Each cell
  also gets it as CSS (`text-align`), which every browser reads.
- `\\displaystyle` as an empty `<mstyle displaystyle="true"/>` before the formula it was
  meant for, so the fraction after it stays small. The rest of the row moves inside it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import latex2mathml.converter

NAMESPACE = "http://www.w3.org/1998/Math/MathML"
ET.register_namespace("", NAMESPACE)  # <math xmlns="...">, not <ns0:math>
MSTYLE, MTD = f"{{{NAMESPACE}}}mstyle", f"{{{NAMESPACE}}}mtd"
# As character references, like latex2mathml writes them: Markdown would read these
# characters in the text of an inline formula as emphasis, code or an escape.
MARKDOWN = {ord(char): f"&#x{ord(char):04X};" for char in "*_`\\"}


def to_mathml(tex: str, display: bool = False) -> str:
    """`tex` as a <math> element: displayed (a block of its own) or in a sentence."""
    mathml = latex2mathml.converter.convert(tex, display="block" if display else "inline")
    root = ET.fromstring(mathml)
    for parent in list(root.iter()):
        children = list(parent)
        for at, child in enumerate(children):
            if child.tag == MSTYLE and not len(child) and at + 1 < len(children):
                for follower in children[at + 1 :]:  # what the style was meant for
                    parent.remove(follower)
                    child.append(follower)
                break
    for cell in root.iter(MTD):
        if cell.get("columnalign"):
            cell.set("style", f"text-align: {cell.get('columnalign')}")
    return ET.tostring(root, encoding="us-ascii").decode().translate(MARKDOWN)
