"""Make mkdocs-jupyter's notebook pages light and valid: their CSS once, in a cached file.

mkdocs-jupyter renders each executed notebook with nbconvert's template, which inlines
about 595 KB of CSS in `<style>` blocks on every notebook page (some inside `<body>`,
which HTML does not allow), plus a script and a style for Mermaid diagrams that our
notebooks never contain (the script would import Mermaid from a CDN if they did). This
hook takes the styles out of each notebook page and links, from its `<head>`, one file of
the built site instead, `css/notebook-<hash>.css` (the hash of its content: a changed
stylesheet is a new URL, so browsers may cache it for good). After the build it writes
that file with only the rules whose classes occur on the notebook pages (JupyterLab's
whole stylesheet is mostly for widgets a static notebook never shows). It drops
the block mkdocs-jupyter appends after the notebook, which is a Python list printed into
a `<style>` (not CSS), and the Mermaid code when the page has no Mermaid diagram. It also
makes the code and output blocks reachable by keyboard (they scroll sideways) and gives
the copy buttons the role that allows their aria-label, and keeps the notebook pages out
of the search index (a chapter's notebook repeats the chapter). Our own corrections to the
notebook styles (contrast) are in `docs/css/extra.css`.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from pathlib import Path

import tinycss2

STYLE = re.compile(r"[ \t]*<style\b[^>]*>(?P<css>.*?)</style>\n?", re.S)
MERMAID_SCRIPT = re.compile(
    r"<script type=\"module\">(?:(?!</script>).)*?mermaid.*?</script>\n?", re.S
)
MERMAID_DIAGRAM = 'class="jp-Mermaid'
COPY_BUTTON = re.compile(r'<clipboard-copy(?: ,="")?')  # the template leaves a stray ","
CLASSES = re.compile(r'\sclass="([^"]*)"')
CLASS_SELECTOR = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
NEGATION = re.compile(r":not\([^()]*\)")  # classes a selector requires to be absent
PLACEHOLDER = "notebook-css-placeholder.css"  # replaced by the file's name after the build

_styles: dict[str, list[Path]] = {}  # the notebook CSS -> the pages that use it
_classes: set[str] = set()  # every class on a notebook page


def on_pre_build(config) -> None:
    _styles.clear()
    _classes.clear()


def on_page_content(html: str, page, config, files) -> str:
    """Notebook pages stay out of the search index: each repeats its chapter, and their
    text was half of the index every page loads."""
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
    page_path = Path(config["site_dir"]) / page.file.dest_uri
    _styles.setdefault(css, []).append(page_path)
    _classes.update(name for names in CLASSES.findall(output) for name in names.split())
    href = posixpath.relpath(f"css/{PLACEHOLDER}", posixpath.dirname(page.file.dest_uri) or ".")
    # Last in the head: the styles keep their place in the cascade, after Material's.
    at = output.find("</head>")
    return output[:at] + f'<link rel="stylesheet" href="{href}">\n' + output[at:]


def used(selectors: str, classes: set[str]) -> bool:
    """Whether any selector of a list could match: all its classes occur on the pages."""
    return any(
        all(name in classes for name in CLASS_SELECTOR.findall(selector))
        for selector in NEGATION.sub("", selectors).split(",")
    )


def prune(rules, classes: set[str]) -> str:
    """The rules (and @media/@supports blocks) that could match, serialized."""
    kept = []
    for rule in rules:
        if rule.type == "qualified-rule":
            if used(tinycss2.serialize(rule.prelude), classes):
                kept.append(rule.serialize())
        elif rule.type == "at-rule":
            if rule.lower_at_keyword in ("media", "supports") and rule.content is not None:
                inner = tinycss2.parse_blocks_contents(
                    rule.content, skip_comments=True, skip_whitespace=True
                )
                body = prune(inner, classes)
                if body:
                    kept.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{body}}}")
            else:
                kept.append(rule.serialize())
    return "\n".join(kept)


def on_post_build(config) -> None:
    for css, pages in _styles.items():
        rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
        pruned = prune(rules, _classes) + "\n"
        name = f"notebook-{hashlib.sha256(pruned.encode()).hexdigest()[:10]}.css"
        target = Path(config["site_dir"]) / "css" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(pruned, encoding="utf-8")
        for page in pages:
            page.write_text(page.read_text(encoding="utf-8").replace(PLACEHOLDER, name), "utf-8")
