"""Installing the package as readers do: the wheel and sdist that `make dist` builds (the
release route), into an environment that already has TensorFlow (Colab, a laptop).

The reader's environment is a fresh venv holding `tensorflow` and the package's other
dependencies (tests/venvs.py links them in from the project's environment). pip runs with
`--dry-run --report` and no index, so the installed versions are its only candidates:
anything it wanted to add or change (`tensorflow-cpu`, another TensorFlow) shows up in
its report, or as a failure to resolve.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from email.parser import HeaderParser
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from venvs import fresh_venv

REPO = Path(__file__).resolve().parent.parent
# pip as on a reader's machine: none of this machine's pip settings or constraints.
PIP_ENV = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
PIP_ENV |= {"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Path:
    """The sdist, and the wheel built from it, exactly as `make dist` builds them."""
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)]
    built = subprocess.run(command, capture_output=True, text=True)
    assert built.returncode == 0, f"python -m build failed:\n{built.stdout[-3000:]}{built.stderr}"
    return out


@pytest.fixture(scope="session")
def wheel(dist) -> Path:
    (wheel,) = dist.glob("*.whl")
    return wheel


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


def test_a_wheel_that_needs_tensorflow_cpu_is_caught(reader_python, tmp_path):
    """The check above fails for the dependency this package used to have."""
    wheel = tmp_path / "needs_tf_cpu-1.0-py3-none-any.whl"
    info = "needs_tf_cpu-1.0.dist-info"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            f"{info}/METADATA",
            "Metadata-Version: 2.1\nName: needs-tf-cpu\nVersion: 1.0\n"
            "Requires-Dist: tensorflow-cpu>=2.16,<3\n",
        )
        archive.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        archive.writestr(f"{info}/RECORD", "")
    plan = install_plan(reader_python, wheel)
    assert plan.returncode != 0
    assert "tensorflow-cpu" in plan.stderr


def test_make_dist_builds_a_wheel_and_an_sdist(dist, wheel):
    version = metadata.version("alphabet-tutorial")
    assert wheel.name == f"alphabet_tutorial-{version}-py3-none-any.whl"
    assert (dist / f"alphabet_tutorial-{version}.tar.gz").is_file()
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "alphabet_tutorial/cli.py" in names
    assert f"alphabet_tutorial-{version}.dist-info/entry_points.txt" in names
