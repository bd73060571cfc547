"""What Keras chose for the next-letter model when we did not say: each choice is read
from the built model or found by running Keras, never typed, so the tutorial's table of
defaults stays true when Keras changes.
"""

from __future__ import annotations

import inspect

import keras
import numpy as np

from alphabet_tutorial.config import Config
from alphabet_tutorial.display import Markdown


def adam_form(epsilon: float = 0.1) -> str:
    """Which formula one Keras Adam step follows: epsilon added before or after the bias
    correction (a large epsilon makes the two differ visibly)."""
    weight = keras.Variable(np.array([1.0], np.float32))
    gradient, rate = np.array([0.5], np.float32), 0.1
    keras.optimizers.Adam(learning_rate=rate, epsilon=epsilon).apply([gradient], [weight])
    m, v = 0.1 * gradient, 0.001 * gradient**2  # after one step from zero moments
    folded = 1.0 - rate * np.sqrt(1 - 0.999) / (1 - 0.9) * m / (np.sqrt(v) + epsilon)
    paper = 1.0 - rate * (m / 0.1) / (np.sqrt(v / 0.001) + epsilon)
    got = float(np.asarray(weight)[0])
    if np.isclose(got, folded[0], rtol=1e-6):
        return "ε added to √v before bias correction, correction folded into the step size"
    if np.isclose(got, paper[0], rtol=1e-6):
        return "ε added to the bias-corrected √v̂, as in the Adam paper"
    raise AssertionError(f"Adam's step matches neither known form: {got}")


def choices(config: Config = Config()) -> list[tuple[str, str]]:
    """(what, what Keras chose) for the Sequential model built from `config`."""
    from alphabet_tutorial.keras_model import build_sequential

    model = build_sequential(config)
    lstm, dense = model.get_layer("lstm"), model.get_layer("dense")
    cell, units = lstm.cell, config.units
    bias = np.asarray(cell.bias)  # (4 * units,): gates i, f, g, o
    forget = "ones" if np.all(bias[units : 2 * units] == 1) else "not ones"
    others = "zeros" if not np.any(np.delete(bias, np.s_[units : 2 * units])) else "not zeros"
    optimizer = model.optimizer
    loss = keras.losses.get(model.loss)
    from_logits = inspect.signature(loss).parameters["from_logits"].default
    shuffle = inspect.signature(model.fit).parameters["shuffle"].default
    # a probability of 0 for the right letter costs -log(epsilon): the output is clipped
    worst = float(loss(np.eye(2, dtype="float32")[:1], np.array([[0.0, 1.0]], "float32"))[0])
    clipped = np.isclose(worst, -np.log(keras.config.epsilon()), rtol=1e-3)
    return [
        ("LSTM input kernel", type(cell.kernel_initializer).__name__),
        ("LSTM recurrent kernel", type(cell.recurrent_initializer).__name__),
        (
            "LSTM bias",
            f"forget gate {forget}, other gates {others} "
            f"(unit_forget_bias={cell.unit_forget_bias})",
        ),
        (
            "Dense kernel and bias",
            f"{type(dense.kernel_initializer).__name__}, {type(dense.bias_initializer).__name__}",
        ),
        ("Adam's β₁, β₂ and ε", f"{optimizer.beta_1}, {optimizer.beta_2}, {optimizer.epsilon}"),
        ("Adam's form", adam_form()),
        ("Shuffling in fit", f"shuffle={shuffle}: a new order every epoch"),
        (
            "Loss input",
            f"probabilities (from_logits={from_logits}): cross-entropy of the "
            "softmax output, "
            + (f"clipped to [ε, 1 - ε], ε = {keras.config.epsilon()}" if clipped else "unclipped"),
        ),
    ]


def format_choices(rows: list[tuple[str, str]]) -> Markdown:
    """A Markdown table of `choices()`."""
    lines = ["| What | Keras's choice |", "|---|---|"]
    return Markdown("\n".join(lines + [f"| {what} | {choice} |" for what, choice in rows]))
