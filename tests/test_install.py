"""Installing the package as readers do: the wheel and sdist that `make dist` builds (the
release route), into an environment that already has TensorFlow (Colab, a laptop).

The reader's environment is a fresh venv holding `tensorflow` and the package's other
dependencies (tests/venvs.py links them in from the project's environment). pip runs with
`--dry-run --report` and no index, so the installed versions are its only candidates:
anything it wanted to add or change (`tensorflow-cpu`, another TensorFlow) shows up in
its report, or as a failure to resolve.
"""

from __future__ import annotations

import ast
import json
import os
import queue
import re
import subprocess
import sys
import zipfile
from email.parser import HeaderParser
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from venvs import fresh_venv

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "alphabet_tutorial"
# pip as on a reader's machine: none of this machine's pip settings or constraints.
PIP_ENV = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
PIP_ENV |= {"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def runtime_requirements(wheel: Path) -> list[Requirement]:
    name = wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1]
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(f"{name}.dist-info/METADATA").decode()
    requirements = map(Requirement, HeaderParser().parsestr(text).get_all("Requires-Dist") or [])
    return [r for r in requirements if r.marker is None or r.marker.evaluate({"extra": ""})]


@pytest.fixture(scope="session")
def reader_python(tmp_path_factory, wheel) -> Path:
    """A fresh venv holding tensorflow (never tensorflow-cpu) and the package's other
    dependencies, as Colab does."""
    others = [r.name for r in runtime_requirements(wheel)]
    present = ["tensorflow", *(n for n in others if canonicalize_name(n) != "tensorflow-cpu")]
    return fresh_venv(tmp_path_factory.mktemp("reader") / "venv", present)


def installed(python: Path, name: str) -> str | None:
    """The version of `name` installed for `python`, or None."""
    probe = "import importlib.metadata as m, sys\n"
    probe += "try: print(m.version(sys.argv[1]))\nexcept m.PackageNotFoundError: pass"
    result = subprocess.run([str(python), "-c", probe, name], capture_output=True, text=True)
    return result.stdout.strip() or None


def install_plan(python: Path, wheel: Path) -> subprocess.CompletedProcess:
    """pip's report of what `pip install <wheel>` would do in the venv of `python`."""
    command = [sys.executable, "-m", "pip", "--python", str(python), "install", "--dry-run"]
    command += ["--no-index", "--quiet", "--report", "-", str(wheel)]
    return subprocess.run(command, capture_output=True, text=True, env=PIP_ENV)


def test_installing_the_wheel_next_to_tensorflow_adds_only_the_package(reader_python, wheel):
    tensorflow = metadata.version("tensorflow")
    assert installed(reader_python, "tensorflow") == tensorflow
    assert installed(reader_python, "tensorflow-cpu") is None
    plan = install_plan(reader_python, wheel)
    assert plan.returncode == 0, f"pip cannot add {wheel.name} to tensorflow:\n{plan.stderr}"
    installs = {
        canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
        for item in json.loads(plan.stdout)["install"]
    }
    assert "tensorflow-cpu" not in installs
    assert "tensorflow" not in installs, f"pip would change TensorFlow {tensorflow}"
    assert installs == {"alphabet-tutorial": metadata.version("alphabet-tutorial")}
    assert installed(reader_python, "tensorflow") == tensorflow


def test_make_dist_builds_a_wheel_and_an_sdist(dist, wheel):
    log = (dist / "build.log").read_text()
    assert "deprecated" not in log.lower(), log  # e.g. `project.license` as a table
    version = metadata.version("alphabet-tutorial")
    assert wheel.name == f"alphabet_tutorial-{version}-py3-none-any.whl"
    assert (dist / f"alphabet_tutorial-{version}.tar.gz").is_file()
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "alphabet_tutorial/cli.py" in names
    assert f"alphabet_tutorial-{version}.dist-info/entry_points.txt" in names


# What a reader's install must not need: the site's tooling and the screenshots' browser.
TOOLING_IMPORTS = ("alphabet_site", "playwright", "mkdocs", "PIL")


