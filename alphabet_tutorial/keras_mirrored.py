"""The Keras model trained and evaluated on several devices of one machine, as a script
of its own: what a single-device Keras script needs to run data-parallel with
`tf.distribute.MirroredStrategy`. Run it with `python -m alphabet_tutorial.keras_mirrored`
(2 devices); add `--evaluate-as-on-one-device` to see `evaluate` fail without a batch size.
"""

# --8<-- [start:script]
import argparse

import keras
import tensorflow as tf

from alphabet_tutorial import Config
from alphabet_tutorial.distribute import evaluate_as_on_one_device, use_devices
from alphabet_tutorial.keras_model import build_sequential
from alphabet_tutorial.task import evaluation_set, training_set


def main(config: Config = Config(epochs=5), devices: int = 2, callbacks=()) -> keras.Model:
    """Train the Keras model on `devices` devices of this machine, then score every window."""
    strategy = tf.distribute.MirroredStrategy(use_devices(devices))  # devices first of all
    print(f"MirroredStrategy: {strategy.num_replicas_in_sync} replicas")
    inputs, targets = training_set(config)  # (n, window, 26), (n, 26)
    with strategy.scope():  # the variables made here are mirrored on every replica
        model = build_sequential(config)  # built and compiled as on one device
    history = model.fit(  # each batch is split over the replicas
        inputs,
        targets,
        batch_size=config.batch_size,
        epochs=config.epochs,
        verbose=0,  # no log: the line below prints the last epoch's accuracy
        callbacks=list(callbacks),
    )
    print(f"fit: accuracy {history.history['accuracy'][-1]:.1%} in the last epoch")
    windows, next_letters = evaluation_set(config)  # every window once
    # evaluate's first batch must split evenly over the replicas
    batch_size = len(windows) - len(windows) % strategy.num_replicas_in_sync
    loss, accuracy = model.evaluate(windows, next_letters, batch_size=batch_size, verbose=0)
    print(f"evaluate(batch_size={batch_size}): accuracy {accuracy:.1%}, loss {loss:.3f}")
    return model


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m alphabet_tutorial.keras_mirrored")
    parser.add_argument("--evaluate-as-on-one-device", action="store_true")
    args = parser.parse_args()
    config = Config(epochs=5)
    model = main(config)
    if args.evaluate_as_on_one_device:  # no batch_size: see "Evaluating under a strategy"
        print("evaluate() as on one device:", evaluate_as_on_one_device(model, config))
# --8<-- [end:script]
