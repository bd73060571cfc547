"""The speed knobs of the conclusions: the chapters' Keras model built with each knob, and
timed epoch by epoch, the models taking turns.

`time_knobs` builds one model per entry of `knobs` (each entry: the options that differ
from the defaults), trains each for two epochs (its start: the first epoch traces the
training step), then trains them in rounds of one warm epoch each, in an order that
alternates from round to round, and returns each model's start and a `KnobRounds` that
judges the knobs against the first model.
"""

from __future__ import annotations

import math
import time

import keras

from alphabet_tutorial.compare import KnobRounds
from alphabet_tutorial.config import Config
from alphabet_tutorial.task import NUM_LETTERS, check_positive_integer, training_set


# --8<-- [start:timer]
class EpochTimer(keras.callbacks.Callback):
    """Records each epoch's time, and the part of it spent in calls to the training step."""

    def on_train_begin(self, logs=None):
        self.seconds, self.in_calls = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()
        self.in_calls.append(0.0)

    def on_train_batch_begin(self, batch, logs=None):  # just before a call into the step
        self.call_started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):  # just after it
        self.in_calls[-1] += time.perf_counter() - self.call_started

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


# --8<-- [end:timer]


def steps_per_epoch(config: Config) -> int:
    """Training steps in an epoch: batches of `config.batch_size`, the last one smaller."""
    return math.ceil(config.train_size / config.batch_size)


def build(config: Config, unroll: bool = False, **compile_options) -> keras.Model:
    """The chapters' Sequential model, with the knobs to try: `unroll` for its LSTM, and
    options for `compile` (such as `steps_per_execution` or `jit_compile`)."""
    keras.utils.set_random_seed(config.seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(config.window, NUM_LETTERS)),
            keras.layers.LSTM(config.units, unroll=unroll),
            keras.layers.Dense(NUM_LETTERS, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        **compile_options,
    )
    return model


def fit_timed(model: keras.Model, config: Config, epochs: int) -> tuple[list, list]:
    """Train `model` for `epochs` more epochs: each one's time, and its time in calls to
    the step (seconds)."""
    inputs, targets = training_set(config)
    timer = EpochTimer()
    model.fit(
        inputs, targets, batch_size=config.batch_size, epochs=epochs, verbose=0, callbacks=[timer]
    )
    return timer.seconds, timer.in_calls


def time_knobs(
    config: Config, knobs: dict[str, dict], rounds: int = 5
) -> tuple[dict[str, list[float]], KnobRounds]:
    """Each knob's start (its first two epochs, printed as they end) and its warm epochs,
    `rounds` of them, judged against the first entry of `knobs`, the baseline."""
    check_positive_integer("rounds", rounds)
    if not knobs:
        raise ValueError("knobs must hold at least one entry: the first is the baseline")
    models = {name: build(config, **options) for name, options in knobs.items()}
    start = {}
    for name, model in models.items():
        seconds, in_calls = fit_timed(model, config, epochs=2)  # the first traces the step
        start[name] = seconds
        print(
            f"{name}: first epoch {1000 * seconds[0]:.0f} ms, second {1000 * seconds[1]:.0f} ms "
            f"({1000 * in_calls[1]:.0f} ms of it in calls to the step)"
        )
    timed = KnobRounds(list(models))
    for round_ in range(rounds):
        order = list(models) if round_ % 2 == 0 else list(models)[::-1]  # alternate the order
        for name in order:
            seconds, in_calls = fit_timed(models[name], config, epochs=1)  # one warm epoch
            timed.add(name, seconds, in_calls)
    return start, timed
