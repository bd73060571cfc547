"""Companion package of the tutorial "Using Keras on top of TensorFlow for fast
prototyping": a model that predicts the next letter of the alphabet, written once in
low-level TensorFlow and once in Keras, and the tools to compare the two.
"""

import os

# TensorFlow's C++ start-up chatter stays out of outputs (both settings are needed).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from alphabet_tutorial.config import Config  # noqa: E402

__version__ = "0.1.0"
__all__ = ["Config", "__version__"]
