"""One notebook per chapter, made from the chapter, holding this build's outputs.

What is ours is flattening Material's Markdown to what Jupyter renders: content tabs
become bold titles, one after the other, open admonitions block quotes, collapsed ones
(`??? note "Title"`) collapsed sections (below), images (the TensorBoard
screenshots too) images at their published address, every relative link (another
chapter, a file of the site) a link to the published site (a downloaded notebook has no
site around it), maths `$...$` and `$$...$$` (Jupyter's and Colab's MathJax read those;
Markdown would eat the backslash of `\\(`), and the chapter's runnable fences (read as
pytest-codeblocks reads them) and its notebook cells (```ipython, hooks/fences.py) plain
```python fences. An exercise ("**1. Title.** ...") becomes a heading, and its solution
(a collapsed `???` example admonition) a heading of its own, "Solution to exercise 1",
saved collapsed, with a code cell above it for the reader's own answer: JupyterLab,
Notebook 7 (`jp-MarkdownHeadingCollapsed`) and Colab (`colab.collapsed_sections`) fold
everything up to the next heading, the solution's code, its output and the answer after
it, until the reader opens it, as the page folds it. Any other collapsed admonition (a
note, a listing) is a collapsed heading too, under its title, over its prose, listings
and code cells. Its fold ends at the next heading of its level or higher, so where the
chapter goes on after the note without one, the note moves down to the end of its
section (before the next heading, exercise or note), with a line "It is folded further
down in this section, under “Title”." (`MOVED`) where the prose before it ends with a
colon (it introduced the note); a note whose code would then run after code of its
section's stays, and a heading "<section> (continued)" ends its fold. What the page
alone shows (the live widget, the tabs) the notebook's prose says as the notebook shows
it (`ON_THE_PAGE`, `PAGE_ONLY`). A script the chapter runs in a process of its own
(`SCRIPTS`) is a cell that writes it to a file (`%%writefile`, in place of its listing),
and the cell that runs it runs that file: the reader changes it there and runs it again.
pymdownx.snippets expands the package code the chapter includes, and jupytext turns the
flat Markdown into cells, a cell per heading. A listing's title (```py title="a/file.py"),
which the page shows above it, is a caption above its fence. Before the chapter's cells
come a title, a line saying what the next cell does, and that cell, folded under its
title in Colab and JupyterLab: it installs the companion package where it is missing or
another version (Colab, an older install) and quiets TensorFlow (install_cell.py).

The code runs once per build, in hooks/execute.py: each code cell gets the outputs its
fence showed on the page, as Jupyter records them (what it printed, a stream; the value
of its last line, an `execute_result` whose MIME bundle holds the table's HTML or the
figure's SVG; each matplotlib figure it left open, `display_data` with the figure's SVG).
A notebook cell, which only a notebook runs, has no output and the tag
`notebook-only`. Cell ids are the cells' positions and nothing records a time, so the
same sources make byte-identical notebooks. They are written to a temporary directory,
never into docs/, and added to the build as `notebooks/<chapter>.ipynb`; mkdocs-jupyter
renders each as a page and copies the .ipynb beside it for download. The directory is
removed when the build ends (`make serve` rebuilds in one process: one directory at most,
during a build).
"""

from __future__ import annotations

import atexit
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import jupytext
import markdown
import nbformat
from markdown.extensions.toc import slugify
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

from alphabet_site.fences import parse
from alphabet_site.hooks.facts import MATH_INLINE, facts, render
from alphabet_site.hooks.measured import fill
from alphabet_site.hooks.tensorboard_figures import FIGURE, figure
from alphabet_site.install_cell import INTRO, METADATA, install_cell

if TYPE_CHECKING:
    from alphabet_site.hooks.execute import Output

