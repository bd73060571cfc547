"""A progress bar for training runs, one line per run, on stderr."""

from __future__ import annotations

import sys
import time


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
