"""For `pytest --codeblocks docs/`: before any snippet imports Keras, keep its config
file out of $HOME and TensorFlow quiet, as the site build does (hooks/execute.py).
Not part of the site (mkdocs.yml excludes it)."""

from alphabet_tutorial import env

env.setup(private_keras_home=True)
