"""The first cell of every chapter notebook: install the companion package, pinned to what
this site was built from, or stop the notebook with one line that says what to do.

`install_cell(config)` returns the cell's source; `config` is MkDocs' config (or
mkdocs.yml as a dict). `extra.colab.install` names what pip installs, with placeholders
filled at build time:

- `{commit}`: the built commit (`git rev-parse HEAD`; where git fails, the build fails),
  or the release tag `v{version}` where the site is built outside a git checkout;
- `{repository}`: `extra.colab.repository`; `{version}`: the package's version;
- `{site_url}`: where the site, and the release files `make dist` builds, are published.

The default, `alphabet-tutorial @ git+https://github.com/{repository}@{commit}`, installs
the built commit. The release route needs no git: `{site_url}dist/` + the wheel's name
(`wheel_url`), which the failure line offers too.

Where the package is already importable (the build's own kernels, a reader's venv), the
cell installs nothing. Either way it ends with `alphabet_tutorial.env.setup_notebook()`,
which quiets TensorFlow before a later cell imports it. When pip fails, the cell raises
an exception whose `_render_traceback_` (IPython's hook) is one line, so Jupyter and
Colab show that line instead of a traceback, and "Run all" stops there.
"""

from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path

from mkdocs.exceptions import PluginError

REPO = Path(__file__).resolve().parent.parent

CELL = """\
# Install the tutorial's companion package, the version this notebook was built from,
# where it is missing (Colab, a fresh Jupyter); if that fails, the notebook stops here.
# Then quiet TensorFlow before anything imports it (alphabet_tutorial/env.py).
import importlib
import importlib.util
import subprocess
import sys

PACKAGE = {package}
{wheel}
if importlib.util.find_spec("alphabet_tutorial") is None:
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-color", PACKAGE],
        capture_output=True,
        text=True,
    )
    if pip.returncode:

        class InstallFailed(Exception):
            def _render_traceback_(self):  # what Jupyter and Colab show: this line only
                return [str(self)]

        said = [line.strip() for line in pip.stderr.splitlines() if line.strip()] or ["?"]
        why = next((line for line in said if line.startswith(("fatal:", "ERROR:"))), said[-1])
        raise InstallFailed(
            f"Could not install the companion package ({{why.removeprefix('ERROR: ')}}): "
            f'install it with `pip install "{{PACKAGE}}"`{or_wheel}, '
            "restart the kernel, and run the notebook again."
        )
    importlib.invalidate_caches()

from alphabet_tutorial import env

env.setup_notebook()"""


def version() -> str:
    return metadata.version("alphabet-tutorial")


def wheel_url(config) -> str:
    """Where the site publishes the wheel that `make dist` builds (the release route)."""
    return f"{config['site_url']}dist/alphabet_tutorial-{version()}-py3-none-any.whl"


def built_commit() -> str:
    """The commit the site is built from; the release tag outside a git checkout."""
    if not (REPO / ".git").exists():
        return f"v{version()}"
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
    if package == wheel:
        return CELL.format(package=json.dumps(package), wheel="", or_wheel="")
    return CELL.format(
        package=json.dumps(package),
        wheel=f"WHEEL = {json.dumps(wheel)}  # the release published with the site: no git\n",
        or_wheel=" or `pip install {WHEEL}`",
    )
