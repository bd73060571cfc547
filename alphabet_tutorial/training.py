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
from alphabet_tutorial.task import NUM_LETTERS, encode_prompt, evaluation_set, top_letters

IMPLS = ("lowlevel", "keras")  # the implementations a weights file may come from
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
    check_model_window(model, config)
    inputs = encode_prompt(text, config.window)  # (1, window, 26)
    return top_letters(np.asarray(model(inputs))[0], top)


# --8<-- [end:predict]


def check_model_window(model, config: Config) -> None:
    """Refuse a config whose window is not the one `model` was built for."""
    if not isinstance(config, Config):
        raise TypeError(f"config must be a Config, got {config!r}")
    model_config = getattr(model, "config", None)  # LowLevelLSTM
    shape = getattr(model, "input_shape", None)  # Keras: (None, window, 26)
    window = model_config.window if isinstance(model_config, Config) else None
    if window is None and shape is not None and len(shape) == 3:
        window = shape[1]
    if window is not None and window != config.window:
        raise ValueError(
            f"the model reads windows of {window} letters but the config says {config.window}"
        )


def weight_shapes(config: Config) -> list[tuple[int, ...]]:
    """The shapes of the five arrays, in `WEIGHT_NAMES` order."""
    units = config.units
    return [
        (NUM_LETTERS, 4 * units),  # lstm_kernel
        (units, 4 * units),  # lstm_recurrent_kernel
        (4 * units,),  # lstm_bias
        (units, NUM_LETTERS),  # dense_kernel
        (NUM_LETTERS,),  # dense_bias
    ]


def check_weights(weights, config: Config) -> list[np.ndarray]:
    """The five arrays as float32, or ValueError naming the first one that is wrong."""
    if not isinstance(config, Config):
        raise TypeError(f"config must be a Config, got {config!r}")
    if isinstance(weights, str | bytes | dict) or not hasattr(weights, "__len__"):
        raise ValueError(f"weights must be a list of {len(WEIGHT_NAMES)} arrays, got {weights!r}")
    if len(weights) != len(WEIGHT_NAMES):
        raise ValueError(
            f"expected {len(WEIGHT_NAMES)} arrays ({', '.join(WEIGHT_NAMES)}), got {len(weights)}"
        )
    checked = []
    for name, value, shape in zip(WEIGHT_NAMES, weights, weight_shapes(config), strict=True):
        array = np.asarray(value)
        if array.dtype.kind not in "iuf":  # signed, unsigned, floating; not bool or text
            raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}")
        if array.shape != shape:
            raise ValueError(
                f"{name} has shape {array.shape}, but units={config.units} needs {shape}"
            )
        if not np.isfinite(array).all():
            raise ValueError(f"{name} holds non-finite values (NaN or infinity)")
        checked.append(array.astype(np.float32))
    return checked


def check_impl(impl: str) -> str:
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {', '.join(IMPLS)}, got {impl!r}")
    return impl


def save_weights(path, weights, config: Config, impl: str) -> Path:
    """Write the five arrays and the config to one .npz file, atomically."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"weights file {str(path)!r} must end in .npz")
    arrays = dict(zip(WEIGHT_NAMES, check_weights(weights, config), strict=True))
    meta = json.dumps({"impl": check_impl(impl), "config": config.as_dict()})
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
    """Read a file written by `save_weights`: (config, five arrays, implementation).

    Nothing in the file is unpickled; anything but five finite arrays of the shapes its
    config needs is refused with a ValueError that names the file and the problem.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no weights file at {str(path)!r}")
    try:
        config, weights, impl = _read_weights(path)
    except ValueError as error:
        raise ValueError(f"{str(path)!r} is not a weights file of this package: {error}") from None
    return config, weights, impl


def _read_weights(path: Path) -> tuple[Config, list[np.ndarray], str]:
    arrays = {}
    with path.open("rb") as file:  # our own handle: np.load leaks its own on a broken zip
        if not zipfile.is_zipfile(file):
            raise ValueError("it is not an .npz (zip) archive")
        file.seek(0)
        try:
            with np.load(file, allow_pickle=False) as data:
                for name in ("meta", *WEIGHT_NAMES):
                    if name not in data.files:
                        raise ValueError(f"it has no array {name!r}")
                    try:
                        arrays[name] = data[name]
                    except (OSError, EOFError, zipfile.BadZipFile, ValueError):
                        raise ValueError(f"its array {name!r} is unreadable") from None
        except (EOFError, zipfile.BadZipFile):
            raise ValueError("its zip archive is broken") from None
    try:
        meta = json.loads(str(arrays["meta"]))
        config = Config(**meta["config"])
        impl = check_impl(meta["impl"])
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"its metadata is not ours ({type(error).__name__}: {error})") from None
    return config, check_weights([arrays[name] for name in WEIGHT_NAMES], config), impl
