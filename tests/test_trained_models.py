"""What both implementations must reach from the default config: the same guard numbers."""

import math

import pytest

from alphabet_tutorial.training import predict_next, score


@pytest.fixture(params=["lowlevel", "keras"])
def trained(request):
    """(implementation, model, history) of each trained session model in turn."""
    model, history = request.getfixturevalue(f"trained_{request.param}")
    return request.param, model, history


def test_training_reaches_100_percent_on_every_window(trained, config):
    impl, model, history = trained
    assert history.impl == impl
    assert history.eval_accuracy[-1] == 1.0
    assert history.epochs_to_100 is not None and history.epochs_to_100 <= config.epochs
    assert score(model, config)[1] == 1.0


def test_trained_model_predicts_d_after_abc(trained, config):
    _, model, _ = trained
    assert predict_next(model, "abc", config)[0][0] == "d"
    assert predict_next(model, "wxy", config)[0][0] == "z"


def test_training_loss_guard_numbers(trained, config):
    _, model, history = trained
    assert len(history.loss) == len(history.accuracy) == len(history.eval_accuracy) == 15
    assert history.loss[0] < math.log(26) + 0.1  # the first epoch starts near chance
    assert history.loss[-1] < 0.05
    assert history.loss[-1] < history.loss[0] / 20
    assert history.accuracy[-1] > 0.99
    assert score(model, config)[0] < 0.05
    assert all(seconds > 0 for seconds in history.epoch_seconds)
