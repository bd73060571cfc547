"""The published notebooks, run the way a reader runs them.

Each notebook is taken from the built site (what the download button serves) and run
top to bottom in a fresh kernel: the package installed from a wheel built from this
tree (not the editable install), no environment inherited from the test run (so no
TF_* variables and a fresh HOME; the venv's commands on PATH, as when it is activated),
an empty working directory and a temporary directory of its own. The kernel is reached
over IPC, so no network is needed; only the TensorBoard that a notebook cell opens
(`%tensorboard`) listens on loopback. The run asks it which runs it serves, then stops
it, as a reader closing Jupyter would.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import nbformat
import psutil
import pytest
import yaml
from helpers import Elements, page, running
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from packaging.requirements import Requirement
from venvs import fresh_venv

from alphabet_site.fences import parse
from alphabet_site.hooks.notebooks import (
    ADMONITION,
    COLLAPSED,
    NOTEBOOK_ONLY,
    SOLUTION,
    YOUR_ANSWER,
    is_collapsed,
    is_solution,
    notebook_name,
    page_path,
)
from alphabet_site.install_cell import INTRO, TITLE, install_cell
from alphabet_site.terminal import shown as displayed

pytestmark = [pytest.mark.site, pytest.mark.timeout(600)]  # every notebook run in a kernel
REPO = Path(__file__).resolve().parent.parent
MKDOCS = yaml.safe_load((REPO / "mkdocs.yml").read_text())
SITE_URL = MKDOCS["site_url"]


# One notebook per chapter with code to run.
NOTEBOOKS = [
    notebook_name(path.name)
    for path in sorted((REPO / "docs").glob("*.md"))
    if any(fence.runnable for fence in parse(path.read_text(encoding="utf-8")))
]


@pytest.fixture(scope="session")
def reader_python(tmp_path_factory, wheel) -> Path:
    """A reader's venv: a fresh venv holding a Jupyter kernel and the package's
    dependencies with its `backends` extra (linked in by tests/venvs.py), and the package
    installed from the wheel."""
    requirements = map(Requirement, metadata.requires("alphabet-tutorial") or [])
    extras = ("", "backends")  # the backends and scale-out chapters run Keras on JAX, PyTorch
    needs = [
        r.name
        for r in requirements
        if r.marker is None or any(r.marker.evaluate({"extra": extra}) for extra in extras)
    ]
    python = fresh_venv(
        tmp_path_factory.mktemp("notebook-reader") / "venv", ["ipykernel", "pip", *needs]
    )
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel],
        env={
            "PATH": os.defpath,
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        },
        check=True,
        capture_output=True,
    )
    return python


# What TensorBoard's notebook support leaves in the temporary directory by design: the
# server's output, and the directory of its info file (empty once the server has exited).
TENSORBOARD_OUTPUT = re.compile(r"\.tensorboard-(?:stdout|stderr)-\w+")


@dataclass
class ReaderRun:
    notebook: nbformat.NotebookNode  # as executed
    left: list[str]  # what the run left in its temporary directory
    tensorboards: list[list[str]]  # the runs each TensorBoard it opened served
    not_stopped: list[str]  # TensorBoard processes still alive after it was stopped


def run_as_reader(python: Path, notebook: Path, root: Path) -> ReaderRun:
    """`notebook` executed in a fresh kernel of `python`. The kernel gets a fresh HOME, an
    empty working directory, a temporary directory of its own, PATH with the venv's
    commands and nothing else of this environment."""
    home, cwd, tmp = (root / "home", root / "cwd", root / "tmp")
    for directory in (home, cwd, tmp, root / "kernels" / "reader"):
        directory.mkdir(parents=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": "reader", "language": "python"}
    (root / "kernels" / "reader" / "kernel.json").write_text(json.dumps(spec))
    kernel = KernelManager(
        kernel_name="reader",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(root / "kernels")]),
        transport="ipc",  # no network needed, not even loopback
        ip=str(root / "kernel"),
        connection_file=str(root / "kernel.json"),
        shutdown_wait_time=60,  # a graceful exit runs the kernel's atexit clean-ups
    )
    executed = nbformat.read(notebook, as_version=4)
    client = NotebookClient(executed, km=kernel, timeout=300, allow_errors=True)
    path = f"{python.parent}{os.pathsep}{os.defpath}"
    env = {"PATH": path, "HOME": str(home), "TMPDIR": str(tmp), "LANG": "C.UTF-8"}
    tensorboards: list[list[str]] = []
    try:
        client.execute(env=env, cwd=str(cwd))
        tensorboards = [served_runs(port) for port in tensorboard_ports(executed)]
    finally:  # the client leaves a kernel it was given, and its channels, to us
        not_stopped = stop_tensorboards(kernel.provisioner.pid) if kernel.has_kernel else []
        if client.kc is not None:
            client.kc.stop_channels()
        kernel.shutdown_kernel()
    left = sorted(
        str(path.relative_to(root))
        for path in tmp.iterdir()
        if not TENSORBOARD_OUTPUT.fullmatch(path.name)
        and not (path.name == ".tensorboard-info" and not any(path.iterdir()))
        and not path.name.startswith("torchinductor_")  # PyTorch's own cache, made on import
    )
    return ReaderRun(executed, left, tensorboards, not_stopped)


def tensorboard_ports(notebook: nbformat.NotebookNode) -> list[int]:
    """The port of each TensorBoard a `%tensorboard` cell shows (in its HTML output)."""
    return [
        int(port)
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        for port in re.findall(r"const port = (\d+);", output.get("data", {}).get("text/html", ""))
    ]


def served_runs(port: int) -> list[str]:
    """The runs a TensorBoard on this machine lists (loopback, never through a proxy)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"http://localhost:{port}/data/runs", timeout=60) as response:
        return sorted(json.load(response))


