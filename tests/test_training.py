"""What both models share: history, progress bar, scoring, prediction and weight files."""

import math
from io import StringIO

import numpy as np
import pytest

from alphabet_tutorial import Config, training
from alphabet_tutorial.lowlevel import LowLevelLSTM
from alphabet_tutorial.task import evaluation_set
from alphabet_tutorial.training import (
    History,
    ProgressBar,
    load_weights,
    predict_next,
    save_weights,
    score,
)


def uniform_model(inputs):
    """A model that knows nothing: every letter equally likely."""
    return np.full((len(inputs), 26), 1 / 26, np.float32)


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


def test_progress_bar_writes_a_few_lines_to_a_non_terminal():
    stream = StringIO()
    progress = ProgressBar(15, "keras", stream=stream)
    for epoch in range(1, 16):
        progress.update(epoch, loss=1 / epoch, accuracy=0.5, eval_accuracy=epoch / 15)
    lines = stream.getvalue().splitlines()
    assert 2 <= len(lines) <= 6
    assert "\r" not in stream.getvalue()
    assert "15/15" in lines[-1]
    assert lines[-1].startswith("keras [" + "=" * 24 + "] 15/15 loss 0.0667 acc 0.500")
    assert "every-window acc 1.000" in lines[-1]


class Terminal(StringIO):
    def isatty(self):
        return True


def test_progress_bar_redraws_one_line_on_a_terminal():
    stream = Terminal()
    progress = ProgressBar(4, "lowlevel", stream=stream, width=8)
    for epoch in range(1, 5):
        progress.update(epoch, loss=0.5, accuracy=0.5, eval_accuracy=0.5)
    text = stream.getvalue()
    assert text.count("\r") == 4
    assert text.endswith("\n") and text.count("\n") == 1
    assert "[=>      ] 1/4" in text
    assert "[========] 4/4" in text


def test_weights_round_trip_through_a_file(tmp_path):
    config = Config(units=8)
    model = LowLevelLSTM(config)
    path = save_weights(tmp_path / "sub" / "model.npz", model.get_weights(), config, "lowlevel")
    assert path == tmp_path / "sub" / "model.npz" and path.is_file()
    loaded_config, weights, impl = load_weights(path)
    assert (loaded_config, impl) == (config, "lowlevel")
    for got, expected in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
    assert [p.name for p in path.parent.iterdir()] == ["model.npz"]  # no temporary left


def test_keras_weights_loaded_into_the_low_level_model_predict_the_same(
    tmp_path, trained_keras, config
):
    keras_net, _ = trained_keras
    path = save_weights(tmp_path / "keras.npz", keras_net.get_weights(), config, "keras")
    loaded_config, weights, impl = load_weights(path)
    assert impl == "keras"
    model = LowLevelLSTM(loaded_config)
    model.set_weights(weights)
    inputs, _ = evaluation_set(config)
    np.testing.assert_allclose(
        model(inputs).numpy(), np.asarray(keras_net(inputs)), rtol=1e-5, atol=1e-6
    )
    assert predict_next(model, "abc", loaded_config)[0][0] == "d"


def test_save_to_a_name_without_npz_is_rejected(tmp_path):
    model = LowLevelLSTM(Config(units=4))
    for name in ("weights.h5", "weights", "weights.npz.bak"):
        with pytest.raises(ValueError, match=name.replace(".", r"\.")):
            save_weights(tmp_path / name, model.get_weights(), model.config, "lowlevel")
    assert list(tmp_path.iterdir()) == []


def test_load_of_a_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nowhere.npz"
    with pytest.raises(ValueError, match="nowhere.npz"):
        load_weights(path)
    with pytest.raises(ValueError, match="no weights file"):
        load_weights(tmp_path)  # a directory is not a file either


GARBAGE = {
    "empty": b"",
    "text": b"these are not weights\n",
    "broken-zip": b"PK\x03\x04 and then nothing a zip file needs",
}


@pytest.mark.parametrize("content", GARBAGE.values(), ids=GARBAGE.keys())
def test_load_of_a_garbage_file_names_the_path(tmp_path, content):
    path = tmp_path / "garbage.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="garbage.npz.*not a weights file"):
        load_weights(path)


def test_load_of_an_npz_from_elsewhere_names_the_path(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, x=np.zeros(3))
    with pytest.raises(ValueError, match="other.npz"):
        load_weights(path)


@pytest.mark.parametrize(
    "meta",
    ["not json", '{"impl": "keras"}', '{"impl": "keras", "config": {"unit": 3}}', "[1, 2]"],
)
def test_load_with_bad_metadata_names_the_path(tmp_path, meta):
    model = LowLevelLSTM(Config(units=4))
    path = tmp_path / "bad-meta.npz"
    arrays = dict(zip(training.WEIGHT_NAMES, model.get_weights(), strict=True))
    np.savez(path, meta=np.array(meta), **arrays)
    with pytest.raises(ValueError, match="bad-meta.npz"):
        load_weights(path)


def test_load_with_an_invalid_config_names_the_path(tmp_path):
    model = LowLevelLSTM(Config(units=4))
    path = save_weights(tmp_path / "w.npz", model.get_weights(), model.config, "lowlevel")
    with np.load(path) as data:
        arrays = dict(data)
    arrays["meta"] = np.array(str(arrays["meta"]).replace('"units": 4', '"units": -4'))
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="w.npz.*units"):
        load_weights(path)


class Unsavable:
    """An array-like that fails while the file is being written."""

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("disk full")


def test_failed_save_leaves_no_partial_file(tmp_path):
    model = LowLevelLSTM(Config(units=4))
    weights = model.get_weights()
    weights[4] = Unsavable()  # the last array: the first four are already written
    with pytest.raises(RuntimeError, match="disk full"):
        save_weights(tmp_path / "model.npz", weights, model.config, "lowlevel")
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_previous_file(tmp_path):
    model = LowLevelLSTM(Config(units=4))
    path = save_weights(tmp_path / "model.npz", model.get_weights(), model.config, "lowlevel")
    before = path.read_bytes()
    weights = model.get_weights()
    weights[2] = Unsavable()
    with pytest.raises(RuntimeError):
        save_weights(path, weights, model.config, "keras")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_save_with_the_wrong_number_of_arrays_is_rejected(tmp_path):
    model = LowLevelLSTM(Config(units=4))
    with pytest.raises(ValueError):
        save_weights(tmp_path / "model.npz", model.get_weights()[:4], model.config, "lowlevel")
    assert list(tmp_path.iterdir()) == []
