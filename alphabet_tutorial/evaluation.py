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
    check_model_fits(model, config)
    inputs, targets = evaluation_set(config)
    probabilities = as_array(model(inputs)).astype(np.float64)  # (windows, 26)
    picked = np.clip((probabilities * targets).sum(axis=1), 1e-7, 1.0)
    loss = float(-np.log(picked).mean())
    return loss, accuracy(probabilities, targets)


# --8<-- [start:predict]
def predict_next(model, text: str, config: Config, top: int = 3) -> list[tuple[str, float]]:
    """The most likely letters after the last `config.window` letters of `text`."""
    check_model_fits(model, config)
    inputs = encode_prompt(text, config.window)  # (1, window, 26)
    return top_letters(as_array(model(inputs))[0], top)


# --8<-- [end:predict]


def check_model_fits(model, config: Config) -> None:
    """Refuse a config whose window or units are not the ones `model` was built for: every
    function given both a model and a config checks this first."""
    if not isinstance(config, Config):
        raise TypeError(f"config must be a Config, got {config!r}")
    for field, built in model_fields(model).items():
        if built != getattr(config, field):
            raise ValueError(
                f"the model was built for {field}={built} but the config says "
                f"{field}={getattr(config, field)}"
            )


def model_fields(model) -> dict[str, int]:
    """The window and units `model` was built for, as far as it tells."""
    model_config = getattr(model, "config", None)  # LowLevelLSTM
    if isinstance(model_config, Config):
        return {"window": model_config.window, "units": model_config.units}
    fields = {}
    shape = getattr(model, "input_shape", None)  # Keras: (None, window, 26)
    if shape is not None and len(shape) == 3:
        fields["window"] = shape[1]
    recurrent = [layer for layer in getattr(model, "layers", []) if hasattr(layer, "cell")]
    if recurrent:  # Keras: the LSTM layer
        fields["units"] = recurrent[0].units
    return fields
