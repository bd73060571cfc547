"""For `pytest --codeblocks docs/`: before any snippet imports Keras, keep its config
file out of $HOME and TensorFlow quiet, and run each chapter's blocks in a fresh working
directory of the chapter's own (what they write by relative path, such as `runs/`, lands
there, and a later block reads it back), as the site build does
(alphabet_site/hooks/execute.py). matplotlib draws with its Agg backend, as in the build:
`plt.show()` opens no window, and the figures a block leaves open are closed after it.
Not part of the site (mkdocs.yml excludes it)."""

import os
import sys
import tempfile

import pytest

from alphabet_tutorial import env

env.setup(private_keras_home=True)
os.environ["MPLBACKEND"] = "Agg"


workdirs: dict[str, tempfile.TemporaryDirectory] = {}  # the chapter running now -> its own


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    chapter = str(item.path)
    if chapter not in workdirs:  # a new chapter: the previous one's files go
        for workdir in workdirs.values():
            workdir.cleanup()
        workdirs.clear()
        workdirs[chapter] = tempfile.TemporaryDirectory(prefix="chapter-")
    previous = os.getcwd()
    os.chdir(workdirs[chapter].name)
    try:
        return (yield)
    finally:
        os.chdir(previous)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")


def pytest_sessionfinish(session):
    for workdir in workdirs.values():
        workdir.cleanup()
