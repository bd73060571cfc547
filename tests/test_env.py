"""The process environment (alphabet_tutorial.env): TensorFlow starts without a word."""

import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_tensorflow_starts_silently_after_setup(tmp_path):
    """Without a GPU, the `tensorflow` wheel logs CUDA probes on import and on its first op,
    whatever TF_CPP_MIN_LOG_LEVEL says about the former; after env.setup() nothing shows."""
    code = (
        "from alphabet_tutorial import env; env.setup()\n"
        "import keras, tensorflow as tf\n"
        "print(float(tf.reduce_sum(tf.ones(3))))\n"
        "import sys; print('stderr works', file=sys.stderr)\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "KERAS_"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**clean, "HOME": str(tmp_path), "KERAS_HOME": str(tmp_path / "keras")},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "3.0\n"
    assert result.stderr == "stderr works\n"