def stop_tensorboards(kernel_pid: int) -> list[str]:
    """Stop the TensorBoard processes the kernel started, its server's data server with it
    (SIGTERM: TensorBoard then removes its info file); those still running 30 s later,
    killed, described. (An exited child of the kernel stays a zombie until the kernel
    reaps it or exits: it holds no port and no file.)"""
    started = []
    for process in psutil.Process(kernel_pid).children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            if "tensorboard" in " ".join(process.cmdline()):
                started.append(process)
    for process in started:
        process.terminate()
    deadline = time.monotonic() + 30
    while any(running(process.pid) for process in started) and time.monotonic() < deadline:
        time.sleep(0.2)
    stuck = [process for process in started if running(process.pid)]
    described = [f"pid {process.pid}: {' '.join(process.cmdline())}" for process in stuck]
    for process in stuck:
        process.kill()
    return described


@pytest.fixture(scope="session")
def reader_runs(built_site, reader_python, tmp_path_factory) -> dict[str, ReaderRun]:
    """Every published notebook, run by a reader. Two at a time, one per core."""
    published = {path.stem: path for path in built_site.glob("notebooks/*/*.ipynb")}
    assert sorted(published) == sorted(NOTEBOOKS), "the site publishes a notebook per chapter"

    def run(name: str):
        return name, run_as_reader(reader_python, published[name], tmp_path_factory.mktemp(name))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, NOTEBOOKS))


