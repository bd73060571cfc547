"""For `pytest --codeblocks docs/`: before any snippet imports Keras, keep its config
file out of $HOME and TensorFlow quiet, and run each block in a fresh working directory
(what it writes by relative path, such as `runs/`, lands there), as the site build does
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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    previous = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="chapter-") as workdir:
        os.chdir(workdir)
        try:
            return (yield)
        finally:
            os.chdir(previous)
            if "matplotlib.pyplot" in sys.modules:
                sys.modules["matplotlib.pyplot"].close("all")
