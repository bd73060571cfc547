"""Keep the notebook pages from loading MathJax from a CDN.

nbconvert's template, which mkdocs-jupyter renders the notebooks with, always adds
MathJax's configuration and a <script> from another host; the notebooks hold no maths.
"""

from __future__ import annotations

import re

MATHJAX = re.compile(
    r"<!-- Load mathjax -->\s*<script src=\"[^\"]*\">\s*</script>"
    r"|<!-- MathJax configuration -->\s*<script type=\"text/x-mathjax-config\">.*?</script>",
    re.S,
)


def on_post_page(output: str, page, config) -> str:
    if getattr(page, "nb_url", None) is None:  # set by mkdocs-jupyter on notebook pages
        return output
    return MATHJAX.sub("", output)