TAB = re.compile(r'^(?P<indent>\s*)===\+?\s+"(?P<title>[^"]*)"\s*$')
ADMONITION = re.compile(
    r'^(?P<indent>\s*)(?P<mark>!!!|\?\?\?\+?)\s+(?P<kind>\w+)(?:\s+"(?P<title>[^"]*)")?'
)
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)]+)\)(?:\{[^}]*\})?")  # attr list too
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>[^()\s]+)\)")
COMMENT = re.compile(r"^\s*<!--.*-->\s*$")
LISTING_TITLE = re.compile(r'\btitle="(?P<title>[^"]+)"')  # ```py title="a/file.py"
# Markers of what only the page shows, and the line the notebook shows in their place and
# in place of the paragraph before them, which introduces it on the page ({url}: the
# chapter page's section that shows it).
ON_THE_PAGE = {
    "next-letter-widget": "*On [the page online]({url}), a box here runs, in your browser, "
    "the Keras model the implementation chapter trains, with the weights it learnt when the "
    "site was built: type a few letters there, and it shows how likely each letter is to "
    "come next.*",
}
# Sentences about what only the page does, as the notebook says them: its tabs are
# flattened one after the other under their names; what it folds, the notebook folds
# under a heading, opened by the arrow beside it (JupyterLab's and Colab's).
PAGE_ONLY = (
    (
        r"the tabs show\s+both; pick a tab and every tab set on the site follows\.",
        "this notebook shows both, one after the other, each under its name in bold.",
    ),
    (
        r"Listings you can skip on a first\s+read are folded;\s+open them when you want the\s+"
        r"details\.",
        "Listings you can skip on a first read are in sections of their own, which Colab "
        "and JupyterLab show collapsed: open one with the arrow beside its heading when "
        "you want the details.",
    ),
    (  # the home page's %pip line: the notebook's install cell has run it already
        r"\(the chapters' notebooks install it for you in their first code cell\)",
        "(this notebook's first code cell has installed it already, in the version these pages "
        "were made with)",
    ),
    (  # the page's buttons (overrides/partials/actions.html), which a notebook has not
        r"Each chapter is also a notebook: use the buttons at the top of a chapter to\s+"
        r"download it,\s+open it in Colab, or read a copy that holds the outputs shown on\s+"
        r"the page\.",
        "Each chapter is also a notebook, like this one. On the website, the buttons at the "
        "top of each chapter download its notebook, open it in Colab, or show a copy that "
        "holds the outputs shown on the page.",
    ),
    (  # the home page's pointer to its install line: the install cell has run it
        r"\s+\(to\s+run\s+it\s+yourself,\s+install\s+the\s+companion\s+package\s+first,\s+as\s+"
        r"(?:\[|\*)?How\s+to\s+follow\s+along(?:\]\([^)]*\)|\*)?\s+shows\)",  # a link, or its name
        "",
    ),
    (  # the backends chapter: the cells run in the notebook's kernel
        r"the\s+process\s+that\s+ran\s+this\s+page's\s+cells",
        "this notebook's kernel (the process that runs its cells)",
    ),
    (r"\bwhen the page was built\b", "when this notebook was built"),
    (  # the install cell has imported TensorFlow, and so Keras (what-is-keras.md)
        r"the\s+first cell of a fresh kernel:",
        "the first cell of a fresh kernel, even before this notebook's install cell, which "
        "imports TensorFlow:",
    ),
    (r"\bon this page\b", "in this chapter"),
    (r"\b([Tt])his page\b", r"\1his chapter"),
)


@dataclass(frozen=True)
class Script:
    """A script a chapter runs in a process of its own, which a notebook's reader edits and
    runs again: the page shows the package's module (the listing titled `listing`) and
    runs it with `python -m`; the notebook writes the same code to `file` in the working
    directory, a `%%writefile` cell in place of the listing, and runs that file. `run`: the
    code of the page's run cell and the notebook's in its place; `said`: the page's
    sentences about the script and the notebook's, as `PAGE_ONLY` pairs them."""

    listing: str
    file: str
    run: tuple[str, str]
    said: tuple[tuple[str, str], ...] = ()


