"""The process environment TensorFlow and Keras expect, set in one place.

`setup()` is called once where a process starts (the CLI, the test suites, the MkDocs
hooks, the benchmark), before anything imports TensorFlow or Keras: later, the settings
come too late to matter. `QUIET` is what a child process (TensorBoard) gets as well.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# TensorFlow's C++ start-up chatter stays out of outputs (2.21 needs both settings).
QUIET = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}


def setup(private_keras_home: bool = False) -> None:
    """Quiet TensorFlow (unless the variables are already set).

    With `private_keras_home`, Keras's config file goes to a fresh temporary directory
    removed at exit instead of ~/.keras: for test runs and builds, which must leave the
    home directory alone.
    """
    for name, value in QUIET.items():
        os.environ.setdefault(name, value)
    if private_keras_home:
        keras_home = tempfile.mkdtemp(prefix="keras-home-")
        atexit.register(shutil.rmtree, keras_home, ignore_errors=True)
        os.environ["KERAS_HOME"] = keras_home
