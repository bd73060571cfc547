"""Train both implementations from one config and measure them side by side.

Lines of code are counted in the package's own source, in the snippet sections the
tutorial shows (comments, docstrings and blank lines left out), so the table follows
the code as it changes.
"""

from __future__ import annotations

import ast
import io
import re
import time
import tokenize
from dataclasses import dataclass
from pathlib import Path

from alphabet_tutorial.config import Config

PACKAGE = Path(__file__).parent
# The sections of each module that make up the model and its training.
SECTIONS = {
    "lowlevel": ("lowlevel.py", ("init", "cell", "model", "adam", "train")),
    "keras": ("keras_model.py", ("sequential", "compile", "train")),
}
IMPLS = tuple(SECTIONS)


def code_lines(source: str) -> int:
    """Lines that hold code: no blank lines, comments or docstrings."""
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
    skip = {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skip:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstrings)


def section(source: str, name: str) -> str:
    """The text between `# --8<-- [start:name]` and `# --8<-- [end:name]`."""
    match = re.search(
        rf"^[ \t]*# --8<-- \[start:{name}\]\n(.*?)^[ \t]*# --8<-- \[end:{name}\]",
        source,
        re.S | re.M,
    )
    if match is None:
        raise ValueError(f"no snippet section {name!r} in the source")
    return match.group(1)


def lines_of_code(impl: str) -> int:
    """Code lines of one implementation's model and training, read from the package."""
    if impl not in SECTIONS:
        raise ValueError(f"unknown implementation {impl!r}: choose from {', '.join(IMPLS)}")
    filename, names = SECTIONS[impl]
    source = (PACKAGE / filename).read_text()
    return sum(code_lines(section(source, name)) for name in names)


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
    if impl == "lowlevel":
        from alphabet_tutorial.lowlevel import train
    elif impl == "keras":
        from alphabet_tutorial.keras_model import train
    else:
        raise ValueError(f"unknown implementation {impl!r}: choose from {', '.join(IMPLS)}")
    started = time.perf_counter()
    model, history = train(config)
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
    """Both implementations trained from the same config: [low-level, Keras]."""
    return [measure(impl, config) for impl in IMPLS]


# --8<-- [start:table]
def format_table(measurements: list[Measurement]) -> str:
    """A Markdown table: one row per figure, one column per implementation."""
    by_impl = {m.impl: m for m in measurements}
    low, keras = by_impl["lowlevel"], by_impl["keras"]
    rows = [
        ("Lines of code", low.lines_of_code, keras.lines_of_code),
        ("Parameters", f"{low.parameters:,}", f"{keras.parameters:,}"),
        ("Training time (s)", f"{low.train_seconds:.1f}", f"{keras.train_seconds:.1f}"),
        ("Epochs to 100 %", low.epochs_to_100 or "never", keras.epochs_to_100 or "never"),
        ("Final accuracy", f"{low.final_accuracy:.1%}", f"{keras.final_accuracy:.1%}"),
    ]
    lines = ["| | Low-level TensorFlow | Keras |", "|---|---:|---:|"]
    lines += [f"| {name} | {a} | {b} |" for name, a, b in rows]
    return "\n".join(lines)


# --8<-- [end:table]
