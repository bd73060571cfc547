"""Using a model: accuracy, scoring on every window of the task, predicting the next letter.

A model is any callable from windows (batch, window, 26) to next-letter probabilities
(batch, 26): both implementations are, so everything here works with either of them.
"""

from __future__ import annotations

import numpy as np

from alphabet_tutorial.config import Config
from alphabet_tutorial.task import encode_prompt, evaluation_set, top_letters


# --8<-- [start:as-array]
def as_array(output) -> np.ndarray:
    """A model's output as a NumPy array, whatever the Keras backend: a PyTorch tensor
    leaves autograd (`detach`) and the GPU (`cpu`) first, as NumPy needs; others convert
    as they are."""
    if callable(getattr(output, "detach", None)):  # a PyTorch tensor
        output = output.detach().cpu()
    return np.asarray(output)


# --8<-- [end:as-array]


def accuracy(probabilities, targets) -> float:
    """The fraction of rows whose most likely letter is the target: (n, 26), (n, 26) -> float."""
    hits = np.argmax(as_array(probabilities), axis=1) == np.argmax(np.asarray(targets), axis=1)
    return float(np.mean(hits))


def score(model, config: Config) -> tuple[float, float]:
    """Cross-entropy loss and accuracy of `model` on every window of the task."""
    inputs, targets = evaluation_set(config)
    probabilities = as_array(model(inputs)).astype(np.float64)  # (windows, 26)
    picked = np.clip((probabilities * targets).sum(axis=1), 1e-7, 1.0)
    loss = float(-np.log(picked).mean())
    return loss, accuracy(probabilities, targets)


# --8<-- [start:predict]
def predict_next(model, text: str, config: Config, top: int = 3) -> list[tuple[str, float]]:
    """The most likely letters after the last `config.window` letters of `text`."""
    check_model_window(model, config)
    inputs = encode_prompt(text, config.window)  # (1, window, 26)
    return top_letters(as_array(model(inputs))[0], top)


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
