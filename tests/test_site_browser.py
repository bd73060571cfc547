"""The built site as readers meet it: served on loopback, driven in headless Chromium.

One server, one browser, one page for the whole module. The pages come from the built
site's own file tree, so a new chapter is covered without touching this file. Each page
is loaded once (the `tour`): read at desktop width, measured at phone width, and checked
by axe-core in the light and the dark scheme. Every request the browser makes goes
through `guard_loopback`: anything addressed to another host is aborted and fails the
test that caused it. Material's own widgets (tabs, palette toggle, search) get one smoke
test; the rest of the time goes to what we build.
"""

from __future__ import annotations

import re
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import nbformat
import page_weight
import pytest
from helpers import AXE, axe_violations, cannot_run_here, describe
from playwright.sync_api import Page

from alphabet_site.screenshots.browser import guard_loopback

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
TIMEOUT_MS = 15_000
QUIET_SECONDS = 0.25  # a page has loaded once the network has been quiet this long
MIN_NAV_PAGES = 5
# Budgets for a page's HTML, uncompressed: what a reader downloads on every visit (the
# stylesheets and scripts come once, then from the cache).
NOTEBOOK_PAGE_BYTES = 300_000
CHAPTER_BYTES = 500_000
# Assets no page of ours uses, that plugins would add: markdown-exec's pyodide, MathJax
# and Mermaid (nbconvert's template), RequireJS (mkdocs-jupyter).
UNUSED_ASSETS = ("pyodide", "mathjax", "mermaid", "require.js")


# --- the pages of the site, read from its built navigation ------------------------------


class _PrimaryNavLinks(HTMLParser):
    """Collects (href, text) of the links in Material's primary navigation."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._nav_depth = 0  # > 0 while inside <nav class="md-nav--primary">
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "nav":
            if self._nav_depth:
                self._nav_depth += 1
            elif "md-nav--primary" in classes:
                self._nav_depth = 1
        elif tag == "a" and self._nav_depth and "md-nav__link" in classes:
            href = attributes.get("href")
            if href and not href.startswith("#"):
                self._href, self._text = href, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self._nav_depth:
            self._nav_depth -= 1
        elif tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._text).split())))
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)


@dataclass(frozen=True)
class SitePage:
    label: str  # the link text in the navigation ("" for a page outside it)
    url: str
    in_nav: bool = True

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


def nav_pages_of(site_dir: Path, base_url: str) -> list[SitePage]:
    """Every page the built home page's navigation links to, in nav order."""
    parser = _PrimaryNavLinks()
    parser.feed((site_dir / "index.html").read_text(encoding="utf-8"))
    pages: dict[str, SitePage] = {}
    for href, label in parser.links:
        parts = urlsplit(urljoin(base_url, href))
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        if url.startswith(base_url) and url not in pages:
            pages[url] = SitePage(label, url)
    return list(pages.values())


def pages_of(site_dir: Path, base_url: str) -> list[SitePage]:
    """The nav pages, then every other HTML page of the built site (rendered notebooks...)."""
    pages = {page.url: page for page in nav_pages_of(site_dir, base_url)}
    for html in sorted(site_dir.rglob("*.html")):
        relative = html.relative_to(site_dir).as_posix()
        if relative == "404.html":
            continue
        url = urljoin(base_url, relative.removesuffix("index.html"))
        pages.setdefault(url, SitePage(label="", url=url, in_nav=False))
    return list(pages.values())


# --- fixtures: server, browser, one page ---------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the browser moved on before a response was sent: not a site problem
        super().handle_error(request, client_address)


@pytest.fixture(scope="module")
def base_url(built_site: Path):
    """`built_site` served by a threaded http.server on a free loopback port."""
    handler = partial(_QuietHandler, directory=str(built_site))
    server = _SiteServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def nav_pages(built_site: Path, base_url: str) -> list[SitePage]:
    return nav_pages_of(built_site, base_url)


@pytest.fixture(scope="module")
def site_pages(built_site: Path, base_url: str) -> list[SitePage]:
    return pages_of(built_site, base_url)


