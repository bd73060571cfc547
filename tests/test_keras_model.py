"""The Keras model: both flavours build the same network, and fit learns the task."""

import numpy as np
import pytest
from helpers import read_events

from alphabet_tutorial import Config, keras_model
from alphabet_tutorial.lowlevel import LowLevelLSTM
from alphabet_tutorial.task import evaluation_set

SMALL = Config(window=4, units=8, seed=3)


def lstm_parameters(units: int) -> int:
    """Four gates, each a kernel, a recurrent kernel and a bias; then the dense layer."""
    return 4 * (units * (26 + units) + units) + units * 26 + 26


@pytest.mark.parametrize("config", [Config(), SMALL], ids=["default", "small"])
def test_both_flavours_and_the_low_level_model_have_the_same_parameter_count(config):
    sequential = keras_model.build_sequential(config)
    functional = keras_model.build_functional(config)
    expected = lstm_parameters(config.units)
    assert sequential.count_params() == functional.count_params() == expected
    assert LowLevelLSTM(config).count_params() == expected


def test_default_network_has_8410_parameters():
    assert lstm_parameters(32) == 8410
    assert keras_model.build_sequential(Config()).count_params() == 8410


@pytest.mark.parametrize("build", [keras_model.build_sequential, keras_model.build_functional])
def test_output_is_a_probability_over_26_letters_per_window(build):
    model = build(SMALL)
    assert model.input_shape == (None, SMALL.window, 26)
    assert model.output_shape == (None, 26)
    inputs, _ = evaluation_set(SMALL)
    probabilities = np.asarray(model(inputs))
    assert probabilities.shape == (26 - SMALL.window, 26)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("build", [keras_model.build_sequential, keras_model.build_functional])
def test_built_model_is_compiled_with_adam_at_the_config_rate(build):
    model = build(SMALL)
    assert model.optimizer.__class__.__name__ == "Adam"
    assert float(model.optimizer.learning_rate) == pytest.approx(SMALL.learning_rate)
    assert [layer.name for layer in model.layers if layer.weights] == ["lstm", "dense"]


def test_sequential_and_functional_start_from_the_same_weights_for_one_seed():
    sequential = keras_model.build_sequential(SMALL).get_weights()
    functional = keras_model.build_functional(SMALL).get_weights()
    for first, second in zip(sequential, functional, strict=True):
        np.testing.assert_array_equal(first, second)


def test_initial_weights_come_from_the_seed():
    first = keras_model.build_sequential(SMALL).get_weights()
    second = keras_model.build_sequential(SMALL).get_weights()
    other = keras_model.build_sequential(SMALL.replace(seed=4)).get_weights()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("build", [keras_model.build_sequential, keras_model.build_functional])
@pytest.mark.parametrize("field", ["window", "units"])
def test_train_refuses_a_model_built_from_another_config(build, field):
    model = build(SMALL)
    config = SMALL.replace(epochs=1, **{field: getattr(SMALL, field) + 1})
    before = [weight.copy() for weight in model.get_weights()]
    expected = f"built for {field}={getattr(SMALL, field)} but the config says {field}="
    with pytest.raises(ValueError, match=expected):
        keras_model.train(config, model=model)
    for weight, old in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(weight, old)  # not trained


def test_history_matches_what_keras_recorded(trained_keras):
    model, history = trained_keras
    np.testing.assert_allclose(history.loss, model.history.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(history.accuracy, model.history.history["accuracy"], rtol=1e-6)


@pytest.mark.slow
def test_fit_of_a_functional_model_logs_scalars_histograms_and_both_graphs(tmp_path):
    config = Config(epochs=2)
    model, history = keras_model.train(
        config, logdir=tmp_path, model=keras_model.build_functional(config)
    )
    assert model.name == "next_letter_functional"
    assert len(history.loss) == 2
    train_dir = tmp_path / "train"
    assert list(train_dir.glob("events.out.tfevents.*"))
    events, graphs = read_events(train_dir)
    for tag, expected in (("epoch_loss", history.loss), ("epoch_accuracy", history.accuracy)):
        assert [(step, plugin) for step, plugin, _ in events[tag]] == [
            (0, "scalars"),
            (1, "scalars"),
        ]
        np.testing.assert_allclose([float(v) for *_, v in events[tag]], expected, rtol=1e-6)
    histograms = [tag for tag, values in events.items() if values[0][1] == "histograms"]
    assert len(histograms) == 5  # lstm kernel, recurrent kernel, bias; dense kernel, bias
    assert any("lstm" in tag and "recurrent_kernel" in tag for tag in histograms)
    assert [plugin for _, plugin, _ in events["keras"]] == ["graph_keras_model"]  # layer graph
    assert graphs == 1  # and the op graph of the forward pass
