"""Fresh virtual environments that hold chosen distributions, made in a second.

`fresh_venv` creates a real venv (its own interpreter, its own empty site-packages) and
links into it, file tree by file tree, the distributions named and everything they
require, taken from the project's environment: their `*.dist-info` and their top-level
packages, so pip and `import` see them as installed there, and their commands (the
console scripts pip would write into the venv's bin/). Nothing else of the project's
environment is visible (no `.pth` file of its is processed, the editable
`alphabet_tutorial` is absent), so the venv stands for a reader's machine, Colab for
instance, that already has, say, `tensorflow`.

The links point into the project's environment: never let pip uninstall or upgrade a
linked distribution in such a venv (use `--dry-run`, or `--no-index` so that the installed
versions are the only candidates).
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def closure(names: list[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions `names` and every one they require (no extras)."""
    found: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in found:
            continue
        dist = metadata.distribution(name)
        found[name] = dist
        for requirement in map(Requirement, dist.requires or []):
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return found


def fresh_venv(where: Path, names: list[str]) -> Path:
    """A new venv at `where` holding `names` and their requirements; its python's path."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    ours = Path(sysconfig.get_path("purelib"))
    for dist in closure(names).values():
        tops = {Path(file).parts[0] for file in dist.files or []}
        for top in sorted(tops - {"..", "__pycache__"}):  # "..": scripts in bin/
            target = Path(dist.locate_file(top))
            if target.parent == ours and not (site / top).exists():
                (site / top).symlink_to(target, target_is_directory=target.is_dir())
        for command in dist.entry_points.select(group="console_scripts"):
            script = python.parent / command.name
            script.write_text(
                f"#!{python}\nimport importlib, sys\n"
                f"sys.exit(importlib.import_module({command.module!r}).{command.attr}())\n"
            )
            script.chmod(0o755)
    return python
