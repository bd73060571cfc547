"""Shared fixtures. Keras's config file and every log go to temporary directories."""

import atexit
import os
import shutil
import tempfile

# Before anything imports Keras: keep ~/.keras/keras.json out of the home directory.
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="keras-home-")
atexit.register(shutil.rmtree, os.environ["KERAS_HOME"], ignore_errors=True)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import pytest  # noqa: E402

from alphabet_tutorial import Config  # noqa: E402


@pytest.fixture(scope="session")
def config() -> Config:
    return Config()


@pytest.fixture(scope="session")
def trained_lowlevel(config):
    """(model, history) of the low-level model trained once from the default config."""
    from alphabet_tutorial import lowlevel

    return lowlevel.train(config)


@pytest.fixture(scope="session")
def trained_keras(config):
    """(model, history) of the Keras Sequential model trained once from the default config."""
    from alphabet_tutorial import keras_model

    return keras_model.train(config)


# --- the built site (tests/test_docs_build.py, tests/test_site_browser.py) -------------

import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MKDOCS = Path(sys.executable).parent / "mkdocs"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The site built once with `mkdocs build --strict` into a temporary directory."""
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    if result.returncode:
        pytest.fail(
            f"mkdocs build --strict failed:\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
        )
    return site
