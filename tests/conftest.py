"""Shared fixtures. Keras's config file and every log go to temporary directories."""

from alphabet_tutorial import Config, env, impls

# Before anything imports Keras: keep ~/.keras/keras.json out of the home directory.
env.setup(private_keras_home=True)

import pytest  # noqa: E402
from helpers import cannot_run_here  # noqa: E402


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
SITE_STAMP = "site/.built"  # the Makefile's: written after a strict build succeeds


def make_env() -> dict[str, str]:
    """This environment, without what a make running the tests passes to its children."""
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


def site_is_current() -> bool:
    """True when site/ is the strict build `make docs` made of the current sources: make
    itself answers, from the Makefile's list of what the site is built from."""
    try:
        question = subprocess.run(
            ["make", "-q", SITE_STAMP], cwd=REPO, env=make_env(), capture_output=True
        )
    except FileNotFoundError:  # no make on this machine
        return False
    return question.returncode == 0


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The site `make docs` built: site/ when it is up to date (as in `make test`),
    otherwise built once by `make docs` into a temporary directory, with this Python's
    environment (which make then takes as installed)."""
    if site_is_current():
        return REPO / "site"
    site = tmp_path_factory.mktemp("built") / "site"
    venv = f"VENV={sys.prefix}", "-o", f"{sys.prefix}/.installed"
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), "docs", f"SITE={site}", *venv],
        capture_output=True,
        text=True,
        env=make_env(),
    )
    if result.returncode:
        pytest.fail(f"make docs failed:\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}")
    return site


# --- the release files (tests/test_install.py, tests/test_notebooks.py) ----------------


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Path:
    """The sdist, and the wheel built from it, exactly as `make dist` builds them (once
    per session)."""
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)]
    built = subprocess.run(command, capture_output=True, text=True)
    assert built.returncode == 0, f"python -m build failed:\n{built.stdout[-3000:]}{built.stderr}"
    (out / "build.log").write_text(built.stdout + built.stderr)
    return out


@pytest.fixture(scope="session")
def wheel(dist) -> Path:
    (wheel,) = dist.glob("*.whl")
    return wheel


# --- headless Chromium (tests/test_site_browser.py, tests/test_widget.py) -----------------


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable; skipped locally without one, never in CI."""
    from alphabet_site.screenshots.browser import find_chromium

    try:
        return find_chromium()
    except RuntimeError as error:
        cannot_run_here(str(error))


@pytest.fixture(scope="session")
def browser(chromium):
    """One headless Chromium for the session; skipped locally without one, never in CI."""
    from alphabet_site.screenshots.browser import launch_chromium

    with launch_chromium() as browser:
        yield browser


# --- test tiers (`make test-fast` leaves out site, browser, screenshots and slow) ---------

TIER_FIXTURES = {  # a test using one of these fixtures belongs to that tier
    "built_site": "site",
    "browser": "browser",
    "chromium": "browser",
    "trained": "slow",
    "trained_lowlevel": "slow",
    "trained_keras": "slow",
    "dist": "slow",  # tests/test_install.py: builds the wheel and sdist
    "reader_python": "slow",  # and fresh virtual environments
    "kernel_python": "slow",
}
# Seconds for a test of the site or the screenshots: the first one waits for the build or
# the capture its module fixture makes (every other test keeps pytest's 60 s).
LONG_TIMEOUT = 300
# The test files that take longest, longest first (`--durations` on 2 cores): `make test`
# hands whole files to its processes in collection order (`--no-loadscope-reorder`), so
# the long ones start first and the short ones fill in at the end. Only the wall time
# depends on this list.
LONGEST_FIRST = [
    "test_notebooks.py",
    "test_cli.py",
    "test_screenshots.py",
    "test_site_browser.py",
    "test_distribute.py",
    "test_backends.py",
    "test_widget.py",
    "test_install.py",
]


def pytest_collection_modifyitems(config, items):
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
    for item in items:
        tiers = {TIER_FIXTURES[name] for name in item.fixturenames if name in TIER_FIXTURES}
        for tier in sorted(tiers):
            item.add_marker(tier)
        long = item.get_closest_marker("site") or item.get_closest_marker("screenshots")
        if long and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(LONG_TIMEOUT))
