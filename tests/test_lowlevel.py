"""The low-level TensorFlow model, checked against Keras as the reference implementation.

Given the Keras model's weights, the hand-written LSTM must compute the same
probabilities, and the hand-written Adam must take the same steps as Keras's Adam.
"""

import ast
import math
from io import StringIO
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import read_events
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

from alphabet_tutorial import Config, keras_model, lowlevel
from alphabet_tutorial.lowlevel import Adam, LowLevelLSTM, LSTMCell, make_train_step
from alphabet_tutorial.progress import ProgressBar
from alphabet_tutorial.task import evaluation_set, training_set

SMALL = Config(window=4, units=8, seed=3)


def random_weights(shapes, seed=0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(0.0, 0.5, size=shape).astype(np.float32) for shape in shapes]


def keras_and_lowlevel_twins(config: Config, randomise: bool = False):
    """A Keras model and a LowLevelLSTM holding the same weights."""
    reference = keras_model.build_sequential(config)
    if randomise:  # also a non-trivial bias, unlike the initial weights
        reference.set_weights(random_weights([w.shape for w in reference.get_weights()]))
    model = LowLevelLSTM(config)
    model.set_weights(reference.get_weights())
    return reference, model


# --- the reference tests ---------------------------------------------------------------


@pytest.mark.parametrize("randomise", [False, True], ids=["initial", "random"])
@pytest.mark.parametrize(
    "config", [Config(), SMALL, SMALL.replace(wrap=True)], ids=["default", "small", "small-wrap"]
)
def test_same_probabilities_as_keras_on_every_window(config, randomise):
    reference, model = keras_and_lowlevel_twins(config, randomise)
    inputs, _ = evaluation_set(config)  # (windows, window, 26)
    expected = reference(inputs, training=False).numpy()
    np.testing.assert_allclose(model(inputs).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_same_probabilities_as_keras_on_random_non_one_hot_inputs():
    reference, model = keras_and_lowlevel_twins(SMALL, randomise=True)
    inputs = np.random.default_rng(1).normal(size=(64, SMALL.window, 26)).astype(np.float32)
    expected = reference(inputs, training=False).numpy()
    np.testing.assert_allclose(model(inputs).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_cell_steps_match_keras_lstm_sequences_and_states():
    units, steps = 6, 5
    layer = keras.layers.LSTM(units, return_sequences=True, return_state=True)
    inputs = np.random.default_rng(2).normal(size=(4, steps, 26)).astype(np.float32)
    layer.build(inputs.shape)
    layer.set_weights(random_weights([w.shape for w in layer.get_weights()], seed=5))
    sequence, last_h, last_c = (t.numpy() for t in layer(inputs))

    cell = LSTMCell(26, units, tf.random.Generator.from_seed(0))
    for variable, value in zip(
        [cell.kernel, cell.recurrent_kernel, cell.bias], layer.get_weights(), strict=True
    ):
        variable.assign(value)
    h = c = tf.zeros((4, units))
    for t in range(steps):
        h, c = cell(inputs[:, t, :], h, c)
        np.testing.assert_allclose(h.numpy(), sequence[:, t, :], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h.numpy(), last_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.numpy(), last_c, rtol=1e-5, atol=1e-6)


def test_hand_written_adam_takes_the_same_steps_as_keras_adam():
    shapes = [(5, 3), (3,)]
    start = random_weights(shapes, seed=0)
    rng = np.random.default_rng(1)
    gradients = [
        [rng.normal(size=s).astype(np.float32) for s in shapes] for _ in range(6)
    ]  # six steps

    keras_variables = [keras.Variable(w) for w in start]
    keras_adam = keras.optimizers.Adam(learning_rate=0.01)
    tf_variables = [tf.Variable(w) for w in start]
    adam = Adam(tf_variables, learning_rate=0.01)
    for step_gradients in gradients:
        keras_adam.apply([tf.constant(g) for g in step_gradients], keras_variables)
        adam.apply([tf.constant(g) for g in step_gradients], tf_variables)
        for ours, theirs in zip(tf_variables, keras_variables, strict=True):
            np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-6, atol=1e-7)
    assert int(adam.iterations) == 6
    assert not np.allclose(tf_variables[0].numpy(), start[0])  # it did move


# --- shapes and weights ----------------------------------------------------------------


def test_probabilities_have_shape_batch_26_and_sum_to_one():
    model = LowLevelLSTM(SMALL)
    inputs = np.zeros((7, SMALL.window, 26), np.float32)
    assert model.logits(tf.constant(inputs)).shape == (7, 26)
    probabilities = model(inputs).numpy()
    assert probabilities.shape == (7, 26)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)


def test_weights_have_the_shapes_and_order_of_the_keras_model():
    model = LowLevelLSTM(SMALL)
    reference = keras_model.build_sequential(SMALL)
    assert [w.shape for w in model.get_weights()] == [w.shape for w in reference.get_weights()]
    assert [w.shape for w in model.get_weights()] == [(26, 32), (8, 32), (32,), (8, 26), (26,)]


def test_parameter_count_follows_the_lstm_formula():
    u = SMALL.units
    assert LowLevelLSTM(SMALL).count_params() == 4 * (u * (26 + u) + u) + u * 26 + 26 == 1354


