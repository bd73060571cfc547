"""The progress bar of a training run, drawn by rich on stderr.

On a terminal it is one live line, redrawn after each epoch: the bar, epochs done, the
time per epoch, elapsed time and an estimate of the time left, and the latest loss and
accuracies. Anywhere else (a pipe, a log file, a test's capture) it prints the same line
as plain text after each quarter of the run, so logs stay short and readable.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class ProgressBar:
    """`update()` after each epoch; the line stays on screen once the last epoch is done.

    Also a context manager, so that a run stopped early leaves the terminal clean.
    """

    def __init__(self, epochs: int, label: str, stream=None):
        self.epochs = epochs
        self.console = Console(file=stream if stream is not None else sys.stderr)
        if not self.console.is_terminal:
            self.console.width = 120  # a log line, not the 80 columns rich assumes
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=self.console,
            auto_refresh=False,  # redrawn by update(), once per epoch
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.task = self.progress.add_task(label, total=epochs, rate="", metrics="")
        self.live = self.console.is_terminal and not self.console.is_dumb_terminal
        if self.live:
            self.progress.start()

    def update(self, epoch: int, loss: float, accuracy: float, eval_accuracy: float) -> None:
        elapsed = self.progress.tasks[0].elapsed or 0.0
        self.progress.update(
            self.task,
            completed=epoch,
            rate=f"{elapsed / epoch:.2f} s/epoch",
            metrics=f"loss {loss:.4f} acc {accuracy:.3f} every-window acc {eval_accuracy:.3f}",
        )
        if self.live:
            self.progress.refresh()
        elif epoch == self.epochs or epoch % max(1, self.epochs // 4) == 0:  # a few lines
            self.console.print(self.progress.make_tasks_table(self.progress.tasks))
        if epoch == self.epochs:
            self.close()

    def close(self) -> None:
        if self.live:
            self.progress.stop()
            self.live = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
