"""Make mkdocs-jupyter's notebook pages light and valid: their CSS pruned, in the head.

mkdocs-jupyter renders each executed notebook with nbconvert's template, which inlines
about 595 KB of CSS in `<style>` blocks on every notebook page (some inside `<body>`,
which HTML does not allow), plus a script and a style for Mermaid diagrams that our
notebooks never contain (the script would import Mermaid from a CDN if they did). This
hook takes the styles out of each notebook page and, after the build, puts back into its
`<head>` one `<style>` with only what could style a notebook page: the rules whose
classes and attributes occur on the notebook pages (JupyterLab's stylesheet is mostly for
widgets a static notebook never shows) and the custom properties those rules read (most
of JupyterLab's theme variables are read by nothing here). That is about 20 KB, less
than a separate stylesheet would cost a first visit, and nothing to wait for before the
page renders (no render-blocking request, no flash of unstyled code).

It also drops the block mkdocs-jupyter appends after the notebook, which is a Python
list printed into a `<style>` (not CSS), and the Mermaid code when the page has no
Mermaid diagram (images.py loads its images from the site, relatively); makes the code
and output blocks reachable by keyboard (they scroll sideways); gives the copy buttons
the role that allows their aria-label; and keeps the notebook pages out of the search
index (a chapter's notebook repeats the chapter). Our own corrections to the notebook
styles (contrast) are in `overrides/partials/styles.html`.
"""

from __future__ import annotations

import re
from pathlib import Path

from alphabet_site.css_pruning import PageSelectors, prune

STYLE = re.compile(r"[ \t]*<style\b[^>]*>(?P<css>.*?)</style>\n?", re.S)
MERMAID_SCRIPT = re.compile(
    r"<script type=\"module\">(?:(?!</script>).)*?mermaid.*?</script>\n?", re.S
)
MERMAID_DIAGRAM = 'class="jp-Mermaid'
COPY_BUTTON = re.compile(r'<clipboard-copy(?: ,="")?')  # the template leaves a stray ","
# Declarations of JupyterLab's CSS that are not CSS (browsers ignore them; the Nu validator
# reports them once the styles are in the page).
INVALID = frozenset({("cursor", "normal")})
PLACEHOLDER = "/* notebook styles */"  # replaced by the pruned styles after the build


_styles: dict[str, list[Path]] = {}  # the notebook CSS -> the pages that use it
_selectors_used = PageSelectors()  # of every notebook page


def on_pre_build(config) -> None:
    _styles.clear()
    _selectors_used.clear()


def on_page_content(html: str, page, config, files) -> str:
    """Notebook pages stay out of the search index: each repeats its chapter, and their
    text was half of the index."""
    if getattr(page, "nb_url", None) is not None:
        page.meta["search"] = {**(page.meta.get("search") or {}), "exclude": True}
    return html


def notebook_styles(output: str) -> tuple[str, list[str]]:
    """The page without its nbconvert styles (and unused Mermaid code), and those styles."""
    styles = []

    def take(match: re.Match) -> str:
        css = match["css"].strip()
        if css.startswith("['") or css.startswith('["'):  # a printed list, not CSS
            return ""
        if ".jp-Mermaid" in css and MERMAID_DIAGRAM not in output:
            return ""
        styles.append(css)
        return ""

    start = output.find("</head>")  # nbconvert's styles are all in the body
    body = STYLE.sub(take, output[start:])
    if MERMAID_DIAGRAM not in output:
        body = MERMAID_SCRIPT.sub("", body)
    return output[:start] + body, styles


def on_post_page(output: str, page, config) -> str:
    if getattr(page, "nb_url", None) is None:
        return output
    output, styles = notebook_styles(output)
    output = COPY_BUTTON.sub('<clipboard-copy role="button"', output)
    output = output.replace("<pre>", '<pre tabindex="0">')
    if not styles:
        return output
    css = "\n".join(styles) + "\n"
    _styles.setdefault(css, []).append(Path(config["site_dir"]) / page.file.dest_uri)
    _selectors_used.add_html(output)
    # Last in the head: the styles keep their place in the cascade, after Material's.
    at = output.find("</head>")
    return output[:at] + f"<style>{PLACEHOLDER}</style>\n" + output[at:]


def on_post_build(config) -> None:
    for css, pages in _styles.items():
        pruned = prune(css, _selectors_used, unread=True, invalid=INVALID)
        for page in pages:
            html = page.read_text(encoding="utf-8")
            page.write_text(html.replace(PLACEHOLDER, pruned, 1), encoding="utf-8")
