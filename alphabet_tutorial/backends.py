"""One Keras model, three backends: the package's Keras model trained on TensorFlow, JAX
and PyTorch from one config, each in its own process, and its `.keras` file carried
from each backend to the others.

Keras fixes its backend when it is first imported, so every backend gets a process of
its own: a worker (`python -m alphabet_tutorial.backends`, started with KERAS_BACKEND
set) that answers one JSON request per line. The parent never imports a backend. It
starts all the workers at once so that their imports overlap, then lets each train
alone, in turn, so that no timing competes with another backend's, and finally has
each load the `.keras` files the others saved.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from alphabet_tutorial import env, impls
from alphabet_tutorial.config import Config

BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}  # backend: module
EXTRA = "backends"  # the extra that installs JAX and PyTorch
PROMPTS = ("abc", "klm", "wxy")


def is_installed(backend: str) -> bool:
    """Whether this Python can import the backend's library (without importing it)."""
    return importlib.util.find_spec(BACKENDS[backend]) is not None


def check_backend(backend: str) -> None:
    """ValueError naming the problem when `backend` is unknown or not installed."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: choose from {', '.join(BACKENDS)}")
    if not is_installed(backend):
        raise ValueError(
            f"the {backend} backend is not installed ({BACKENDS[backend]} cannot be imported): "
            f"pip install 'alphabet-tutorial[{EXTRA}]'"
        )


# --8<-- [start:env]
def backend_env(backend: str) -> dict[str, str]:
    """The environment of a process whose Keras runs on `backend`.

    PyTorch's OpenMP threads spin while they wait for work; on a busy 2-core machine that
    made its epochs 20 to 40 times slower. Waiting passively costs nothing when idle.
    """
    return {"OMP_WAIT_POLICY": "PASSIVE", **os.environ, "KERAS_BACKEND": backend}


# --8<-- [end:env]


@dataclass(frozen=True)
class BackendRun:
    """One backend's training of one implementation, measured in its own process."""

    backend: str
    impl: str
    version: str  # of the backend's library
    tensor_type: str  # what calling the model returns on this backend
    final_accuracy: float  # on every window, after the last epoch
    epochs_to_100: int | None  # first epoch predicting every window right
    first_epoch_seconds: float  # includes tracing or compiling the training step
    epoch_seconds: float  # median of the later, warmed epochs (and of the repeats)
    predictions: dict[str, str]  # prompt -> predicted next letter
    # backend whose `.keras` file this one loaded -> largest difference of the
    # probabilities on every window from what that backend itself predicted
    loaded: dict[str, float] = field(default_factory=dict)


# --- the worker: one process, one backend ------------------------------------------------


def train_in_worker(config: dict, impl: str, repeats: int, save: str | None) -> dict:
    """Train `repeats` times from the same config; the figures and the last model's outputs."""
    import keras

    from alphabet_tutorial.evaluation import as_array, predict_next
    from alphabet_tutorial.task import evaluation_set

    config_ = Config(**config)
    runs = [impls.get(impl).train(config_) for _ in range(repeats)]
    model, history = runs[-1]
    output = model(evaluation_set(config_)[0])
    if save:
        model.save(save)
    library = importlib.import_module(BACKENDS[keras.config.backend()])
    return {
        "backend": keras.config.backend(),
        "impl": impl,
        "version": library.__version__,
        "tensor_type": f"{type(output).__module__}.{type(output).__qualname__}",
        "final_accuracy": history.eval_accuracy[-1],
        "epochs_to_100": history.epochs_to_100,
        "first_epoch_seconds": statistics.median(h.epoch_seconds[0] for _, h in runs),
        "epoch_seconds": statistics.median(statistics.median(h.epoch_seconds[1:]) for _, h in runs),
        "predictions": {text: predict_next(model, text, config_)[0][0] for text in PROMPTS},
        "probabilities": as_array(output).tolist(),  # (windows, 26)
    }


# --8<-- [start:load]
def load_in_worker(config: dict, paths: dict[str, str]) -> dict:
    """Each `.keras` file loaded on this backend: its probabilities on every window."""
    import keras

    from alphabet_tutorial.task import evaluation_set

    inputs, _ = evaluation_set(Config(**config))
    # compile=False: the saved optimizer is the saving backend's own class.
    loaded = {name: keras.saving.load_model(path, compile=False) for name, path in paths.items()}
    return {name: keras.ops.convert_to_numpy(m(inputs)).tolist() for name, m in loaded.items()}


# --8<-- [end:load]


