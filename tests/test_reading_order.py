"""One reading order: the navigation (mkdocs.yml), the home page's agenda and every
page's "Next:" link agree. The core chapters come first, then the conclusions, then the
reach chapters under "Going further"."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
LINK = re.compile(r"\]\((?P<page>[\w-]+\.md)(?:#[\w-]+)?\)")


def flat(nav: list) -> list[str]:
    """The pages of a nav, sections opened, in order."""
    pages = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages += flat(value) if isinstance(value, list) else [value]
    return pages


class Loader(yaml.SafeLoader):
    """mkdocs.yml may hold !!python/name tags; the nav needs none of them."""


Loader.add_multi_constructor("", lambda loader, suffix, node: None)
NAV = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=Loader)["nav"]
ORDER = flat(NAV)


def paragraphs(page: str) -> list[str]:
    text = re.sub(r"```.*?```", "", (DOCS / page).read_text(encoding="utf-8"), flags=re.S)
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text) if block.strip()]


def test_the_nav_holds_every_chapter_once_with_the_reach_chapters_last():
    assert sorted(ORDER) == sorted(path.name for path in DOCS.glob("*.md"))
    assert len(set(ORDER)) == len(ORDER)
    assert ORDER[0] == "index.md"
    further = next(entry["Going further"] for entry in NAV if "Going further" in entry)
    assert ORDER[-len(further) - 1 :] == ["conclusions.md", *flat(further)]


def test_the_agenda_lists_every_chapter_in_the_nav_order():
    agenda = [
        LINK.search(line)["page"]
        for line in (DOCS / "index.md").read_text(encoding="utf-8").splitlines()
        if re.match(r"\d+\. \[", line)
    ]
    assert agenda == ORDER[1:]


def test_every_next_link_is_the_next_page_of_the_nav():
    for page, following in zip(ORDER, [*ORDER[1:], None], strict=True):
        found = [p for p in paragraphs(page) if p.startswith("Next")]
        if following is None:
            assert not found, f"{page} is the last page, yet says {found}"
            continue
        assert len(found) == 1, f"{page}: one 'Next:' paragraph expected, found {found}"
        assert LINK.search(found[0])["page"] == following, f"{page}: {found[0]}"
        assert paragraphs(page)[-1] == found[0], f"{page}: 'Next:' is not its last paragraph"
