"""Keras 3's own distribution API: the package's Keras model trained data-parallel with
`keras.distribution.DataParallel`, which Keras implements on the JAX backend today.

The backend and the device count are fixed when JAX starts, so this runs in a process
started with KERAS_BACKEND=jax (and, on a CPU, XLA_FLAGS asking for several host devices):
see `alphabet_tutorial.scaleout`.
"""

from __future__ import annotations

import keras

from alphabet_tutorial import keras_model
from alphabet_tutorial.config import Config


# --8<-- [start:data_parallel]
def train_data_parallel(config: Config, progress=None):
    """Replicate the model on every device Keras sees and split each batch across them."""
    devices = keras.distribution.list_devices()  # e.g. ['cpu:0', 'cpu:1']
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    return keras_model.train(config, progress=progress)  # the same code as on one device


# --8<-- [end:data_parallel]