SCRIPTS = {
    "beyond-one-machine.md": Script(
        listing="alphabet_tutorial/keras_mirrored.py",
        file="keras_mirrored.py",
        run=(
            'module = "alphabet_tutorial.keras_mirrored"\nscript = [sys.executable, "-m", module, ',
            'script = [sys.executable, "keras_mirrored.py", ',
        ),
        said=(
            (
                r"In\s+a\s+terminal,\s+that\s+is\s+`python\s+-m\s+alphabet_tutorial\.keras_mirrored`\."
                r"\s+To\s+try\s+a\s+change,\s+copy\s+the\s+listing\s+to\s+a\s+file\s+of\s+your\s+own"
                r"\s+and\s+run\s+that,\s+or\s+open\s+this\s+chapter's\s+notebook\.",
                "The `%%writefile` cell above wrote the script to `keras_mirrored.py`, in "
                "the working directory. To try a change (the batch size, a callback of your "
                "own in the list), edit that cell, run it, then run the code cell below it "
                'again. For another number of devices, add `"--devices", "N"` to the command '
                "below: at most one device per CPU core, and a number that divides the batch "
                "size. In a terminal, that is "
                "`python keras_mirrored.py`.",
            ),
        ),
    ),
}
# An exercise ("**1. Title.** Its question...") is a heading of its own in the notebook,
# and its solution (a collapsed `???` example admonition on the page) a collapsed heading
# below it: JupyterLab, Notebook 7 and Colab fold a heading's section (every cell up to
# the next heading of its level or higher: code, outputs, answer) until it is opened.
EXERCISE = re.compile(r"^\*\*(?P<title>\d+\.\s[^*]*?)\.?\*\*\s+(?P<question>.*)$")
SOLUTION = "example"  # the kind of admonition a solution is, with the title "Solution"
# (another collapsed example, such as a folded listing, is a collapsed note)
# "The folded block", on a page with one collapsed block of code: that block, by its title.
FOLDED_BLOCK = re.compile(r"\b(?P<t>[Tt])he folded\s+block(?P<of>'s\s+(?P<what>\w+))?\b")
# A chapter's closing line ("Next: [a chapter](...)") is a section of its own, where the
# last solution before it ends.
NEXT = re.compile(r"^Next: (?P<where>.*)$")
SCHEME = re.compile(r"[a-z][\w+.-]*:")  # https:, mailto:
# jupytext's markers of a Markdown cell with metadata: a solution's heading, a note's.
REGION_START, REGION_END = "<!-- #region {}=true -->", "<!-- #endregion -->"
FOLDS = ("solution", "note")  # the metadata keys of the two
# What a folded heading holds: JupyterLab and Notebook 7 read the first key; Colab
# reads the notebook's `colab.collapsed_sections`, the `id` in the metadata of each
# collapsed heading cell.
COLLAPSED = {"jp-MarkdownHeadingCollapsed": True}
MARKER = re.compile(r"^\s*<!--\s*(?P<name>[\w-]+)")
# Where the prose before a note introduced it, and the note moved down: where it is.
MOVED = "*It is folded further down in this section, under “{}”.*"
NOTEBOOK_ONLY = "notebook-only"  # the tag of a cell the build does not run
# Above each solution's folded heading, a code cell for the reader's own answer (the page
# has none: its reader types into a notebook of their own).
YOUR_ANSWER = "# Your code here"
ANSWER_METADATA = {"tags": [NOTEBOOK_ONLY, "exercise"]}


def notebook_name(src_uri: str) -> str:
    """recap.md -> recap; index.md -> home (notebooks/index.ipynb would be a section index)."""
    stem = Path(src_uri).stem
    return "home" if stem == "index" else stem


def notebook_uri(src_uri: str) -> str:
    return f"notebooks/{notebook_name(src_uri)}.ipynb"


def download_path(src_uri: str) -> str:
    """Where mkdocs-jupyter copies the .ipynb: beside the notebook's own page."""
    name = notebook_name(src_uri)
    return f"notebooks/{name}/{name}.ipynb"


_out_dirs: list[str] = []  # where this build writes its notebooks (none between builds)


def remove_notebooks() -> None:
    """Remove the build's notebooks once it ended (mkdocs-jupyter copied them into the site),
    or failed, or the process exits: `make serve` rebuilds in one process, and leaves no
    folder of notebooks behind a build."""
    while _out_dirs:
        shutil.rmtree(_out_dirs.pop(), ignore_errors=True)


atexit.register(remove_notebooks)


