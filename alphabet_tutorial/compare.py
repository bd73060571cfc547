"""Train both implementations from one config and measure them like a benchmark.

Lines of code follow one rule for both sides (`RULE`), counted in the snippet sections
the tutorial shows, read from the package's own source. Speed is measured per epoch,
after a warm-up, with the implementations interleaved over several repeats (one seed
per repeat), and reported as medians with their spread; each run stops at its first
epoch at 100%, which also gives the epochs to 100% over the seeds.
`KnobRounds` holds the timings of Keras models built with different knobs, trained in
turns (`knobs.time_knobs`), each against the first model's epochs of the same round, and
weighs what a knob saves per warm epoch against what its start (first two epochs) costs.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from alphabet_tutorial import impls
from alphabet_tutorial.config import Config
from alphabet_tutorial.display import Markdown, table
from alphabet_tutorial.machine import processor
from alphabet_tutorial.sources import section_code_lines
from alphabet_tutorial.task import check_positive_integer

RULE = (
    "everything each implementation needs to build the model, train it, score every "
    "window after each epoch, report progress and log to TensorBoard: the model and its "
    "initialisation, the loss, the optimiser, the training step and loop, per-epoch "
    "scoring and timing, and TensorBoard logging. Comments, docstrings and blank lines "
    "are left out."
)
REPEATS = 5  # training runs per implementation, one seed each


def lines_of_code(impl: str) -> int:
    """Code lines of one implementation under `RULE`: its sections in the registry."""
    entry = impls.get(impl)
    return section_code_lines(entry.filename, entry.sections)


@dataclass(frozen=True)
class Run:
    """One training run, stopped at its first epoch at 100%."""

    impl: str
    seed: int
    epochs_to_100: int | None
    final_accuracy: float
    epoch_seconds: list[float]  # every epoch after the first (which includes tracing)


@dataclass
class Comparison:
    config: Config
    lines: dict[str, int]
    parameters: dict[str, int]
    runs: dict[str, list[Run]] = field(default_factory=dict)
    machine: dict[str, str] = field(default_factory=dict)
    seconds: float = math.nan  # the whole comparison's wall-clock time, warm-up included

    def epoch_seconds(self, impl: str) -> list[float]:
        """Per-epoch time of each repeat: the median of its warmed epochs."""
        return [statistics.median(r.epoch_seconds) for r in self.runs[impl] if r.epoch_seconds]

    def ratio(self) -> float:
        """Keras's per-epoch time over the low-level one: the median of the run-by-run
        ratios, which a load that slows both sides of one repeat leaves alone."""
        ratios = self.ratios()
        return statistics.median(ratios) if ratios else math.nan

    def ratios(self) -> list[float]:
        """The same ratio repeat by repeat (the two sides of a repeat ran one after the
        other, so they shared the machine's load of that moment)."""
        pairs = zip(self.runs["keras"], self.runs["lowlevel"], strict=True)
        return [
            statistics.median(keras.epoch_seconds) / statistics.median(low.epoch_seconds)
            for keras, low in pairs
            if keras.epoch_seconds and low.epoch_seconds
        ]

    def epochs_to_100(self, impl: str) -> list[int | None]:
        return [run.epochs_to_100 for run in self.runs[impl]]

    def as_dict(self) -> dict:
        """Every figure, for JSON."""
        return {
            "config": self.config.as_dict(),
            "rule": RULE,
            "machine": self.machine,
            "seconds": self.seconds,
            "epoch_time_ratio_keras_over_lowlevel": self.ratio(),
            "epoch_time_ratio_per_repeat": self.ratios(),
            "impls": {
                impl: {
                    "lines_of_code": self.lines[impl],
                    "parameters": self.parameters[impl],
                    "epoch_seconds_per_repeat": self.epoch_seconds(impl),
                    "epochs_to_100_per_seed": self.epochs_to_100(impl),
                    "final_accuracy_per_seed": [run.final_accuracy for run in self.runs[impl]],
                }
                for impl in self.runs
            },
        }


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    import keras
    import tensorflow as tf

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {
        "cpu": processor(),
        "load": f"{load:.1f}",
        "versions": f"Python {platform.python_version()}, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}",
    }


def one_run(impl: str, config: Config) -> tuple[Run, int]:
    """Train `impl` until its first epoch at 100% (or `config.epochs`)."""
    model, history = impls.get(impl).train(config, stop_at_100=True)
    run = Run(
        impl,
        config.seed,
        history.epochs_to_100,
        history.eval_accuracy[-1],
        history.epoch_seconds[1:],
    )
    return run, int(model.count_params())


def in_turn(names: Sequence[str], round_: int) -> list[str]:
    """The order of one round: as given, then reversed, and so on, so that no name is
    always timed first or last."""
    return list(names) if round_ % 2 == 0 else list(names)[::-1]


def compare(config: Config = Config(), repeats: int = REPEATS) -> Comparison:
    """Both implementations, warmed up, then trained `repeats` times each, interleaved
    (the order alternates), repeat r with seed `config.seed + r`."""
    check_positive_integer("repeats", repeats)
    started = time.perf_counter()
    result = Comparison(config, {impl: lines_of_code(impl) for impl in impls.NAMES}, {})
    result.machine = machine()
    for impl in impls.NAMES:  # warm-up: one-off costs of the process, charged to neither
        one_run(impl, config.replace(epochs=1, train_size=config.batch_size))
    result.runs = {impl: [] for impl in impls.NAMES}
    for repeat in range(repeats):
        for impl in in_turn(impls.NAMES, repeat):
            run, parameters = one_run(impl, config.replace(seed=config.seed + repeat))
            result.runs[impl].append(run)
            result.parameters[impl] = parameters
    result.seconds = time.perf_counter() - started
    return result


def spread(values: list[float], unit: str = "", digits: int = 1) -> str:
    """`median (min to max)`."""
    if not values:
        return "not measured"
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:.{digits}f}{unit} ({low:.{digits}f} to {high:.{digits}f})"