@dataclass
class Session:
    """The one browser page of the run, with what it has collected so far."""

    page: Page
    base_url: str
    blocked: list[str]  # outside requests, aborted by guard_loopback
    console_errors: list[str] = field(default_factory=list)
    in_flight: set = field(default_factory=set)  # requests not yet finished or failed
    last_activity: float = 0.0  # time.monotonic() of the last request event

    def goto(self, url: str):
        return self.page.goto(url, wait_until="load")

    def track(self, request, *, done: bool) -> None:
        if done:
            self.in_flight.discard(request)
        else:
            self.in_flight.add(request)
        self.last_activity = time.monotonic()

    def settle(self, quiet: float = QUIET_SECONDS) -> None:
        """Wait until no request is in flight and none has started for `quiet` seconds
        (Playwright's "networkidle" waits a fixed 500 ms on every page)."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while self.in_flight or time.monotonic() - self.last_activity < quiet:
            if time.monotonic() > deadline:
                pending = sorted(request.url for request in self.in_flight)
                raise AssertionError(f"{self.page.url}: requests never finished:{bullet(pending)}")
            self.page.wait_for_timeout(25)

    def mark(self) -> tuple[int, int]:
        """Where the console errors and the blocked requests stand now."""
        return len(self.console_errors), len(self.blocked)

    def assert_clean_since(self, mark: tuple[int, int], doing: str) -> None:
        """No JavaScript error and no request to another host since `mark`."""
        errors, blocked = self.console_errors[mark[0] :], self.blocked[mark[1] :]
        assert not errors, f"JavaScript errors while {doing}:{bullet(errors)}"
        assert not blocked, (
            f"requests to hosts other than {self.base_url} while {doing} (blocked):"
            f"{bullet(dict.fromkeys(blocked))}"
        )


@pytest.fixture(scope="module")
def session(browser, base_url: str):
    context = browser.new_context(viewport=DESKTOP, service_workers="block")
    blocked = guard_loopback(context)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    state = Session(page=page, base_url=base_url, blocked=blocked)

    def on_console(message) -> None:
        if message.type == "error":
            where = message.location or {}
            state.console_errors.append(
                f"{page.url}: console error: {message.text} "
                f"(at {where.get('url', '?')}:{where.get('lineNumber', '?')})"
            )

    page.on("console", on_console)
    context.on("request", partial(state.track, done=False))
    context.on("requestfinished", partial(state.track, done=True))
    context.on("requestfailed", partial(state.track, done=True))
    page.on("pageerror", lambda error: state.console_errors.append(f"{page.url}: {error}"))
    try:
        yield state
    finally:
        context.close()


# --- one tour of every page -----------------------------------------------------------

# Waits for every image (lazy ones included) to settle, then reads what the tests check.
PAGE_FACTS_JS = """
async () => {
  const images = [...document.images];
  // As the page was served: attributes, and where each image sits in the first screen.
  const served = images.map((img) => ({
    src: img.getAttribute("src"), alt: img.getAttribute("alt"),
    width_attr: img.getAttribute("width"), height_attr: img.getAttribute("height"),
    loading: img.getAttribute("loading"), srcset: img.getAttribute("srcset"),
    top: img.getBoundingClientRect().top + window.scrollY,
  }));
  for (const img of images) if (img.loading === "lazy") img.loading = "eager";
  await Promise.all(images.map((img) => img.complete ? null : new Promise((done) => {
    img.addEventListener("load", done, {once: true});
    img.addEventListener("error", done, {once: true});
    setTimeout(done, 10000);
  })));
  const shown = (el) => el.getClientRects().length > 0;
  const links = [...document.querySelectorAll("a[href]")].map((a) => new URL(a.href));
  return {
    title: document.title,
    headings: [...document.querySelectorAll(".md-content h1")]
      .filter(shown).map((h) => h.textContent.trim()),
    viewport_height: window.innerHeight,
    html_bytes: performance.getEntriesByType("navigation")[0].decodedBodySize,
    resources: performance.getEntriesByType("resource").map((r) => r.name),
    body_styles: document.body.querySelectorAll("style").length,
    images: images.map((img, i) => ({
      ...served[i], natural_width: img.naturalWidth, natural_height: img.naturalHeight,
      current: img.currentSrc,
    })),
    notebooks: links.filter((u) => u.origin === location.origin
      && u.pathname.endsWith(".ipynb")).map((u) => u.href),
    colab: links.filter((u) => u.hostname === "colab.research.google.com").map((u) => u.href),
    tab_sets: [...document.querySelectorAll(".tabbed-set")].map((set) =>
      [...set.querySelectorAll(":scope > .tabbed-labels > label")]
        .map((label) => label.textContent.trim())),
  };
}
"""


# Outermost elements sticking out of the viewport that are not inside their own scroller.
OVERFLOW_JS = """
async () => {
  // Let the resize settle: two animation frames.
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  window.scrollTo(0, 0);
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => ["auto", "scroll", "hidden", "clip"]
    .includes(getComputedStyle(el).overflowX);
  const culprits = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.right <= width + 1 || box.width === 0) continue;
    let parent = el.parentElement, clipped = false;
    while (parent && parent !== document.body) {
      if (scrolls(parent)) { clipped = true; break; }
      parent = parent.parentElement;
    }
    if (clipped) continue;
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + [...el.classList].slice(0, 2).map((c) => "." + c).join("");
    culprits.push(`${name} (right edge ${Math.round(box.right)}px)`);
    if (culprits.length >= 5) break;
  }
  return {
    width,
    scroll_width: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    culprits,
  };
}
"""


# Runs axe-core (injected beforehand) in the given Material colour scheme: the schemes
# differ only by the body's attribute, which is what Material's palette toggle sets.
@pytest.fixture(scope="module")
def axe_source() -> str | None:
    """axe-core's script, or None where it is not installed (a local run only)."""
    if AXE.is_file():
        return AXE.read_text(encoding="utf-8")
    return None


