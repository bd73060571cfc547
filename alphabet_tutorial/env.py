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