def test_the_reader_runs_the_wheel_not_the_work_tree(reader_python, tmp_path):
    located = subprocess.run(
        [reader_python, "-c", "import alphabet_tutorial; print(alphabet_tutorial.__file__)"],
        cwd=tmp_path,
        env={"PATH": os.defpath, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(located).is_relative_to(reader_python.parent.parent), located
    assert not Path(located).is_relative_to(REPO), located


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_published_notebook_runs_cleanly_for_a_reader(reader_runs, name):
    notebook, left = reader_runs[name].notebook, reader_runs[name].left
    problems = []
    for number, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            where = f"cell {number} ({cell.source.splitlines()[0]!r})"
            if output.output_type == "error":
                problems.append(f"{where} raised {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                problems.append(f"{where} wrote to stderr: {output.text[:500]!r}")
            elif output.output_type == "display_data" and not output.data.get("text/plain"):
                problems.append(f"{where} displays nothing (an empty output)")
    assert not problems, "\n".join(problems)
    assert not left, f"the notebook left temporary files behind: {left}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_tensorboard_opens_in_the_notebook_on_its_runs_and_stops(reader_runs, name):
    """Where a chapter opens TensorBoard in the notebook (`%tensorboard`), the server the
    cell started serves the runs its training cells logged; once stopped, no TensorBoard
    process is left (`stop_tensorboards`)."""
    run = reader_runs[name]
    magic = [c for c in run.notebook.cells if c.cell_type == "code" and "%tensorboard" in c.source]
    shown = [output for cell in magic for output in cell.outputs]
    assert len(run.tensorboards) == len(magic), f"TensorBoard did not open: {shown}"
    if name == "keras-implementation":
        assert run.tensorboards == [["first_look/train", "keras/train", "lowlevel/train"]]
    assert not run.not_stopped, f"TensorBoard outlived SIGTERM: {run.not_stopped}"


def test_nothing_the_reader_started_is_left_running(reader_runs, reader_python):
    """Once every notebook has run, no process of the reader's venv runs on: no kernel,
    no TensorBoard, no TensorBoard data server."""
    venv = str(reader_python.parent.parent)
    left = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        with contextlib.suppress(psutil.NoSuchProcess):
            if running(process.pid) and any(venv in part for part in process.info["cmdline"] or []):
                left.append(f"pid {process.pid}: {' '.join(process.info['cmdline'])}")
    assert not left, left


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_reader_gets_the_outputs_the_site_shows(reader_runs, built_site, name):
    """Every code cell of the chapter prints what the published notebook shows, apart from
    what is measured: the build and the reader run the code in two processes, in two
    environments, so this is also the proof that the chapters' numbers are reproducible."""
    published = nbformat.read(built_site / f"notebooks/{name}/{name}.ipynb", as_version=4)
    executed = reader_runs[name].notebook
    for number, (mine, theirs) in enumerate(zip(executed.cells, published.cells, strict=True)):
        if NOTEBOOK_ONLY in theirs.metadata.get("tags", []):
            continue  # the build does not run it: the published cell has no output
        where = f"cell {number}: {mine.source.splitlines()[:1]}"
        assert shape(mine) == shape(theirs), where
        assert results(mine) == results(theirs), where


def results(cell) -> list[list[str]]:
    """The kinds of data each last-line value of a cell carries (a table's HTML, a figure's
    SVG): the build's own rendering must be what a Jupyter kernel makes."""
    return [sorted(o.data) for o in cell.get("outputs", []) if o.output_type == "execute_result"]


# What a run measures differs from run to run: durations and their ratios. They are masked
# as every number with a time unit and every decimal (the comparison prints its timings as
# bare decimals in tables and generated sentences); integers (parameter counts, epochs,
# line counts), ids and order must match exactly.
TIMING = re.compile(r"\d+(?:\s?(?:ms|µs|us|s)\b(?:/\w+)?|\s?×)")
DECIMAL = re.compile(r"\d+\.\d+")
# What the conclusions' knob rounds found: words that follow from measured times, as
# the times do (a knob within its spread in one run can be faster in every round in the
# next): the rounds' verdict, whether and when a knob's first epoch is repaid
# (`KnobRounds.repaid`), and the knobs worth turning on.
VERDICT = re.compile(
    r"(?:faster|slower) in every round|within the rounds' spread"
    r"|no clear extra cost|no sure saving to repay it|repaid after \d+ warm epochs?"
    r"|worth turning on for a run of \d+ epochs: .*"  # which knobs (`worth_it`)
)
# A sentence the comparison prints only when one run's epoch was out of line (`widest`).
OUT_OF_LINE = re.compile(r" ?The ratio farthest from the median, [^.]*\.")


def shape(cell) -> list[str]:
    """The words a cell shows, measured figures masked: what must match between two runs.
    (In a kernel, Keras's summary is a rich display, coloured and as wide as Jupyter's;
    `fit`'s progress bar redraws its line, and only its last drawing shows.)"""
    text = "".join(
        output.text if output.output_type == "stream" else output.data.get("text/plain", "")
        for output in cell.get("outputs", [])
    )
    text = displayed(text)  # colours removed, redrawn lines as drawn last
    text = VERDICT.sub("<verdict>", TIMING.sub("<time>", DECIMAL.sub("<n>", text)))
    text = OUT_OF_LINE.sub("", text)
    return re.sub(r"(\D)\1+", r"\1", text).split()  # ━━━ -> ━


# --- what the notebooks say, read from the built site (no kernel) ---------------------


def published(site: Path, name: str) -> nbformat.NotebookNode:
    return nbformat.read(site / f"notebooks/{name}/{name}.ipynb", as_version=4)


def chapter_of(name: str) -> str:
    return "index" if name == "home" else name


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_notebook_opens_with_its_title_and_a_link_to_its_chapter(built_site, name):
    title, intro = published(built_site, name).cells[0].source.split("\n\n")
    chapter = (REPO / "docs" / f"{chapter_of(name)}.md").read_text(encoding="utf-8")
    assert title == next(line for line in chapter.splitlines() if line.startswith("# "))
    assert intro.startswith("*This notebook is the runnable version of [this chapter]")
    assert f"[this chapter]({SITE_URL}{page_path(chapter_of(name) + '.md')})" in intro


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_intro_speaks_of_cells_without_outputs_only_where_there_are_some(built_site, name):
    notebook = published(built_site, name)
    only_here = [  # cells the build does not run, other than the reader's answer cells
        cell
        for cell in notebook.cells
        if NOTEBOOK_ONLY in cell.metadata.get("tags", [])
        and "exercise" not in cell.metadata["tags"]
    ]
    said = "a cell that only a notebook runs" in notebook.cells[0].source
    assert said == bool(only_here), [cell.source for cell in only_here]
    assert all(not cell.outputs for cell in only_here)


def test_the_home_notebook_does_not_point_at_the_install_line_its_first_cell_ran(built_site):
    page = " ".join((REPO / "docs" / "index.md").read_text(encoding="utf-8").split())
    assert "(to run it yourself, install the companion package first, as" in page
    text = "\n".join(cell.source for cell in published(built_site, "home").cells)
    assert "to run it yourself" not in text
    assert "Here is the whole task, every example the model is trained on:" in text


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_install_cell_is_said_and_folded_under_its_title(built_site, name):
    """A line every medium shows says what the install cell does; the cell itself is a
    Colab form (its `#@title` shown, its code hidden) and source_hidden in JupyterLab."""
    _, said, cell, *_ = published(built_site, name).cells
    assert (said.cell_type, said.source) == ("markdown", INTRO)
    shown, folded = INTRO.split("<details>")  # what the cell sets, and why: folded
    assert len(re.findall(r"[.!?](?:\s|$)", shown)) == 2, "two sentences, before the tutorial"
    assert "oneDNN" not in shown and "`TF_ENABLE_ONEDNN_OPTS=0`" in folded
    assert folded.startswith("<summary>") and folded.endswith("</details>")
    assert cell.cell_type == "code" and cell.source.startswith(f"#@title {TITLE}\n")
    assert len(cell.source.splitlines()) == len(install_cell(MKDOCS).splitlines())
    assert cell.metadata["cellView"] == "form"
    assert cell.metadata["jupyter"] == {"source_hidden": True}


def test_a_listing_keeps_its_file_title_in_the_notebook(built_site):
    """The page shows `alphabet_tutorial/config.py` above the listing: so does the notebook."""
    cells = published(built_site, "recap").cells
    markdown = "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")
    titles = re.findall(r'^\s*```py title="([^"]+)"', (REPO / "docs/recap.md").read_text(), re.M)
    assert "alphabet_tutorial/config.py" in titles
    for title in titles:
        assert re.search(rf"^(> )?\*\*`{re.escape(title)}`\*\*\n(> )?```py$", markdown, re.M)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_notebooks_write_maths_as_jupyter_and_colab_read_it(built_site, name):
    """Jupyter's Markdown eats the backslash of `\\(`: the maths is `$...$`, `$$...$$`."""
    cells = published(built_site, name).cells
    markdown = "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")
    assert "\\(" not in markdown and "\\[" not in markdown
    if name == "recap":  # it has maths: the LSTM's and Adam's equations, and in sentences
        assert markdown.count("$$") == 4
        assert "$x_t$" in markdown and "$h_{t-1}$" in markdown


# LaTeX a reader would see raw: a dollar, a backslash command, an escaped bracket.
RAW_LATEX = re.compile(r"\$|\\[a-zA-Z]+|\\[()\[\]]")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_executed_notebook_pages_show_no_raw_latex(built_site, name):
    """The notebook pages render the maths as MathML, as the chapters do: no LaTeX in
    their prose (the text outside code and outputs)."""
    html = page(built_site, f"notebooks/{name}/")
    prose = re.sub(r"<(pre|code|script|style|svg|math)\b.*?</\1>", "", html, flags=re.S)
    shown = "".join(Elements(prose).text)
    assert not RAW_LATEX.findall(shown), RAW_LATEX.findall(shown)[:10]
    if name == "recap":
        chapter = page(built_site, "recap/")
        assert html.count("<math") == chapter.count("<math") > 20


def test_the_keras_notebook_shows_the_tensorboard_screenshots(built_site):
    """Each screenshot, with its alt text, at its published address (Jupyter and Colab
    load it); the notebook page loads it from the site."""
    manifest = json.loads((REPO / "docs/img/tensorboard/manifest.json").read_text())
    notebook = published(built_site, "keras-implementation")
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    tags = Elements(page(built_site, "notebooks/keras-implementation/")).tags
    images = {attrs["src"]: attrs.get("alt") for tag, attrs in tags if tag == "img"}
    for image in manifest["images"]:
        alt = image["alt"].replace("[", "(").replace("]", ")")
        assert f"![{alt}]({SITE_URL}img/tensorboard/{image['file']})" in markdown
        assert images[f"../../img/tensorboard/{image['file']}"] == alt
    assert "screenshot is here" not in markdown


@dataclass
class Folded:
    """A block the page folds (`??? kind "Title"`): its title, the code of its runnable
    fences, and the first line of the page after it."""

    title: str
    solution: bool
    code: list[str]
    after: str = ""


def folded_blocks(chapter: str) -> list[Folded]:
    """The chapter's collapsed admonitions (not those inside another), in order."""
    lines, inside, found = chapter.splitlines(), None, []
    fences = {fence.start: fence for fence in parse(chapter)}
    for number, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if inside is not None and line.strip() and indent <= inside:
            inside, found[-1].after = None, line
        admonition = ADMONITION.match(line)
        if admonition and is_collapsed(admonition) and inside is None:
            inside = indent
            found.append(Folded(admonition["title"] or "", is_solution(admonition), []))
        fence = fences.get(number)
        if inside is not None and fence is not None and fence.runnable:
            found[-1].code.append(fence.code.rstrip("\n"))
    return found


def solution_code(chapter: str) -> list[str]:
    """The code of each runnable fence inside a solution (`??? example "Solution"`)."""
    return [code for block in folded_blocks(chapter) if block.solution for code in block.code]


def section(cells, number: int) -> list:
    """The cells a collapsed heading folds: up to the next heading of its level or higher."""
    folded = []
    for cell in cells[number + 1 :]:
        if 0 < heading_level(cell) <= heading_level(cells[number]):
            break
        folded.append(cell)
    return folded


def heading_level(cell) -> int:
    """The level of the heading a Markdown cell starts with (0: none)."""
    if cell.cell_type != "markdown":
        return 0
    return len(cell.source) - len(cell.source.lstrip("#")) if cell.source[:1] == "#" else 0


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_exercise_solutions_are_collapsed_in_the_notebooks(built_site, name):
    """Each solution is a heading saved collapsed (for JupyterLab and Colab) under its
    exercise's heading; what it folds, up to the next heading of its level or higher, is
    exactly the solution's code (with its output, as the page shows it when opened) and
    the answer, and the next exercise or section is outside it."""
    chapter = (REPO / "docs" / f"{chapter_of(name)}.md").read_text(encoding="utf-8")
    notebook = published(built_site, name)
    cells = notebook.cells
    collapsed = [number for number, cell in enumerate(cells) if cell.metadata.get("id")]
    assert notebook.metadata["colab"]["collapsed_sections"] == [cells[n].id for n in collapsed]
    headings = [n for n in collapsed if re.match(r"#+ Solution to exercise", cells[n].source)]
    assert len(headings) == chapter.count(f'??? {SOLUTION} "Solution"')
    folded_code = []
    for number in headings:
        heading = cells[number]
        level = heading_level(heading)
        assert heading.metadata == {**COLLAPSED, "id": heading.id}
        answer = cells[number - 1]  # a code cell for the reader's own answer, not run here
        assert answer.cell_type == "code" and answer.source == YOUR_ANSWER
        assert answer.metadata["tags"] == [NOTEBOOK_ONLY, "exercise"] and not answer.outputs
        exercise = re.match(r"(#+) (\d+)\. \S", cells[number - 2].source)
        assert exercise and len(exercise[1]) == level - 1, "a solution sits under its exercise"
        assert heading.source == "#" * level + f" Solution to exercise {exercise[2]}"
        folded = section(cells, number)
        assert not any(heading_level(cell) for cell in folded), "a heading inside a solution"
        code = [cell for cell in folded if cell.cell_type == "code"]
        assert all(cell.outputs for cell in code), "a solution shows its output when opened"
        folded_code += [cell.source for cell in code]
    assert folded_code == solution_code(chapter)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_what_the_page_folds_the_notebook_folds_up_to_where_the_page_goes_on(built_site, name):
    """Each note the page folds (a collapsed admonition, not a solution) is a heading saved
    collapsed, under the note's title, a level below its section; what it folds is the
    note: its code cells are the note's code, with their outputs. The line of the page after
    the note comes after the fold where it is a heading; where the page goes on without one,
    the note has moved to the end of its section, and the line comes before it (in its
    section: no heading between). No made-up heading ends a fold, and no note is left as a
    quote of its title."""
    chapter = (REPO / "docs" / f"{chapter_of(name)}.md").read_text(encoding="utf-8")
    notes = [block for block in folded_blocks(chapter) if not block.solution]
    cells = published(built_site, name).cells
    headings = [
        number
        for number, cell in enumerate(cells)
        if cell.metadata.get("id") and not re.match(r"#+ Solution to exercise", cell.source)
    ]
    assert len(headings) == len(notes)
    for number, note in zip(headings, notes, strict=True):
        heading = cells[number]
        hashes = "#" * heading_level(heading)
        assert heading.metadata == {**COLLAPSED, "id": heading.id}
        title = re.sub(r"\bthis page\b", "this chapter", note.title)  # PAGE_ONLY
        assert heading.source == "#" * heading_level(heading) + f" {title}"
        folded = section(cells, number)
        assert not any(heading_level(cell) for cell in folded), "a heading inside a note"
        code = [cell for cell in folded if cell.cell_type == "code"]
        assert [cell.source for cell in code] == note.code
        assert all(cell.outputs for cell in code), "a note's code shows its output when opened"
        words = " ".join(note.after.split()[:4])
        if not words or not re.match(r"[\w`]", words):  # a fence, a comment
            continue
        words = words.lstrip("#").strip()
        if note.after.startswith("Next: "):  # the closing line: a "## Next" section
            words = "## Next"
        if note.after.startswith(("#", "Next: ")):
            rest = "\n".join(cell.source for cell in cells[number + 1 + len(folded) :][:2])
            assert words in rest, f"{note.title!r}: {words!r} is not after it"
            continue
        before = cells[:number]
        start = max(n for n, cell in enumerate(before) if 0 < heading_level(cell) < len(hashes))
        section_text = "\n".join(cell.source for cell in before[start:])
        assert words in section_text, f"{note.title!r}: {words!r} is not before it, in its section"
    markdown = "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")
    assert "(continued)" not in markdown
    for note in notes:
        assert f"> **{note.title}**" not in markdown


