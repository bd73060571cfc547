"""The published notebooks, run the way a reader runs them.

Each notebook is taken from the built site (what the download button serves) and run
top to bottom in a fresh kernel: the package installed from a wheel built from this
tree (not the editable install), no environment inherited from the test run (so no
TF_* variables and a fresh HOME), an empty working directory and a temporary directory
of its own. The kernel is reached over IPC, so no network is needed, loopback included.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = ["home", "recap", "what-is-keras", "keras-implementation", "conclusions"]
# Run by the reader's Python: execute one notebook in a fresh kernel, over IPC.
RUNNER = """
import sys
import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

source, target, sockets = sys.argv[1:]
notebook = nbformat.read(source, as_version=4)
kernel = KernelManager(
    kernel_name="python3",
    transport="ipc",
    ip=f"{sockets}/kernel",
    connection_file=f"{sockets}/kernel.json",
    shutdown_wait_time=60,  # a graceful exit runs the kernel's atexit clean-ups
)
NotebookClient(notebook, km=kernel, timeout=300, allow_errors=True).execute()
kernel.shutdown_kernel()  # the client does not stop a kernel it was given
nbformat.write(notebook, target)
"""


@pytest.fixture(scope="session")
def reader_python(tmp_path_factory) -> Path:
    """A venv holding the package from a wheel built once from this tree. The heavy
    dependencies (TensorFlow, Keras, Jupyter) come from the project's environment
    through a .pth file, so nothing is downloaded or copied."""
    root = tmp_path_factory.mktemp("reader")
    source = root / "source"  # a copy, so the build leaves nothing in the work tree
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(
        REPO / "alphabet_tutorial",
        source / "alphabet_tutorial",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", root / "dist", source],
        check=True,
        capture_output=True,
    )
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", root / "venv"], check=True)
    python = root / "venv" / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    wheel = next((root / "dist").glob("alphabet_tutorial-*.whl"))
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", site_packages, wheel],
        check=True,
        capture_output=True,
    )
    # A plain path line: the project's editable install (a .pth there) is not processed.
    (site_packages / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"])
    return python


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def run_as_reader(python: Path, notebook: Path, root: Path) -> tuple[nbformat.NotebookNode, list]:
    """The executed notebook, and what its run left in its temporary directory."""
    home, cwd, tmp = _mkdir(root / "home"), _mkdir(root / "cwd"), _mkdir(root / "tmp")
    sockets = _mkdir(root / "sockets")
    env = {"PATH": os.defpath, "HOME": str(home), "TMPDIR": str(tmp), "LANG": "C.UTF-8"}
    result = subprocess.run(
        [python, "-c", RUNNER, notebook, root / "executed.ipynb", sockets],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    left = sorted(str(path.relative_to(root)) for path in [*tmp.iterdir(), *cwd.iterdir()])
    return nbformat.read(root / "executed.ipynb", as_version=4), left


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
    assert not left, f"the notebook left files behind: {left}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_reader_gets_the_outputs_the_site_shows(reader_runs, built_site, name):
    """Every code cell of the chapter prints what the published notebook shows, up to the
    digits of measured figures (timings differ from run to run)."""
    published = nbformat.read(built_site / f"notebooks/{name}/{name}.ipynb", as_version=4)
    executed, _ = reader_runs[name]
    assert [shape(cell) for cell in executed.cells] == [shape(cell) for cell in published.cells]


def shape(cell) -> list[str]:
    """The words a cell shows, numbers masked: what must match between two runs. (In a
    kernel, Keras's summary is a rich display, coloured and as wide as Jupyter's.)"""
    text = "".join(
        output.text if output.output_type == "stream" else output.data.get("text/plain", "")
        for output in cell.get("outputs", [])
    )
    text = re.sub(r"\x1b\[[\d;]*m", "", text)  # colours
    return re.sub(r"(\D)\1+", r"\1", re.sub(r"\d+", "#", text)).split()  # ━━━ -> ━
