"""What both implementations must reach from the default config: the same guard numbers."""

import math

import numpy as np
import pytest

from alphabet_tutorial import impls
from alphabet_tutorial.evaluation import predict_next, score


@pytest.fixture(params=impls.NAMES)
def each_trained(request, trained):
    """(implementation, model, history) of each trained session model in turn."""
    model, history = trained(request.param)
    return request.param, model, history


def test_training_reaches_100_percent_on_every_window(each_trained, config):
    impl, model, history = each_trained
    assert history.impl == impl
    assert history.eval_accuracy[-1] == 1.0
    assert history.epochs_to_100 is not None and history.epochs_to_100 <= config.epochs
    assert score(model, config)[1] == 1.0


def test_trained_model_predicts_d_after_abc(each_trained, config):
    _, model, _ = each_trained
    assert predict_next(model, "abc", config)[0][0] == "d"
    assert predict_next(model, "wxy", config)[0][0] == "z"


def test_training_loss_guard_numbers(each_trained, config):
    _, model, history = each_trained
    assert len(history.loss) == len(history.accuracy) == len(history.eval_accuracy) == 15
    assert history.loss[0] < math.log(26) + 0.1  # the first epoch starts near chance
    assert history.loss[-1] < 0.05
    assert history.loss[-1] < history.loss[0] / 20
    assert history.accuracy[-1] > 0.99
    assert score(model, config)[0] < 0.05
    assert all(seconds > 0 for seconds in history.epoch_seconds)


def test_training_twice_from_the_same_seed_gives_the_same_numbers(each_trained, config):
    impl, model, history = each_trained
    again_model, again = impls.get(impl).train(config)
    # Same machine, same environment: identical in practice; numbers are compared with
    # tolerances, since determinism holds only on one machine and environment.
    np.testing.assert_allclose(again.loss, history.loss, rtol=1e-6)
    np.testing.assert_allclose(again.accuracy, history.accuracy, rtol=1e-6)
    assert again.eval_accuracy == history.eval_accuracy
    for first, second in zip(again_model.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_allclose(first, second, rtol=1e-5, atol=1e-6)
