"""For `pytest --codeblocks docs/`: before any snippet imports Keras, keep its config
file out of $HOME and TensorFlow quiet, as the site build does (hooks/execute.py).
Not part of the site (mkdocs.yml excludes it)."""

import atexit
import os
import shutil
import tempfile

os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="keras-home-")
atexit.register(shutil.rmtree, os.environ["KERAS_HOME"], ignore_errors=True)
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
