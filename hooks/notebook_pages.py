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

It also drops the block mkdocs-jupyter appends after the notebook, which is a Python list
printed into a `<style>` (not CSS), and the Mermaid code when the page has no Mermaid
diagram; makes the code and output blocks reachable by keyboard (they scroll sideways);
gives the copy buttons the role that allows their aria-label; and keeps the notebook pages
out of the search index (a chapter's notebook repeats the chapter). Our own corrections
to the notebook styles (contrast) are in `overrides/partials/styles.html`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import tinycss2

STYLE = re.compile(r"[ \t]*<style\b[^>]*>(?P<css>.*?)</style>\n?", re.S)
MERMAID_SCRIPT = re.compile(
    r"<script type=\"module\">(?:(?!</script>).)*?mermaid.*?</script>\n?", re.S
)
MERMAID_DIAGRAM = 'class="jp-Mermaid'
COPY_BUTTON = re.compile(r'<clipboard-copy(?: ,="")?')  # the template leaves a stray ","
CLASSES = re.compile(r'\sclass="([^"]*)"')
ATTRIBUTES = re.compile(r"\s([\w:-]+)=")
CLASS_SELECTOR = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
ATTRIBUTE_SELECTOR = re.compile(r"\[\s*([\w:-]+)")
NEGATION = re.compile(r":not\([^()]*\)")  # classes a selector requires to be absent
# html, body or :root after a combinator: inside another element, where they never are.
NESTED_ROOT = re.compile(r"\S\s*[\s>+~]\s*(?:html|body|:root)(?![\w-])")
VARIABLE = re.compile(r"var\(\s*(--[\w-]+)")
PLACEHOLDER = "/* notebook styles */"  # replaced by the pruned styles after the build


@dataclass
class PageFacts:
    """What occurs on the notebook pages: the class and attribute names."""

    classes: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=set)


@dataclass
class Rule:
    prelude: str
    declarations: list


@dataclass
class Block:  # @media or @supports
    header: str
    rules: list  # of Rule, Block or str


_styles: dict[str, list[Path]] = {}  # the notebook CSS -> the pages that use it
_facts = PageFacts()  # of every notebook page


def on_pre_build(config) -> None:
    _styles.clear()
    _facts.classes.clear()
    _facts.attributes.clear()


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
    _facts.classes.update(name for names in CLASSES.findall(output) for name in names.split())
    _facts.attributes.update(ATTRIBUTES.findall(output))
    # Last in the head: the styles keep their place in the cascade, after Material's.
    at = output.find("</head>")
    return output[:at] + f"<style>{PLACEHOLDER}</style>\n" + output[at:]


def used(selectors: str, facts: PageFacts) -> bool:
    """Whether any selector of a list could match the notebook pages: all its classes and
    attributes occur on them, and no `html`, `body` or `:root` sits inside another element
    (mkdocs-jupyter prefixes every selector with `.jupyter-wrapper`, so JupyterLab's
    `:root` variables and `body` rules match nothing)."""
    return any(
        all(name in facts.classes for name in CLASS_SELECTOR.findall(selector))
        and all(name in facts.attributes for name in ATTRIBUTE_SELECTOR.findall(selector))
        and not NESTED_ROOT.search(selector)
        for selector in NEGATION.sub("", selectors).split(",")
    )


def matching(rules, facts: PageFacts) -> list:
    """The rules, @media and @supports blocks that could match, and the other at-rules."""
    kept: list = []
    for rule in rules:
        if rule.type == "qualified-rule":
            prelude = tinycss2.serialize(rule.prelude).strip()
            if used(prelude, facts):
                declarations = tinycss2.parse_declaration_list(
                    rule.content, skip_comments=True, skip_whitespace=True
                )
                kept.append(Rule(prelude, [d for d in declarations if d.type == "declaration"]))
        elif rule.type == "at-rule":
            if rule.lower_at_keyword in ("media", "supports") and rule.content is not None:
                inner = tinycss2.parse_blocks_contents(
                    rule.content, skip_comments=True, skip_whitespace=True
                )
                if body := matching(inner, facts):
                    header = f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}"
                    kept.append(Block(header, body))
            elif rule.lower_at_keyword != "charset":  # meaningless in a <style>
                kept.append(rule)
    return kept


def declarations_of(kept: list):
    for item in kept:
        if isinstance(item, Rule):
            yield from item.declarations
        elif isinstance(item, Block):
            yield from declarations_of(item.rules)


def variables_read(kept: list) -> set[str]:
    """The custom properties (`--name`) the kept rules read, directly or through others."""
    values: dict[str, list[str]] = {}
    wanted: set[str] = set()
    for declaration in declarations_of(kept):
        value = tinycss2.serialize(declaration.value)
        if declaration.name.startswith("--"):
            values.setdefault(declaration.name, []).append(value)
        else:
            wanted.update(VARIABLE.findall(value))
    todo = list(wanted)
    while todo:
        for value in values.get(todo.pop(), []):
            for name in set(VARIABLE.findall(value)) - wanted:
                wanted.add(name)
                todo.append(name)
    return wanted


def animations_run(kept: list) -> set[str]:
    """The names the kept rules' `animation` declarations start."""
    return {
        token.value
        for declaration in declarations_of(kept)
        if declaration.name in ("animation", "animation-name")
        for token in declaration.value
        if token.type == "ident"
    }


def serialize(kept: list, variables: set[str], animations: set[str]) -> str:
    """The kept rules as CSS, without the custom properties nothing reads, the rules that
    leaves empty, and the @keyframes no rule runs."""
    out = []
    for item in kept:
        if isinstance(item, Block):
            body = serialize(item.rules, variables, animations)
            if body:
                out.append(f"{item.header}{{{body}}}")
        elif isinstance(item, Rule):
            body = ";".join(
                declaration.serialize()
                for declaration in item.declarations
                if not declaration.name.startswith("--") or declaration.name in variables
            )
            if body:
                out.append(f"{item.prelude}{{{body}}}")
        elif not item.lower_at_keyword.endswith("keyframes") or any(
            token.type == "ident" and token.value in animations for token in item.prelude
        ):
            out.append(item.serialize())
    # A rule repeated word for word (nbconvert's style blocks overlap): only the last counts.
    return "\n".join(reversed(dict.fromkeys(reversed(out))))


def prune(css: str, facts: PageFacts) -> str:
    """The notebook CSS reduced to what could style the notebook pages."""
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    kept = matching(rules, facts)
    return serialize(kept, variables_read(kept), animations_run(kept))


def on_post_build(config) -> None:
    for css, pages in _styles.items():
        pruned = prune(css, _facts)
        for page in pages:
            html = page.read_text(encoding="utf-8")
            page.write_text(html.replace(PLACEHOLDER, pruned, 1), encoding="utf-8")