@dataclass
class Visit:
    page: SitePage
    status: int | None
    facts: dict  # what PAGE_FACTS_JS read at desktop width
    phone: dict  # what OVERFLOW_JS measured at phone width
    axe: dict[str, list[dict]] | None  # axe-core's violations per scheme (None: no axe)
    console_errors: list[str]
    blocked: list[str]


@pytest.fixture(scope="module")
def tour(session: Session, site_pages: list[SitePage], axe_source) -> dict[str, Visit]:
    """Each page loaded once: read at desktop width, measured at phone width, left until
    the network is idle, then checked by axe-core in both schemes; with its console errors
    and outside requests."""
    visits: dict[str, Visit] = {}
    page = session.page
    for site_page in site_pages:
        errors, blocked = session.mark()
        response = session.goto(site_page.url)
        facts = page.evaluate(PAGE_FACTS_JS)
        page.set_viewport_size(PHONE)
        phone = page.evaluate(OVERFLOW_JS)
        page.set_viewport_size(DESKTOP)
        session.settle()
        visits[site_page.url] = Visit(
            page=site_page,
            status=response.status if response else None,
            facts=facts,
            phone=phone,
            axe=axe_violations(page, axe_source) if axe_source else None,
            console_errors=session.console_errors[errors:],
            blocked=session.blocked[blocked:],
        )
    return visits


def chapters(tour: dict[str, Visit], base_url: str) -> list[Visit]:
    """Every nav page but the home page."""
    return [visit for url, visit in tour.items() if visit.page.in_nav and url != base_url]


def bullet(lines) -> str:
    return "\n  " + "\n  ".join(str(line) for line in lines)


# --- the tests -----------------------------------------------------------------------


def test_navigation_lists_every_chapter(nav_pages: list[SitePage], base_url: str):
    listed = bullet(f"{p.label}: {p.url}" for p in nav_pages)
    assert len(nav_pages) >= MIN_NAV_PAGES, (
        f"the built navigation links only {len(nav_pages)} pages:{listed}"
    )
    assert nav_pages[0].url == base_url, f"the navigation does not start at home:{listed}"


def test_every_nav_page_renders_its_title(tour: dict[str, Visit], base_url: str):
    problems = []
    for url, visit in tour.items():
        if not visit.page.in_nav:
            continue
        if visit.status != 200:
            problems.append(f"{url}: HTTP status {visit.status}")
        headings = [text for text in visit.facts["headings"] if text]
        if not headings:
            problems.append(f"{url}: no visible <h1> with text")
        title = visit.facts["title"]
        if not title.strip():
            problems.append(f"{url}: empty <title>")
        elif url != base_url and visit.page.label not in title:
            problems.append(f"{url}: <title> {title!r} does not name {visit.page.label!r}")
    assert not problems, f"pages that do not render their title:{bullet(problems)}"


def test_no_javascript_console_errors(tour: dict[str, Visit]):
    errors = [error for visit in tour.values() for error in visit.console_errors]
    assert not errors, f"JavaScript errors while loading the pages:{bullet(errors)}"


def png_width(body: bytes) -> int | None:
    """The width a PNG file declares in its header (None if it is not a PNG)."""
    if body[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">I", body[16:20])[0]


