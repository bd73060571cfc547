"""Accuracy, scoring on every window, and next-letter prediction, with either model."""

import math

import numpy as np
import pytest

from alphabet_tutorial import Config
from alphabet_tutorial.evaluation import accuracy, predict_next, score
from alphabet_tutorial.task import evaluation_set


def uniform_model(inputs):
    """A model that knows nothing: every letter equally likely."""
    return np.full((len(inputs), 26), 1 / 26, np.float32)


def test_score_of_a_model_that_knows_nothing_is_chance():
    loss, accuracy = score(uniform_model, Config())
    assert loss == pytest.approx(math.log(26), rel=1e-6)
    assert accuracy == 0.0  # argmax picks "a", which never follows a window without wrap
    assert score(uniform_model, Config(wrap=True))[1] == pytest.approx(1 / 26)  # "xyz" -> "a"


def test_score_of_a_model_that_knows_everything_is_perfect():
    config = Config(window=5)
    _, targets = evaluation_set(config)

    def oracle(inputs):
        return targets[: len(inputs)]

    assert score(oracle, config) == (pytest.approx(0.0, abs=1e-6), 1.0)


def test_score_of_trained_models_is_perfect(trained_lowlevel, trained_keras, config):
    for model, _ in (trained_lowlevel, trained_keras):
        loss, accuracy = score(model, config)
        assert accuracy == 1.0
        assert loss < 0.05


@pytest.mark.parametrize("field", ["window", "units"])
def test_every_function_given_a_model_and_a_config_refuses_a_mismatch(field):
    from alphabet_tutorial import lowlevel
    from alphabet_tutorial.keras_model import build_sequential

    built, other = Config(units=4), Config(units=4).replace(**{field: 5})
    model = lowlevel.LowLevelLSTM(built)
    step = lowlevel.make_train_step(model, lowlevel.Adam(model.trainable_variables, 0.01))
    keras_net = build_sequential(built)
    calls = {
        "score": lambda: score(model, other),
        "score (Keras)": lambda: score(keras_net, other),
        "predict_next": lambda: predict_next(model, "abcde", other),
        "lowlevel.fit": lambda: lowlevel.fit(model, step, other),
    }
    expected = (
        f"the model was built for {field}={getattr(built, field)} but the config says {field}=5"
    )
    for name, call in calls.items():
        with pytest.raises(ValueError, match=expected):
            call()
            pytest.fail(f"{name} accepted the config")


def test_predict_next_gives_d_after_abc_and_reads_only_the_last_window(trained_lowlevel, config):
    model, _ = trained_lowlevel
    assert predict_next(model, "abc", config)[0][0] == "d"
    assert predict_next(model, "ABC", config)[0][0] == "d"
    assert predict_next(model, "xyzabc", config)[0][0] == "d"  # only "abc" is read
    assert predict_next(model, "klm", config, top=1) == [("n", pytest.approx(1.0, abs=0.05))]


def test_predict_next_lists_top_letters_most_likely_first(trained_keras, config):
    model, _ = trained_keras
    top = predict_next(model, "mno", config, top=5)
    assert len(top) == 5
    assert top[0][0] == "p"
    probabilities = [p for _, p in top]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0.0 <= sum(probabilities) <= 1.0 + 1e-6
    assert len({letter for letter, _ in top}) == 5


def test_predict_next_rejects_a_prompt_shorter_than_the_window(trained_lowlevel, config):
    model, _ = trained_lowlevel
    with pytest.raises(ValueError, match="'ab'"):
        predict_next(model, "ab", config)


def test_accuracy_is_the_fraction_of_rows_whose_most_likely_letter_is_the_target():
    _, targets = evaluation_set(Config())  # (23, 26)
    probabilities = 0.5 * targets + 0.01
    probabilities[:5] = np.roll(targets[:5], 1, axis=1)  # 5 rows pick the wrong letter
    assert accuracy(probabilities, targets) == pytest.approx(18 / 23)
    assert accuracy(targets, targets) == 1.0
