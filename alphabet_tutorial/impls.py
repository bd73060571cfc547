"""The implementations of the next-letter model, listed once.

The CLI's `--impl` choices, the comparison, the screenshots, the benchmark and the tests
all iterate over `IMPLS`: another implementation is one more entry here (and a module
with a `train` function and a model builder). Modules are imported when first used, so
listing them costs no TensorFlow import.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from alphabet_tutorial.config import Config


@dataclass(frozen=True)
class Impl:
    name: str  # on the command line, in weight files and log directories
    title: str  # in the comparison table
    module: str  # the module with `train(config, logdir=None, progress=None)`
    builder: str  # its function or class making an untrained model from a Config
    filename: str  # its source file in the package
    sections: tuple[str, ...]  # the snippet sections the comparison counts (compare.RULE)
    backends: tuple[str, ...] = ("tensorflow",)  # the Keras backends it runs on

    def train(self, config: Config = Config(), logdir=None, progress=None, stop_at_100=False):
        """Train from `config`; returns (model, History). Logs to `logdir` if given; with
        `stop_at_100`, stops after the first epoch that gets every window right."""
        module = importlib.import_module(self.module)
        return module.train(config, logdir=logdir, progress=progress, stop_at_100=stop_at_100)

    def build(self, config: Config = Config()):
        """An untrained model: a callable from windows (batch, window, 26) to (batch, 26)."""
        return getattr(importlib.import_module(self.module), self.builder)(config)

    def from_weights(self, config: Config, weights):
        """A model holding `weights`, the five arrays of `get_weights()` (either implementation)."""
        model = self.build(config)
        model.set_weights(weights)
        return model


IMPLS = {
    impl.name: impl
    for impl in (
        Impl(
            "lowlevel",
            "Low-level TensorFlow",
            "alphabet_tutorial.lowlevel",
            "LowLevelLSTM",
            "lowlevel.py",
            ("init", "cell", "model", "adam", "step", "loop", "run", "logging"),
        ),
        Impl(
            "keras",
            "Keras",
            "alphabet_tutorial.keras_model",
            "build_sequential",
            "keras_model.py",
            ("sequential", "compile", "monitor", "train", "graph"),
            ("tensorflow", "jax", "torch"),  # alphabet_tutorial/backends.py
        ),
    )
}
NAMES = tuple(IMPLS)


def get(name: str) -> Impl:
    """The implementation called `name`; ValueError naming it if there is none."""
    if not isinstance(name, str) or name not in IMPLS:
        raise ValueError(f"impl must be one of {', '.join(NAMES)}, got {name!r}")
    return IMPLS[name]