# A link's target in Markdown, or an HTML attribute's (none of the chapters writes HTML).
LINK_TARGET = re.compile(r"\]\((?P<md>[^()\s]+)\)|(?:href|src)=\"(?P<html>[^\"]+)\"")
CODE = re.compile(r"^(?:> )?```.*?^(?:> )?```|`[^`\n]*`", re.M | re.S)  # quoted too


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_downloaded_notebook_has_no_relative_link(built_site, name):
    """Outside the site, a relative link leads nowhere: every link and image of the
    notebook's Markdown is absolute, and each into the published site names a page or
    file of this build (and an anchor of that page)."""
    markdown = "\n".join(
        cell.source for cell in published(built_site, name).cells if cell.cell_type == "markdown"
    )
    targets = [m["md"] or m["html"] for m in LINK_TARGET.finditer(CODE.sub("", markdown))]
    assert targets, "a chapter without a link"
    relative = [target for target in targets if not re.match(r"https?://", target)]
    assert not relative, relative
    for target in targets:
        if not target.startswith(SITE_URL):
            continue
        path, _, anchor = target.removeprefix(SITE_URL).partition("#")
        file = built_site / path / "index.html" if path == "" or path.endswith("/") else None
        file = file or built_site / path
        assert file.is_file(), f"{target}: not a file of the built site"
        if anchor:
            assert f'id="{anchor}"' in file.read_text(encoding="utf-8"), target


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_notebook_keeps_a_link_within_its_chapter_as_words(built_site, name):
    """A chapter's link to one of its own sections would take the learner out of the
    notebook to the website: the notebook keeps its words, and the section is in it."""
    page = SITE_URL + ("" if name == "home" else name + "/")
    markdown = "\n".join(
        cell.source for cell in published(built_site, name).cells if cell.cell_type == "markdown"
    )
    source = (REPO / "docs" / f"{chapter_of(name)}.md").read_text(encoding="utf-8")
    for words, anchor in re.findall(r"(?<!!)\[([^\]]+)\]\((#[^()\s]+)\)", source):
        assert f"]({page}{anchor})" not in markdown, anchor
        assert " ".join(words.split()) in " ".join(markdown.split()), words


# What only the page shows, said in a notebook: its tabs, a box or listing it folds (the
# notebook says "collapsed section", by its title), the buttons above it, its build.
PAGE_TALK = re.compile(
    r"\btabs?\b|\bthis page\b|\bthe box below\b|\bfolded(;|\s+(block|listing))"
    r"|\buse the buttons\b|\bthe page was built\b",
    re.I,
)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_notebooks_prose_speaks_of_the_notebook(built_site, name):
    """The page's tabs are flattened in the notebook, its widget is a link to the page, its
    buttons are the site's: a notebook's prose does not send the reader to them as if they
    were there."""
    prose = "\n".join(
        CODE.sub("", cell.source)
        for cell in published(built_site, name).cells
        if cell.cell_type == "markdown"
    )
    assert not PAGE_TALK.findall(prose), [
        prose[max(0, m.start() - 80) : m.end() + 40] for m in PAGE_TALK.finditer(prose)
    ]