def image_problems(session: Session, url: str, image: dict, viewport_height: int) -> list[str]:
    src = (image["src"] or "")[:80]
    problems = []
    if image["natural_width"] <= 0:
        return [f"{url}: image {src} did not load (naturalWidth 0)"]
    if not (image["alt"] or "").strip():
        problems.append(f"{url}: image {src} has no alt text")
    size = (image["width_attr"], image["height_attr"])
    natural = (image["natural_width"], image["natural_height"])
    if not all(value and value.isdigit() for value in size):
        problems.append(f"{url}: image {src} has no width and height attributes ({size})")
    elif abs(int(size[0]) * natural[1] - int(size[1]) * natural[0]) > natural[0] * natural[1] / 100:
        problems.append(
            f"{url}: image {src} says {size[0]}x{size[1]}, but is {natural[0]}x{natural[1]}"
        )
    below_the_fold = image["top"] >= viewport_height
    if below_the_fold != (image["loading"] == "lazy"):
        where = "below" if below_the_fold else "in"
        problems.append(
            f"{url}: image {src} is {where} the first screen (top {image['top']:.0f}px, "
            f"screen {viewport_height}px) but has loading={image['loading']!r}"
        )
    for candidate in (image["srcset"] or "").split(","):
        if not candidate.strip():
            continue
        candidate_src, _, descriptor = candidate.strip().partition(" ")
        response = session.page.request.get(urljoin(url, candidate_src))
        declared = (
            int(descriptor.strip().removesuffix("w")) if descriptor.strip().endswith("w") else None
        )
        actual = png_width(response.body()) if response.ok else None
        if not response.ok:
            problems.append(
                f"{url}: srcset candidate {candidate_src} answers HTTP {response.status}"
            )
        elif declared is not None and actual is not None and actual != declared:
            problems.append(
                f"{url}: srcset says {candidate_src} is {declared}w; it is {actual} px wide"
            )
    return problems


def test_every_image_has_its_size_alt_text_and_loads(session: Session, tour: dict[str, Visit]):
    """Every <img>: loads, has alt text, width and height of its own aspect ratio, is lazy
    exactly when below the first screen, and each srcset candidate is what it declares."""
    problems, count = [], 0
    for url, visit in tour.items():
        for image in visit.facts["images"]:
            count += 1
            problems += image_problems(session, url, image, visit.facts["viewport_height"])
    assert count, "no <img> on any page: the TensorBoard screenshots are missing"
    assert not problems, f"images that fail readers:{bullet(problems)}"


def test_every_page_passes_axe_in_both_schemes(tour: dict[str, Visit]):
    """axe-core's rules (WCAG 2 A/AA and best practices) on every page; its colour rules
    in the dark scheme too."""
    if any(visit.axe is None for visit in tour.values()):
        cannot_run_here(f"axe-core is not installed ({AXE}): `npm ci --prefix .ci` installs it")
    problems = [
        f"{url} [{scheme} scheme] {describe(violation)}"
        for url, visit in tour.items()
        for scheme, violations in visit.axe.items()
        for violation in violations
    ]
    assert not problems, (
        f"accessibility violations found by axe-core {len(problems)}:{bullet(problems)}"
    )


def notebook_problems(session: Session, notebook_url: str) -> list[str]:
    """What keeps `notebook_url` from being a notebook a reader can run ([] if nothing)."""
    response = session.page.request.get(notebook_url)
    if response.status != 200:
        return [f"{notebook_url} answers HTTP {response.status}"]
    try:
        notebook = nbformat.reads(response.text(), as_version=nbformat.NO_CONVERT)
        nbformat.validate(notebook)
    except Exception as error:  # any reason it is not a notebook
        return [f"{notebook_url} is not a valid notebook: {type(error).__name__}: {error}"]
    problems = []
    if notebook.nbformat != 4:
        problems.append(f"{notebook_url} is nbformat {notebook.nbformat}, not 4")
    if not any(c.cell_type == "code" and c.source.strip() for c in notebook.cells):
        problems.append(f"{notebook_url} has no code cells")
    return problems


def test_each_chapter_offers_its_notebook_for_download(session: Session, tour, base_url: str):
    """Every chapter links a notebook; every notebook link on any page gives a notebook."""
    problems = [
        f"{visit.page.url}: no link to a .ipynb notebook"
        for visit in chapters(tour, base_url)
        if not visit.facts["notebooks"]
    ]
    checked: dict[str, list[str]] = {}
    for url, visit in tour.items():
        for notebook_url in dict.fromkeys(visit.facts["notebooks"]):
            if notebook_url not in checked:
                checked[notebook_url] = notebook_problems(session, notebook_url)
            problems += [f"{url}: {problem}" for problem in checked[notebook_url]]
    assert not problems, f"notebook downloads readers cannot use:{bullet(problems)}"


