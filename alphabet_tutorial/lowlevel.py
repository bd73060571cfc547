"""The "before" picture: the next-letter model written with TensorFlow's low-level API.

Every piece is spelled out with tf.Variable and tf ops: an LSTM cell whose gates read
like the equations, the cell unrolled over the window, a dense softmax layer,
cross-entropy, Adam written by hand, a tf.function train step with tf.GradientTape,
and TensorBoard logging with tf.summary. There is no Keras in this module.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from alphabet_tutorial.config import Config
from alphabet_tutorial.evaluation import accuracy, check_model_fits
from alphabet_tutorial.history import History
from alphabet_tutorial.task import NUM_LETTERS, evaluation_set, training_set


# --8<-- [start:init]
def glorot_uniform(rng: tf.random.Generator, shape) -> tf.Tensor:
    """Uniform in +-sqrt(6 / (fan_in + fan_out)), Keras's default for kernels."""
    limit = math.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(shape, -limit, limit)


def orthogonal(rng: tf.random.Generator, shape) -> tf.Tensor:
    """Orthonormal rows (the recurrent kernel is wider than tall), Keras's recurrent default."""
    q, r = tf.linalg.qr(rng.normal((shape[1], shape[0])))
    q *= tf.sign(tf.linalg.diag_part(r))  # make the decomposition unique
    return tf.transpose(q)


# --8<-- [end:init]


# --8<-- [start:cell]
class LSTMCell(tf.Module):
    """One LSTM step. The four gates share one matmul; their order is i, f, g, o."""

    def __init__(self, input_size: int, units: int, rng: tf.random.Generator):
        super().__init__(name="lstm")
        self.units = units
        with self.name_scope:  # variables named lstm/kernel, ..., like dense/kernel
            self.kernel = tf.Variable(  # (26, 4 * units)
                glorot_uniform(rng, (input_size, 4 * units)), name="kernel"
            )
            self.recurrent_kernel = tf.Variable(  # (units, 4 * units)
                orthogonal(rng, (units, 4 * units)), name="recurrent_kernel"
            )
            self.bias = tf.Variable(  # (4 * units,): the forget gate starts open
                tf.concat([tf.zeros(units), tf.ones(units), tf.zeros(2 * units)], 0),
                name="bias",
            )

    def __call__(self, x_t, h, c):
        # x_t: (batch, 26), h and c: (batch, units)
        z = x_t @ self.kernel + h @ self.recurrent_kernel + self.bias  # (batch, 4 * units)
        z_i, z_f, z_g, z_o = tf.split(z, 4, axis=1)  # (batch, units) each
        i = tf.sigmoid(z_i)  # input gate: how much of the candidate to write
        f = tf.sigmoid(z_f)  # forget gate: how much of the old cell to keep
        g = tf.tanh(z_g)  # candidate cell values
        o = tf.sigmoid(z_o)  # output gate: how much of the cell to show
        c = f * c + i * g  # (batch, units)
        h = o * tf.tanh(c)  # (batch, units)
        return h, c


# --8<-- [end:cell]


# --8<-- [start:model]
class LowLevelLSTM(tf.Module):
    """LSTM over the window, then a dense softmax layer over the 26 letters."""

    def __init__(self, config: Config = Config()):
        super().__init__(name="next_letter")
        self.config = config
        rng = tf.random.Generator.from_seed(config.seed)
        self.cell = LSTMCell(NUM_LETTERS, config.units, rng)
        with tf.name_scope("dense"):
            self.dense_kernel = tf.Variable(  # (units, 26)
                glorot_uniform(rng, (config.units, NUM_LETTERS)), name="kernel"
            )
            self.dense_bias = tf.Variable(tf.zeros(NUM_LETTERS), name="bias")  # (26,)

    def logits(self, inputs):
        """(batch, window, 26) -> unnormalised scores (batch, 26)."""
        with tf.name_scope("lstm"):
            batch = tf.shape(inputs)[0]
            h = c = tf.zeros((batch, self.config.units))  # (batch, units)
            for t in range(inputs.shape[1]):  # unrolled: one cell call per letter
                with tf.name_scope(f"step_{t}"):
                    h, c = self.cell(inputs[:, t, :], h, c)
        with tf.name_scope("dense"):
            return h @ self.dense_kernel + self.dense_bias  # (batch, 26)

    def __call__(self, inputs):
        """(batch, window, 26) -> next-letter probabilities (batch, 26)."""
        return tf.nn.softmax(self.logits(tf.convert_to_tensor(inputs, tf.float32)))

    # --8<-- [end:model]

    def get_weights(self) -> list[np.ndarray]:
        """The five arrays in the order and layout of the Keras model's get_weights()."""
        return [v.numpy() for v in self._ordered()]

    def set_weights(self, weights) -> None:
        """Assign the five arrays of `get_weights()`; checks every shape before assigning any."""
        variables = self._ordered()
        if len(weights) != len(variables):
            raise ValueError(f"expected {len(variables)} arrays, got {len(weights)}")
        pairs = list(zip(variables, weights, strict=True))
        for variable, value in pairs:
            if tuple(variable.shape) != np.shape(value):
                raise ValueError(
                    f"weight {variable.name} has shape {tuple(variable.shape)}, "
                    f"got {np.shape(value)}"
                )
        for variable, value in pairs:
            variable.assign(value)

    def _ordered(self):
        cell = self.cell
        return [cell.kernel, cell.recurrent_kernel, cell.bias, self.dense_kernel, self.dense_bias]

    def count_params(self) -> int:
        return sum(int(np.prod(v.shape)) for v in self.trainable_variables)


