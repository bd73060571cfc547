"""What a first visit to a page of the built site downloads, read from the built files.

A cold load (empty cache, the reader does not scroll or search) requests the page itself;
every stylesheet, icon and script it links; its images that are not lazy (the largest
candidate of a `srcset`, to be safe); and what Material's script requests as it starts:
`sitemap.xml` (instant navigation), its search worker and the search index, unless the
page holds those two back until the reader opens the search (`overrides/main.html`).
Sizes are the files' uncompressed bytes. tests/test_site_browser.py checks in Chromium
that a cold load requests exactly these files.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

LOADED_LINKS = {"stylesheet", "icon", "preload", "modulepreload", "manifest"}
SEARCH_INDEX = "search/search_index.json"
SEARCH_ON_DEMAND = "search-on-demand"  # the id of overrides/main.html's script


class _Loads(HTMLParser):
    """The URLs a page's markup makes the browser fetch as it loads, as written."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.images: list[list[str]] = []  # the candidate URLs of each eager image
        self.lazy: list[str] = []  # the candidate URLs of every lazy image
        self.config = ""  # Material's <script id="__config"> JSON
        self.search_form = False
        self.search_on_demand = False
        self._in_config = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "link" and LOADED_LINKS & set(a.get("rel", "").split()) and a.get("href"):
            self.urls.append(a["href"])
        elif tag == "script":
            if a.get("src"):
                self.urls.append(a["src"])
            self._in_config = a.get("id") == "__config"
            self.search_on_demand |= a.get("id") == SEARCH_ON_DEMAND
        elif tag == "img":
            candidates = [a["src"]] if a.get("src") else []
            candidates += [c.split()[0] for c in a.get("srcset", "").split(",") if c.strip()]
            candidates = [c for c in candidates if not c.startswith("data:")]  # in the page
            if a.get("loading") == "lazy":
                self.lazy += candidates
            elif candidates:
                self.images.append(candidates)
        elif tag == "form" and a.get("name") == "search":
            self.search_form = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_config = False

    def handle_data(self, data: str) -> None:
        if self._in_config:
            self.config += data


def site_path(url: str) -> str:
    """The file of the site a root-relative URL serves."""
    path = urlsplit(url).path.lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


def _read(site: Path, page: str) -> tuple[_Loads, str, dict]:
    """The page's loads, its URL and Material's configuration (with `base` resolved)."""
    page_url = "/" + page.removesuffix("index.html")
    loads = _Loads()
    loads.feed((site / page).read_text(encoding="utf-8"))
    config = json.loads(loads.config) if loads.config else {}
    if "base" in config:
        base = urljoin(page_url, config["base"])
        config["base"] = base if base.endswith("/") else base + "/"
    return loads, page_url, config


def search_files(site: Path, page: str) -> set[str]:
    """The files of Material's search on `page`: its worker script and the index."""
    loads, page_url, config = _read(site, page)
    if not (loads.search_form and config.get("search")):
        return set()
    return {
        site_path(urljoin(page_url, config["search"])),
        site_path(urljoin(config["base"], SEARCH_INDEX)),
    }


def lazy_images(site: Path, page: str) -> set[str]:
    """Every file a lazy image of `page` may show. Chromium fetches a lazy image once it
    comes within a distance of the viewport that grows when it judges the connection
    slow (as on a loaded machine), so these may or may not come with a cold load."""
    loads, page_url, _ = _read(site, page)
    return {site_path(urljoin(page_url, url)) for url in loads.lazy}


def cold_load(site: Path, page: str) -> dict[str, int]:
    """{file of the site: bytes} for a cold load of `page` (a site path such as
    'recap/index.html'). A file that does not exist counts as -1 bytes."""
    loads, page_url, config = _read(site, page)
    files = [page] + [
        site_path(urljoin(page_url, url)) for url in loads.urls if not url.startswith("data:")
    ]
    if not loads.search_on_demand:
        files += sorted(search_files(site, page))
    if "navigation.instant" in config.get("features", []):
        files.append(site_path(urljoin(config["base"], "sitemap.xml")))
    for candidates in loads.images:
        names = [site_path(urljoin(page_url, candidate)) for candidate in candidates]
        files.append(max(names, key=lambda name: size(site / name)))
    return {name: size(site / name) for name in dict.fromkeys(files)}


def size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else -1


def html_pages(site: Path) -> list[str]:
    """Every HTML page of the site but the 404 page, as site paths."""
    return sorted(
        p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.name != "404.html"
    )
