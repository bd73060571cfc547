"""What both implementations share around training: the per-epoch history, a progress
bar, scoring on every window, prediction, and weight files either model can load.

Both models are callables from windows (batch, window, 26) to next-letter
probabilities (batch, 26), so everything here works with either of them.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from alphabet_tutorial.config import Config
from alphabet_tutorial.task import encode_prompt, evaluation_set, top_letters

# Both networks hold the same five arrays, in Keras's order.
WEIGHT_NAMES = ("lstm_kernel", "lstm_recurrent_kernel", "lstm_bias", "dense_kernel", "dense_bias")


@dataclass
class History:
    """Per-epoch figures of one training run."""

    impl: str
    loss: list[float] = field(default_factory=list)  # mean training loss
    accuracy: list[float] = field(default_factory=list)  # training accuracy
    eval_accuracy: list[float] = field(default_factory=list)  # accuracy on every window
    epoch_seconds: list[float] = field(default_factory=list)  # time of the training steps

    def record(self, loss, accuracy, eval_accuracy, seconds) -> None:
        self.loss.append(float(loss))
        self.accuracy.append(float(accuracy))
        self.eval_accuracy.append(float(eval_accuracy))
        self.epoch_seconds.append(float(seconds))

    @property
    def epochs_to_100(self) -> int | None:
        """The first epoch (1-based) after which every window is predicted right."""
        for epoch, accuracy in enumerate(self.eval_accuracy, start=1):
            if accuracy == 1.0:
                return epoch
        return None

    @property
    def train_seconds(self) -> float:
        return sum(self.epoch_seconds)


class ProgressBar:
    """One line per run, redrawn after each epoch: `[=====>    ] 12/40 loss 1.2345 ...`."""

    def __init__(self, epochs: int, label: str, stream=None, width: int = 24):
        self.epochs, self.label, self.width = epochs, label, width
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.perf_counter()

    def update(self, epoch: int, loss: float, accuracy: float, eval_accuracy: float) -> None:
        done = int(self.width * epoch / self.epochs)
        bar = "=" * max(done - 1, 0) + (">" if done < self.width else "=") if done else ""
        line = (
            f"{self.label} [{bar:<{self.width}}] {epoch}/{self.epochs} "
            f"loss {loss:.4f} acc {accuracy:.3f} every-window acc {eval_accuracy:.3f} "
            f"{time.perf_counter() - self.started:.1f}s"
        )
        if getattr(self.stream, "isatty", lambda: False)():  # redraw in place
            self.stream.write("\r" + line + ("\n" if epoch == self.epochs else ""))
        elif epoch == self.epochs or epoch % max(1, self.epochs // 4) == 0:  # a few lines
            self.stream.write(line + "\n")
        self.stream.flush()


def score(model, config: Config) -> tuple[float, float]:
    """Cross-entropy loss and accuracy of `model` on every window of the task."""
    inputs, targets = evaluation_set(config)
    probabilities = np.asarray(model(inputs), dtype=np.float64)  # (windows, 26)
    picked = np.clip((probabilities * targets).sum(axis=1), 1e-7, 1.0)
    loss = float(-np.log(picked).mean())
    accuracy = float((probabilities.argmax(axis=1) == targets.argmax(axis=1)).mean())
    return loss, accuracy


# --8<-- [start:predict]
def predict_next(model, text: str, config: Config, top: int = 3) -> list[tuple[str, float]]:
    """The most likely letters after the last `config.window` letters of `text`."""
    inputs = encode_prompt(text, config.window)  # (1, window, 26)
    return top_letters(np.asarray(model(inputs))[0], top)


# --8<-- [end:predict]


def save_weights(path, weights, config: Config, impl: str) -> Path:
    """Write the five arrays and the config to one .npz file, atomically."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"weights file {str(path)!r} must end in .npz")
    arrays = dict(zip(WEIGHT_NAMES, weights, strict=True))
    meta = json.dumps({"impl": impl, "config": config.as_dict()})
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, meta=np.array(meta), **arrays)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path


def load_weights(path) -> tuple[Config, list[np.ndarray], str]:
    """Read a file written by `save_weights`: (config, five arrays, implementation)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no weights file at {str(path)!r}")
    try:
        # our own handle: np.load leaks the one it opens when the zip is broken
        with path.open("rb") as file, np.load(file, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            weights = [data[name] for name in WEIGHT_NAMES]
        config, impl = Config(**meta["config"]), str(meta["impl"])
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{str(path)!r} is not a weights file of this package: {error}") from None
    return config, weights, impl
