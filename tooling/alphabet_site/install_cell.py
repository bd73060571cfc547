"""The first cell of every chapter notebook: install the companion package as this site
was built, or stop the notebook with one line that says what to do.

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

The cell installs where the package is missing, where its version is not the built one,
and where it was installed from git at another commit (pip keeps an installed version
that matches, so that one is reinstalled with `--force-reinstall --no-deps`: the same
version, the same dependencies); otherwise (the build's own kernels, a reader's venv
with this release) it installs nothing. Either way it ends with
`alphabet_tutorial.env.setup_notebook()`, which quiets TensorFlow before a later cell
imports it. When pip fails, the cell raises an error whose `_render_traceback_`
(IPython's hook) is one line, so Jupyter and Colab show that line instead of a
traceback, and "Run all" stops there.
"""

from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path

from mkdocs.exceptions import PluginError

REPO = Path(__file__).resolve().parents[2]

CELL = """\
# Install the tutorial's companion package as this notebook was built, unless it is already;
# if pip fails, the notebook stops here with one line saying why and what to do instead.
import importlib, json, subprocess, sys
from importlib import metadata

PACKAGE = {package}
{wheel}BUILT = {version}, {commit}  # version, commit (an install from git must be at this one)
dist = next(metadata.distributions(name="alphabet-tutorial"), None)
url = json.loads(dist.read_text("direct_url.json") or "{{}}") if dist else {{}}
if not dist or (dist.version, url.get("vcs_info", {{}}).get("commit_id", BUILT[1])) != BUILT:
    same = ["--force-reinstall", "--no-deps"] if dist and dist.version == BUILT[0] else []
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-color", *same, PACKAGE]
    pip = subprocess.run(command, capture_output=True, text=True)
    if pip.returncode:
        why = [s.strip() for s in pip.stderr.splitlines() if s.strip()[:6] in ("ERROR:", "fatal:")]
        error = RuntimeError(
            f"Could not install the companion package ({{(why or ['pip failed'])[0]}}): install "
            f'it with `pip install "{{PACKAGE}}"`{or_wheel}, restart the kernel and run again.'
        )
        error._render_traceback_ = lambda: [str(error)]  # Jupyter and Colab show this line only
        raise error
    importlib.invalidate_caches()

from alphabet_tutorial import env

env.setup_notebook()  # quiets TensorFlow's start-up messages"""


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
        package=json.dumps(package),
        wheel="" if package == wheel else f"WHEEL = {json.dumps(wheel)}  # the release: no git\n",
        version=json.dumps(version()),
        commit=json.dumps(commit()).replace("null", "None"),
        or_wheel="" if package == wheel else " or `pip install {WHEEL}`",
    )
