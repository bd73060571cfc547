"""The per-epoch history of a training run."""

import math

import numpy as np
import pytest

from alphabet_tutorial.history import Diverged, History


def history_of(eval_accuracy) -> History:
    history = History("test")
    for accuracy in eval_accuracy:
        history.record(loss=1.0, accuracy=accuracy, eval_accuracy=accuracy, seconds=0.5)
    return history


def test_epochs_to_100_is_the_first_epoch_with_every_window_right():
    assert history_of([0.5, 0.9, 1.0, 0.95, 1.0]).epochs_to_100 == 3
    assert history_of([1.0]).epochs_to_100 == 1


def test_epochs_to_100_is_none_when_never_reached():
    assert history_of([0.5, 0.99]).epochs_to_100 is None
    assert History("test").epochs_to_100 is None


def test_history_records_floats_and_sums_seconds():
    history = history_of([np.float32(0.5), 1.0])
    assert history.eval_accuracy == [0.5, 1.0]
    assert all(type(value) is float for value in history.loss + history.accuracy)
    assert history.train_seconds == 1.0


@pytest.mark.parametrize(("loss", "became"), [(math.nan, "NaN"), (-math.inf, "infinite")])
def test_a_loss_that_is_no_number_stops_the_run_at_its_epoch(loss, became):
    history = history_of([0.5, 0.6])
    with pytest.raises(Diverged, match=f"loss became {became} at epoch 3: lower the learning rate"):
        history.record(loss, 0.1, 0.1, 0.5)
    assert len(history.loss) == len(history.eval_accuracy) == 2
    assert isinstance(Diverged("x"), ValueError)