# --8<-- [start:adam]
class Adam(tf.Module):
    """Adam, written with tf ops. Its moment slots are made up front, one per variable."""

    def __init__(self, variables, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(name="adam")
        self.learning_rate, self.beta_1, self.beta_2 = learning_rate, beta_1, beta_2
        self.epsilon = epsilon
        self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False, name="iterations")
        self.m = [tf.Variable(tf.zeros_like(v), trainable=False, name="m") for v in variables]
        self.v = [tf.Variable(tf.zeros_like(v), trainable=False, name="v") for v in variables]

    @tf.Module.with_name_scope  # its ops form one "adam" node in TensorBoard's graph
    def apply(self, gradients, variables) -> None:
        self.iterations.assign_add(1)
        t = tf.cast(self.iterations, tf.float32)
        # bias correction folded into the step size
        step = self.learning_rate * tf.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        for g, variable, m, v in zip(gradients, variables, self.m, self.v, strict=True):
            m.assign_add((g - m) * (1 - self.beta_1))  # running mean of gradients
            v.assign_add((tf.square(g) - v) * (1 - self.beta_2))  # and of their squares
            variable.assign_sub(step * m / (tf.sqrt(v) + self.epsilon))


# --8<-- [end:adam]


# --8<-- [start:step]
def make_train_step(model: LowLevelLSTM, optimizer: Adam):
    """The training step for `model`: forward pass, loss, gradients, Adam update, compiled."""
    spec = (  # what the step takes: a batch of windows and their one-hot next letters
        tf.TensorSpec((None, model.config.window, NUM_LETTERS), tf.float32),  # (batch, window, 26)
        tf.TensorSpec((None, NUM_LETTERS), tf.float32),  # (batch, 26)
    )

    @tf.function(input_signature=spec)  # traced once, for batches of any size
    def train_step(inputs, targets):
        with tf.GradientTape() as tape:
            logits = model.logits(inputs)  # (batch, 26)
            with tf.name_scope("loss"):
                loss = tf.reduce_mean(
                    tf.nn.softmax_cross_entropy_with_logits(labels=targets, logits=logits)
                )
        variables = model.trainable_variables
        with tf.name_scope("gradient_tape"):  # the backward pass, one node in the graph
            gradients = tape.gradient(loss, variables)
        optimizer.apply(gradients, variables)
        with tf.name_scope("accuracy"):
            hits = tf.equal(tf.argmax(logits, 1), tf.argmax(targets, 1))  # (batch,)
            accuracy = tf.reduce_mean(tf.cast(hits, tf.float32))
        return loss, accuracy

    return train_step


# --8<-- [end:step]


# --8<-- [start:run]
def train(config: Config = Config(), logdir=None, progress=None, stop_at_100=False):
    """Train a LowLevelLSTM; returns (model, History). Logs to `logdir`/train if given;
    with `stop_at_100`, stops after the first epoch that gets every window right."""
    model = LowLevelLSTM(config)
    optimizer = Adam(model.trainable_variables, config.learning_rate)
    train_step = make_train_step(model, optimizer)
    writer = tf.summary.create_file_writer(str(Path(logdir) / "train")) if logdir else None
    if writer is not None:  # the op graph of one training step, for TensorBoard's Graphs
        with writer.as_default():
            tf.summary.graph(train_step.get_concrete_function().graph)
    history = fit(model, train_step, config, writer, progress, stop_at_100)
    if writer is not None:
        writer.close()
    return model, history


# --8<-- [end:run]


# --8<-- [start:loop]
def fit(model, train_step, config: Config, writer=None, progress=None, stop_at_100=False):
    """The epochs: shuffled batches through `train_step`, then every window scored."""
    check_model_fits(model, config)  # the package's input check: ValueError on a wrong config
    inputs, targets = training_set(config)  # (n, window, 26), (n, 26)
    eval_inputs, eval_targets = evaluation_set(config)
    shuffle = np.random.default_rng(config.seed)
    history = History("lowlevel")  # per epoch: loss, accuracy, accuracy on every window, time
    for epoch in range(1, config.epochs + 1):
        started = time.perf_counter()
        order = shuffle.permutation(len(inputs))
        loss_sum = hit_sum = 0.0
        for first in range(0, len(order), config.batch_size):
            batch = order[first : first + config.batch_size]
            loss, batch_accuracy = train_step(inputs[batch], targets[batch])
            loss_sum += float(loss) * len(batch)
            hit_sum += float(batch_accuracy) * len(batch)
        seconds = time.perf_counter() - started
        eval_accuracy = accuracy(model(eval_inputs), eval_targets)  # on every window
        history.record(loss_sum / len(order), hit_sum / len(order), eval_accuracy, seconds)
        # optional, when train asks: TensorBoard's logs, a progress bar, an early stop
        if writer is not None:
            log_epoch(writer, model, history, epoch)
        if progress is not None:
            progress.update(epoch, history.loss[-1], history.accuracy[-1], eval_accuracy)
        if stop_at_100 and eval_accuracy == 1.0:
            break
    return history


# --8<-- [end:loop]


# --8<-- [start:logging]
def log_epoch(writer, model: LowLevelLSTM, history: History, epoch: int) -> None:
    """Scalars under Keras's tags (so the two runs overlay) and weight histograms."""
    with writer.as_default(step=epoch - 1):
        tf.summary.scalar("epoch_loss", history.loss[-1])
        tf.summary.scalar("epoch_accuracy", history.accuracy[-1])
        for variable in model.trainable_variables:
            tf.summary.histogram(variable.name.split(":")[0], variable)


# --8<-- [end:logging]
