"""The Keras model trained and evaluated on several devices of one machine, as a script
of its own: what a single-device Keras script needs to run data-parallel with
`tf.distribute.MirroredStrategy`, and its time per epoch against the same model on one
device. Run it with `python -m alphabet_tutorial.keras_mirrored` (2 devices, or
`--devices N`); add `--evaluate-as-on-one-device` to see `evaluate` fail without a batch
size.
"""

# --8<-- [start:script]
import argparse
import statistics
import time

import keras
import tensorflow as tf

from alphabet_tutorial import Config
from alphabet_tutorial.distribute import evaluate_as_on_one_device, use_devices
from alphabet_tutorial.keras_model import build_sequential
from alphabet_tutorial.task import evaluation_set, training_set


class EpochTimer(keras.callbacks.Callback):
    """Records how long each epoch of `fit` takes, in seconds."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


def time_per_epoch(timer: EpochTimer) -> float:
    """The median epoch after the first (which traces the training step), in seconds."""
    return statistics.median(timer.seconds[1:])


def main(config: Config = Config(epochs=5), devices: int = 2) -> keras.Model:
    """Train the Keras model on `devices` devices of this machine, score every window, and
    time its epochs against the same model trained on one device."""
    # --8<-- [start:distribute]
    strategy = tf.distribute.MirroredStrategy(use_devices(devices))  # devices first of all
    print(f"MirroredStrategy: {strategy.num_replicas_in_sync} replicas")
    inputs, targets = training_set(config)  # (n, window, 26), (n, 26)
    with strategy.scope():  # the variables made here are mirrored on every replica
        model = build_sequential(config)  # built and compiled as on one device
    # --8<-- [end:distribute]
    replicated = EpochTimer()  # add callbacks of your own to the list below
    history = model.fit(  # each batch is split over the replicas
        inputs,
        targets,
        batch_size=config.batch_size,
        epochs=config.epochs,
        verbose=0,  # no log: the line below prints the last epoch's accuracy
        callbacks=[replicated],
    )
    print(f"fit: accuracy {history.history['accuracy'][-1]:.1%} in the last epoch")
    windows, next_letters = evaluation_set(config)  # every window once
    # evaluate's first batch must split evenly: a multiple of the replica count, no
    # larger than the set (here the largest such batch)
    replicas = strategy.num_replicas_in_sync
    batch_size = len(windows) // replicas * replicas
    loss, accuracy = model.evaluate(windows, next_letters, batch_size=batch_size, verbose=0)
    print(f"evaluate(batch_size={batch_size}): accuracy {accuracy:.1%}, loss {loss:.3f}")

    one_device = EpochTimer()  # the same model, built without a strategy: one device
    build_sequential(config).fit(
        inputs,
        targets,
        batch_size=config.batch_size,
        epochs=config.epochs,
        verbose=0,
        callbacks=[one_device],
    )
    mirrored, single = time_per_epoch(replicated), time_per_epoch(one_device)
    print(
        f"time per epoch: {mirrored * 1000:.1f} ms on {devices} devices, "
        f"{single * 1000:.1f} ms on one ({mirrored / single:.1f}× one device's)"
    )
    return model


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--devices", type=int, default=2, help="GPUs, or logical CPU devices (at most one per core)"
    )
    parser.add_argument("--evaluate-as-on-one-device", action="store_true")
    args = parser.parse_args()
    config = Config(epochs=5)
    if args.devices < 1:
        parser.error(f"--devices must be at least 1, got {args.devices}")
    if config.batch_size % args.devices:  # fit's batches must split evenly
        parser.error(f"--devices must divide the batch size, {config.batch_size}")
    model = main(config, args.devices)
    if args.evaluate_as_on_one_device:  # no batch_size: see "Evaluating under a strategy"
        evaluate_as_on_one_device(model, config)
# --8<-- [end:script]