def test_initial_weights_follow_keras_defaults():
    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = LowLevelLSTM(SMALL).get_weights()
    u = SMALL.units
    assert np.abs(kernel).max() <= math.sqrt(6 / (26 + 4 * u))  # glorot uniform
    np.testing.assert_allclose(recurrent_kernel @ recurrent_kernel.T, np.eye(u), atol=1e-5)
    np.testing.assert_array_equal(bias, np.r_[np.zeros(u), np.ones(u), np.zeros(2 * u)])
    assert np.abs(dense_kernel).max() <= math.sqrt(6 / (u + 26))
    np.testing.assert_array_equal(dense_bias, 0.0)


def test_initial_weights_come_from_the_seed():
    same = LowLevelLSTM(SMALL).get_weights(), LowLevelLSTM(SMALL).get_weights()
    other = LowLevelLSTM(SMALL.replace(seed=4)).get_weights()
    for first, second in zip(*same, strict=True):
        np.testing.assert_array_equal(first, second)
    assert not np.array_equal(same[0][0], other[0])


def test_set_weights_then_get_weights_round_trips():
    model = LowLevelLSTM(SMALL)
    weights = random_weights([w.shape for w in model.get_weights()])
    model.set_weights(weights)
    for got, expected in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_set_weights_with_a_wrong_shape_raises_and_changes_nothing():
    model = LowLevelLSTM(SMALL)
    before = model.get_weights()
    weights = random_weights([w.shape for w in before])
    weights[3] = np.zeros((9, 26), np.float32)  # the dense kernel, one row too many
    with pytest.raises(ValueError, match=r"dense/kernel.*\(8, 26\).*\(9, 26\)"):
        model.set_weights(weights)
    for got, expected in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_set_weights_with_a_missing_array_raises():
    model = LowLevelLSTM(SMALL)
    with pytest.raises(ValueError, match="expected 5 arrays, got 4"):
        model.set_weights(model.get_weights()[:4])


def test_variables_are_named_by_layer():
    names = sorted(v.name for v in LowLevelLSTM(SMALL).trainable_variables)
    assert names == [
        "dense/bias:0",
        "dense/kernel:0",
        "lstm/bias:0",
        "lstm/kernel:0",
        "lstm/recurrent_kernel:0",
    ]


def test_module_source_uses_no_keras():
    path = Path(lowlevel.__file__)
    tree = ast.parse(path.read_text())
    imported = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [name for name in imported if name.split(".")[0] == "keras"]
    attributes = [node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)]
    assert "keras" not in attributes  # no tf.keras
    code = [line.split("#")[0] for line in path.read_text().splitlines()]
    assert not [line for line in code if "import keras" in line or "from keras" in line]
    assert not [line for line in code if "tf.keras" in line]


# --- training --------------------------------------------------------------------------


def test_train_step_lowers_the_loss_on_its_batch():
    model = LowLevelLSTM(SMALL)
    train_step = make_train_step(model, Adam(model.trainable_variables, SMALL.learning_rate))
    inputs, targets = training_set(SMALL.replace(train_size=32))
    losses = [float(train_step(inputs, targets)[0]) for _ in range(10)]
    assert losses[-1] < losses[0] < math.log(26) + 0.5
    assert train_step.experimental_get_tracing_count() == 1


def read_graph(directory: Path) -> list[str]:
    """Node names of the one op graph written in `directory`."""
    graphs = []
    for path in sorted(directory.glob("events.out.tfevents.*")):
        for event in EventFileLoader(str(path)).Load():
            if event.HasField("graph_def"):
                graphs.append(tf.compat.v1.GraphDef.FromString(event.graph_def))
    assert len(graphs) == 1
    return [node.name for node in graphs[0].node]


@pytest.mark.slow
def test_logdir_gets_scalars_histograms_and_the_train_step_graph(tmp_path):
    config = Config(epochs=2)
    stream = StringIO()
    _, history = lowlevel.train(
        config, logdir=tmp_path, progress=ProgressBar(2, "lowlevel", stream=stream)
    )
    train_dir = tmp_path / "train"
    assert list(train_dir.glob("events.out.tfevents.*"))
    events, _ = read_events(train_dir)
    for tag, expected in (("epoch_loss", history.loss), ("epoch_accuracy", history.accuracy)):
        assert [(step, plugin) for step, plugin, _ in events[tag]] == [
            (0, "scalars"),
            (1, "scalars"),
        ]
        np.testing.assert_allclose([float(v) for *_, v in events[tag]], expected, rtol=1e-6)
    for name in ("lstm/kernel", "lstm/recurrent_kernel", "lstm/bias", "dense/kernel", "dense/bias"):
        assert [plugin for _, plugin, _ in events[name]] == ["histograms"] * 2
    graph = read_graph(train_dir)  # one op graph: the train step, scoped like the equations
    for scope in ("lstm/step_0/", f"lstm/step_{config.window - 1}/", "dense/", "loss/", "adam/"):
        assert any(name.startswith(scope) for name in graph), scope
    assert stream.getvalue().splitlines()[-1].startswith("lowlevel ━")
    assert "2/2" in stream.getvalue().splitlines()[-1]