@event_priority(100)  # before mkdocs-jupyter's on_files picks the notebooks up
def on_files(files, config):
    """Announce a notebook for every chapter with runnable code (written once it has run)."""
    remove_notebooks()  # a build stopped before its end (a failed `make serve` rebuild)
    out_dir = tempfile.mkdtemp(prefix="alphabet-notebooks-")
    _out_dirs.append(out_dir)
    for chapter in [file for file in files.documentation_pages() if file.src_uri.endswith(".md")]:
        text = Path(chapter.abs_src_path).read_text(encoding="utf-8")
        if any(fence.runnable for fence in parse(text)):
            uri = notebook_uri(chapter.src_uri)
            files.append(File(uri, out_dir, config["site_dir"], config["use_directory_urls"]))
    return files


@event_priority(-100)  # after hooks/execute.py has run the chapter's code
def on_page_markdown(markdown_text, page, config, files):
    """Write the chapter's notebook with its outputs; tell the template where it is."""
    notebook_file = files.get_file_from_path(notebook_uri(page.file.src_uri))
    if not page.file.src_uri.endswith(".md") or notebook_file is None:
        return markdown_text
    source = render(Path(page.file.abs_src_path).read_text(encoding="utf-8"), facts())
    source = fill(source, page.meta.get("measured", {}), page.file.src_uri)
    text = notebook_text(source, page.file.src_uri, config, page.meta.get("code_outputs", []))
    Path(notebook_file.abs_src_path).parent.mkdir(parents=True, exist_ok=True)
    Path(notebook_file.abs_src_path).write_text(text, encoding="utf-8")
    page.meta["notebook"] = download_path(page.file.src_uri)
    page.meta["colab"] = colab_url(config, download_path(page.file.src_uri))
    return markdown_text


def on_pre_page(page, config, files):
    if page.file.src_uri.startswith("notebooks/") and not Path(page.file.abs_src_path).exists():
        raise PluginError(f"{page.file.src_uri} was not written: its chapter did not render")
    return page


@event_priority(-100)  # after mkdocs-jupyter's own
def on_post_build(config) -> None:
    remove_notebooks()


def on_build_error(error) -> None:
    remove_notebooks()


def colab_url(config, path: str) -> str:
    colab = config["extra"]["colab"]
    return (
        f"https://colab.research.google.com/github/{colab['repository']}"
        f"/blob/{colab['branch']}/{path}"
    )


_made: dict[str, tuple[str, str]] = {}  # chapter -> the key and text of its last notebook


def notebook_text(source: str, src_uri: str, config, outputs: list[tuple[str, Output]]) -> str:
    """The chapter's notebook file, with its outputs. `make serve` rebuilds every page on
    each save: a chapter whose notebook would be made of the same parts as in the last
    build (its source, its flattened Markdown with the snippets it includes, the install
    cell, its outputs) gets the same text again, without jupytext's parsing and nbformat's
    validation of every cell (a tenth of a rebuild)."""
    page_url = urljoin(config["site_url"], page_path(src_uri))
    flat = flatten(source.splitlines(), config, page_url, src_uri)
    parts = [source, flat, config["site_url"], config["site_name"], install_cell(config)]
    parts += [[code, output.text, output.result, output.figures] for code, output in outputs]
    key = json.dumps(parts)
    if _made.get(src_uri, ("", ""))[0] != key:
        notebook = chapter_notebook(source, src_uri, config)
        fill_outputs(notebook, outputs, src_uri)
        text = nbformat.writes(notebook)
        _made[src_uri] = key, text if text.endswith("\n") else text + "\n"
    return _made[src_uri][1]


