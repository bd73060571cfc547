"""The registry of implementations: every entry can be built, trained and loaded."""

import numpy as np
import pytest

from alphabet_tutorial import Config, impls
from alphabet_tutorial.task import evaluation_set


def test_names_are_the_keys_in_order_and_unknown_names_are_value_errors():
    assert impls.NAMES == tuple(impls.IMPLS) == ("lowlevel", "keras")
    assert all(impls.get(name).name == name for name in impls.NAMES)
    with pytest.raises(ValueError, match="one of lowlevel, keras, got 'theano'"):
        impls.get("theano")


@pytest.mark.parametrize("name", impls.NAMES)
def test_each_implementation_builds_a_model_that_takes_any_implementations_weights(name):
    config = Config(units=8)
    inputs, _ = evaluation_set(config)
    reference = impls.get("lowlevel").build(config)
    model = impls.get(name).from_weights(config, reference.get_weights())
    for got, expected in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(
        np.asarray(model(inputs)), np.asarray(reference(inputs)), rtol=1e-5, atol=1e-6
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", impls.NAMES)
def test_each_implementation_trains_through_the_registry(name):
    epochs = []

    class Progress:
        def update(self, epoch, loss, accuracy, eval_accuracy):
            epochs.append(epoch)

    model, history = impls.get(name).train(Config(epochs=2, train_size=64), progress=Progress())
    assert history.impl == name and len(history.loss) == 2
    assert epochs == [1, 2]
    assert model.count_params() == 8410
