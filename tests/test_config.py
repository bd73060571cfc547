"""The shared hyperparameters: defaults, immutability, and validation of every field."""

import dataclasses
import math
import re

import numpy as np
import pytest

from alphabet_tutorial import Config


def test_defaults_are_the_tutorials_numbers():
    assert Config().as_dict() == {
        "window": 3,
        "units": 32,
        "epochs": 15,
        "batch_size": 32,
        "learning_rate": 0.01,
        "train_size": 512,
        "seed": 7,
        "wrap": False,
    }


def test_config_is_frozen():
    config = Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.units = 64  # type: ignore[misc]


def test_configs_with_equal_fields_are_equal_and_hashable():
    assert Config(units=8) == Config(units=8)
    assert len({Config(), Config(), Config(units=8)}) == 2


def test_replace_returns_a_changed_copy():
    config = Config()
    changed = config.replace(units=8, wrap=True)
    assert (changed.units, changed.wrap) == (8, True)
    assert config.units == 32  # the original is untouched


def test_every_field_accepts_a_good_value():
    config = Config(
        window=25, units=1, epochs=1, batch_size=1, learning_rate=1, train_size=1, seed=0, wrap=True
    )
    assert config.window == 25


BAD_VALUES = [
    ("window", 0),
    ("window", -1),
    ("window", 26),
    ("window", 27),
    ("window", 2.5),
    ("window", "3"),
    ("window", True),
    ("units", 0),
    ("units", -1),
    ("units", 8.0),
    ("units", None),
    ("epochs", 0),
    ("epochs", -3),
    ("epochs", "15"),
    ("batch_size", 0),
    ("batch_size", False),
    ("train_size", 0),
    ("train_size", -512),
    ("learning_rate", 0),
    ("learning_rate", -0.01),
    ("learning_rate", math.nan),
    ("learning_rate", math.inf),
    ("learning_rate", "0.01"),
    ("learning_rate", True),
    ("learning_rate", np.bool_(True)),
    ("learning_rate", 1e300),  # beyond float32, which both models compute in
    ("seed", -1),
    ("seed", 1.5),
    ("seed", "7"),
    ("seed", True),
    ("wrap", 1),
    ("wrap", "no"),
    ("wrap", None),
]


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_bad_field_raises_value_error_naming_field_and_value(field, value):
    with pytest.raises(ValueError, match=re.escape(field)) as raised:
        Config(**{field: value})
    assert repr(value) in str(raised.value) or str(value) in str(raised.value)


@pytest.mark.parametrize(("field", "value"), BAD_VALUES[::4])
def test_replace_validates_the_changed_field(field, value):
    with pytest.raises(ValueError, match=re.escape(field)):
        Config().replace(**{field: value})


def test_numpy_reals_are_accepted_as_plain_python_numbers():
    config = Config(learning_rate=np.float32(0.25), units=np.int16(8))
    assert (config.learning_rate, config.units) == (0.25, 8)
    assert type(config.learning_rate) is float and type(config.units) is int
    assert Config(learning_rate=np.int64(1)).learning_rate == 1
    assert Config(learning_rate=np.float64(3.4e38)).learning_rate == 3.4e38


def test_unknown_field_is_a_type_error():
    with pytest.raises(TypeError, match="unit"):
        Config(unit=32)  # type: ignore[call-arg]