def chapter_notebook(text: str, src_uri: str, config) -> nbformat.NotebookNode:
    """The chapter as a notebook, without outputs."""
    page_url = urljoin(config["site_url"], page_path(src_uri))
    lines = text.splitlines()
    title = next((n for n, line in enumerate(lines) if line.startswith("# ")), -1)
    only_here = any(fence.notebook_cell for fence in parse(text))  # a cell the page has not
    script = SCRIPTS.get(src_uri)
    such_as = f"the one that writes `{script.file}`" if script else ""
    such_as = "a `%` or `!` command" if only_here else such_as
    intro = (lines[title] + "\n\n" if title >= 0 else "") + (
        f"*This notebook is the runnable version of [this chapter]({page_url}) of the "
        f"tutorial “{config['site_name']}”. It is saved with the outputs the chapter's "
        "page shows"
        + (f" (a cell that only a notebook runs, such as {such_as}, has none)" if such_as else "")
        + "; run the cells in order to make your own.*"
    )
    flat = flatten(lines[title + 1 :], config, page_url, src_uri)
    chapter = jupytext.reads(flat, fmt={"extension": ".md", "split_at_heading": True})
    # jupytext cuts the cells; the code is the fences' own (it drops doubled blank lines)
    code = iter(
        [
            fence
            for fence in parse(text)
            if fence.runnable
            or fence.notebook_cell
            or writes(script, lines[fence.start], fence, config)
        ]
    )
    cells = [
        nbformat.v4.new_markdown_cell(intro),
        nbformat.v4.new_markdown_cell(INTRO),
        nbformat.v4.new_code_cell(install_cell(config), metadata=METADATA),
    ]
    for cell in chapter.cells:  # a heading starts a cell (the unit Jupyter folds)
        heading = cell.source.startswith("#") or folds(cells[-1])
        if cell.cell_type == cells[-1].cell_type == "markdown" and not heading:
            cells[-1].source += "\n\n" + cell.source
        elif cell.cell_type == "code":
            fence = next(code, None)
            source = notebook_code(fence, script, config) if fence else cell.source
            cells.append(nbformat.v4.new_code_cell(source))
            if fence and not fence.runnable:  # a notebook cell, or the script it writes
                cells[-1].metadata["tags"] = [NOTEBOOK_ONLY]
        else:
            if cell.metadata.get("solution"):  # a cell to try the exercise in, above it
                cells.append(nbformat.v4.new_code_cell(YOUR_ANSWER, metadata=ANSWER_METADATA))
            cells.append(nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata))
    check_script(cells, script, src_uri)
    collapsed = []
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number}"  # stable: the same chapter gives the same notebook
        if folds(cell):
            for key in FOLDS:
                cell.metadata.pop(key, None)
            cell.metadata.update({**COLLAPSED, "id": cell.id})
            collapsed.append(cell.id)
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["colab"] = {"collapsed_sections": collapsed}
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def fill_outputs(notebook, outputs: list[tuple[str, Output]], src_uri: str) -> None:
    """Give the chapter's code cells (after the install cell) what their fences showed."""
    code_cells = [cell for cell in notebook.cells if ran_at_build(cell)][1:]
    sources = [cell.source for cell in code_cells]
    script = SCRIPTS.get(src_uri)
    if sources != [run_in_notebook(code, script).rstrip("\n") for code, _ in outputs]:
        raise PluginError(
            f"the code cells of {notebook_uri(src_uri)} are not the fences that ran on "
            f"{src_uri}: {len(sources)} cells, {len(outputs)} fences"
        )
    for count, (cell, (_, output)) in enumerate(zip(code_cells, outputs, strict=True), start=1):
        cell.execution_count = count
        if output.text:
            cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=output.text))
        if output.result:
            result = nbformat.v4.new_output("execute_result", output.result, execution_count=count)
            cell.outputs.append(result)
        for image in output.figures:  # as Jupyter's inline backend shows a figure left open
            cell.outputs.append(nbformat.v4.new_output("display_data", image))


def writes(script: Script | None, opening: str, fence, config) -> bool:
    """Whether a fence that opens with `opening` is the listing of the chapter's script:
    titled with its file, and its section `script`, included or already expanded (an
    excerpt of the same file, another section, stays a listing)."""
    caption = LISTING_TITLE.search(opening)
    if script is None or caption is None or caption["title"] != script.listing:
        return False
    include = f'--8<-- "{script.listing}:script"'
    return fence.code.strip() in (include, "\n".join(included([include], config)).strip())


def check_script(cells: list, script: Script | None, src_uri: str) -> None:
    """The notebook writes the chapter's script once and runs that file once."""
    if script is None:
        return
    writing = [cell for cell in cells if cell.source.startswith(f"%%writefile {script.file}\n")]
    running = [cell for cell in cells if script.run[1] in cell.source]
    if (len(writing), len(running)) != (1, 1):
        raise PluginError(
            f"{notebook_uri(src_uri)} writes {script.file} {len(writing)} times and runs it "
            f"{len(running)} times, not once each: is its listing titled {script.listing}, "
            f"and does a cell run it with {script.run[0]!r}?"
        )


