"""The "after" picture: the same next-letter network in Keras, in both of its flavours.

`build_sequential` stacks the layers; `build_functional` wires the same layers as a
graph of calls. Either is compiled with Adam and cross-entropy and trained with `fit`,
with the TensorBoard callback logging scalars and weight histograms.

Nothing here is specific to one backend except `write_forward_graph`, which needs
TensorFlow's graphs: the module runs unchanged under `KERAS_BACKEND=jax` or `torch`.
"""

from __future__ import annotations

import time
from pathlib import Path

import keras

from alphabet_tutorial.config import Config
from alphabet_tutorial.evaluation import accuracy, check_model_fits
from alphabet_tutorial.history import History
from alphabet_tutorial.task import NUM_LETTERS, evaluation_set, training_set


# --8<-- [start:sequential]
def build_sequential(config: Config = Config()) -> keras.Model:
    """Layers stacked in order: windows -> LSTM -> softmax over 26 letters."""
    keras.utils.set_random_seed(config.seed)
    # --8<-- [start:sequential-model]
    model = keras.Sequential(
        [
            keras.Input(shape=(config.window, NUM_LETTERS)),  # (batch, window, 26)
            keras.layers.LSTM(config.units, name="lstm"),  # (batch, units)
            keras.layers.Dense(NUM_LETTERS, activation="softmax", name="dense"),  # (batch, 26)
        ],
        name="next_letter_sequential",
    )
    # --8<-- [end:sequential-model]
    return compile_model(model, config)


# --8<-- [end:sequential]


# --8<-- [start:functional]
def build_functional(config: Config = Config()) -> keras.Model:
    """The same network written as calls from an input tensor to an output tensor."""
    keras.utils.set_random_seed(config.seed)
    # --8<-- [start:functional-model]
    letters = keras.Input(shape=(config.window, NUM_LETTERS), name="letters")
    state = keras.layers.LSTM(config.units, name="lstm")(letters)
    next_letter = keras.layers.Dense(NUM_LETTERS, activation="softmax", name="dense")(state)
    model = keras.Model(letters, next_letter, name="next_letter_functional")
    # --8<-- [end:functional-model]
    return compile_model(model, config)


# --8<-- [end:functional]


# --8<-- [start:compile]
def compile_model(model: keras.Model, config: Config) -> keras.Model:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


# --8<-- [end:compile]


# --8<-- [start:monitor]
class EpochMonitor(keras.callbacks.Callback):
    """Times each epoch's training steps, scores every window, drives a progress bar."""

    def __init__(self, config: Config, history: History, progress=None, stop_at_100=False):
        super().__init__()
        self.history_ = history
        self.progress = progress
        self.stop_at_100 = stop_at_100
        self.eval_inputs, self.eval_targets = evaluation_set(config)

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.started
        eval_accuracy = accuracy(self.model(self.eval_inputs), self.eval_targets)
        self.history_.record(logs["loss"], logs["accuracy"], eval_accuracy, seconds)
        if self.progress is not None:
            self.progress.update(epoch + 1, logs["loss"], logs["accuracy"], eval_accuracy)
        if self.stop_at_100 and eval_accuracy == 1.0:
            self.model.stop_training = True


# --8<-- [end:monitor]


# --8<-- [start:train]
def train(config: Config = Config(), logdir=None, progress=None, model=None, stop_at_100=False):
    """Train the Sequential model (or `model`); returns (model, History)."""
    model = model if model is not None else build_sequential(config)
    check_model_fits(model, config)  # a model given with a config must be built from it
    inputs, targets = training_set(config)  # (n, window, 26), (n, 26)
    history = History("keras")
    callbacks = [EpochMonitor(config, history, progress, stop_at_100)]
    if logdir:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(logdir), histogram_freq=1))
    model.fit(
        inputs,
        targets,
        batch_size=config.batch_size,
        epochs=config.epochs,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
    )
    if logdir and keras.config.backend() == "tensorflow":  # the only one with an op graph
        write_forward_graph(model, Path(logdir) / "train")
    return model, history


# --8<-- [end:train]


# --8<-- [start:op-graph]
def has_op_graph() -> bool:
    """Only the TensorFlow backend traces an op graph that TensorBoard can show."""
    return keras.config.backend() == "tensorflow"


def op_graph_note() -> str:
    """Why the logs hold no op graph under this backend ("" under TensorFlow)."""
    if has_op_graph():
        return ""
    return (
        f"no op graph under the {keras.config.backend()} backend: TensorBoard's Graphs tab "
        "shows TensorFlow graphs only (the layer graph, scalars and histograms are written)"
    )


# --8<-- [end:op-graph]


# --8<-- [start:graph]
def write_forward_graph(model: keras.Model, logdir) -> None:
    """Keras 3 logs only the layer graph; add the op graph of one forward pass."""
    import tensorflow as tf  # only this backend has the graph, so only it pays the import

    forward = tf.function(model)  # calls the model; traced into a graph when first called
    spec = tf.TensorSpec((None, *model.input_shape[1:]), name="inputs")  # any batch size
    with tf.summary.create_file_writer(str(logdir)).as_default():
        tf.summary.graph(forward.get_concrete_function(spec).graph)  # the op graph


# --8<-- [end:graph]
