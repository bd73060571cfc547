"""The first cell of every chapter notebook: install the companion package as this site
was built, or stop the notebook with one line that says what to do.

`install_cell(config)` returns the cell's source (`METADATA` folds it under its title in
Colab and JupyterLab; `INTRO`, the Markdown cell before it, says what it does); `config`
is MkDocs' config (or mkdocs.yml as a dict). `extra.colab.install` names what pip
installs, with placeholders filled at build time:

- `{commit}`: the built commit (`git rev-parse HEAD`; where git fails, the build fails),
  or the release tag `v{version}` where the site is built outside a git checkout;
- `{repository}`: `extra.colab.repository`; `{version}`: the package's version;
- `{site_url}`: where the site, and the release files `make dist` builds, are published.

The default, `alphabet-tutorial @ git+https://github.com/{repository}@{commit}`, installs
the built commit. The release route needs no git: `{site_url}dist/` + the wheel's name
(`wheel_url`), which the failure line offers too.

The cell runs pip only where the package is missing; when pip fails, it raises IPython's
`UsageError`, which Jupyter and Colab show as one line (`UsageError: ...`, no traceback)
and which stops "Run all" there. It ends with
`alphabet_tutorial.env.setup_notebook(PACKAGE, built=(version, commit))`, which replaces
another installed version, or this version installed from git at another commit
(`env.install`), and quiets TensorFlow before a later cell imports it.
"""

from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path

from mkdocs.exceptions import PluginError

REPO = Path(__file__).resolve().parents[2]

# The cell, as a reader sees it (in a notebook, its lines need not fit our line length).
# Colab shows a form cell (`#@title`, `cellView: form`) as its title, the code hidden;
# JupyterLab hides the code of a `source_hidden` cell. Both show what the cell prints.
TITLE = "Install the companion package"
CELL = """\
#@title {title}
import importlib.util, subprocess, sys
from IPython.core.error import UsageError
PACKAGE = {package}  # the version this notebook was built with
if importlib.util.find_spec("alphabet_tutorial") is None:  # pip only where it is missing
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-color", PACKAGE],
                         capture_output=True, text=True)
    if pip.returncode:  # say why in one line, and stop here
        why = (pip.stderr.strip() or "pip failed").splitlines()[-1]
        raise UsageError(f"Could not install the companion package ({{why}}): run "
                         f"`pip install '{{PACKAGE}}'`{or_wheel}"
                         ", restart the kernel and run again.")
from alphabet_tutorial import env  # where another version is installed, use this one
env.setup_notebook(PACKAGE, built=({version}, {commit}))"""
# The Markdown cell before it, which every medium shows: two sentences, then what the cell
# sets (env.QUIET), and why, folded for the curious reader (JupyterLab, Colab and the
# notebook pages render `<details>`). TensorFlow's own log line says "oneDNN custom
# operations are on ... To turn them off, set the environment variable
# `TF_ENABLE_ONEDNN_OPTS=0`", and the build sets it.
SAID = (
    "First, run the next cell: it installs `alphabet_tutorial`, the tutorial's companion "
    "package, and imports TensorFlow quietly. If pip cannot install the package, the cell "
    "stops with one line that says what to run instead."
)
ONEDNN = (
    "Before it imports TensorFlow, the cell sets `TF_ENABLE_ONEDNN_OPTS=0` (unless you set "
    "it yourself), which turns off oneDNN, a library of optimised CPU operations. Those add "
    "numbers up in another order than TensorFlow's own, so results can differ in their last "
    "digits; the outputs saved in this notebook were made with oneDNN off, so that your run "
    "matches them as closely as your versions and hardware allow."
)
INTRO = (
    f"{SAID}\n\n<details><summary>Why the cell turns oneDNN off</summary>\n\n{ONEDNN}\n\n</details>"
)
# The install cell's metadata: folded as described above.
METADATA = {"cellView": "form", "jupyter": {"source_hidden": True}}


def version() -> str:
    return metadata.version("alphabet-tutorial")


def wheel_url(config) -> str:
    """Where the site publishes the wheel that `make dist` builds (the release route)."""
    return f"{config['site_url']}dist/alphabet_tutorial-{version()}-py3-none-any.whl"


def built_commit() -> str:
    """The commit the site is built from; the release tag outside a git checkout."""
    return commit() or f"v{version()}"


def commit() -> str | None:
    """The checked-out commit; None outside a git checkout."""
    if not (REPO / ".git").exists():
        return None
    git = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    if git.returncode:
        raise PluginError(f"cannot pin the notebooks' install cell: {git.stderr.strip()}")
    return git.stdout.strip()


def requirement(config) -> str:
    """What the cell installs: `extra.colab.install` with its placeholders filled."""
    colab = config["extra"]["colab"]
    return colab["install"].format(
        commit=built_commit() if "{commit}" in colab["install"] else "",
        repository=colab["repository"],
        version=version(),
        site_url=config["site_url"],
    )


def install_cell(config) -> str:
    package, wheel = requirement(config), wheel_url(config)
    return CELL.format(
        title=TITLE,
        package=json.dumps(package),
        version=json.dumps(version()),
        commit=json.dumps(commit()).replace("null", "None"),
        or_wheel="" if package == wheel else f'"\n{" " * 25}" or `pip install {wheel}`',
    )
