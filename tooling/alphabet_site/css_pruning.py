"""Stylesheets reduced to the rules that could match the built pages (a hook's helper).

A rule is kept when one of its selectors could match: every class, attribute and
attribute value (`[name=value]`) it names occurs on the pages (or in the scripts that add
them), and it does not put `html` or
`:root` inside another element, nor `body` inside a notebook's `.jupyter-wrapper`.
State (`:hover`), pseudo-elements and `:not(...)` are not judged: such a selector counts
as matching. Optionally the custom properties no kept rule reads and the @keyframes no
kept rule runs go too. Used by hooks/notebook_pages.py and hooks/theme_css.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tinycss2

CLASSES = re.compile(r'\sclass="([^"]*)"')
ATTRIBUTES = re.compile(r'\s([\w:-]+)(?:="([^"]*)")?')
CLASS_SELECTOR = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
# [name] or [name=value]: other operators ([name^=value]...) are judged by the name only.
ATTRIBUTE_SELECTOR = re.compile(r"\[\s*([\w:-]+)\s*(?:=\s*[\"']?([^\"'\]\s]*))?")
NEGATION = re.compile(r":not\([^()]*\)")  # classes a selector requires to be absent
# The root element inside another, or the body inside a notebook's wrapper: never.
NOWHERE = re.compile(
    r"\S\s*[\s>+~]\s*(?:html|:root)(?![\w-])|\.jupyter-wrapper\b.*[\s>+~]\s*body(?![\w-])"
)
VARIABLE = re.compile(r"var\(\s*(--[\w-]+)")


@dataclass
class PageSelectors:
    """What occurs on the notebook pages: the class and attribute names."""

    classes: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=set)
    values: set[str] = field(default_factory=set)  # of attributes

    def add_html(self, html: str) -> None:
        self.classes.update(name for names in CLASSES.findall(html) for name in names.split())
        for name, value in ATTRIBUTES.findall(html):
            self.attributes.add(name)
            self.values.add(value)

    def clear(self) -> None:
        self.classes.clear()
        self.attributes.clear()
        self.values.clear()


@dataclass
class Rule:
    prelude: str
    declarations: list


@dataclass
class Block:  # @media or @supports
    header: str
    rules: list  # of Rule, Block or str


def used(selectors: str, page: PageSelectors) -> bool:
    """Whether any selector of a list could match (see the module's docstring)."""
    return any(
        all(name in page.classes for name in CLASS_SELECTOR.findall(selector))
        and all(
            name in page.attributes and (not value or value in page.values)
            for name, value in ATTRIBUTE_SELECTOR.findall(selector)
        )
        and not NOWHERE.search(selector)
        for selector in NEGATION.sub("", selectors).split(",")
    )


def matching(rules, page: PageSelectors) -> list:
    """The rules, @media and @supports blocks that could match, and the other at-rules."""
    kept: list = []
    for rule in rules:
        if rule.type == "qualified-rule":
            prelude = tinycss2.serialize(rule.prelude).strip()
            if used(prelude, page):
                declarations = tinycss2.parse_declaration_list(
                    rule.content, skip_comments=True, skip_whitespace=True
                )
                kept.append(Rule(prelude, [d for d in declarations if d.type == "declaration"]))
        elif rule.type == "at-rule":
            if rule.lower_at_keyword in ("media", "supports") and rule.content is not None:
                inner = tinycss2.parse_blocks_contents(
                    rule.content, skip_comments=True, skip_whitespace=True
                )
                if body := matching(inner, page):
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


def serialize(kept: list, variables: set[str] | None, animations: set[str] | None) -> str:
    """The kept rules as CSS, without the rules left empty and, unless None, without the
    custom properties not in `variables` and the @keyframes not in `animations`."""
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
                if variables is None
                or not declaration.name.startswith("--")
                or declaration.name in variables
            )
            if body:
                out.append(f"{item.prelude}{{{body}}}")
        elif (
            animations is None
            or not item.lower_at_keyword.endswith("keyframes")
            or any(token.type == "ident" and token.value in animations for token in item.prelude)
        ):
            out.append(item.serialize())
    # A rule repeated word for word (nbconvert's style blocks overlap): only the last counts.
    return "\n".join(reversed(dict.fromkeys(reversed(out))))


def drop(kept: list, invalid: frozenset[tuple[str, str]]) -> None:
    """Removes the (property, value) declarations in `invalid` from the kept rules."""
    for item in kept:
        if isinstance(item, Rule):
            item.declarations = [
                d
                for d in item.declarations
                if (d.lower_name, tinycss2.serialize(d.value).strip()) not in invalid
            ]
        elif isinstance(item, Block):
            drop(item.rules, invalid)


# `make serve` rebuilds in one process, mostly with the same stylesheets and selectors:
# the last results, by their inputs (parsing Material's CSS costs about a second).
PRUNED: dict[tuple, str] = {}


def prune(
    css: str,
    page: PageSelectors,
    *,
    unread: bool,
    invalid: frozenset[tuple[str, str]] = frozenset(),
) -> str:
    """`css` reduced to the rules that could match pages with `page`, without the
    declarations in `invalid` ((property, value) pairs); with `unread`, also without the
    custom properties and @keyframes that no kept rule uses."""
    seen = (css, *map(frozenset, (page.classes, page.attributes, page.values)), unread, invalid)
    if seen not in PRUNED:
        if len(PRUNED) > 8:
            PRUNED.clear()
        PRUNED[seen] = pruned(css, page, unread=unread, invalid=invalid)
    return PRUNED[seen]


def pruned(
    css: str, page: PageSelectors, *, unread: bool, invalid: frozenset[tuple[str, str]]
) -> str:
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    kept = matching(rules, page)
    drop(kept, invalid)
    if not unread:
        return serialize(kept, None, None)
    return serialize(kept, variables_read(kept), animations_run(kept))