# Colab opens a notebook from GitHub as /github/OWNER/REPO/blob/BRANCH/PATH; the site is
# published from a branch whose root is the site root, so PATH is the notebook's site path.
COLAB_GITHUB = re.compile(r"^/github/[^/]+/[^/]+/blob/[^/]+/(?P<path>[^?#]+\.ipynb)$")


def test_each_colab_link_opens_the_chapter_notebook(tour, base_url: str):
    """Every chapter links Colab; every Colab link opens the notebook its page offers."""
    problems = []
    root = urlsplit(base_url).path
    for visit in chapters(tour, base_url):
        if not visit.facts["colab"]:
            problems.append(f"{visit.page.url}: no 'Open in Colab' link")
    for url, visit in tour.items():
        facts = visit.facts
        notebooks = sorted({urlsplit(n).path.removeprefix(root) for n in facts["notebooks"]})
        for colab in dict.fromkeys(facts["colab"]):
            parts = urlsplit(colab)
            match = COLAB_GITHUB.match(parts.path)
            if parts.scheme != "https" or not match:
                problems.append(
                    f"{url}: Colab link {colab} is not "
                    "https://colab.research.google.com/github/OWNER/REPO/blob/BRANCH/PATH.ipynb"
                )
            elif match["path"] not in notebooks:
                problems.append(
                    f"{url}: Colab link {colab} opens {match['path']}, "
                    f"not this chapter's notebook {notebooks or '(none linked)'}"
                )
    assert not problems, f"Colab links that fail readers:{bullet(problems)}"


def test_theme_widgets_respond(session: Session, tour: dict[str, Visit], base_url: str):
    """Smoke test of Material's own widgets on our pages: a content tab switches, the
    palette toggle changes the scheme, search finds a word of a chapter."""
    page = session.page
    mark = session.mark()
    tabbed = next((visit for visit in tour.values() if visit.facts["tab_sets"]), None)
    assert tabbed, "no page has content tabs (expected 'Low-level TensorFlow' | 'Keras')"
    session.goto(tabbed.page.url)
    try:
        label = tabbed.facts["tab_sets"][0][1]
        first_set = page.locator(".tabbed-set").first
        first_set.locator(":scope > .tabbed-labels > label").nth(1).click()
        shown = first_set.locator(":scope > .tabbed-content > .tabbed-block").nth(1)
        assert shown.is_visible(), f"{tabbed.page.url}: clicking tab {label!r} did not show it"

        scheme = "document.body.getAttribute('data-md-color-scheme')"
        before = page.evaluate(scheme)
        page.locator("form[data-md-component='palette'] label.md-header__button:visible").click()
        page.wait_for_function(f"{scheme} !== {before!r}", timeout=5_000)

        search = page.locator("input.md-search__input")
        if not search.is_visible():
            page.locator("label.md-header__button[for='__search']").click()
        search.fill("Sequential")
        search.press("End")
        results = page.locator(".md-search-result__item > a.md-search-result__link")
        results.first.wait_for(state="attached", timeout=10_000)
    finally:
        page.evaluate("localStorage.clear()")
    session.assert_clean_since(mark, "using the tabs, the palette toggle and search")


# What Material's copy button copies: the code's text while the block is marked
# data-md-copying (its stylesheet and ours hide what a copy leaves out).
COPIED_JS = """
code => {
  code.setAttribute("data-md-copying", "");
  const text = code.innerText;
  code.removeAttribute("data-md-copying");
  return text.trimEnd();
}
"""


def test_copies_leave_out_prompts_and_equations_keep_their_columns(session: Session, base_url):
    """The copy button copies a shell command without its `$ ` prompt. The equations'
    columns keep their alignment in Chromium, which ignores MathML's `columnalign`."""
    page = session.page
    mark = session.mark()
    session.goto(base_url)
    commands = page.locator(".language-console code").evaluate_all(f"all => all.map({COPIED_JS})")
    assert commands and all(command.startswith("python -m pip ") for command in commands[:1])
    assert not [command for command in commands if "$ " in command], commands
    session.goto(urljoin(base_url, "recap/"))
    cells = page.locator("div.equation mtd[columnalign]")
    aligned = cells.evaluate_all(
        "all => all.map(c => [c.getAttribute('columnalign'), getComputedStyle(c).textAlign])"
    )
    assert aligned and all(wanted == shown for wanted, shown in aligned), aligned
    session.assert_clean_since(mark, "reading a copy and the equations")


