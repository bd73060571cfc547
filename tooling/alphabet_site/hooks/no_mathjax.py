"""The notebook pages' maths as MathML, like the chapters', and no MathJax from a CDN.

nbconvert's template, which mkdocs-jupyter renders the notebooks with, leaves the
Markdown cells' maths as LaTeX between `$$` or `$` for MathJax, and adds MathJax's
configuration and a <script> from another host. The site loads nothing from another
host, so the script goes, and the maths is rendered here, at build time, to MathML, as
hooks/facts.py renders the chapters' (a displayed formula in `<div class="equation">`,
one in a sentence in `<span class="math">`). Code and outputs are left alone.
"""

from __future__ import annotations

import html
import re

from alphabet_site.maths import to_mathml

MATHJAX = re.compile(
    r"<!-- Load mathjax -->\s*<script src=\"[^\"]*\">\s*</script>"
    r"|<!-- MathJax configuration -->\s*<script type=\"text/x-mathjax-config\">.*?</script>",
    re.S,
)
# What is not prose: code, outputs, scripts, styles, figures.
NOT_PROSE = re.compile(r"<(pre|code|script|style|svg|textarea)\b.*?</\1>", re.S)
DISPLAYED = re.compile(r"(?:<p>\s*)?\$\$(?P<tex>.+?)\$\$(?:\s*</p>)?", re.S)
INLINE = re.compile(r"(?<![\\$])\$(?P<tex>[^$\n]+?)\$")


def mathml(prose: str) -> str:
    """The LaTeX of a stretch of nbconvert's HTML (entities escaped) as MathML."""

    def displayed(match: re.Match) -> str:
        tex = html.unescape(match["tex"]).strip()
        return f'<div class="equation">{to_mathml(tex, display=True)}</div>'

    def inline(match: re.Match) -> str:
        tex = html.unescape(match["tex"]).strip()
        return f'<span class="math">{to_mathml(tex)}</span>'

    return INLINE.sub(inline, DISPLAYED.sub(displayed, prose))


def render_maths(output: str) -> str:
    """Every formula of the page's prose as MathML; code and outputs untouched."""
    parts, at = [], 0
    for match in NOT_PROSE.finditer(output):
        parts += [mathml(output[at : match.start()]), match[0]]
        at = match.end()
    return "".join([*parts, mathml(output[at:])])


def on_post_page(output: str, page, config) -> str:
    if getattr(page, "nb_url", None) is None:  # set by mkdocs-jupyter on notebook pages
        return output
    output = MATHJAX.sub("", output)
    start = output.find("<body")
    return output[:start] + render_maths(output[start:])
