"""Generate one notebook per chapter from the chapter's own fences, for mkdocs-jupyter.

Each runnable ```python fence becomes a code cell and the prose between them becomes
Markdown cells (Material's tabs and admonitions flattened to plain Markdown, package
code included from its snippet sections, links pointed at the published chapters). A
first cell installs the companion package where it is missing (Colab). The notebooks
are written to a temporary directory, never into docs/, and added to the build as
`notebooks/<chapter>.ipynb`.

They are executed at every build, never from a cache: one nbconvert process runs them
in the background while the pages render (their blocks run in the MkDocs process), so
the two halves of the work share the two cores. A cell that raises stops it, and the
build fails with the cell's traceback when the notebook's page is reached. mkdocs-jupyter
then renders each executed notebook as a page and copies the .ipynb, outputs included,
beside it, where the chapter's buttons link to it.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urljoin

import nbformat
from facts import facts, render
from fences import parse
from install_cell import install_cell
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

from alphabet_tutorial.sources import section

OUT_DIR = Path(tempfile.mkdtemp(prefix="alphabet-notebooks-"))
atexit.register(shutil.rmtree, OUT_DIR, ignore_errors=True)
INCLUDE = re.compile(r'^\s*--8<--\s+"(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"\s*$')
TAB = re.compile(r'^(?P<indent>\s*)===\+?\s+"(?P<title>[^"]*)"\s*$')
ADMONITION = re.compile(
    r'^(?P<indent>\s*)(?:!!!|\?\?\?\+?)\s+(?P<kind>\w+)(?:\s+"(?P<title>[^"]*)")?'
)
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)]+)\)")
LINK = re.compile(r"\]\((?P<page>[\w-]+)\.md(?P<anchor>#[\w-]+)?\)")
COMMENT = re.compile(r"^\s*<!--.*-->\s*$")
EXECUTION: dict = {}  # the background nbconvert process and what it reported


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


@event_priority(100)  # before mkdocs-jupyter's on_files picks the notebooks up
def on_files(files, config):
    sources = []
    for page_file in [file for file in files.documentation_pages() if file.src_uri.endswith(".md")]:
        text = render(Path(page_file.abs_src_path).read_text(encoding="utf-8"), facts())
        if not any(fence.runnable for fence in parse(text)):
            continue
        source = OUT_DIR / "source" / notebook_uri(page_file.src_uri)
        source.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(chapter_notebook(text, page_file.src_uri, config), source)
        sources.append(source)
        files.append(
            File(
                notebook_uri(page_file.src_uri),  # where the executed notebook will be
                src_dir=str(OUT_DIR),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    execute_in_background(sources, OUT_DIR / "notebooks")
    return files


def execute_in_background(sources: list[Path], out_dir: Path) -> None:
    """Start one nbconvert process that executes `sources` in order into `out_dir`."""
    stop_execution()
    log = tempfile.TemporaryFile(mode="w+")
    command = [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute"]
    command += ["--ExecutePreprocessor.timeout=600", "--output-dir", str(out_dir)]
    process = subprocess.Popen(
        [*command, *map(str, sources)], stdout=log, stderr=subprocess.STDOUT, env=os.environ
    )
    EXECUTION.update(process=process, log=log, failure=None)


def stop_execution() -> None:
    process = EXECUTION.get("process")
    if process is not None and process.poll() is None:
        process.kill()
        process.wait()


atexit.register(stop_execution)


@event_priority(100)
def on_pre_page(page, config, files):
    """A notebook page waits for the executed notebooks; a failed execution fails the build."""
    if not page.file.src_uri.startswith("notebooks/") or "process" not in EXECUTION:
        return page
    if EXECUTION["failure"] is None:
        EXECUTION["process"].wait()
        EXECUTION["log"].seek(0)
        report = EXECUTION["log"].read()
        EXECUTION["failure"] = report if EXECUTION["process"].returncode else ""
    if EXECUTION["failure"]:
        raise PluginError(f"executing the chapter notebooks failed:\n{EXECUTION['failure']}")
    return page


def on_page_markdown(markdown, page, config, files):
    """Tell the template (overrides/partials/actions.html) where the chapter's notebook is."""
    chapter = page.file.src_uri.endswith(".md")
    if chapter and files.get_file_from_path(notebook_uri(page.file.src_uri)) is not None:
        page.meta["notebook"] = download_path(page.file.src_uri)
        page.meta["colab"] = colab_url(config, download_path(page.file.src_uri))
    return markdown


