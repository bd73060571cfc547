"""The Keras chapter's code writes what its TensorBoard section shows.

The screenshots come from the package's `train`; a reader runs the chapter's own blocks.
Keras 3's TensorBoard callback logs the layer graph only, so the chapter's Keras training
block writes the op graph of the forward pass itself: here that block runs as a reader
runs it, in an empty directory, and its run folder must hold both graphs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import read_events

from alphabet_site.fences import parse

CHAPTER = Path(__file__).resolve().parent.parent / "docs" / "keras-implementation.md"


@pytest.mark.slow
def test_the_keras_training_block_logs_the_layer_graph_and_the_op_graph(tmp_path, monkeypatch):
    fences = parse(CHAPTER.read_text(encoding="utf-8"))
    (block,) = [f for f in fences if f.runnable and 'log_dir="runs/keras"' in f.code]
    monkeypatch.chdir(tmp_path)
    exec(compile(block.code, str(CHAPTER), "exec"), {"__name__": "__main__"})
    events, graphs = read_events(tmp_path / "runs" / "keras" / "train")
    assert [plugin for _, plugin, _ in events["keras"]] == ["graph_keras_model"]  # layers
    assert graphs == 1  # and the op graph of one forward pass, which the screenshot shows
