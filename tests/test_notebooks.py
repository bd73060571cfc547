"""The published notebooks, run the way a reader runs them.

Each notebook is taken from the built site (what the download button serves) and run
top to bottom in a fresh kernel: the package installed from a wheel built from this
tree (not the editable install), no environment inherited from the test run (so no
TF_* variables and a fresh HOME), an empty working directory and a temporary directory
of its own. The kernel is reached over IPC, so no network is needed, loopback included.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from packaging.requirements import Requirement
from venvs import fresh_venv

pytestmark = [pytest.mark.site, pytest.mark.timeout(600)]  # every notebook run in a kernel
REPO = Path(__file__).resolve().parent.parent

sys.path.insert(0, str(REPO / "hooks"))

from fences import parse  # noqa: E402
from notebooks import notebook_name  # noqa: E402

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


def run_as_reader(python: Path, notebook: Path, root: Path) -> tuple[nbformat.NotebookNode, list]:
    """`notebook` executed in a fresh kernel of `python`, and what the run left in its
    temporary directory. The kernel gets a fresh HOME, an empty working directory (where
    the chapters write `runs/` and `best.keras`, as a reader's would), a temporary
    directory of its own and nothing else of this environment."""
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
    env = {"PATH": os.defpath, "HOME": str(home), "TMPDIR": str(tmp), "LANG": "C.UTF-8"}
    try:
        client.execute(env=env, cwd=str(cwd))
    finally:  # the client leaves a kernel it was given, and its channels, to us
        if client.kc is not None:
            client.kc.stop_channels()
        kernel.shutdown_kernel()
    left = sorted(str(path.relative_to(root)) for path in tmp.iterdir())
    return executed, left


@pytest.fixture(scope="session")
def reader_runs(built_site, reader_python, tmp_path_factory) -> dict:
    """Every published notebook, run by a reader: name -> (notebook, files left behind).
    Two at a time, one per core."""
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
    notebook, left = reader_runs[name]
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
def test_a_reader_gets_the_outputs_the_site_shows(reader_runs, built_site, name):
    """Every code cell of the chapter prints what the published notebook shows, apart from
    what is measured: the build and the reader run the code in two processes, in two
    environments, so this is also the proof that the chapters' numbers are reproducible."""
    published = nbformat.read(built_site / f"notebooks/{name}/{name}.ipynb", as_version=4)
    executed, _ = reader_runs[name]
    for number, (mine, theirs) in enumerate(zip(executed.cells, published.cells, strict=True)):
        assert shape(mine) == shape(theirs), f"cell {number}: {mine.source.splitlines()[:1]}"


# What a run measures differs from run to run: durations and their ratios. They are masked
# as every number with a time unit and every decimal (the comparison prints its timings as
# bare decimals in tables and generated sentences); integers (parameter counts, epochs,
# line counts), ids and order must match exactly.
TIMING = re.compile(r"\d+(?:\s?(?:ms|µs|us|s)\b(?:/\w+)?|\s?×)")
DECIMAL = re.compile(r"\d+\.\d+")


def shape(cell) -> list[str]:
    """The words a cell shows, measured figures masked: what must match between two runs.
    (In a kernel, Keras's summary is a rich display, coloured and as wide as Jupyter's.)"""
    text = "".join(
        output.text if output.output_type == "stream" else output.data.get("text/plain", "")
        for output in cell.get("outputs", [])
    )
    text = re.sub(r"\x1b\[[\d;]*m", "", text)  # colours
    text = TIMING.sub("<time>", DECIMAL.sub("<n>", text))
    return re.sub(r"(\D)\1+", r"\1", text).split()  # ━━━ -> ━
