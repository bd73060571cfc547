"""Companion package of the tutorial "Using Keras on top of TensorFlow for fast
prototyping": a model that predicts the next letter of the alphabet, written once in
low-level TensorFlow and once in Keras, and the tools to compare the two.

A process that uses it calls `alphabet_tutorial.env.setup()` first (the CLI does).
"""

from alphabet_tutorial.config import Config

__version__ = "0.1.0"
__all__ = ["Config", "__version__"]
