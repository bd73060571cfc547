"""The built site: its outputs are this build's, its facts are the package's, and it loads
nothing from another host. Uses the `built_site` fixture (one strict build per session).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import nbformat
import pytest
import yaml

from alphabet_tutorial import Config
from alphabet_tutorial.compare import RULE, lines_of_code
from alphabet_tutorial.lowlevel import LowLevelLSTM

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "hooks"))

from fences import parse  # noqa: E402

MKDOCS = yaml.safe_load((REPO / "mkdocs.yml").read_text())
SITE_URL = MKDOCS["site_url"]
CHAPTERS = {"index": "", "recap": "recap/", "what-is-keras": "what-is-keras/"}
CHAPTERS |= {"keras-implementation": "keras-implementation/", "prototyping": "prototyping/"}
CHAPTERS |= {"backends": "backends/", "conclusions": "conclusions/"}
# Outbound links a reader may follow (never loaded by the page itself).
LINK_HOSTS = {urlsplit(SITE_URL).hostname, "colab.research.google.com"}
# and the documentation and papers the chapters cite
LINK_HOSTS |= {"keras.io", "www.tensorflow.org", "github.com", "arxiv.org", "doi.org"}
LINK_HOSTS |= {"proceedings.mlr.press"}
NOISE = (
    "oneDNN",
    "TF_ENABLE_ONEDNN_OPTS",
    "cuda drivers",  # TensorFlow's GPU noise (the prose may name CUDA itself)
    "cuInit",
    "CUDA_ERROR",
    "factory: Attempting to register",
    "tensorflow/core",
    "I0000",
    "W0000",
    "E0000",
    "absl::",
    "WARNING: All log messages",
    "This TensorFlow binary is optimized",
    "Traceback",
    "DeprecationWarning",
)


class Elements(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def page(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def text(site: Path, url: str) -> str:
    return "".join(Elements(page(site, url)).text)


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_the_summary_shows_the_package_models_parameter_count(built_site):
    from alphabet_tutorial.keras_model import build_functional, build_sequential

    shown = re.findall(r"Total params: ([\d,]+)", text(built_site, "what-is-keras/"))
    config = Config()
    expected = [build_sequential(config).count_params(), build_functional(config).count_params()]
    assert shown == [f"{count:,}" for count in expected]


def tables(html: str) -> list[dict[str, list[str]]]:
    """Every HTML table of a page: {first cell of a row: the row's other cells}."""
    found = []
    for table in re.findall(r"<table>.*?</table>", html, re.S):
        rows = {}
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
            cells = [
                re.sub(r"<[^>]+>", "", cell).strip()
                for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
            ]
            rows[cells[0]] = cells[1:]
        found.append(rows)
    return found


def test_the_conclusions_table_holds_this_packages_figures(built_site):
    found = tables(page(built_site, "conclusions/"))
    assert len(found) == 1, "the comparison should render as one HTML table"
    rows = found[0]
    assert rows["Measure"] == ["Low-level TensorFlow", "Keras"]
    assert rows["Lines of code (one rule, below)"] == [
        str(lines_of_code("lowlevel")),
        str(lines_of_code("keras")),
    ]
    parameters = f"{LowLevelLSTM(Config()).count_params():,}"
    assert rows["Parameters"] == [parameters, parameters]
    assert rows["Accuracy at the end of each run"] == ["100%, 100%, 100%, 100%, 100%"] * 2
    spread = re.compile(r"(\d+\.?\d*) \((\d+\.?\d*) to (\d+\.?\d*)\)")
    for cell in (
        rows["Time per epoch, ms: median (range)"] + rows["Epochs to 100 %: median (range)"]
    ):
        low, middle, high = (float(x) for x in spread.fullmatch(cell).group(2, 1, 3))
        assert 0 < low <= middle <= high
    text_shown = text(built_site, "conclusions/")
    assert RULE in " ".join(text_shown.split())
    assert re.search(r"a ratio Keras / low-level of \d+\.\d\d", text_shown)


def test_the_backends_chapter_shows_its_jax_gradient_steps(built_site):
    """The chapter's tables (every backend, the round trip) are read back and checked in
    tests/test_backends.py; here, the output of its low-level JAX block."""
    shown = text(built_site, "backends/")
    losses = [float(x) for x in re.findall(r"gradient step +\d+: loss (\d\.\d{4})", shown)]
    assert len(losses) == 4 and losses[-1] < losses[0] / 10, losses  # it learns
    assert "accuracy on every window: 100%" in shown


def test_the_pages_show_the_predictions_of_this_build(built_site):
    implementation = text(built_site, "keras-implementation/")
    assert implementation.count("abc -> d (") == 2  # low-level tab and Keras tab
    assert re.search(r"abc -> d \d+\.\d%, \w \d+\.\d%, \w \d+\.\d%", implementation)
    assert "on every window: loss" in implementation
    assert "after 'abc': [('d'," in text(built_site, "recap/")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_block_of_a_chapter_shows_its_output(built_site, chapter):
    """One output block per runnable fence (the conclusions' table renders as a table)."""
    fences = parse((REPO / "docs" / f"{chapter}.md").read_text(encoding="utf-8"))
    expected = sum(fence.runnable and not fence.markdown_output for fence in fences)
    html = page(built_site, CHAPTERS[chapter])
    assert html.count('<div class="language-text highlight">') == expected
    assert "Execution of python code block" not in html


def test_no_tensorflow_noise_on_any_page_or_notebook(built_site):
    problems = []
    for path in html_files(built_site):
        shown = "".join(Elements(path.read_text(encoding="utf-8")).text)
        problems += [f"{path.relative_to(built_site)}: {word}" for word in NOISE if word in shown]
    assert not problems, problems


def test_nothing_loads_from_another_host(built_site):
    """src, srcset and <link href> stay on the site; <a href> only to the allow-list."""
    problems = []
    for path in html_files(built_site):
        for tag, attrs in Elements(path.read_text(encoding="utf-8")).tags:
            for name in ("src", "href", "srcset", "data", "poster", "action"):
                value = attrs.get(name)
                if not value:
                    continue
                host = urlsplit(urljoin("https://site.invalid/", value.split()[0])).hostname
                if host == "site.invalid":
                    continue
                if tag == "a" and name == "href" and host in LINK_HOSTS:
                    continue
                if tag == "link" and attrs.get("rel") == "canonical" and value.startswith(SITE_URL):
                    continue
                problems.append(f"{path.relative_to(built_site)}: <{tag} {name}={value!r}>")
    for path in built_site.rglob("*.css"):
        problems += [
            f"{path.relative_to(built_site)}: {url}"
            for url in re.findall(r"url\(\s*['\"]?(?:https?:)?//[^)]*\)", path.read_text())
        ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_links_its_notebook_and_colab(built_site, chapter):
    tags = Elements(page(built_site, CHAPTERS[chapter])).tags
    links = {attrs.get("class", ""): attrs["href"] for tag, attrs in tags if tag == "a"}
    download = next(href for cls, href in links.items() if "notebook-download" in cls)
    colab = next(href for cls, href in links.items() if "notebook-colab" in cls)
    executed = next(href for cls, href in links.items() if "notebook-executed" in cls)
    notebook_path = (built_site / CHAPTERS[chapter] / download).resolve()
    notebook = nbformat.read(notebook_path, as_version=4)
    nbformat.validate(notebook)
    site_path = notebook_path.relative_to(built_site.resolve()).as_posix()
    colab_config = MKDOCS["extra"]["colab"]
    assert colab == (
        f"https://colab.research.google.com/github/{colab_config['repository']}"
        f"/blob/{colab_config['branch']}/{site_path}"
    )
    assert (built_site / CHAPTERS[chapter] / executed / "index.html").is_file()
    # the notebook's code cells are the chapter's runnable fences, after the install cell
    fences = parse((REPO / "docs" / f"{chapter}.md").read_text(encoding="utf-8"))
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert code[1:] == [fence.code.rstrip("\n") for fence in fences if fence.runnable]


def test_the_executed_notebooks_show_real_outputs(built_site):
    executed = text(built_site, "notebooks/what-is-keras/")
    assert "Total params: 8,410" in executed
    assert "abc -> d (" in text(built_site, "notebooks/keras-implementation/")


def test_the_architecture_diagram_is_drawn_from_the_model(built_site):
    from alphabet_tutorial.lowlevel import LowLevelLSTM

    model = LowLevelLSTM(Config())
    svg = (built_site / "img" / "architecture.svg").read_text()
    assert f"kernel {tuple(model.cell.kernel.shape)}" in svg
    assert f"recurrent kernel {tuple(model.cell.recurrent_kernel.shape)}" in svg
    assert f"kernel {tuple(model.dense_kernel.shape)}" in svg
    assert f"Parameters in all: {model.count_params():,}" in svg
    assert 'src="../img/architecture.svg"' in page(built_site, "recap/")


def test_the_tensorboard_screenshots_carry_their_manifests_alt_text(built_site):
    manifest = json.loads((REPO / "docs/img/tensorboard/manifest.json").read_text())
    tags = Elements(page(built_site, "keras-implementation/")).tags
    images = {attrs["src"]: attrs.get("alt") for tag, attrs in tags if tag == "img"}
    for image in manifest["images"]:
        src = f"../img/tensorboard/{image['file']}"
        assert images.get(src) == image["alt"].replace("[", "(").replace("]", ")")
        assert (built_site / "img/tensorboard" / image["file"]).is_file()
    shown = text(built_site, "keras-implementation/")
    assert manifest["date"][:10] in shown
    assert f"tensorflow {manifest['versions']['tensorflow']}" in shown


def test_search_finds_sequential_in_the_keras_chapter(built_site):
    index = json.loads((built_site / "search/search_index.json").read_text())
    assert any(
        entry["location"].startswith("what-is-keras/") and "Sequential" in entry["text"]
        for entry in index["docs"]
    )


def test_the_build_wrote_nothing_into_the_repository(built_site):
    """Nothing the build made is left in the working tree (site/ is make docs' output)."""
    result = subprocess.run(
        ["git", "status", "--porcelain", "-z", "--ignored"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    expected = (
        *("site/", ".venv/", ".ruff_cache/", ".mypy_cache/", ".pytest_cache/"),
        *(".ci/node_modules/", "audit/node_modules/"),  # the Node tools, like .venv/
    )
    made = [
        entry[3:]
        for entry in result.stdout.split("\0")
        if entry.startswith("!! ")
        and not entry[3:].startswith(expected)
        and "__pycache__/" not in entry
        and ".egg-info/" not in entry
    ]
    assert not made, made


def test_no_block_is_wrapped_in_a_paragraph(built_site):
    """A comment beside an indented fence (the `fmt: off/on` markers in a list item)
    without blank lines around it makes Markdown wrap the code block in a `<p>`, which
    the Nu validator reports as a stray `</p>`."""
    wrapped = [
        str(path.relative_to(built_site))
        for path in html_files(built_site)
        if re.search(r"<p><!--[^>]*-->\s*<div", path.read_text(encoding="utf-8"))
    ]
    assert not wrapped


class Paragraphs(HTMLParser):
    """The text of every <p>, and every formula that stands alone (its parent neither a
    sentence's <span class="math"> nor a displayed equation's <div class="equation">)."""

    def __init__(self, html: str):
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.paragraphs: list[list[str]] = []  # [text outside formulas, formulas' text]
        self.lone_formulas: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "math":
            parent, classes = self.stack[-1] if self.stack else ("", "")
            if (parent, classes) not in {("span", "math"), ("div", "equation")}:
                self.lone_formulas.append(f"<math> in <{parent} class={classes!r}>")
        if tag == "p":
            self.paragraphs.append(["", ""])
        if tag not in {"br", "img", "input", "meta", "link", "hr", "wbr", "source"}:
            self.stack.append((tag, dict(attrs).get("class") or ""))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        tags = [tag for tag, _ in self.stack]
        if "p" in tags:
            self.paragraphs[-1]["math" in tags] += data


def test_no_sentence_is_cut_into_paragraphs(built_site):
    """Inline maths at the start of a source line once ended its paragraph (Markdown
    counts <math> as a block tag): the page showed "... gives the probabilities", the
    formula alone, and ". The code keeps ..." as three paragraphs."""
    problems = []
    for path in html_files(built_site):
        found = Paragraphs(path.read_text(encoding="utf-8"))
        where = path.relative_to(built_site)
        problems += [f"{where}: {lone}" for lone in found.lone_formulas]
        for words, formulas in found.paragraphs:
            if re.match(r"\s*[.,;:!?)\]]", words):
                problems.append(f"{where}: a paragraph starts with punctuation: {words[:60]!r}")
            elif formulas.strip() and not words.strip():
                problems.append(f"{where}: a paragraph is a lone formula: {formulas[:60]!r}")
    assert not problems, "\n".join(problems)
