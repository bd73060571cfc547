"""The Keras chapter's code writes what its TensorBoard section shows.

The screenshots come from the package's `train`; a reader runs the chapter's own blocks.
Keras 3's TensorBoard callback logs the layer graph only, so the chapter's optional cell
after the Keras training block writes the op graph of the forward pass: here both blocks
run as a reader runs them, in an empty directory, and the run folder holds the layer graph
after training and the op graph only once the optional cell has run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import read_events

from alphabet_site.fences import parse

CHAPTER = Path(__file__).resolve().parent.parent / "docs" / "keras-implementation.md"


@pytest.mark.slow
def test_the_keras_training_block_logs_the_layers_and_the_optional_cell_the_op_graph(
    tmp_path, monkeypatch
):
    fences = [f for f in parse(CHAPTER.read_text(encoding="utf-8")) if f.runnable]
    (training,) = [f for f in fences if 'log_dir="runs/keras"' in f.code]
    (optional,) = [f for f in fences if "tf.summary.graph(" in f.code]
    assert fences.index(optional) == fences.index(training) + 1  # right after it
    assert "tensorflow" not in training.code  # the Keras tab is Keras only
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__main__"}
    exec(compile(training.code, str(CHAPTER), "exec"), namespace)
    run = tmp_path / "runs" / "keras" / "train"
    events, graphs = read_events(run)
    assert [plugin for _, plugin, _ in events["keras"]] == ["graph_keras_model"]  # layers
    assert graphs == 0  # the callback writes no op graph, as the page says
    exec(compile(optional.code, str(CHAPTER), "exec"), namespace)
    events, graphs = read_events(run)
    assert graphs == 1  # the op graph of one forward pass, which the screenshot shows
    operations = namespace["graph"].get_operations()
    scopes = {"/".join(op.name.split("/")[:2]) for op in operations if "/" in op.name}
    assert scopes == {"next_letter_sequential_1/lstm_1", "next_letter_sequential_1/dense_1"}


def test_a_keras_layer_call_numbers_its_name_scope_on_the_first_trace():
    """The page's reason for the `_1` in the op graph: one call, one trace, and still `_1`.

    A layer's `__call__` opens its name scope around its build check, then again around
    `call`; TensorFlow keeps the plain name for the first (it holds no op here) and numbers
    the second.
    """
    import keras
    import tensorflow as tf

    layer = keras.layers.Dense(2, name="solo")
    layer.build((None, 4))  # built already, as the chapter's trained model is
    graph = tf.function(layer).get_concrete_function(tf.TensorSpec((None, 4))).graph
    assert {op.name.split("/")[0] for op in graph.get_operations()} == {
        "args_0",
        "solo_1",
        "Identity",
        "NoOp",
    }
