"""Data parallelism with tf.distribute: both implementations trained on several devices of
one machine (MirroredStrategy) or on several worker processes (MultiWorkerMirroredStrategy).

Every replica holds a copy of the weights and takes a slice of each global batch; the
gradients are summed across replicas (an all-reduce), so every copy takes the same step.
The single-device code of `lowlevel.py` and `keras_model.py` is reused as it is: the
strategy decides where variables live, this module only adds the replicated train step.

Devices are fixed when TensorFlow first runs an op in a process: call `use_devices` first.
"""

from __future__ import annotations

import hashlib

import numpy as np
import tensorflow as tf

from alphabet_tutorial import keras_model, lowlevel
from alphabet_tutorial.config import Config
from alphabet_tutorial.lowlevel import Adam, LowLevelLSTM
from alphabet_tutorial.machine import device_type
from alphabet_tutorial.task import check_positive_integer, evaluation_set


# --8<-- [start:devices]
def use_devices(count: int) -> list[str]:
    """Names of `count` devices to replicate over: GPUs when the machine has at least
    `count` of them, otherwise the CPU split into `count` logical devices, with the GPUs
    hidden (only before TensorFlow has started)."""
    check_positive_integer("devices", count)  # ValueError unless count is 1, 2, ...
    gpus = tf.config.list_physical_devices("GPU")
    # device_type: "GPU" when the machine has at least `count` GPUs, else "CPU" (a ValueError
    # when count is above the CPU's cores: more replicas than cores could not run at once)
    if device_type(count, len(gpus)) == "GPU":
        return [f"/gpu:{index}" for index in range(count)]
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        # hide any GPU, so that a model built without a strategy runs on the CPU too
        tf.config.set_visible_devices([], "GPU")
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * count
        )
    except RuntimeError:  # TensorFlow has started: the devices it has are the ones we get
        pass
    devices = [device.name for device in tf.config.list_logical_devices("CPU")]
    if len(devices) != count:
        raise RuntimeError(
            f"this process already runs TensorFlow on {len(devices)} CPU device(s); "
            f"{count} must be set before its first op (use a fresh process)"
        )
    return devices


# --8<-- [end:devices]


# --8<-- [start:worker]
def worker_strategy(cluster: list[str], index: int) -> tf.distribute.Strategy:
    """This process as worker `index` of `cluster` (host:port of every worker, in order)."""
    if not 0 <= index < len(cluster):
        raise ValueError(f"worker index must be in 0..{len(cluster) - 1}, got {index}")
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec({"worker": list(cluster)}),
        task_type="worker",
        task_id=index,
        rpc_layer="grpc",
    )
    return tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)


# --8<-- [end:worker]


def train_keras(config: Config, strategy: tf.distribute.Strategy, progress=None):
    """Keras under a strategy: build the model in its scope, then `fit` as usual."""
    with strategy.scope():  # the variables made here are mirrored on every replica
        model = keras_model.build_sequential(config)
    return keras_model.train(config, model=model, progress=progress)  # fit splits each batch


# --8<-- [start:evaluate]
def evaluate_as_on_one_device(model, config: Config) -> None:
    """`evaluate` on every window, called as on one device: print what it gives, or raises."""
    windows, next_letters = evaluation_set(config)  # every window
    try:
        loss, accuracy = model.evaluate(windows, next_letters, verbose=0)
        print(f"evaluate() as on one device: accuracy {accuracy:.1%}")
    except tf.errors.InvalidArgumentError as error:  # raised by TensorFlow, inside evaluate
        print(f"evaluate() as on one device: {type(error).__name__}: {error}")


# --8<-- [end:evaluate]


# --8<-- [start:lowlevel]
def first_replica(next_creator, **kwargs):
    """Make variables whose updates inside a replica are taken from the first replica and
    copied to every replica's copy, so that the copies stay bit-identical even where the
    replicas' equal updates round differently (without it, each updates its own copy)."""
    return next_creator(**{**kwargs, "aggregation": tf.VariableAggregation.ONLY_FIRST_REPLICA})


def build_lowlevel(config: Config, strategy: tf.distribute.Strategy):
    """The low-level model and its Adam, with every variable mirrored on every replica."""
    with strategy.scope(), tf.variable_creator_scope(first_replica):
        model = LowLevelLSTM(config)
        optimizer = Adam(model.trainable_variables, config.learning_rate)
    return model, optimizer


def make_replicated_train_step(model: LowLevelLSTM, optimizer: Adam, strategy):
    """A train step with the single-device signature, `(inputs, targets) -> (loss,
    accuracy)` on one global batch, that runs on every replica: each takes its slice of
    the batch, the gradients are all-reduced, and every replica applies the same Adam."""

    def replica_step(inputs, targets, global_batch):
        with tf.GradientTape() as tape:
            logits = model.logits(inputs)  # (slice, 26)
            losses = tf.nn.softmax_cross_entropy_with_logits(labels=targets, logits=logits)
            loss = tf.reduce_sum(losses) / global_batch  # this slice's share of the mean
        gradients = tape.gradient(loss, model.trainable_variables)
        context = tf.distribute.get_replica_context()
        gradients = context.all_reduce("SUM", gradients)  # the whole batch's gradient
        optimizer.apply(gradients, model.trainable_variables)  # the same step everywhere
        hits = tf.equal(tf.argmax(logits, 1), tf.argmax(targets, 1))  # (slice,)
        return loss, tf.reduce_sum(tf.cast(hits, tf.float32)) / global_batch

    @tf.function
    def replicated_step(inputs, targets, global_batch):
        loss, accuracy = strategy.run(replica_step, args=(inputs, targets, global_batch))
        return strategy.reduce("SUM", loss, axis=None), strategy.reduce("SUM", accuracy, axis=None)

    def train_step(inputs: np.ndarray, targets: np.ndarray):
        global_batch = tf.constant(len(inputs), tf.float32)
        return replicated_step(
            split_batch(strategy, inputs), split_batch(strategy, targets), global_batch
        )

    return train_step


def split_batch(strategy: tf.distribute.Strategy, array: np.ndarray):
    """Replica r of R takes rows r, r + R, ... of the global batch."""
    replicas = strategy.num_replicas_in_sync
    return strategy.experimental_distribute_values_from_function(
        lambda context: array[context.replica_id_in_sync_group :: replicas]
    )


def train_lowlevel(config: Config, strategy: tf.distribute.Strategy, progress=None):
    """Train the low-level model data-parallel; returns (model, History). The epochs are
    the single-device ones (`lowlevel.fit`, the same data and order on every worker)."""
    model, optimizer = build_lowlevel(config, strategy)
    train_step = make_replicated_train_step(model, optimizer, strategy)
    return model, lowlevel.fit(model, train_step, config, progress=progress)


# --8<-- [end:lowlevel]


def checksum(weights) -> str:
    """A short fingerprint of the five arrays: equal on workers that hold equal weights."""
    digest = hashlib.sha256()
    for array in weights:
        digest.update(np.ascontiguousarray(array, dtype=np.float32).tobytes())
    return digest.hexdigest()[:16]