def notebook_code(fence, script: Script | None, config) -> str:
    """A code cell of the notebook: the fence's code, where the script's run is the
    notebook's; the script's listing, the package code it includes, as a cell that writes
    it to its file."""
    if fence.runnable or fence.notebook_cell or script is None:
        return run_in_notebook(fence.code, script).rstrip("\n")
    code = "\n".join(included(fence.code.splitlines(), config)).rstrip("\n")
    return f"%%writefile {script.file}\n{code}"


def run_in_notebook(code: str, script: Script | None) -> str:
    """A fence's code as the notebook runs it: the page's run of the chapter's script runs
    the file the notebook wrote."""
    return code.replace(*script.run) if script is not None else code


def included(lines: list[str], config) -> list[str]:
    """The lines with the package code they include (`--8<--`) in place, as on the page."""
    snippets = markdown.Markdown(
        extensions=["pymdownx.snippets"],
        extension_configs={"pymdownx.snippets": config["mdx_configs"]["pymdownx.snippets"]},
    ).preprocessors["snippet"]
    return snippets.run(lines)


def folds(cell) -> bool:
    """A solution's or a note's heading: saved collapsed."""
    return any(cell.metadata.get(key) for key in FOLDS)


def ran_at_build(cell) -> bool:
    """A code cell whose fence the build ran: not a notebook-only cell."""
    return cell.cell_type == "code" and NOTEBOOK_ONLY not in cell.metadata.get("tags", [])


def page_path(src_uri: str) -> str:
    stem = Path(src_uri).stem
    return "" if stem == "index" else f"{stem}/"


