"""Fill the chapters' prose with numbers computed from the package at build time.

A chapter never types a number that the code decides (a window count, a parameter
count, a shape, a hyperparameter): it writes a placeholder such as `{{ units }}`, and
this hook replaces it with the value read from `Config()` and the package, so changing a
default in `alphabet_tutorial/config.py` changes every page. `tests/test_prose_facts.py`
renders the chapters with a changed config and checks that no old number remains.

It also renders LaTeX (`$$ ... $$` blocks, `\\( ... \\)` inline) to MathML at build time,
so the equations need no script and load nothing from another host.
"""

from __future__ import annotations

import functools
import inspect
import math
import re

from alphabet_site.gpu_figures import gpu_facts
from alphabet_site.maths import to_mathml

PLACEHOLDER = re.compile(r"\{\{\s*(?P<name>\w+)\s*\}\}")
MATH_BLOCK = re.compile(r"^(?P<indent>[ \t]*)\$\$\n(?P<tex>.*?)\n[ \t]*\$\$[ \t]*$", re.S | re.M)
MATH_INLINE = re.compile(r"\\\((?P<tex>.+?)\\\)")
WORDS = "zero one two three four five six seven eight nine ten".split()


def number_word(number: int) -> str:
    return WORDS[number] if 0 <= number < len(WORDS) else str(number)


def facts(config=None) -> dict[str, str]:
    """Every number the prose states, computed from `config` (default: `Config()`)."""
    if config is None:
        return default_facts()
    return computed_facts(config)


@functools.cache
def default_facts() -> dict[str, str]:
    from alphabet_tutorial import Config

    return computed_facts(Config())


def computed_facts(config) -> dict[str, str]:
    from importlib import metadata

    import tensorflow as tf

    from alphabet_tutorial import lowlevel
    from alphabet_tutorial.compare import REPEATS
    from alphabet_tutorial.lowlevel import Adam
    from alphabet_tutorial.sources import code_lines, section
    from alphabet_tutorial.task import NUM_LETTERS, windows

    pairs = windows(config.window, config.wrap)
    model = lowlevel.LowLevelLSTM(config)  # the counts are read from its variables
    lstm = sum(int(tf.size(variable)) for variable in model.cell.trainable_variables)
    total = model.count_params()
    units = config.units
    batches = -(-config.train_size // config.batch_size)
    steps = config.epochs * batches  # the recap's training, every epoch run
    beta_2 = adam_defaults(Adam)["beta_2"]
    return {
        "window": str(config.window),
        "window_word": number_word(config.window),
        "units": str(units),
        "gates_width": str(4 * units),
        "epochs": str(config.epochs),
        "batch_size": str(config.batch_size),
        "learning_rate": f"{config.learning_rate:g}",
        "train_size": f"{config.train_size:,}",
        "seed": str(config.seed),
        "letters": str(NUM_LETTERS),
        "windows": str(len(pairs)),
        "first_window": f"{pairs[0][0]} -> {pairs[0][1]}",
        "last_window": f"{pairs[-1][0]} -> {pairs[-1][1]}",
        "first_prompt": pairs[0][0],
        "first_answer": pairs[0][1],
        "lstm_parameters": f"{lstm:,}",
        "dense_parameters": f"{total - lstm:,}",
        "parameters": f"{total:,}",
        "batches_per_epoch": str(batches),
        "batch_average": (  # the two ways of averaging a loss over an epoch's batches
            "the same here, where every batch is full"
            if config.train_size % config.batch_size == 0
            else "here the last batch is smaller, so they differ a little"
        ),
        "train_steps": str(steps),
        **{name: latex_number(value) for name, value in adam_defaults(Adam).items()},
        "adam_epsilon_first": f"{epsilon_scale(beta_2, 1):.1f}",
        "adam_epsilon_last": f"{epsilon_scale(beta_2, steps):.1f}",
        "cell_lines": str(code_lines(section(inspect.getsource(lowlevel), "cell"))),
        "repeats": str(REPEATS),
        "python_min": metadata.metadata("alphabet-tutorial")["Requires-Python"].removeprefix(">="),
        **gpu_facts(),  # recorded once on a GPU machine, not computed here
    }


def latex_number(value: float) -> str:
    """A number as the equations write it: 0.9 stays 0.9, 1e-07 becomes 10^{-7}."""
    text = f"{value:g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa == "1" else rf"{mantissa} \times {power}"


def adam_defaults(optimizer) -> dict[str, float]:
    """beta_1, beta_2 and epsilon: the defaults of the package's Adam (Keras's own)."""
    parameters = inspect.signature(optimizer.__init__).parameters
    return {name: parameters[name].default for name in ("beta_1", "beta_2", "epsilon")}


def epsilon_scale(beta_2: float, step: int) -> float:
    """How much larger Keras's Adam epsilon is at `step`, written in the Adam paper's
    Algorithm 1 form: epsilon / sqrt(1 - beta_2**step)."""
    return 1 / math.sqrt(1 - beta_2**step)


def render(markdown: str, values: dict[str, str]) -> str:
    """Replace every `{{ name }}`; an unknown name is an error, never left on the page."""

    def value(match: re.Match) -> str:
        name = match["name"]
        if name not in values:
            raise ValueError(f"unknown fact {{{{ {name} }}}}: known are {', '.join(values)}")
        return values[name]

    return PLACEHOLDER.sub(value, markdown)


def mathml(markdown: str) -> str:
    """LaTeX to MathML, rendered here rather than by a script in the browser."""

    def block(match: re.Match) -> str:
        html = to_mathml(match["tex"].strip(), display=True)
        return f'{match["indent"]}<div class="equation">{html}</div>'

    def inline(match: re.Match) -> str:
        # Markdown counts <math> as a block-level tag: at the start of a source line it
        # would end the paragraph. Inside a <span> it stays in the sentence.
        return f'<span class="math">{to_mathml(match["tex"].strip())}</span>'

    return MATH_INLINE.sub(inline, MATH_BLOCK.sub(block, markdown))


def on_page_markdown(markdown: str, page, config, files) -> str:
    return mathml(render(markdown, facts()))