# --8<-- [start:table]
def format_table(result: Comparison) -> Markdown:
    """A Markdown table: one row per figure, one column per implementation."""

    def reached(impl: str) -> str:
        epochs = result.epochs_to_100(impl)
        reached = [float(epoch) for epoch in epochs if epoch is not None]
        if len(reached) < len(epochs):
            return f"{len(epochs) - len(reached)} of {len(epochs)} runs never"
        return spread(reached, digits=0)

    def accuracy(impl: str) -> str:
        return ", ".join(f"{run.final_accuracy:.0%}" for run in result.runs[impl])

    rows = [
        ("Lines of code", lambda impl: str(result.lines[impl])),
        ("Parameters", lambda impl: f"{result.parameters[impl]:,}"),
        (
            "Time per epoch, ms: median (range)",
            lambda impl: spread([1000 * s for s in result.epoch_seconds(impl)]),
        ),
        ("Epochs to 100%: median (range)", reached),
        ("Accuracy at the end of each run", accuracy),
    ]
    lines = ["| Measure | " + " | ".join(impls.get(i).title for i in impls.NAMES) + " |"]
    lines.append("|---|" + "---:|" * len(impls.NAMES))
    lines += [
        f"| {name} | " + " | ".join(cell(i) for i in impls.NAMES) + " |" for name, cell in rows
    ]
    return Markdown("\n".join(lines))


# --8<-- [end:table]


def format_summary(result: Comparison) -> Markdown:
    """The timing figures, for under the table: which side was faster, and by how much
    from repeat to repeat."""
    ratio, ratios = result.ratio(), result.ratios()
    if math.isnan(ratio) or not ratios:
        return Markdown(
            "Some runs stopped after their first epoch, so there was no warmed epoch to time."
        )
    if ratio > 1.1:
        verdict = f"Keras took {ratio:.1f}× as long as the low-level loop"
    elif ratio < 1 / 1.1:
        verdict = f"Keras was {1 / ratio:.1f}× as fast as the low-level loop"
    else:
        verdict = "the two took about the same time (within 10%)"
    summary = (
        f"Per epoch, {verdict}: the median over {len(ratios)} runs of each run's own ratio, "
        f"which went from {min(ratios):.1f}× to {max(ratios):.1f}×. The table's two medians "
        "may come from different runs, so dividing one by the other can give another figure."
    )
    return Markdown(summary)