def worker() -> None:
    """Answer one JSON request per line on stdin with one JSON line on stdout."""
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever a library prints goes to stderr, never into the replies
    env.setup()
    import keras

    import alphabet_tutorial.keras_model  # noqa: F401  (imported while the others import)

    handlers: dict[str, Callable[..., dict]] = {"train": train_in_worker, "load": load_in_worker}
    replies.write(json.dumps({"ready": keras.config.backend()}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        replies.write(json.dumps(handlers[request["do"]](**request["args"])) + "\n")


# --- the parent: starts the workers, takes their turns, compares -------------------------


class Worker:
    """A worker process on one backend, asked one request at a time. Its temporary files
    (autograph's sources, PyTorch's compile cache) go to a directory removed at close."""

    def __init__(self, backend: str):
        check_backend(backend)
        self.backend = backend
        self.log = tempfile.TemporaryFile(mode="w+")
        self.scratch = tempfile.mkdtemp(prefix=f"alphabet-{backend}-")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "alphabet_tutorial.backends"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env={**backend_env(backend), "TMPDIR": self.scratch},
        )
        assert self.process.stdin is not None and self.process.stdout is not None  # the pipes
        self.requests, self.replies = self.process.stdin, self.process.stdout

    def reply(self) -> dict:
        line = self.replies.readline()
        if not line:
            self.process.wait()
            self.log.seek(0)
            lines = [text for text in self.log.read().splitlines() if text.strip()]
            last = lines[-1] if lines else "no output"
            raise RuntimeError(
                f"the {self.backend} worker stopped (exit {self.process.returncode}): {last}"
            )
        return json.loads(line)

    def ask(self, do: str, **args) -> dict:
        self.requests.write(json.dumps({"do": do, "args": args}) + "\n")
        self.requests.flush()
        return self.reply()

    def close(self) -> None:
        """End the worker (closing its input ends it) and release its pipes and log."""
        self.requests.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.replies.close()
        self.log.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def compare_backends(
    backends=tuple(BACKENDS), config: Config = Config(), repeats: int = 1, names=("keras",)
) -> list[BackendRun]:
    """Each implementation in `names` trained on each of `backends` it runs on, one process
    each, in that order; the `.keras` file of every model that runs on several backends is
    loaded on the others."""
    for backend in backends:
        check_backend(backend)
    jobs = [(b, name) for name in names for b in backends if b in impls.get(name).backends]
    portable = [(b, name) for b, name in jobs if len(impls.get(name).backends) > 1]
    with tempfile.TemporaryDirectory(prefix="alphabet-backends-") as directory:
        files = {job: str(Path(directory) / f"{job[1]}-{job[0]}.keras") for job in portable}
        workers: dict[tuple[str, str], Worker] = {}
        try:
            for job in jobs:
                workers[job] = Worker(job[0])  # started together: their imports overlap
            for worker_ in workers.values():
                worker_.reply()  # ready
            trained = {  # one at a time, so that no timing competes with another's
                job: worker_.ask(
                    "train",
                    config=config.as_dict(),
                    impl=job[1],
                    repeats=repeats,
                    save=files.get(job),
                )
                for job, worker_ in workers.items()
            }
            loaded = {
                job: workers[job].ask(
                    "load",
                    config=config.as_dict(),
                    paths={other[0]: path for other, path in files.items() if other != job},
                )
                for job in portable
            }
        finally:
            for worker_ in workers.values():
                worker_.close()
    runs = []
    for (backend, name), figures in trained.items():
        differences = {
            saved_on: largest_difference(probabilities, trained[saved_on, name]["probabilities"])
            for saved_on, probabilities in loaded.get((backend, name), {}).items()
        }
        figures = {key: value for key, value in figures.items() if key != "probabilities"}
        runs.append(BackendRun(**figures, loaded=differences))
    return runs


def largest_difference(first, second) -> float:
    import numpy as np

    return float(np.max(np.abs(np.asarray(first) - np.asarray(second))))


# --8<-- [start:table]
def format_backend_table(runs: list[BackendRun]) -> str:
    """A Markdown table: one row per backend and implementation."""
    lines = [
        "| Backend | Version | Accuracy on every window | Epochs to 100 % "
        "| First epoch (s) | Later epochs (s, median) | Predictions |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        name = f"{run.backend} ({impls.get(run.impl).title})"
        predictions = ", ".join(f"{text} → {letter}" for text, letter in run.predictions.items())
        lines.append(
            f"| {name} | {run.version} | {run.final_accuracy:.1%} | {run.epochs_to_100 or 'never'} "
            f"| {run.first_epoch_seconds:.3f} | {run.epoch_seconds:.3f} | {predictions} |"
        )
    return "\n".join(lines)


# --8<-- [end:table]


def format_round_trip(runs: list[BackendRun]) -> str:
    """A Markdown table: the file saved on one backend (row), loaded on another (column)."""
    keras_runs = [run for run in runs if run.loaded]
    names = [run.backend for run in keras_runs]
    lines = ["| saved on ↓ · loaded on → | " + " | ".join(names) + " |"]
    lines.append("|---|" + "---:|" * len(names))
    for saved_on in names:
        cells = [
            "–" if run.backend == saved_on else f"{run.loaded[saved_on]:.1e}" for run in keras_runs
        ]
        lines.append(f"| {saved_on} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    worker()