def colab_url(config, path: str) -> str:
    colab = config["extra"]["colab"]
    return (
        f"https://colab.research.google.com/github/{colab['repository']}"
        f"/blob/{colab['branch']}/{path}"
    )


def chapter_notebook(text: str, src_uri: str, config) -> nbformat.NotebookNode:
    page_url = urljoin(config["site_url"], page_path(src_uri))
    lines = text.splitlines()
    title = next((n for n, line in enumerate(lines) if line.startswith("# ")), -1)
    cells = [
        nbformat.v4.new_markdown_cell(
            (lines[title] + "\n\n" if title >= 0 else "")
            + f"*Generated from the chapter [{page_url}]({page_url}) of the tutorial "
            f"“{config['site_name']}”. Run the cells in order.*"
        ),
        nbformat.v4.new_code_cell(install_cell(config)),
    ]
    prose_start = title + 1
    for fence in parse(text):
        prose = lines[prose_start : fence.start]
        if fence.runnable:
            add_markdown(cells, prose, config)
            cells.append(nbformat.v4.new_code_cell(fence.code.rstrip("\n")))
        else:
            shown = ["```" + (fence.info.split()[0] if fence.info else "")]
            shown += [*expand_includes(fence.code), "```"]
            add_markdown(cells, prose + shown, config)
            prose_start = fence.end + 1
            continue
        prose_start = fence.end + 1
    add_markdown(cells, lines[prose_start:], config)
    merged = []
    for cell in cells:  # neighbouring Markdown cells read better as one
        if merged and cell.cell_type == merged[-1].cell_type == "markdown":
            merged[-1].source += "\n\n" + cell.source
        else:
            merged.append(cell)
    notebook = nbformat.v4.new_notebook(cells=merged)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def page_path(src_uri: str) -> str:
    stem = Path(src_uri).stem
    return "" if stem == "index" else f"{stem}/"


def expand_includes(code: str) -> list[str]:
    """The body of a display fence, with `--8<--` includes replaced by the package code."""
    out = []
    for line in code.splitlines():
        include = INCLUDE.match(line)
        if include is None:
            out.append(line)
            continue
        source = Path(include["path"]).read_text(encoding="utf-8")
        if include["section"]:
            source = section(source, include["section"])
        shown = source.rstrip("\n").splitlines()
        margin = min((len(s) - len(s.lstrip()) for s in shown if s.strip()), default=0)
        out += [s[margin:] for s in shown]
    return out


def add_markdown(cells: list, lines: list[str], config) -> None:
    """Material's Markdown, flattened to what Jupyter renders."""
    out, quote_indent, in_fence = [], None, False
    for line in lines:
        if line.startswith("```"):  # only display fences, already dedented, reach here
            in_fence = not in_fence
        elif in_fence:
            out.append("> " + line if quote_indent is not None else line)
            continue
        if COMMENT.match(line):
            continue
        indent = len(line) - len(line.lstrip())
        if quote_indent is not None and line.strip() and indent <= quote_indent:
            quote_indent = None
        tab = TAB.match(line)
        admonition = ADMONITION.match(line)
        if tab:
            line = f"**{tab['title']}**"
        elif admonition:
            quote_indent = len(admonition["indent"])
            line = f"**{admonition['title'] or admonition['kind'].capitalize()}**"
        else:
            line = line.lstrip()
        line = IMAGE.sub(lambda m: f"*(Figure: {m['alt']}; see the chapter page.)*", line)
        line = LINK.sub(
            lambda m: f"]({urljoin(config['site_url'], page_path(m['page']))}{m['anchor'] or ''})",
            line,
        )
        out.append(("> " + line if line else ">") if quote_indent is not None else line)
    source = "\n".join(out).strip()
    source = re.sub(r"\n{3,}", "\n\n", source)
    if source:
        cells.append(nbformat.v4.new_markdown_cell(source))