def test_the_wheel_holds_the_readers_package_and_nothing_of_the_site_tooling(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = [name for name in archive.namelist() if ".dist-info/" not in name]
        sources = {name: archive.read(name).decode() for name in names}
    package = sorted(path.relative_to(REPO).as_posix() for path in PACKAGE.glob("*.py"))
    assert sorted(names) == package  # alphabet_tutorial's modules, no other top level
    imported = [
        f"{name}: {module}"
        for name, source in sources.items()
        for module in TOOLING_IMPORTS
        if re.search(rf"^\s*(from|import) {module}\b", source, re.M)
    ]
    assert imported == []
    print("the wheel's modules:", " ".join(Path(name).stem for name in sorted(names)))


@pytest.mark.timeout(180)
def test_the_installed_wheel_runs_its_cli_without_the_site_tooling(wheel, tmp_path):
    """A venv with the wheel and its dependencies only (no Playwright, no MkDocs, no
    alphabet_site): the command lists its subcommands and predicts."""
    python = fresh_venv(tmp_path / "venv", [r.name for r in runtime_requirements(wheel)])
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    subprocess.run([*pip, "--no-deps", "--no-index", str(wheel)], env=PIP_ENV, check=True)
    for module in TOOLING_IMPORTS[:3]:
        assert installed(python, module) is None
    cli = [str(python), "-m", "alphabet_tutorial"]
    shown = subprocess.run([*cli, "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    commands = re.search(r"\{([\w,]+)\}", shown.stdout).group(1).split(",")
    assert commands == ["train", "evaluate", "predict", "compare", "tensorboard"]
    small = ["--impl", "lowlevel", "--epochs", "2", "--units", "4", "--train-size", "32"]
    predicted = subprocess.run(
        [*cli, "predict", "abc", *small], capture_output=True, text=True, cwd=tmp_path
    )
    assert predicted.returncode == 0, predicted.stderr
    assert predicted.stdout.strip()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["venv"]  # nothing written


# --- the notebooks' install cell (alphabet_site/install_cell.py) ------------------------

from alphabet_site.install_cell import install_cell, requirement, version, wheel_url  # noqa: E402

MKDOCS = yaml.safe_load((REPO / "mkdocs.yml").read_text())
# The cell after the install cell: the package, imported from the reader's environment,
# and Keras, which imports TensorFlow (quietly, after the install cell).
LATER_CELL = "import sys, keras, alphabet_tutorial as at\nprint(at.__file__.startswith(sys.prefix))"


def config_installing(package: str) -> dict:
    """mkdocs.yml's config, with `extra.colab.install` set to `package`."""
    colab = MKDOCS["extra"]["colab"] | {"install": package}
    return MKDOCS | {"extra": MKDOCS["extra"] | {"colab": colab}}


def run_all(python: Path, cells: list[str], home: Path) -> list[tuple[str, list[dict]]]:
    """Send every cell to a fresh kernel of `python` at once, as Jupyter's and Colab's
    "Run all" do (a cell that fails aborts the cells queued after it); return each
    cell's reply status and its outputs. The kernel starts in an empty directory with a
    fresh HOME, pip sees no index and no configuration of this machine."""
    kernels = home / "kernels"
    (kernels / "reader").mkdir(parents=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": "reader", "language": "python"}
    (kernels / "reader" / "kernel.json").write_text(json.dumps(spec))
    specs = KernelSpecManager(kernel_dirs=[str(kernels)])
    manager = KernelManager(
        kernel_name="reader",
        kernel_spec_manager=specs,
        transport="ipc",  # no network needed, not even loopback
        ip=str(home / "kernel"),
    )
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "PIP_CONFIG_FILE": os.devnull}
    env |= {"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    manager.start_kernel(cwd=str(home), env=env)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        ids = [client.execute(cell, stop_on_error=True) for cell in cells]
        status: dict[str, str] = {}
        while len(status) < len(ids):
            reply = client.get_shell_msg(timeout=120)
            if reply["parent_header"]["msg_id"] in ids:
                status[reply["parent_header"]["msg_id"]] = reply["content"]["status"]
        outputs: dict[str, list[dict]] = {msg_id: [] for msg_id in ids}
        running = {msg_id for msg_id in ids if status[msg_id] != "aborted"}
        while True:  # what the cells that ran printed, until each is idle and all is quiet
            try:
                message = client.get_iopub_msg(timeout=60 if running else 1)
            except queue.Empty:
                break
            parent = message["parent_header"].get("msg_id")
            kind, content = message["msg_type"], message["content"]
            if parent in outputs and kind in {"stream", "error", "display_data", "execute_result"}:
                outputs[parent].append({"type": kind, **content})
            if kind == "status" and content["execution_state"] == "idle":
                running.discard(parent)
        return [(status[msg_id], outputs[msg_id]) for msg_id in ids]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.fixture(scope="session")
def kernel_python(tmp_path_factory, wheel) -> Path:
    """A fresh venv with a Jupyter kernel, pip and the package's dependencies, not the
    package itself: a reader's Colab or Jupyter before the install cell runs."""
    names = ["ipykernel", "pip", *(r.name for r in runtime_requirements(wheel))]
    return fresh_venv(tmp_path_factory.mktemp("kernel") / "venv", names)


def test_the_install_cell_that_cannot_install_says_so_in_one_line_and_stops(
    kernel_python, tmp_path
):
    missing = (tmp_path / "no-such-dir" / "alphabet_tutorial-0.1.0-py3-none-any.whl").as_uri()
    cell = install_cell(config_installing(f"alphabet-tutorial @ {missing}"))
    (install, install_outputs), (later, later_outputs) = run_all(
        kernel_python, [cell, LATER_CELL], tmp_path
    )
    assert (install, later) == ("error", "aborted")
    assert later_outputs == []
    (error,) = install_outputs  # no pip output, no traceback: the one line
    assert (error["type"], error["name"]) == ("stream", "stderr")
    line = error["text"]
    assert line.endswith("\n") and "\n" not in line.rstrip("\n")
    assert "\x1b" not in line  # no colour codes: frontends would show them raw
    prefix = "UsageError: Could not install the companion package (ERROR: Could not install"
    assert line.startswith(prefix)
    assert "No such file or directory" in line  # pip's reason
    assert f"pip install 'alphabet-tutorial @ {missing}'" in line
    assert f"pip install {wheel_url(MKDOCS)}" in line
    assert line.endswith("restart the kernel and run again.\n")


def test_the_install_cell_installs_the_release_wheel_without_git(kernel_python, wheel, tmp_path):
    """The release route: the cell pip-installs the wheel `make dist` built, from a file
    URL, and the next cell imports the package from the reader's environment."""
    cell = install_cell(config_installing(wheel.as_uri()))
    (install, install_outputs), (later, later_outputs) = run_all(
        kernel_python, [cell, LATER_CELL], tmp_path
    )
    assert (install, install_outputs) == ("ok", [])
    assert later == "ok"
    assert later_outputs == [{"type": "stream", "name": "stdout", "text": "True\n"}]  # no stderr


def test_the_install_cell_pins_the_built_commit():
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    assert len(commit) == 40
    repository = MKDOCS["extra"]["colab"]["repository"]
    expected = f"alphabet-tutorial @ git+https://github.com/{repository}@{commit}"
    assert requirement(MKDOCS) == expected
    assert f"PACKAGE = {json.dumps(expected)}" in install_cell(MKDOCS)
    assert f'env.setup_notebook(PACKAGE, built=("{version()}", "{commit}"))' in install_cell(MKDOCS)


def test_the_install_cell_reads_at_a_glance():
    """At most fifteen short lines of plain code (those naming what to install aside): no
    class, no function, nothing nested deeper than the failure."""
    cell = install_cell(MKDOCS)
    assert len(cell.splitlines()) <= 15
    long = [line.strip() for line in cell.splitlines() if len(line) > 100]
    assert long == [
        f"PACKAGE = {json.dumps(requirement(MKDOCS))}  # the version this notebook was built with",
        f'" or `pip install {wheel_url(MKDOCS)}`"',
    ]
    assert "class " not in cell and "def " not in cell and "lambda" not in cell

    def depth(node: ast.AST) -> int:  # how deep blocks (if, for, try, with) nest
        inner = max(map(depth, ast.iter_child_nodes(node)), default=0)
        return inner + isinstance(node, ast.If | ast.For | ast.While | ast.Try | ast.With)

    assert depth(ast.parse(cell)) == 2  # `if pip failed` inside `if it is missing`


HEAD = subprocess.run(
    ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True
).stdout.strip()
INSTALLED = {  # what a reader may have installed already: (version, the commit it came from)
    "an older release": ("0.0.1", None),
    "this version from git at another commit": (version(), "0" * 40),
    "this version from git at the built commit": (version(), HEAD),
    "this version, not from git (a wheel, an editable install)": (version(), None),
}
# After the install cell: the alphabet-tutorial the kernel has, and where pip took it from.
WHICH = (
    "import json\nfrom importlib import metadata\n"
    'dist = metadata.distribution("alphabet-tutorial")\n'
    'print(json.dumps([dist.version, json.loads(dist.read_text("direct_url.json"))]))'
)


def install_as(python: Path, wheel: Path, installed_version: str, commit: str | None) -> None:
    """The wheel installed as pip installs it, then made to say it is `installed_version`,
    installed from git at `commit` (or from the wheel file, where `commit` is None)."""
    pip = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)]
    subprocess.run(pip, env=PIP_ENV, check=True, capture_output=True)
    probe = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = subprocess.run([str(python), "-c", probe], capture_output=True, text=True).stdout
    (info,) = Path(site.strip()).glob("alphabet_tutorial-*.dist-info")
    if installed_version != version():  # in METADATA, and in the directory's name (pip reads it)
        renamed = info.rename(info.with_name(f"alphabet_tutorial-{installed_version}.dist-info"))
        for name, old, new in [
            ("METADATA", f"\nVersion: {version()}\n", f"\nVersion: {installed_version}\n"),
            ("RECORD", f"{info.name}/", f"{renamed.name}/"),
        ]:
            (renamed / name).write_text((renamed / name).read_text().replace(old, new))
        info = renamed
    if commit:
        url = {"url": "https://github.com/x/y", "vcs_info": {"vcs": "git", "commit_id": commit}}
        (info / "direct_url.json").write_text(json.dumps(url))


@pytest.mark.parametrize("case", INSTALLED)
def test_the_install_cell_installs_only_what_the_notebook_was_not_built_from(case, wheel, tmp_path):
    """Another version, or this one from git at another commit, is replaced by the built one
    (here the wheel, from its file: `env.setup_notebook`, which the cell calls); the built
    version is left as it is, without calling pip (the cell's package is then a file that
    does not exist: pip would fail)."""
    installed_version, commit = INSTALLED[case]
    names = ["ipykernel", "pip", *(r.name for r in runtime_requirements(wheel))]
    python = fresh_venv(tmp_path / "venv", names)
    install_as(python, wheel, installed_version, commit)
    replaced = (installed_version, commit or HEAD) != (version(), HEAD)
    package = wheel.as_uri() if replaced else (tmp_path / "no-such.whl").as_uri()
    cell = install_cell(config_installing(f"alphabet-tutorial @ {package}"))
    (install, install_outputs), (later, later_outputs) = run_all(python, [cell, WHICH], tmp_path)
    assert (install, install_outputs, later) == ("ok", [], "ok"), install_outputs
    (shown,) = later_outputs
    now_version, url = json.loads(shown["text"])
    if replaced:
        assert (now_version, url["url"], "vcs_info" in url) == (version(), wheel.as_uri(), False)
    else:
        assert now_version == installed_version
        assert url.get("vcs_info", {}).get("commit_id") == commit


def test_the_release_wheel_is_where_the_install_cell_and_the_readme_say(wheel):
    assert wheel_url(MKDOCS) == f"{MKDOCS['site_url']}dist/{wheel.name}"
    readme = (REPO / "README.md").read_text()
    assert f"pip install {wheel_url(MKDOCS)}\n" in readme
    repository = MKDOCS["extra"]["colab"]["repository"]
    assert f'pip install "alphabet-tutorial @ git+https://github.com/{repository}"' in readme
