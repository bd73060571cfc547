"""The process environment TensorFlow and Keras expect, set in one place.

`setup()` is called once where a process starts (the CLI, the test suites, the MkDocs
hooks, the benchmark), before anything imports TensorFlow or Keras: later, the settings
come too late to matter. `QUIET` is what a child process (TensorBoard) gets as well.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import importlib.abc
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata

# TensorFlow's C++ start-up chatter stays out of outputs (2.21 needs both settings; level 3
# also hides the "failed call to cuInit" error the `tensorflow` wheel logs without a GPU).
QUIET = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
# On a GPU, TensorFlow reserves most of its memory when it first uses it, and JAX 75% of
# it: a process that runs both (a notebook's kernel) or processes that share a GPU would
# run out. With these, each takes the memory it uses, as it needs it.
SHARE_GPU = {"TF_FORCE_GPU_ALLOW_GROWTH": "true", "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}


@contextlib.contextmanager
def silenced_stderr() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null meanwhile: C++ libraries write there directly."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Runs the first `import tensorflow` with stderr silenced. Without a GPU, the
    `tensorflow` wheel logs "Could not find cuda drivers" while it loads, before it reads
    TF_CPP_MIN_LOG_LEVEL (tensorflow/tensorflow#100442). Errors still raise as usual."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: the real finders locate the package
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            run = spec.loader.exec_module

            def exec_module(module) -> None:
                with silenced_stderr():
                    run(module)

            spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def setup(private_keras_home: bool = False) -> None:
    """Quiet TensorFlow (unless the variables are already set).

    With `private_keras_home`, Keras's config file goes to a fresh temporary directory
    removed at exit instead of ~/.keras, and matplotlib's font cache (the chapters'
    figures) too, instead of ~/.cache/matplotlib: for test runs and builds, which must
    leave the home directory alone.
    """
    for name, value in QUIET.items():
        os.environ.setdefault(name, value)
    if "tensorflow" not in sys.modules and not any(
        isinstance(finder, QuietTensorFlowImport) for finder in sys.meta_path
    ):
        sys.meta_path.insert(0, QuietTensorFlowImport())
    keras_json = os.path.join(os.path.expanduser("~"), ".keras", "keras.json")
    if "KERAS_HOME" not in os.environ and not os.path.exists(keras_json) and not private_keras_home:
        # Keras writes ~/.keras/keras.json on import when there is none. A user's own file
        # is read as usual; without one, Keras gets a home that cannot be created (below
        # a device file), so it writes nothing and uses its defaults.
        os.environ["KERAS_HOME"] = os.path.join(os.devnull, "keras")
    if private_keras_home:
        keras_home = tempfile.mkdtemp(prefix="keras-home-")
        atexit.register(shutil.rmtree, keras_home, ignore_errors=True)
        os.environ["KERAS_HOME"] = keras_home
        os.environ["MPLCONFIGDIR"] = os.path.join(keras_home, "matplotlib")


class NotInstalled(RuntimeError):
    """pip could not install the package a notebook was built with. Jupyter and Colab show
    an exception's `_render_traceback_` (IPython's hook) instead of a traceback: one line."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


def installed_from() -> tuple[str, str | None] | None:
    """The installed alphabet-tutorial's version and the git commit pip took it from (None
    where it came from a wheel or a checkout); None where it is not installed."""
    try:
        dist = metadata.distribution("alphabet-tutorial")
    except metadata.PackageNotFoundError:
        return None
    url = json.loads(dist.read_text("direct_url.json") or "{}")
    return dist.version, url.get("vcs_info", {}).get("commit_id")


def install(package: str, built: tuple[str, str | None]) -> None:
    """`pip install package` where what is installed is not `built` (version, commit; the
    commit is compared only where both are known); then the package is imported afresh."""
    now = installed_from()
    if now and now[0] == built[0] and None in (now[1], built[1]) or now == built:
        return
    same = ["--force-reinstall", "--no-deps"] if now and now[0] == built[0] else []
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-color", *same, package]
    pip = subprocess.run(command, capture_output=True, text=True)
    if pip.returncode:
        why = (pip.stderr.strip() or "pip failed").splitlines()[-1]
        raise NotInstalled(
            f"Could not install the companion package ({why}): install it with "
            f'`pip install "{package}"`, restart the kernel and run again.'
        )
    for name in [name for name in sys.modules if name.partition(".")[0] == __package__]:
        del sys.modules[name]  # the next import reads the installed files
    importlib.invalidate_caches()


def setup_notebook(package: str | None = None, built: tuple[str, str | None] | None = None) -> None:
    """The notebooks' install cell calls this once the package is installed: where `package`
    and `built` are given, the version the notebook was built with replaces another one
    (`install`). Then `setup()` for a notebook kernel: TensorFlow imported at once with the
    QUIET and SHARE_GPU settings (unless set: the kernel's Keras on TensorFlow and the
    chapters' JAX code share a GPU runtime's GPU) and stderr silenced (Jupyter would show
    the CUDA probe's lines as error output); no bytecode cached for the modules TensorFlow
    writes to the temporary directory for each tf.function (it deletes them at exit, not
    their __pycache__). Keras keeps its usual home: the reader asked for Keras."""
    if package and built:
        install(package, built)
    for name, value in {**QUIET, **SHARE_GPU}.items():
        os.environ.setdefault(name, value)
    sys.dont_write_bytecode = True
    with silenced_stderr():
        import tensorflow  # noqa: F401