def test_pages_fit_a_phone_width_viewport(tour: dict[str, Visit]):
    problems = [
        f"{url}: content {visit.phone['scroll_width']}px wide in a {visit.phone['width']}px "
        f"viewport (scrolls sideways or is cut off); sticking out: {visit.phone['culprits']}"
        for url, visit in tour.items()
        if visit.phone["scroll_width"] > visit.phone["width"]
    ]
    assert not problems, f"pages wider than a {PHONE['width']}px phone:{bullet(problems)}"


def test_pages_stay_light(tour: dict[str, Visit]):
    """Page HTML within its budget, no <style> in a body, no asset the pages do not use."""
    problems = []
    for url, visit in tour.items():
        facts = visit.facts
        budget = CHAPTER_BYTES if visit.page.in_nav else NOTEBOOK_PAGE_BYTES
        if facts["html_bytes"] > budget:
            problems.append(f"{url}: HTML is {facts['html_bytes']:,} bytes, over {budget:,}")
        if facts["body_styles"]:
            problems.append(f"{url}: {facts['body_styles']} <style> element(s) in <body>")
        unused = [name for name in facts["resources"] if any(u in name for u in UNUSED_ASSETS)]
        problems += [f"{url}: loads {name}, which no page uses" for name in unused]
    assert not problems, f"pages heavier than they need be:{bullet(problems)}"


def test_pages_request_only_the_loopback_server(tour: dict[str, Visit], base_url: str):
    """No page loads anything from another host (each page of the tour, as it loads)."""
    per_page = [
        f"{url}: {list(dict.fromkeys(visit.blocked))}"
        for url, visit in tour.items()
        if visit.blocked
    ]
    assert not per_page, f"requests to hosts other than {base_url} (blocked):{bullet(per_page)}"


def test_a_cold_load_requests_what_the_weight_model_counts(browser, built_site, base_url):
    """tests/page_weight.py's reading of the built files, against Chromium: a first visit
    (empty cache) to the home page, the heaviest chapter and the heaviest notebook page
    requests exactly the files the model counts (lazy images may come too); Material's
    search worker and index come only once the reader searches, and the search then finds
    a chapter's word."""
    weights = {
        page: sum(page_weight.cold_load(built_site, page).values())
        for page in page_weight.html_pages(built_site)
    }
    notebooks = [page for page in weights if page.startswith("notebooks/")]
    chapters = [page for page in weights if page not in notebooks and page != "index.html"]
    problems = []
    for page in ("index.html", max(chapters, key=weights.get), max(notebooks, key=weights.get)):
        context = browser.new_context(viewport=DESKTOP, service_workers="block")
        blocked = guard_loopback(context)
        state = Session(page=context.new_page(), base_url=base_url, blocked=blocked)
        requested: list[str] = []
        context.on("request", lambda request, into=requested: into.append(request.url))
        context.on("request", partial(state.track, done=False))
        context.on("requestfinished", partial(state.track, done=True))
        context.on("requestfailed", partial(state.track, done=True))
        try:
            state.goto(urljoin(base_url, page.removesuffix("index.html")))
            state.settle()
            got = {
                page_weight.site_path(url.removeprefix(base_url.rstrip("/"))) for url in requested
            }
            expected = set(page_weight.cold_load(built_site, page))
            searching = page_weight.search_files(built_site, page)
            if searching & got:
                problems.append(f"{page}: loads {sorted(searching & got)} before any search")
            got -= page_weight.lazy_images(built_site, page) - expected  # they may come or not
            if got != expected:
                problems.append(
                    f"{page}: requested but not counted {sorted(got - expected)}, "
                    f"counted but not requested {sorted(expected - got)}"
                )
            search = state.page.locator("input.md-search__input")
            search.fill("Sequential")
            results = state.page.locator(".md-search-result__item > a.md-search-result__link")
            results.first.wait_for(state="attached", timeout=10_000)
            got = {
                page_weight.site_path(url.removeprefix(base_url.rstrip("/"))) for url in requested
            }
            if not searching <= got:
                problems.append(f"{page}: searching did not request {sorted(searching - got)}")
            assert not blocked, f"{page}: requests to other hosts: {blocked}"
        finally:
            context.close()
    assert not problems, f"the weight model misreads a cold load:{bullet(problems)}"
