"""The built site as readers meet it: served on loopback, driven in headless Chromium.

One server, one browser, one page for the whole module. The pages come from the built
site's own navigation, so a new chapter is covered without touching this file. Every
request the browser makes goes through `guard_loopback`: anything addressed to another
host is aborted and reported by the last test.
"""

from __future__ import annotations

import re
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
import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from alphabet_tutorial.browser import guard_loopback

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
TIMEOUT_MS = 15_000
QUIET_SECONDS = 0.25  # a page has loaded once the network has been quiet this long
MIN_NAV_PAGES = 5


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

    def assert_no_errors_since(self, start: int, doing: str) -> None:
        errors = self.console_errors[start:]
        assert not errors, f"JavaScript errors while {doing}:{bullet(errors)}"


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
    images: images.map((img) => ({
      src: img.getAttribute("src"), alt: img.getAttribute("alt"), width: img.naturalWidth,
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


@dataclass
class Visit:
    page: SitePage
    status: int | None
    facts: dict  # what PAGE_FACTS_JS read at desktop width
    phone: dict  # what OVERFLOW_JS measured at phone width
    console_errors: list[str]
    blocked: list[str]


@pytest.fixture(scope="module")
def tour(session: Session, site_pages: list[SitePage]) -> dict[str, Visit]:
    """Each page loaded once: read at desktop width, measured at phone width, then left
    until the network is idle; with its console errors and outside requests."""
    visits: dict[str, Visit] = {}
    page = session.page
    for site_page in site_pages:
        errors, blocked = len(session.console_errors), len(session.blocked)
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


def test_every_image_loads_and_has_alt_text(tour: dict[str, Visit]):
    problems, count = [], 0
    for url, visit in tour.items():
        for image in visit.facts["images"]:
            count += 1
            src = (image["src"] or "")[:80]
            if image["width"] <= 0:
                problems.append(f"{url}: image {src} did not load (naturalWidth 0)")
            if not (image["alt"] or "").strip():
                problems.append(f"{url}: image {src} has no alt text")
    assert count, "no <img> on any page: the TensorBoard screenshots are missing"
    assert not problems, f"images that fail readers:{bullet(problems)}"


def tab_state(session: Session) -> list[dict]:
    """Per tab set on the current page: its labels, the checked one, the shown block."""
    return session.page.evaluate(
        """() => [...document.querySelectorAll(".tabbed-set")].map((set) => {
          const inputs = [...set.querySelectorAll(":scope > input")];
          const labels = [...set.querySelectorAll(":scope > .tabbed-labels > label")];
          const blocks = [...set.querySelectorAll(":scope > .tabbed-content > .tabbed-block")];
          const checked = inputs.findIndex((input) => input.checked);
          return {
            labels: labels.map((label) => label.textContent.trim()),
            checked: checked < 0 ? null : labels[checked].textContent.trim(),
            shown: blocks.map((block, i) => block.getClientRects().length > 0 ? i : -1)
              .filter((i) => i >= 0).map((i) => labels[i].textContent.trim()),
          };
        })"""
    )


def click_tab(session: Session, set_index: int, label: str) -> None:
    tab_set = session.page.locator(".tabbed-set").nth(set_index)
    tab_set.locator(":scope > .tabbed-labels > label").filter(
        has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")
    ).click()


def linked_tab_page(tour: dict[str, Visit]) -> tuple[Visit, str, str]:
    """The page with the most tab sets sharing a label, and two labels of its first set."""
    best = None
    for visit in tour.values():
        sets = visit.facts["tab_sets"]
        for labels in sets:
            sharing = sum(1 for other in sets if set(labels) & set(other))
            if len(labels) >= 2 and sharing >= 2 and (best is None or sharing > best[0]):
                best = (sharing, visit, labels)
    overview = bullet(f"{url}: {v.facts['tab_sets']}" for url, v in tour.items())
    assert best, f"no page has two content-tab sets with a shared label:{overview}"
    _, visit, labels = best
    return visit, labels[0], labels[1]


def test_content_tabs_switch(session: Session, tour: dict[str, Visit]):
    """On every page with content tabs, each tab of each set shows its own block."""
    pages = [visit for visit in tour.values() if visit.facts["tab_sets"]]
    assert pages, "no page has content tabs (expected 'Low-level TensorFlow' | 'Keras')"
    errors, problems = len(session.console_errors), []
    try:
        for visit in pages:
            session.goto(visit.page.url)
            for index, labels in enumerate(visit.facts["tab_sets"]):
                for label in [*labels[1:], labels[0]]:
                    click_tab(session, index, label)
                    state = tab_state(session)[index]
                    if state["checked"] != label or state["shown"] != [label]:
                        problems.append(
                            f"{visit.page.url}: tab set {index}, clicked {label!r}: "
                            f"checked {state['checked']!r}, shown {state['shown']}"
                        )
            session.page.evaluate("localStorage.clear()")
    finally:
        session.page.evaluate("localStorage.clear()")
    assert not problems, f"content tabs that do not switch:{bullet(problems)}"
    session.assert_no_errors_since(errors, "switching content tabs")


def test_linked_tabs_switch_together(session: Session, tour: dict[str, Visit]):
    visit, first, second = linked_tab_page(tour)
    errors = len(session.console_errors)
    session.goto(visit.page.url)
    session.page.evaluate("localStorage.clear()")
    try:
        index = next(
            i for i, s in enumerate(tab_state(session)) if s["labels"][:2] == [first, second]
        )
        for label in (second, first):
            click_tab(session, index, label)
            try:
                session.page.wait_for_function(
                    """(label) => [...document.querySelectorAll(".tabbed-set")].every((set) => {
                      const labels = [...set.querySelectorAll(":scope > .tabbed-labels > label")];
                      const match = labels.find((l) => l.textContent.trim() === label);
                      return !match || document.getElementById(match.htmlFor).checked;
                    })""",
                    arg=label,
                    timeout=5_000,
                )
            except PlaywrightTimeoutError:  # the assertion below says what is wrong
                pass
            states = tab_state(session)
            behind = [
                f"tab set {i}: checked {s['checked']!r}, shown {s['shown']}"
                for i, s in enumerate(states)
                if label in s["labels"] and (s["checked"] != label or s["shown"] != [label])
            ]
            assert not behind, (
                f"{visit.page.url}: clicked {label!r} in tab set {index}; "
                f"linked sets did not follow:{bullet(behind)}"
            )
        # The choice is remembered: another page with the same tab opens on it.
        click_tab(session, index, second)
        others = [
            v
            for v in tour.values()
            if v is not visit and any(second in labels for labels in v.facts["tab_sets"])
        ]
        if others:
            session.goto(others[0].page.url)
            stale = [
                s for s in tab_state(session) if second in s["labels"] and s["checked"] != second
            ]
            assert not stale, (
                f"{others[0].page.url}: chose {second!r} on {visit.page.url}, "
                f"but this page opened its tab sets on:{bullet(stale)}"
            )
    finally:
        session.page.evaluate("localStorage.clear()")
    session.assert_no_errors_since(errors, "switching linked tabs")


def test_search_for_sequential_finds_the_keras_chapter(
    session: Session, nav_pages: list[SitePage], base_url: str
):
    keras_chapters = {p.path for p in nav_pages if "keras" in p.label.lower()}
    assert keras_chapters, f"no nav page is titled with Keras:{bullet(nav_pages)}"
    errors = len(session.console_errors)
    page = session.page
    session.goto(base_url)
    search = page.locator("input.md-search__input")
    if not search.is_visible():
        page.locator("label.md-header__button[for='__search']").click()
    search.click()
    # Material searches on keyup: fill the word, then one key, so only "Sequential" is queried.
    search.fill("Sequential")
    search.press("End")
    results = page.locator(".md-search-result__item > a.md-search-result__link")
    try:
        results.first.wait_for(state="attached", timeout=10_000)
    except PlaywrightTimeoutError:  # the assertion below says what the search shows
        pass
    found = page.evaluate(
        """() => [...document.querySelectorAll(
          ".md-search-result__item > a.md-search-result__link")].map((a) => ({
            path: new URL(a.href).pathname,
            title: (a.querySelector("h1, h2") || a).textContent.trim(),
        }))"""
    )
    meta = page.locator(".md-search-result__meta").text_content()
    assert found and found[0]["path"] in keras_chapters, (
        f"searching 'Sequential' shows {meta!r}; results:{bullet(found)}\n"
        f"expected the first to be a Keras chapter: one of {sorted(keras_chapters)}"
    )
    session.assert_no_errors_since(errors, "searching")


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


def wait_for_scheme(page: Page, scheme: str, *, equal: bool) -> bool:
    """Wait until the page's color scheme is (or is no longer) `scheme`; False on timeout."""
    try:
        page.wait_for_function(
            "([scheme, equal]) => "
            "(document.body.getAttribute('data-md-color-scheme') === scheme) === equal",
            arg=[scheme, equal],
            timeout=5_000,
        )
    except PlaywrightTimeoutError:
        return False
    return True


def test_light_dark_toggle_switches_the_palette(
    session: Session, nav_pages: list[SitePage], base_url: str
):
    page = session.page
    errors = len(session.console_errors)
    session.goto(base_url)
    page.evaluate("localStorage.clear()")
    session.goto(base_url)

    def palette() -> dict:
        return page.evaluate(
            """() => ({scheme: document.body.getAttribute("data-md-color-scheme"),
                       background: getComputedStyle(document.body).backgroundColor})"""
        )

    toggle = page.locator("form[data-md-component='palette'] label.md-header__button:visible")
    try:
        assert toggle.count() == 1, f"{base_url}: expected one visible palette toggle in the header"
        start = palette()
        toggle.click()
        if not wait_for_scheme(page, start["scheme"], equal=False):
            pytest.fail(f"{base_url}: clicking the palette toggle kept {start}")
        switched = palette()
        assert switched["background"] != start["background"], (
            f"the toggle changed the scheme {start['scheme']} -> {switched['scheme']}, "
            f"but the background stayed {start['background']}"
        )
        # The choice is kept while the reader moves on.
        session.goto(nav_pages[-1].url)
        assert palette() == switched, f"{nav_pages[-1].url} forgot the chosen palette"
        page.locator("form[data-md-component='palette'] label.md-header__button:visible").click()
        wait_for_scheme(page, start["scheme"], equal=True)
        assert palette() == start, f"toggling twice gave {palette()}, not the first palette {start}"
    finally:
        page.evaluate("localStorage.clear()")
    session.assert_no_errors_since(errors, "toggling the palette")


def test_pages_fit_a_phone_width_viewport(tour: dict[str, Visit]):
    problems = [
        f"{url}: content {visit.phone['scroll_width']}px wide in a {visit.phone['width']}px "
        f"viewport (scrolls sideways or is cut off); sticking out: {visit.phone['culprits']}"
        for url, visit in tour.items()
        if visit.phone["scroll_width"] > visit.phone["width"]
    ]
    assert not problems, f"pages wider than a {PHONE['width']}px phone:{bullet(problems)}"


def test_browser_requests_only_the_loopback_server(session: Session, tour: dict[str, Visit]):
    """Runs last: covers every page load of the tour and of the tests above."""
    outside = list(dict.fromkeys(session.blocked))
    per_page = [f"{url}: {visit.blocked}" for url, visit in tour.items() if visit.blocked]
    assert not outside, (
        f"requests to hosts other than {session.base_url} (blocked):{bullet(outside)}"
        + (f"\nwhile loading:{bullet(per_page)}" if per_page else "")
    )
