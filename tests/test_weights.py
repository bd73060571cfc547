"""Weight files: round trips across implementations, and every way a file can be bad."""

import numpy as np
import pytest

from alphabet_tutorial import Config
from alphabet_tutorial.evaluation import predict_next
from alphabet_tutorial.lowlevel import LowLevelLSTM
from alphabet_tutorial.task import evaluation_set
from alphabet_tutorial.weights import WEIGHT_NAMES, load_weights, save_weights


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
    arrays = dict(zip(WEIGHT_NAMES, model.get_weights(), strict=True))
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
    with pytest.raises(RuntimeError, match="disk full"):
        save_weights(path, weights, model.config, "keras")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_save_through_a_link_replaces_its_target_keeping_the_link_and_the_mode(tmp_path):
    """`train --save best.npz` where best.npz links to a shared 0644 file: the link stays,
    the file behind it holds the new weights, readable by others as before."""
    model = LowLevelLSTM(Config(units=4))
    shared = tmp_path / "shared" / "model.npz"
    shared.parent.mkdir()
    shared.write_bytes(b"old")
    shared.chmod(0o644)
    (tmp_path / "best.npz").symlink_to(shared)
    save_weights(tmp_path / "best.npz", model.get_weights(), model.config, "lowlevel")
    assert (tmp_path / "best.npz").is_symlink() and load_weights(shared)[2] == "lowlevel"
    assert (shared.stat().st_mode & 0o777, [p.name for p in shared.parent.iterdir()]) == (
        0o644,
        ["model.npz"],
    )


def test_save_with_the_wrong_number_of_arrays_is_rejected(tmp_path):
    model = LowLevelLSTM(Config(units=4))
    with pytest.raises(ValueError, match=r"expected 5 arrays \(lstm_kernel, .*\), got 4"):
        save_weights(tmp_path / "model.npz", model.get_weights()[:4], model.config, "lowlevel")
    assert list(tmp_path.iterdir()) == []
