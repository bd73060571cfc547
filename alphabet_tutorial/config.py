"""The hyperparameters shared by both implementations, so that the comparison is fair.

Both the low-level TensorFlow model and the Keras model read one `Config`; change a
field here and both change together.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from alphabet_tutorial.task import check_positive_integer, check_window, check_wrap, is_integer

SEEDS = 2**32  # NumPy's global seed, which Keras sets too, must lie in 0..2**32 - 1
LARGEST_RATE = float(np.finfo(np.float32).max)  # both models compute in float32


# --8<-- [start:config]
@dataclass(frozen=True)
class Config:
    window: int = 3  # letters the model reads before predicting the next one
    units: int = 32  # size of the LSTM's hidden and cell state
    epochs: int = 15  # passes over the training set
    batch_size: int = 32  # windows per gradient step
    learning_rate: float = 0.01  # Adam's step size
    train_size: int = 512  # windows drawn at random (with repeats) for training
    seed: int = 7  # seeds the weights, the training set and its shuffling
    wrap: bool = False  # True: z is followed by a, so "xyz" -> "a" is a window too
    # --8<-- [end:config]

    def __post_init__(self) -> None:
        object.__setattr__(self, "window", check_window(self.window))
        for name in ("units", "epochs", "batch_size", "train_size"):  # NumPy ints become ints
            object.__setattr__(self, name, check_positive_integer(name, getattr(self, name)))
        rate = self.learning_rate
        real = isinstance(rate, int | float | np.integer | np.floating)
        if not real or isinstance(rate, bool | np.bool_) or not 0 < rate < math.inf:
            raise ValueError(f"learning_rate must be a positive number, got {rate!r}")
        if rate > LARGEST_RATE:
            raise ValueError(
                f"learning_rate must be at most {LARGEST_RATE:.3g}, the largest float32 "
                f"(both models compute in float32), got {rate!r}"
            )
        object.__setattr__(
            self, "learning_rate", rate.item() if isinstance(rate, np.generic) else rate
        )
        if not is_integer(self.seed) or not 0 <= self.seed < SEEDS:
            raise ValueError(f"seed must be an integer from 0 to {SEEDS - 1}, got {self.seed!r}")
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "wrap", check_wrap(self.wrap))

    def replace(self, **changes) -> Config:
        """A copy with some fields changed (and validated again)."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)