def flatten(lines: list[str], config, page_url: str, src_uri: str) -> str:
    """Material's Markdown as plain Markdown: runnable fences become ```python at the margin,
    every other fence a display fence (inside a block quote when an open admonition holds
    it); an exercise a heading, its solution and every other collapsed admonition a
    collapsed heading over its cells; relative links absolute."""
    lines = included(lines, config)
    script = SCRIPTS.get(src_uri)
    out: list[str] = []
    quote = None  # the indentation of the admonition being quoted
    fold = None  # the indentation of the collapsed admonition being read
    note = None  # its title, where it is a note (not a solution)
    closing = False  # whether a solution has just ended (a heading must follow)
    resume = ""  # the heading that ends a note's fold where no heading of the page does
    note_at, note_code = 0, False  # where in `out` the note being read starts; its code
    moved: list[str] = []  # the notes moved to the end of their section (below)
    moved_to = 0  # the line of the page they go before
    level, exercise = 1, ""  # the chapter's heading level; the exercise's number, if any
    title = ""  # the title of the section being read
    section = page_url  # the address of the section being read
    code_notes: list[str] = []  # the titles of the notes that hold code cells
    number = 0
    fences = {fence.start: fence for fence in parse("\n".join(lines) + "\n")}

    def inline(line: str) -> str:
        line = IMAGE.sub(lambda m: image(m, config), line)
        line = MATH_INLINE.sub(lambda m: f"${m['tex'].strip()}$", line)
        return LINK.sub(lambda m: link(m, config, page_url), line)

    while number < len(lines):
        line = lines[number]
        indent = len(line) - len(line.lstrip())
        if quote is not None and line.strip() and indent <= quote:
            quote = None
            while out and out[-1] == ">":  # the quote ends with its last line of text
                out[-1] = ""
        if fold is not None and line.strip() and indent <= fold:
            closing = note is None  # a solution's section: the page goes on with a heading
            if note is not None and not starts_section(line, resume.index(" ")):
                end = section_end(lines, number, resume.index(" "), fences)
                solution = ADMONITION.match(lines[end]) if end < len(lines) else None
                if (
                    (solution and is_solution(solution))
                    or note_code
                    and any(
                        fence.runnable or fence.notebook_cell
                        for start, fence in fences.items()
                        if number <= start < end
                    )
                ):  # its code runs before code of the section's, or the reader's answer
                    # would be in its fold (a cell above the solution): it stays
                    out += ["", resume, ""]
                else:  # moved to where its fold ends: before the page's next heading
                    moved, moved_to = moved + out[note_at:], end
                    del out[note_at:]
                    if next((said for said in reversed(out) if said.strip()), "").endswith(":"):
                        out += ["", MOVED.format(note), ""]
            elif note is not None and moved:  # a note that ends its section: after them
                out[note_at:note_at] = ["", *moved, ""]
                moved = []
            fold = note = None
        if moved and number == moved_to:
            out += ["", *moved, ""]
            moved = []
        fence = fences.get(number)
        if fence is not None and (fence.runnable or fence.notebook_cell):
            while quote is not None and out[-1:] == [">"]:  # the quote ends before the cell
                out.pop()
            out += ["", "```python", *fence.code.rstrip("\n").splitlines(), "```", ""]
            quote, number = None, fence.end + 1
            code_notes += [note] if note is not None else []
            note_code = note_code or note is not None
            continue
        if (
            fence is not None
            and script is not None
            and writes(script, line, fence, config)  # the script's listing: a cell writes it
        ):
            out += ["", "```python", f"%%writefile {script.file}", *fence.code.splitlines()]
            out += ["```", ""]
            number = fence.end + 1
            continue
        if fence is not None:
            info = line.strip().lstrip("`~").split()
            caption = LISTING_TITLE.search(line)  # the page shows it above the listing
            shown = [f"**`{caption['title']}`**"] if caption else []
            shown += ["```" + ("py" if info[:1] == ["python"] else "".join(info[:1]))]
            shown += [*fence.code.rstrip("\n").splitlines(), "```"]
            out += ["> " + s if quote is not None else s for s in shown]
            number = fence.end + 1
            continue
        number += 1
        if COMMENT.match(line):
            marker = MARKER.match(line)
            screenshot = FIGURE.match(line)
            if screenshot:  # a TensorBoard screenshot, with its manifest's alt text
                manifest = Path(config["docs_dir"]) / "img" / "tensorboard" / "manifest.json"
                alt = figure(json.loads(manifest.read_text()), manifest, screenshot["name"], "")
                out += ["", IMAGE.sub(lambda m: image(m, config), alt), ""]
            elif marker and marker["name"] in ON_THE_PAGE:
                drop_paragraph(out)  # it introduces what the notebook cannot show
                out += ["", ON_THE_PAGE[marker["name"]].format(url=section), ""]
            continue
        tab = TAB.match(line)
        admonition = ADMONITION.match(line)
        at_margin = quote is None and fold is None and indent == 0
        question = EXERCISE.match(line) if at_margin else None
        closing_line = NEXT.match(line) if at_margin else None
        if line.startswith("#"):
            level, exercise = len(line) - len(line.lstrip("#")), ""
            title = line.lstrip("#").strip()
            section = f"{page_url}#{slugify(title, '-')}"
        elif question:
            line = f"{'#' * (level + 1)} {question['title']}\n\n{question['question']}"
            exercise, title = question["title"].split(".")[0], question["title"]
        elif closing_line:
            line = f"## Next\n\nContinue with {closing_line['where']}"
        elif closing and line.strip():
            raise PluginError(
                f"{src_uri}: {line.strip()!r} follows an exercise's solution; in the "
                "notebook the solution's folded section ends at a heading: start the line "
                "with one, an exercise's title (**1. Title.**) or `Next: `"
            )
        if line.strip():
            closing = False
        if tab:
            line = f"**{tab['title']}**"
        elif admonition and is_collapsed(admonition) and quote is None and fold is None:
            # a collapsed heading, a level below the section's (and the exercise's)
            fold, hashes = len(admonition["indent"]), "#" * (level + 1 + bool(exercise))
            if is_solution(admonition):
                key, heading = "solution", f"Solution to exercise {exercise}" * bool(exercise)
            else:
                key = "note"
                heading = note = admonition["title"] or admonition["kind"].capitalize()
                note_at, note_code = len(out), False
                resume = f"{hashes} {title} (continued)" if title else f"{hashes} Continued"
            heading = inline(heading or "Solution")
            out += ["", REGION_START.format(key), f"{hashes} {heading}", REGION_END, ""]
            continue
        elif admonition:
            quote = len(admonition["indent"])
            line = f"**{admonition['title'] or admonition['kind'].capitalize()}**"
        else:
            line = line.lstrip()
        line = inline(line)
        out.append(("> " + line if line else ">") if quote is not None else line)
    out += ["", *moved]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"
    text = name_folded_block(text, code_notes, src_uri)
    for page_only, in_notebook in PAGE_ONLY:
        text = re.sub(page_only, in_notebook, text)
    for page_only, in_notebook in script.said if script is not None else ():
        text, found = re.subn(page_only, in_notebook, text)
        if found != 1:
            raise PluginError(f"{src_uri}: {page_only!r} is said {found} times, not once")
    return text


