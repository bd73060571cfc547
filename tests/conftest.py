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
