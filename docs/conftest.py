"""For `pytest --codeblocks docs/`: before any snippet imports Keras, keep its config
file out of $HOME and TensorFlow quiet, as the site build does (hooks/execute.py), and
run each block (a chapter's chained blocks are one test) in a fresh, empty working
directory, removed after it, as the build does: the chapters write `runs/` and
`best.keras` where a reader would, never into the repository.
Not part of the site (mkdocs.yml excludes it)."""

import os
import tempfile

import pytest

from alphabet_tutorial import env

env.setup(private_keras_home=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    previous = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="chapter-") as directory:
        os.chdir(directory)
        try:
            return (yield)
        finally:
            os.chdir(previous)
