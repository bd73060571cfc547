"""The built site: its outputs are this build's, its facts are the package's, and it loads
nothing from another host. Uses the `built_site` fixture (one strict build per session).
"""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import nbformat
import pytest
import yaml
from helpers import Elements, page, tables, text

from alphabet_site.fences import parse
from alphabet_site.hooks import measured
from alphabet_site.hooks.notebooks import SCRIPTS, YOUR_ANSWER, notebook_name, ran_at_build
from alphabet_tutorial import Config
from alphabet_tutorial.compare import RULE, KnobRounds, lines_of_code
from alphabet_tutorial.lowlevel import LowLevelLSTM

REPO = Path(__file__).resolve().parent.parent


MKDOCS = yaml.safe_load((REPO / "mkdocs.yml").read_text())
SITE_URL = MKDOCS["site_url"]
CHAPTERS = {"index": "", "recap": "recap/", "what-is-keras": "what-is-keras/"}
CHAPTERS |= {"keras-implementation": "keras-implementation/", "prototyping": "prototyping/"}
CHAPTERS |= {"backends": "backends/", "conclusions": "conclusions/"}
# Outbound links a reader may follow (never loaded by the page itself).
LINK_HOSTS = {urlsplit(SITE_URL).hostname, "colab.research.google.com"}
# and the documentation and papers the chapters cite
LINK_HOSTS |= {"keras.io", "www.tensorflow.org", "github.com", "arxiv.org", "doi.org"}
LINK_HOSTS |= {"proceedings.mlr.press", "matplotlib.org"}
NOISE = (  # the notebooks' install note names oneDNN and its switch: the log line's words
    "oneDNN custom operations are on",
    "To turn them off, set the environment variable",
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


# What would show as source if a notebook printed a table or a figure instead of
# displaying it: an HTML or SVG element, a Markdown table (a row, then its rule).
HTML_TAG = re.compile(r"</?(?:svg|figure|table|tr|td|th|div|p|code|strong|em|img|br)\b[^>]*>")
MARKDOWN_TABLE = re.compile(r"^ *\|.*\| *\n *\|? *:?-{3,}", re.M)


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_the_summary_shows_the_package_models_parameter_count(built_site):
    from alphabet_tutorial.keras_model import build_functional, build_sequential

    shown = re.findall(r"Total params: ([\d,]+)", text(built_site, "what-is-keras/"))
    config = Config()
    expected = [build_sequential(config).count_params(), build_functional(config).count_params()]
    assert shown == [f"{count:,}" for count in expected]


def test_the_conclusions_copied_weights_give_the_same_outputs_exactly(built_site):
    # The page says so: before training, the two models' outputs agree to the last bit.
    text_shown = " ".join(text(built_site, "conclusions/").split())
    assert "the outputs agree exactly" in text_shown
    assert re.search(r"outputs on all \d+ windows, largest difference: 0\.0e\+00", text_shown)


def test_the_conclusions_table_holds_this_packages_figures(built_site):
    found = tables(page(built_site, "conclusions/"))
    # The comparison and the speed knobs (the GPU figures are the backends chapter's).
    assert len(found) == 2, "the comparison and the knobs: two HTML tables"
    rows = found[0]
    assert rows["Measure"] == ["Low-level TensorFlow", "Keras"]
    assert rows["Lines of code"] == [
        str(lines_of_code("lowlevel")),
        str(lines_of_code("keras")),
    ]
    parameters = f"{LowLevelLSTM(Config()).count_params():,}"
    assert rows["Parameters"] == [parameters, parameters]
    assert rows["Accuracy at the end of each run"] == ["100%, 100%, 100%, 100%, 100%"] * 2
    spread = re.compile(r"(\d+\.?\d*) \((\d+\.?\d*) to (\d+\.?\d*)\)")
    for cell in rows["Time per epoch, ms: median (range)"] + rows["Epochs to 100%: median (range)"]:
        low, middle, high = (float(x) for x in spread.fullmatch(cell).group(2, 1, 3))
        assert 0 < low <= middle <= high
    text_shown = text(built_site, "conclusions/")
    # The page states the rule once, in its own words; the note does not restate it.
    assert RULE not in " ".join(text_shown.split())
    assert "counted by one rule for both sides" in " ".join(text_shown.split())
    # The sentence under the table: which side was faster follows from the median of the
    # run-by-run ratios it gives, which lies within their range.
    summary = re.search(
        r"Per epoch, (Keras took|Keras was|the two took) (?:(\d+\.\d)× )?.*?: the median "
        r"over \d+ runs of each run's own ratio, which went from (\d+\.\d)× to (\d+\.\d)×\.",
        text_shown,
    )
    assert summary, "the sentence under the comparison table is missing"
    verdict, times, ratio_low, ratio_high = summary.groups()
    ratio = float(times) if times else 1.0
    if verdict == "Keras was":
        ratio = 1 / ratio
    assert float(ratio_low) - 0.06 <= ratio <= float(ratio_high) + 0.06, summary[0]
    # the verdict printed with a factor sits on the side of 1 the factor says
    assert verdict != "Keras took" or ratio >= 1.1
    knobs = found[1]
    assert list(knobs) == [
        "Knob",
        "defaults",
        f"steps_per_execution={Config().train_size // Config().batch_size}",
        "jit_compile=True",
        "unroll=True",
    ]
    assert knobs["Knob"] == [
        "Warm epoch: median",
        "In calls to the step",
        "Around them",
        "Warm epoch against defaults: median (range)",
    ]
    for name in list(knobs)[1:]:  # the epoch, then its two parts, in whole milliseconds
        assert all(re.fullmatch(r"\d+ ms", cell) for cell in knobs[name][:3]), knobs[name]
    assert knobs["defaults"][-1] == "1.00× (1.00 to 1.00)"  # its own rounds, against itself
    # Before the rounds, one fit of two epochs per knob, in the order of the table.
    first_fits = re.findall(
        r"^(\S+): first epoch \d+ ms, second \d+ ms \(\d+ ms of it in calls to the step\)$",
        text_shown,
        re.M,
    )
    assert first_fits == list(knobs)[1:], first_fits
    ratios = re.compile(r"(\d+\.\d\d)× \((\d+\.\d\d) to (\d+\.\d\d)\)")
    for name in list(knobs)[2:]:
        low, middle, high = (float(x) for x in ratios.fullmatch(knobs[name][-1]).group(2, 1, 3))
        assert 0 < low <= middle <= high
    # The prose calls Keras the slower side, as the comparison's summary must find it.
    assert "At this size, Keras on TensorFlow is the slower side" in " ".join(text_shown.split())
    assert verdict == "Keras took" and ratio > 1, "the page calls Keras the slower side: revise it"
    for name in list(knobs)[2:]:
        low, high = (float(x) for x in ratios.fullmatch(knobs[name][-1]).group(2, 3))
        median, low_, high_ = ratios.fullmatch(knobs[name][-1]).groups()
        line = (
            f"{name}: a warm epoch took {median}× as long as the default model's "
            f"({low_}× to {high_}×), "
        )
        found = re.search(re.escape(line) + r"(faster|slower|within)", text_shown)
        assert found, line
        # The verdict follows the unrounded ratios: a bound printed as 1.00 fits any.
        if high < 1:
            assert found[1] == "faster"
        elif low > 1:
            assert found[1] == "slower"
        elif low < 1 < high:
            assert found[1] == "within"
    # Under each knob's line, its first epoch against the default model's, and whether its
    # warm epochs repay the difference: no clear extra cost, no sure saving, or after N of them.
    repaid = re.findall(
        r"^ *first two epochs (\d+) ms, the default model's (\d+) ms: (no clear extra cost|"
        r"no sure saving to repay it|repaid after (\d+) warm epochs?)$",
        text_shown,
        re.M,
    )
    assert len(repaid) == len(knobs) - 2, repaid
    # A first epoch, timed once, counts as longer only beyond a margin over the default's.
    margin = KnobRounds.START_MARGIN
    said = f"only when its first two epochs took over {margin}× the default model's"
    assert said in " ".join(text_shown.split()), "the page states the margin the code applies"
    for name, (mine, default, said, epochs) in zip(list(knobs)[2:], repaid, strict=True):
        faster = re.search(re.escape(f"{name}: a warm epoch took ") + r".*, faster", text_shown)
        beyond = int(mine) / int(default)  # rounded figures: a margin of 0.06 either way
        if beyond < margin - 0.06:
            assert said == "no clear extra cost", (name, said)
        elif beyond > margin + 0.06:
            assert said.startswith("repaid" if faster else "no sure saving"), (name, said)
            assert not epochs or int(epochs) >= 1
    # Then the knobs worth turning on for a run of the chapters' length: faster in every
    # round, and nothing to repay or repaid within the run's warm epochs.
    run = Config().epochs
    worth = re.search(rf"^worth turning on for a run of {run} epochs: (.+)$", text_shown, re.M)
    assert worth, "the page names the knobs worth turning on"
    expected = [
        name
        for name, (_, _, said, epochs) in zip(list(knobs)[2:], repaid, strict=True)
        if re.search(re.escape(f"{name}: a warm epoch took ") + r".*, faster", text_shown)
        and (said == "no clear extra cost" or (epochs and int(epochs) <= run - 2))
    ]
    assert worth[1] == (", ".join(expected) or "none of them")
    # The prose's short answer names the same knobs, from this very run, and so does the
    # summary's bullet on which knob to turn.
    prose = " ".join(text_shown.split())
    answer = re.search(
        rf"The short answer, as measured when this chapter was built: ((.*?) paid off for a "
        rf"run of {run} epochs(?:; (.*?) did not)?)\. ",
        prose,
    )
    assert answer, "the short answer of Making Keras faster"
    paid, unpaid = answer[2], answer[3] or ""
    named = [[name for name in list(knobs)[2:] if name in said] for said in (paid, unpaid)]
    others = [name for name in list(knobs)[2:] if name not in expected]
    assert named == ([expected, others] if expected else [[], []]), answer[0]
    assert expected or paid == "none of the knobs"
    names = " and ".join([", ".join(expected[:-1]), expected[-1]] if expected[1:] else expected)
    assert f"Which knob to turn. Here, {names or 'none of them'}, as the short answer says" in prose
    # fit's own work (the default model's Around them) against the low-level epoch (the
    # comparison's median), and what follows when the first is the longer.
    around = re.search(
        r"Here, fit's own work around the calls took (\d+) ms an epoch \(the knob table's "
        r"Around them\), against (\d+\.\d) ms for the low-level model's whole epoch in the "
        r"comparison \(two measurements, so compare them roughly\)(: .*?)?\. ",
        prose,
    )
    assert around, "the sentence on fit's own work"
    assert f"{around[1]} ms" == knobs["defaults"][2]
    assert around[2] == spread.fullmatch(rows["Time per epoch, ms: median (range)"][0])[1]
    beyond = int(around[1]) / float(around[2])  # rounded figures: a margin either way
    if abs(beyond - measured.ROUGHLY) > 0.05:
        assert bool(around[3]) == (beyond > measured.ROUGHLY), around[0]


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
    assert re.search(r"after 'abc': d with probability \d+\.\d{2}%", text(built_site, "recap/"))


# Every chapter with code to run, and so a notebook.
WITH_CODE = [
    path.stem
    for path in sorted((REPO / "docs").glob("*.md"))
    if any(fence.runnable for fence in parse(path.read_text(encoding="utf-8")))
]


def chapter_url(chapter: str) -> str:
    return "" if chapter == "index" else f"{chapter}/"


def published_notebook(site: Path, chapter: str) -> nbformat.NotebookNode:
    name = notebook_name(f"{chapter}.md")
    return nbformat.read(site / f"notebooks/{name}/{name}.ipynb", as_version=4)


@pytest.mark.parametrize("chapter", WITH_CODE)
def test_every_block_of_a_chapter_shows_its_output(built_site, chapter):
    """Every runnable fence shows what it printed as a text block, and its last value as
    Jupyter shows it: a table, a figure, or else as text. The page shows what the
    chapter's notebook holds."""
    fences = parse((REPO / "docs" / f"{chapter}.md").read_text(encoding="utf-8"))
    cells = [cell for cell in published_notebook(built_site, chapter).cells if ran_at_build(cell)]
    cells = cells[1:]  # after the install cell
    assert len(cells) == sum(fence.runnable for fence in fences)
    assert all(cell.outputs for cell in cells), "a block that shows nothing"
    outputs = [output for cell in cells for output in cell.outputs]
    texts = [o for o in outputs if o.output_type == "stream" or set(o.data) == {"text/plain"}]
    html = page(built_site, chapter_url(chapter))
    shown_as_text = sum(fence.info.split()[0] in ("text", "txt") for fence in fences if fence.info)
    assert html.count('<div class="language-text highlight">') == len(texts) + shown_as_text
    assert "Execution of python code block" not in html


@pytest.mark.parametrize("chapter", WITH_CODE)
def test_the_notebooks_show_tables_and_figures_as_display_data(built_site, chapter):
    """Jupyter and Colab render a table from HTML display data and a figure from SVG
    display data; printed as a stream, their source would show as a wall of text, and
    Colab does not render Markdown display data (googlecolab/colabtools#322). Every table
    and figure of the page is in the notebook, as prose (a Markdown cell) or display data."""
    notebook = published_notebook(built_site, chapter)
    problems, tables, figures = [], 0, 0
    for number, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            tables += len(MARKDOWN_TABLE.findall(cell.source))
        for output in cell.get("outputs", []):
            where = f"cell {number} ({cell.source.splitlines()[0]!r})"
            if output.output_type == "stream":
                source = HTML_TAG.search(output.text) or MARKDOWN_TABLE.search(output.text)
                if source:
                    problems.append(f"{where} prints {source[0]!r} as text")
                continue
            data = output.get("data", {})
            if "text/markdown" in data:
                problems.append(f"{where} shows Markdown display data, which Colab does not render")
            plain = data.get("text/plain", "")  # Jupyter's fallback, if nothing richer
            source = HTML_TAG.search(plain) or MARKDOWN_TABLE.search(plain)
            if source and not {"text/html", "image/svg+xml"} & set(data):
                problems.append(f"{where} shows {source[0]!r} as plain text only")
            tables += data.get("text/html", "").count("<table>")
            figures += "image/svg+xml" in data
    assert not problems, "\n".join(problems)
    html = page(built_site, chapter_url(chapter))
    shown_figures = re.findall(r'<figure>\s*<img alt="[^"]*" src="data:image/svg\+xml', html)
    assert (tables, figures) == (html.count("<table>"), len(shown_figures))


def test_the_chapters_show_tables_and_figures(built_site):
    """The check above has something to check: the chapters' code shows both kinds."""
    shown = [
        output.data
        for chapter in WITH_CODE
        for cell in published_notebook(built_site, chapter).cells
        for output in cell.get("outputs", [])
        if output.output_type in ("execute_result", "display_data")  # a figure: display data
    ]
    assert sum("<table>" in data.get("text/html", "") for data in shown) >= 6
    assert sum("image/svg+xml" in data for data in shown) >= 1


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
                url = urlsplit(urljoin("https://site.invalid/", value.split()[0]))
                if url.hostname == "site.invalid" or url.scheme == "data":  # data: is inline
                    continue
                host = url.hostname
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
    # the notebook's code cells are the chapter's runnable fences and notebook cells, after
    # the install cell, and, above each solution, one for the reader's answer
    source = (REPO / "docs" / f"{chapter}.md").read_text(encoding="utf-8")
    fences = parse(source)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert code.count(YOUR_ANSWER) == source.count('??? example "Solution"')
    code = [cell for cell in code if cell != YOUR_ANSWER]
    cells = [fence.code.rstrip("\n") for fence in fences if fence.runnable or fence.notebook_cell]
    script = SCRIPTS.get(f"{chapter}.md")
    if script is not None:  # the notebook writes the chapter's script, and runs that file
        code = [cell for cell in code if not cell.startswith(f"%%writefile {script.file}\n")]
        cells = [cell.replace(*script.run) for cell in cells]
    assert code[1:] == cells


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


def test_the_home_page_installs_the_package_from_the_sites_repository():
    """A reader installs with pip from the repository mkdocs.yml names; a clone comes second."""
    home = (REPO / "docs" / "index.md").read_text(encoding="utf-8")
    url = f"https://github.com/{MKDOCS['extra']['colab']['repository']}"
    pip = home.find(f'pip install "alphabet-tutorial @ git+{url}"')
    clone = home.find(f"git clone {url}")
    assert 0 <= pip < clone, (pip, clone)


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
        # make serve's cache: the build never writes it (tests/test_serve.py checks that)
        ".execution-cache/",
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


def test_no_list_item_is_swallowed_by_the_paragraph_before_it(built_site):
    """An item after an indented paragraph without a blank line between them is read as
    more of that paragraph: the page showed "... weigh less. - **Which knob to turn.**"."""
    swallowed = [
        f"{path.relative_to(built_site)}: {line.strip()[:60]}"
        for path in html_files(built_site)
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.match(r"\s*[-*] <(?:strong|em|code)>", line)
    ]
    assert not swallowed


def test_the_one_listing_model_shows_fits_progress_and_predicts(built_site):
    """The Keras chapter's standalone listing: fit's own progress bar, as a terminal
    shows it last (no colour codes, no carriage returns), then its predictions."""
    html = page(built_site, "keras-implementation/")
    shown = text(built_site, "keras-implementation/")
    assert "Epoch 1/10" in shown and "Epoch 10/10" in shown
    bar = r"(\d+)/\1 ━+ \d+s \d+m?s/step - accuracy: [\d.e+-]+ - loss: \d\.\d{4}"
    bars = re.findall(bar, shown)
    assert len(bars) == 10, bars
    assert all(mark not in html for mark in ("\x1b", "\b", "\r", "[0m"))
    assert re.search(r"abc -> d\s+klm -> n\s+wxy -> z", shown)


def test_each_exercise_solution_is_collapsed_with_its_output(built_site):
    for chapter, url in CHAPTERS.items():
        markdown = (REPO / "docs" / f"{chapter}.md").read_text(encoding="utf-8")
        expected = markdown.count('??? example "Solution"')
        solutions = re.findall(
            r'<details class="example">\s*<summary>Solution</summary>(.*?)</details>',
            page(built_site, url),
            re.S,
        )
        assert len(solutions) == expected, chapter
        for solution in solutions:  # the code, then what it printed during the build
            assert solution.index("language-python") < solution.index("language-text")


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