def widest(result: Comparison) -> list[str]:
    """The sentence that gives the times behind the ratio farthest from the median: each
    side's epoch in that run, beside that side's median, so the reader sees which one was
    out of line (none when every run gave the same ratio, when both of that run's epochs lie
    within 5% of their medians, or when some run has no warmed epoch to pair). Its words are
    the same whichever side it was: only measured numbers change from one build to the next."""
    ratios = result.ratios()
    runs = {impl: result.epoch_seconds(impl) for impl in impls.NAMES}
    if len(set(ratios)) < 2 or any(len(seconds) != len(ratios) for seconds in runs.values()):
        return []
    median = statistics.median(ratios)
    far = max(range(len(ratios)), key=lambda r: abs(math.log(ratios[r] / median)))
    if all(abs(math.log(runs[impl][far] / statistics.median(runs[impl]))) < 0.05 for impl in runs):
        return []  # that run's epochs were both typical: the others' pairing made the spread

    def epoch(impl: str) -> str:  # that run's epoch, and the side's median over the runs
        return (
            f"{1000 * runs[impl][far]:.1f} ms (median "
            f"{1000 * statistics.median(runs[impl]):.1f} ms)"
        )

    return [
        f"The ratio farthest from the median, {ratios[far]:.1f}×, comes from a run whose "
        f"Keras epoch took {epoch('keras')} and whose low-level epoch took "
        f"{epoch('lowlevel')}."
    ]


def format_method(result: Comparison) -> Markdown:
    """Where the lines were counted, how time was measured, on what machine, and which
    run's time stretched the ratios' range the most."""
    config, repeats = result.config, len(result.runs["keras"])
    took = "" if math.isnan(result.seconds) else f" The comparison took {result.seconds:.0f} s."
    return Markdown(
        "Lines of code were counted in the package's own source, in the sections these "
        f"chapters show. After one warm-up run of each, both implementations were trained "
        f"{repeats} times, interleaved (the order alternates), run *r* with seed "
        f"{config.seed} + *r*; each run stopped at its first epoch at 100%. An epoch is "
        "timed from its start to the end of the epoch's training (for Keras, "
        "`on_epoch_end`), data handling included, before every window is scored; the first "
        "epoch of each run, which traces the training step, is left out. Measured on "
        f"{result.machine['cpu']} (load average {result.machine['load']} when it started, "
        f"other work sharing the cores), with {result.machine['versions']}.{took}"
        + "".join(f" {sentence}" for sentence in widest(result))
    )


def number_of_epochs(count: int) -> str:
    """ "epoch", "two epochs", "3 epochs": as the verdicts name a start."""
    return {1: "epoch", 2: "two epochs"}.get(count, f"{count} epochs")


