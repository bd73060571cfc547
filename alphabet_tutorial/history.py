"""The per-epoch record of one training run, the same for both implementations."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field


def warmed_epoch_seconds(epoch_seconds: list[float]) -> float:
    """The median time of the epochs after the first (which traces or compiles the
    training step); the first one's if it is the only one."""
    return statistics.median(epoch_seconds[1:] or epoch_seconds)


class Diverged(ValueError):
    """The training loss stopped being a number: the config (its learning rate) cannot train."""


@dataclass
class History:
    """Per-epoch figures of one training run."""

    impl: str
    loss: list[float] = field(default_factory=list)  # mean training loss
    accuracy: list[float] = field(default_factory=list)  # training accuracy
    eval_accuracy: list[float] = field(default_factory=list)  # accuracy on every window
    epoch_seconds: list[float] = field(default_factory=list)  # time of the training steps

    def record(self, loss, accuracy, eval_accuracy, seconds) -> None:
        """Add one epoch's figures; Diverged if its loss is not a number any more."""
        if not math.isfinite(loss):
            became = "NaN" if math.isnan(loss) else "infinite"
            epoch = len(self.loss) + 1
            raise Diverged(f"loss became {became} at epoch {epoch}: lower the learning rate")
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
