"""Shared fixtures. Keras's config file and every log go to temporary directories."""

from alphabet_tutorial import Config, env, impls

# Before anything imports Keras: keep ~/.keras/keras.json out of the home directory.
env.setup(private_keras_home=True)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def config() -> Config:
    return Config()


@pytest.fixture(scope="session")
def trained(config):
    """`trained(name)`: (model, history) of an implementation, trained once per session
    from the default config."""
    runs: dict[str, tuple] = {}

    def train(name: str) -> tuple:
        if name not in runs:
            runs[name] = impls.get(name).train(config)
        return runs[name]

    return train


@pytest.fixture(scope="session")
def trained_lowlevel(trained):
    """(model, history) of the low-level model trained once from the default config."""
    return trained("lowlevel")


@pytest.fixture(scope="session")
def trained_keras(trained):
    """(model, history) of the Keras Sequential model trained once from the default config."""
    return trained("keras")


# --- the built site (tests/test_docs_build.py, tests/test_site_browser.py) -------------

import os  # noqa: E402
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


# --- headless Chromium (tests/test_site_browser.py, tests/test_widget.py) -----------------


def in_ci() -> bool:
    """CI is set to anything non-empty: read as tests/test_screenshots.py and the axe check do."""
    return bool(os.environ.get("CI"))


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; skipped locally without one, never in CI."""
    from alphabet_tutorial.browser import find_chromium, launch_chromium

    try:
        find_chromium()
    except RuntimeError as error:
        if in_ci():
            pytest.fail(f"{error}; CI is set, so the browser tests must run")
        pytest.skip(f"{error} (skipped locally only; in CI this fails)")
    with launch_chromium() as browser:
        yield browser
