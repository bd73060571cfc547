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
from alphabet_tutorial.task import evaluation_set


def adam_form(epsilon: float = 0.1) -> str:
    """Which formula one Keras Adam step follows: epsilon added before or after the bias
    correction (a large epsilon makes the two differ visibly)."""
    weight = keras.Variable(np.array([1.0], np.float32))
    gradient, rate = np.array([0.5], np.float32), 0.1
    keras.optimizers.Adam(learning_rate=rate, epsilon=epsilon).apply([gradient], [weight])
    m, v = 0.1 * gradient, 0.001 * gradient**2  # after one step from zero moments
    folded = 1.0 - rate * np.sqrt(1 - 0.999) / (1 - 0.9) * m / (np.sqrt(v) + epsilon)
    paper = 1.0 - rate * (m / 0.1) / (np.sqrt(v / 0.001) + epsilon)
    got = float(keras.ops.convert_to_numpy(weight)[0])
    if np.isclose(got, folded[0], rtol=1e-6):
        return "ε added to the uncorrected √v, the bias correction folded into the step size"
    if np.isclose(got, paper[0], rtol=1e-6):
        return "ε added to the bias-corrected √v̂, as in the Adam paper"
    raise AssertionError(f"Adam's step matches neither known form: {got}")


MISTAKE_LOGIT = 100.0  # how much more the confident mistake below puts on the wrong letter
SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(value: float) -> str:
    """A small constant as a reader writes it: 1e-07 -> "10⁻⁷" (others as they are)."""
    if value > 0:
        exponent = round(float(np.log10(value)))
        if abs(exponent) > 3 and np.isclose(value, 10.0**exponent, rtol=1e-9):
            return "10" + str(exponent).translate(SUPERSCRIPTS)
    return f"{value:g}"


# --8<-- [start:confident-mistake]
def confident_mistake_loss(model, config: Config, logit: float = MISTAKE_LOGIT) -> float:
    """`evaluate`'s loss once `model`, a compiled `build_sequential(config)`, is sure of a
    wrong letter: its last layer's weights are replaced so that every logit is 0 but a
    wrong letter's, which is `logit`."""
    dense = model.get_layer("dense")
    inputs, targets = evaluation_set(config)
    wrong = (int(np.argmax(targets[0])) + 1) % targets.shape[1]  # not the first window's answer
    bias = np.zeros(targets.shape[1], np.float32)
    bias[wrong] = logit
    # no kernel: whatever the input, the logits are `logit` on the wrong letter, 0 elsewhere
    dense.set_weights([np.zeros_like(dense.get_weights()[0]), bias])
    return float(model.evaluate(inputs[:1], targets[:1], verbose=0)[0])


# --8<-- [end:confident-mistake]


def loss_input(model, config: Config) -> str:
    """What `categorical_crossentropy` computes the loss of `model` (a compiled
    `build_sequential(config)`, whose last layer's weights this overwrites) from on this
    backend, found by running it."""
    logit, epsilon = MISTAKE_LOGIT, keras.config.epsilon()
    loss = confident_mistake_loss(model, config, logit)
    backend = keras.config.backend()
    if np.isclose(loss, logit, rtol=1e-3):
        return f"the logits, unclipped (on {backend})"
    if np.isclose(loss, -np.log(epsilon), rtol=1e-3):
        clipped = f"[ε, 1 − ε], ε = {power_of_ten(epsilon)}"
        return f"the probabilities, clipped to {clipped} (on {backend})"
    raise AssertionError(f"the loss of a confident mistake is neither form: {loss}")


def choices(config: Config = Config()) -> list[tuple[str, str]]:
    """(what, what Keras chose) for the Sequential model built from `config`."""
    from alphabet_tutorial.keras_model import build_sequential

    model = build_sequential(config)
    lstm, dense = model.get_layer("lstm"), model.get_layer("dense")
    cell, units = lstm.cell, config.units
    bias = keras.ops.convert_to_numpy(cell.bias)  # (4 * units,): gates i, f, g, o
    forget = "ones" if np.all(bias[units : 2 * units] == 1) else "not ones"
    others = "zeros" if not np.any(np.delete(bias, np.s_[units : 2 * units])) else "not zeros"
    optimizer = model.optimizer
    loss = keras.losses.get(model.loss)
    from_logits = inspect.signature(loss).parameters["from_logits"].default
    shuffle = inspect.signature(model.fit).parameters["shuffle"].default
    loss_row = loss_input(model, config)  # overwrites the dense weights, which are read above
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
        (
            "Adam's β₁, β₂ and ε",
            f"{optimizer.beta_1}, {optimizer.beta_2}, {power_of_ten(optimizer.epsilon)}",
        ),
        ("Adam's form", adam_form()),
        ("Shuffling in fit", f"shuffle={shuffle}: a new order every epoch"),
        (f"Loss input (from_logits={from_logits})", loss_row),
    ]


def format_choices(rows: list[tuple[str, str]]) -> Markdown:
    """A Markdown table of `choices()`."""
    lines = ["| What | Keras's choice |", "|---|---|"]
    return Markdown("\n".join(lines + [f"| {what} | {choice} |" for what, choice in rows]))