def section_end(lines: list[str], number: int, level: int, fences: dict) -> int:
    """The first line from `number` on where the notebook has a heading of `level` or
    higher (`starts_section`) other than a note's, outside fences (a solution's counts); the
    end of the chapter where none is."""
    while number < len(lines):
        if number in fences:
            number = fences[number].end + 1
            continue
        line = lines[number]
        admonition = ADMONITION.match(line)
        a_note = admonition is not None and is_collapsed(admonition) and not is_solution(admonition)
        if starts_section(line, level) and not a_note:
            return number
        number += 1
    return number


def starts_section(line: str, level: int) -> bool:
    """Whether the notebook has a heading of `level` or higher where the page has `line`:
    a heading, an exercise, the closing line, a collapsed admonition (the page's own
    levels: an exercise or a collapsed admonition is a level below its section)."""
    if line.startswith("#"):
        return len(line) - len(line.lstrip("#")) <= level
    admonition = ADMONITION.match(line)
    return bool(EXERCISE.match(line) or NEXT.match(line) or admonition and is_collapsed(admonition))


def name_folded_block(text: str, code_notes: list[str], src_uri: str) -> str:
    """ "The folded block" (a page's words for its one collapsed block of code) as the
    notebook names it: the collapsed section, by its title."""
    if not FOLDED_BLOCK.search(text):
        return text
    if len(set(code_notes)) != 1:
        raise PluginError(
            f"{src_uri}: its prose says “the folded block”, but it folds "
            f"{len(set(code_notes))} blocks of code, not one"
        )
    section = f"collapsed section “{code_notes[0]}”"

    def named(match: re.Match) -> str:
        said = f"{match['what']} in the {section}" if match["of"] else section
        return f"{match['t']}he {said}"

    return FOLDED_BLOCK.sub(named, text)


def is_collapsed(admonition: re.Match) -> bool:
    """`??? kind "Title"`: collapsed on the page (`???+` is open, `!!!` cannot fold)."""
    return admonition["mark"] == "???"


def is_solution(admonition: re.Match) -> bool:
    """`??? example "Solution"`: an exercise's solution, collapsed on the page."""
    return (admonition["mark"], admonition["kind"], admonition["title"]) == (
        "???",
        SOLUTION,
        "Solution",
    )


def drop_paragraph(out: list[str]) -> None:
    """Take the paragraph of prose last written off `out` (not a heading, not a fence)."""
    while out and out[-1] == "":
        out.pop()
    while out and out[-1] != "" and not out[-1].startswith(("#", "```", ">")):
        out.pop()


def link(match: re.Match, config, page_url: str) -> str:
    """A link as the notebook shows it: one to a section of this chapter keeps its words
    only, in italics when they are the section's name (the notebook holds that section;
    Colab and JupyterLab follow no link to a cell in the same way), any other goes to its
    absolute address."""
    if match["target"].startswith("#"):  # a section's name reads as one, in italics
        words = match["text"]
        slug = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")
        return f"*{words}*" if f"#{slug}" == match["target"] else words
    return f"[{match['text']}]({absolute(match['target'], config, page_url)})"


def absolute(target: str, config, page_url: str) -> str:
    """A link's target as a notebook needs it, with no site around it: at the published
    site (a chapter's Markdown file as its page, an anchor alone on this chapter's page)."""
    if SCHEME.match(target):
        return target
    path, hash_, anchor = target.partition("#")
    if not path:
        return page_url + hash_ + anchor
    url = urljoin(config["site_url"], page_path(path) if path.endswith(".md") else path)
    return url + hash_ + anchor


def image(match: re.Match, config) -> str:
    """An image of the chapter at its published address (Jupyter and Colab load it)."""
    return f"![{match['alt']}]({urljoin(config['site_url'], match['src'])})"
