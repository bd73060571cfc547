"""Make mkdocs-jupyter's notebook pages light and valid: their CSS once, in a cached file.

mkdocs-jupyter renders each executed notebook with nbconvert's template, which inlines
about 595 KB of CSS in `<style>` blocks on every notebook page (some inside `<body>`,
which HTML does not allow), plus a script and a style for Mermaid diagrams that our
notebooks never contain (the script would import Mermaid from a CDN if they did). On
each notebook page this hook moves the styles, in their order, into one file of the
built site, `css/notebook-<hash>.css` (the hash of its content: a changed stylesheet is a
new URL, so browsers may cache it for good), linked from the page's `<head>`. It drops
the block mkdocs-jupyter appends after the notebook, which is a Python list printed into
a `<style>` (not CSS), and the Mermaid code when the page has no Mermaid diagram. It also
makes the code and output blocks reachable by keyboard (they scroll sideways) and gives
the copy buttons the role that allows their aria-label. Our own corrections to the
notebook styles (contrast) are in `docs/css/extra.css`.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from pathlib import Path

STYLE = re.compile(r"[ \t]*<style\b[^>]*>(?P<css>.*?)</style>\n?", re.S)
MERMAID_SCRIPT = re.compile(
    r"<script type=\"module\">(?:(?!</script>).)*?mermaid.*?</script>\n?", re.S
)
MERMAID_DIAGRAM = 'class="jp-Mermaid'
CSS_DIR = "css"
COPY_BUTTON = re.compile(r'<clipboard-copy(?: ,="")?')  # the template leaves a stray ","


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
    name = f"{CSS_DIR}/notebook-{hashlib.sha256(css.encode()).hexdigest()[:10]}.css"
    target = Path(config["site_dir"]) / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(css, encoding="utf-8")
    href = posixpath.relpath(name, posixpath.dirname(page.url.rstrip("/") + "/x") or ".")
    # Last in the head: the styles keep their place in the cascade, after Material's.
    at = output.find("</head>")
    return output[:at] + f'<link rel="stylesheet" href="{href}">\n' + output[at:]