class KnobRounds:
    """Warm epochs of models that take turns, one epoch each per round; each is judged
    against the epoch of the first model, the baseline, in the same round."""

    START_MARGIN = 1.5  # a start costs extra only beyond this factor: it is timed once

    def __init__(self, names: Sequence[str]) -> None:
        if not names:
            raise ValueError("names must hold at least one model: the first is the baseline")
        self.seconds: dict[str, list[float]] = {name: [] for name in names}  # round by round
        self.in_calls: dict[str, list[float]] = {name: [] for name in names}  # in the step

    def add(self, name: str, seconds: list[float], in_calls: list[float]) -> None:
        """Record the epochs `fit_timed` gave for `name`: their times, and the parts of
        them spent in calls to the training step."""
        self._check_known(name)
        self.seconds[name] += seconds
        self.in_calls[name] += in_calls

    def _check_known(self, name: str, start: dict[str, list[float]] | None = None) -> None:
        if name not in self.seconds:
            raise ValueError(f"unknown model {name!r}: expected one of {list(self.seconds)}")
        if start is None:
            return
        missing = [model for model in self.seconds if model not in start]
        if missing:
            raise ValueError(f"start holds no epochs of {', '.join(map(repr, missing))}")
        if len({len(start[model]) for model in self.seconds}) != 1:
            raise ValueError("start must hold as many epochs for every model")

    @property
    def baseline(self) -> str:
        return next(iter(self.seconds))

    def to_baseline(self, name: str) -> list[float]:
        """The model's epoch over the baseline's epoch of the same round, round by round."""
        pairs = zip(self.seconds[name], self.seconds[self.baseline], strict=True)
        return [seconds / baseline for seconds, baseline in pairs]

    def around(self, name: str) -> list[float]:
        """The model's epochs outside the calls to the step, round by round: `fit`'s own work."""
        pairs = zip(self.seconds[name], self.in_calls[name], strict=True)
        return [epoch - in_calls for epoch, in_calls in pairs]

    def found(self, name: str) -> str:
        """What the rounds say of the model against the baseline."""
        ratios = self.to_baseline(name)  # its warm epoch over the default model's, by round
        if max(ratios) < 1:
            return "faster in every round"
        if min(ratios) > 1:
            return "slower in every round"
        return "within the rounds' spread"

    def saved(self, name: str) -> float:
        """Seconds a warm epoch saves: the median of the rounds' savings, if sure."""
        if self.found(name) == "within the rounds' spread":
            return 0.0
        pairs = zip(self.seconds[self.baseline], self.seconds[name], strict=True)
        return statistics.median(baseline - seconds for baseline, seconds in pairs)

    def extra_start(self, name: str, start: dict[str, list[float]]) -> float:
        """Seconds the model's start (`start`: each model's epochs before the rounds, the
        first of which traces the step) costs beyond the baseline's, if clearly more."""
        self._check_known(name, start)
        mine, baseline = sum(start[name]), sum(start[self.baseline])
        return 0.0 if mine <= self.START_MARGIN * baseline else mine - baseline

    def repaid(self, name: str, start: dict[str, list[float]]) -> str:
        """Whether the warm epochs make up for what the model's start clearly costs beyond
        the baseline's, and after how many."""
        extra = self.extra_start(name, start)
        if extra == 0:
            return "no clear extra cost"
        if self.saved(name) <= 0:
            return "no sure saving to repay it"
        epochs = math.ceil(extra / self.saved(name))
        return f"repaid after {epochs} warm epoch{'s' * (epochs != 1)}"

    def worth_it(self, name: str, start: dict[str, list[float]], epochs: int) -> bool:
        """Whether the knob pays off over a run of `epochs` epochs: faster in every round,
        and any clear extra cost of its start repaid by the warm epochs after it."""
        if self.found(name) != "faster in every round":
            return False
        warm = epochs - len(start[name])
        return self.extra_start(name, start) <= warm * self.saved(name)

    def verdicts(self, start: dict[str, list[float]], epochs: int) -> list[str]:
        """Print each knob's verdicts (its warm epochs against the baseline's, the default
        model's, round by round; its start against the baseline's) and the knobs worth
        turning on for a run of `epochs` epochs; return those."""
        check_positive_integer("epochs", epochs)
        knobs = list(self.seconds)[1:]
        for name in knobs:
            ratios = self.to_baseline(name)  # its warm epoch over the baseline's, by round
            print(
                f"{name}: a warm epoch took {statistics.median(ratios):.2f}× as long as the "
                f"default model's ({min(ratios):.2f}× to {max(ratios):.2f}×), "
                f"{self.found(name)}"
            )
            mine, baseline = (1000 * sum(start[model]) for model in (name, self.baseline))
            print(
                f"  first {number_of_epochs(len(start[name]))} {mine:.0f} ms, the "
                f"default model's {baseline:.0f} ms: {self.repaid(name, start)}"
            )
        worth = [name for name in knobs if self.worth_it(name, start, epochs)]
        print(
            f"worth turning on for a run of {epochs} epochs: {', '.join(worth) or 'none of them'}"
        )
        return worth

    def table(self) -> Markdown:
        """Per model: the median epoch, its two parts, and its ratio to the baseline."""

        def ms(seconds: list[float]) -> str:
            return f"{1000 * statistics.median(seconds):.0f} ms"

        header = ["Knob", "Warm epoch: median", "In calls to the step", "Around them"]
        rows = [
            [
                name,
                ms(seconds),
                ms(self.in_calls[name]),
                ms(self.around(name)),
                spread(self.to_baseline(name), unit="×", digits=2),
            ]
            for name, seconds in self.seconds.items()
        ]
        return table([*header, f"Warm epoch against {self.baseline}: median (range)"], rows)
