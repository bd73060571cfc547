"""What Keras chose: the table's rows are found by running Keras, never typed."""

import numpy as np
import pytest

from alphabet_tutorial import Config
from alphabet_tutorial.keras_defaults import (
    MISTAKE_LOGIT,
    choices,
    confident_mistake_loss,
    power_of_ten,
)


def test_small_constants_read_as_powers_of_ten():
    assert power_of_ten(1e-7) == "10⁻⁷"
    assert power_of_ten(1e-12) == "10⁻¹²"
    assert power_of_ten(1e5) == "10⁵"
    assert [power_of_ten(x) for x in (0.001, 0.9, 0.999, 2e-7, 0.0)] == [
        "0.001",
        "0.9",
        "0.999",
        "2e-07",
        "0",
    ]


def test_on_tensorflow_the_loss_of_the_models_output_uses_its_logits():
    """A softmax output carries its logits there: a confident mistake costs the logit gap,
    where the same probabilities as a plain array are clipped to -log(epsilon)."""
    import keras

    from alphabet_tutorial.keras_model import build_sequential

    config = Config()
    model = build_sequential(config)
    assert confident_mistake_loss(model, config) == pytest.approx(MISTAKE_LOGIT, rel=1e-3)
    assert confident_mistake_loss(model, config, logit=30.0) == pytest.approx(30.0, rel=1e-3)
    probabilities = np.eye(26, dtype="float32")[[1]]  # certain of "b"
    plain = keras.losses.categorical_crossentropy(np.eye(26, dtype="float32")[[0]], probabilities)
    assert float(plain[0]) == pytest.approx(-np.log(keras.config.epsilon()), rel=1e-3)


def test_the_table_says_what_the_loss_is_computed_from_and_writes_epsilon_as_a_power():
    rows = dict(choices(Config()))
    loss = rows["Loss input (from_logits=False)"]
    assert loss == "the logits, unclipped (on tensorflow)"
    assert rows["Adam's β₁, β₂ and ε"] == "0.9, 0.999, 10⁻⁷"
