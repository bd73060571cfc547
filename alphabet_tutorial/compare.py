"""Train both implementations from one config and measure them side by side.

Lines of code are counted in the package's own source, in the snippet sections the
tutorial shows (comments, docstrings and blank lines left out), so the table follows
the code as it changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from alphabet_tutorial import impls
from alphabet_tutorial.config import Config
from alphabet_tutorial.sources import section_code_lines


def lines_of_code(impl: str) -> int:
    """Code lines of one implementation's model and training, read from the package."""
    entry = impls.get(impl)
    return section_code_lines(entry.filename, entry.sections)


@dataclass(frozen=True)
class Measurement:
    impl: str
    lines_of_code: int
    parameters: int
    train_seconds: float  # wall time of the whole train() call
    epochs_to_100: int | None  # first epoch predicting every window right
    final_accuracy: float  # on every window, after the last epoch


def measure(impl: str, config: Config = Config()) -> Measurement:
    """Train one implementation from `config` and measure it."""
    entry = impls.get(impl)
    started = time.perf_counter()
    model, history = entry.train(config)
    seconds = time.perf_counter() - started
    return Measurement(
        impl,
        lines_of_code(impl),
        int(model.count_params()),
        seconds,
        history.epochs_to_100,
        history.eval_accuracy[-1],
    )


def compare(config: Config = Config()) -> list[Measurement]:
    """Every implementation trained from the same config, in the order of `impls.IMPLS`."""
    return [measure(impl, config) for impl in impls.NAMES]


# --8<-- [start:table]
def format_table(measurements: list[Measurement]) -> str:
    """A Markdown table: one row per figure, one column per implementation."""
    rows: list[tuple[str, list]] = [
        ("Lines of code", [m.lines_of_code for m in measurements]),
        ("Parameters", [f"{m.parameters:,}" for m in measurements]),
        ("Training time (s)", [f"{m.train_seconds:.1f}" for m in measurements]),
        ("Epochs to 100 %", [m.epochs_to_100 or "never" for m in measurements]),
        ("Final accuracy", [f"{m.final_accuracy:.1%}" for m in measurements]),
    ]
    titles = [impls.get(m.impl).title for m in measurements]
    lines = ["| Measure | " + " | ".join(titles) + " |", "|---|" + "---:|" * len(titles)]
    lines += [f"| {name} | " + " | ".join(map(str, cells)) + " |" for name, cells in rows]
    return "\n".join(lines)


# --8<-- [end:table]
