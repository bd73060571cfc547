"""One Keras model, three backends: the package's Keras model trained on TensorFlow, JAX
and PyTorch from one config, each in its own process, and its `.keras` file carried
from each backend to the others.

Keras fixes its backend when it is first imported, so every backend gets a process of
its own (`python -m alphabet_tutorial.backends BACKEND`, which sets KERAS_BACKEND), which
answers requests (alphabet_tutorial/processes.py). The parent never imports a backend.
It starts all the backend processes at once so that their imports overlap, then lets
each train alone, in turn, so that no timing competes with another backend's, and
finally has all of them load, at once, the `.keras` files the others saved.

A process that knows it will compare later (the site build) starts the backend processes
early with `start_processes`: their imports then overlap with its own work, and
`compare_backends` takes them when it runs. A backend process ends when its input closes,
so it also ends when its parent dies, however that happens.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from alphabet_tutorial import env, impls
from alphabet_tutorial.config import Config
from alphabet_tutorial.display import Markdown
from alphabet_tutorial.history import warmed_epoch_seconds
from alphabet_tutorial.processes import Child, serve, stop_all

BACKENDS = ("tensorflow", "jax", "torch")  # each is also the name of its library's module
EXTRA = "backends"  # the extra that installs JAX and PyTorch
RUNS_FILE = "backend-runs.json"  # what compare_backends measured, beside the .keras files
PROMPTS = ("abc", "klm", "wxy")


def is_installed(backend: str) -> bool:
    """Whether this Python can import the backend's library (without importing it)."""
    return importlib.util.find_spec(backend) is not None


def check_backend(backend: str) -> None:
    """ValueError naming the problem when `backend` is unknown or not installed."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: choose from {', '.join(BACKENDS)}")
    if not is_installed(backend):
        raise ValueError(
            f"the {backend} backend is not installed ({backend} cannot be imported): "
            f"pip install 'alphabet-tutorial[{EXTRA}]'"
        )


def backend_env(backend: str) -> dict[str, str]:
    """The environment of a process whose Keras runs on `backend`.

    PyTorch's OpenMP threads spin while they wait for work; on a busy 2-core machine that
    made its epochs 20 to 40 times slower. Waiting passively costs nothing when idle. On a
    GPU, the processes share it (`env.SHARE_GPU`).
    """
    return {"OMP_WAIT_POLICY": "PASSIVE", **env.SHARE_GPU, **os.environ, "KERAS_BACKEND": backend}


@dataclass(frozen=True)
class BackendRun:
    """One backend's training of one implementation, measured in its own process."""

    backend: str
    impl: str
    version: str  # of the backend's library
    tensor_type: str  # what calling the model returns on this backend
    final_accuracy: float  # on every window, after the last epoch
    epochs_to_100: int | None  # first epoch predicting every window right
    first_epoch_seconds: float  # of the first training: includes preparing its training step
    epoch_seconds: float  # the warm epoch: median of the epochs after the first (and of repeats)
    predictions: dict[str, str]  # prompt -> predicted next letter
    # `evaluate`'s loss for a model sure of a wrong letter (keras_defaults.confident_mistake_loss):
    # the logit gap where the loss uses the logits, -log(epsilon) where it clips
    confident_mistake_loss: float
    # backend whose `.keras` file this one loaded -> largest difference of the
    # probabilities on every window from what that backend itself predicted
    loaded: dict[str, float] = field(default_factory=dict)


# --- a backend process: one process, one backend ----------------------------------------
# Started as `python -m alphabet_tutorial.backends BACKEND`, which sets KERAS_BACKEND before
# anything imports Keras (the end of this file), so that its `import keras` picks BACKEND.


# --8<-- [start:train]
def train_and_save(config: Config, path: str):
    """The Keras chapter's model trained on this process's backend, then saved to `path`."""
    from alphabet_tutorial.keras_model import train
    from alphabet_tutorial.task import evaluation_set

    model, history = train(config)  # build_sequential, compile and fit, as in the Keras chapter
    windows, _ = evaluation_set(config)  # every window of the alphabet
    outputs = model(windows)  # a tensor of this backend's own type
    model.save(path)  # the layers, their weights, and the compiled optimizer
    return model, history, outputs


# --8<-- [end:train]


# --8<-- [start:load]
def load_and_predict(paths: dict[str, str], config: Config) -> dict:
    """Each `.keras` file of `paths` (backend that saved it -> path) loaded on this
    process's backend: its probabilities on every window, as a NumPy array."""
    import keras

    from alphabet_tutorial.task import evaluation_set

    windows, _ = evaluation_set(config)
    probabilities = {}
    for saved_on, path in paths.items():
        model = keras.saving.load_model(path, compile=False)  # without its optimizer
        probabilities[saved_on] = keras.ops.convert_to_numpy(model(windows))
    return probabilities


# --8<-- [end:load]


def train_on_this_backend(config: dict, impl: str, repeats: int, save: str | None) -> dict:
    """Train `repeats` times from the same config (the last model saved to `save`, if
    given): the figures, and the last model's outputs on every window."""
    import keras

    from alphabet_tutorial.evaluation import predict_next
    from alphabet_tutorial.task import evaluation_set

    settings = Config(**config)
    train = impls.get(impl).train
    runs = [train(settings) for _ in range(repeats - 1)]
    if save is None:  # a model that runs on this backend only (the low-level one)
        model, history = train(settings)
        output = model(evaluation_set(settings)[0])
    else:
        model, history, output = train_and_save(settings, save)
    runs.append((model, history))
    library = importlib.import_module(keras.config.backend())
    return {
        "backend": keras.config.backend(),
        "impl": impl,
        "version": library.__version__,
        "tensor_type": f"{type(output).__module__}.{type(output).__qualname__}",
        "final_accuracy": history.eval_accuracy[-1],
        "epochs_to_100": history.epochs_to_100,
        # The first training's: later ones may find their compiled step in JAX's cache.
        "first_epoch_seconds": runs[0][1].epoch_seconds[0],
        "epoch_seconds": statistics.median(warmed_epoch_seconds(h.epoch_seconds) for _, h in runs),
        "predictions": {text: predict_next(model, text, settings)[0][0] for text in PROMPTS},
        "probabilities": keras.ops.convert_to_numpy(output).tolist(),  # (windows, 26)
        "confident_mistake_loss": CONFIDENT_MISTAKE[0],
    }


def load_on_this_backend(config: dict, paths: dict[str, str]) -> dict:
    """Each `.keras` file loaded on this backend: its probabilities on every window."""
    loaded = load_and_predict(paths, Config(**config))
    return {saved_on: probabilities.tolist() for saved_on, probabilities in loaded.items()}


CONFIDENT_MISTAKE: list[float] = []  # measured once by warm_up, reported with each run


def warm_up() -> None:
    """Build the model and run it once, on every window and on one prompt: the first use
    of each op (JAX compiles every op for its shapes) is paid here, while the other
    backend processes still import, not during the training asked for later. The training step
    itself is traced or compiled afresh for each model, in its first epoch. The loss of a
    confident mistake, which differs by backend, is measured here too, for the same reason."""
    import keras

    from alphabet_tutorial.keras_defaults import confident_mistake_loss
    from alphabet_tutorial.keras_model import build_sequential
    from alphabet_tutorial.task import encode_prompt, evaluation_set

    config = Config()
    model = build_sequential(config)
    for inputs in (evaluation_set(config)[0], encode_prompt("abc", config.window)):
        keras.ops.convert_to_numpy(model(inputs))
    CONFIDENT_MISTAKE[:] = [confident_mistake_loss(model, config)]  # model: spent


def block_other_backends() -> None:
    """Keras 3 imports the other backends' libraries whenever they are installed: JAX on
    import (a `try: import jax` in keras/src/callbacks/orbax_checkpoint.py), TensorFlow
    in `keras.utils.set_random_seed` (to seed `tf.data`) and in `model.save`. A backend
    process has no use for them and would pay seconds for each. A None entry in
    sys.modules makes their import raise ImportError, which Keras catches as "not
    installed"."""
    own = os.environ.get("KERAS_BACKEND", "tensorflow")
    for backend in BACKENDS:
        if backend != own and backend not in sys.modules:
            sys.modules[backend] = None  # type: ignore[assignment]


def prepare_backend():
    """The backend process's imports and warm-up; the requests it answers."""
    env.setup()
    block_other_backends()
    warm_up()
    return {"train": train_on_this_backend, "load": load_on_this_backend}


# --- the parent: starts the backend processes, takes their turns, compares ---------------


def jax_cache_env() -> dict[str, str]:
    """JAX's cache of compiled programs, in the process's own temporary directory.

    Called eagerly, outside `jit`, the model runs its LSTM as one `lax.scan`, which JAX
    traces and compiles again at every call (a new Python function each time); scoring
    every window after each epoch then costs a compilation per epoch. With the cache, the
    same program compiles once per process. It starts empty in every process, so the
    first epoch still compiles the training step.
    """
    return {
        "JAX_COMPILATION_CACHE_DIR": os.path.join(tempfile.gettempdir(), "jax-cache"),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    }


def start_process(backend: str) -> Child:
    """A process whose Keras runs on `backend`, answering requests once it is ready."""
    check_backend(backend)
    argv = [sys.executable, "-m", "alphabet_tutorial.backends", backend]
    return Child(f"the {backend} process", argv, backend_env(backend))


STARTED: dict[str, list[Child]] = {}  # backend -> processes started early, not yet taken


def start_processes(backends) -> None:
    """Start a process for each backend now, for a later `compare_backends` in this
    process: their imports overlap with what this process does meanwhile. Those it does
    not take end with `stop_processes`, at the latest when this process exits."""
    for backend in backends:
        STARTED.setdefault(backend, []).append(start_process(backend))


def stop_processes() -> None:
    """End the processes `start_processes` started that no comparison took."""
    started = [process for processes in STARTED.values() for process in processes]
    STARTED.clear()
    stop_all(started)


def take_process(backend: str) -> Child:
    """A process on `backend`: one started early if there is one, else a new one."""
    check_backend(backend)
    started = STARTED.get(backend)
    return started.pop(0) if started else start_process(backend)


def check_comparable(config: Config) -> None:
    """ValueError unless `config` trains for a first epoch and at least one later one."""
    if config.epochs < 2:
        raise ValueError(
            f"comparing backends needs at least 2 epochs, got {config.epochs}: "
            "the first epoch is timed apart from the later ones"
        )


def compare_backends(
    backends=tuple(BACKENDS),
    config: Config = Config(),
    repeats: int = 1,
    names=("keras",),
    save_to=None,
) -> list[BackendRun]:
    """Each implementation in `names` trained on each of `backends` it runs on, one process
    each, in that order; the `.keras` file of every model that runs on several backends is
    loaded on the others. The files are kept in the directory `save_to`, as
    NAME-on-BACKEND.keras (keras-on-torch.keras), if given, with the runs in RUNS_FILE
    there (`read_runs` reads them back); else in a temporary one."""
    check_comparable(config)
    for backend in backends:
        check_backend(backend)
    kept_in = save_to
    jobs = [(b, name) for name in names for b in backends if b in impls.get(name).backends]
    portable = [(b, name) for b, name in jobs if len(impls.get(name).backends) > 1]
    with contextlib.ExitStack() as stack:
        if save_to is None:
            save_to = stack.enter_context(tempfile.TemporaryDirectory(prefix="alphabet-backends-"))
        directory = Path(save_to).resolve()  # absolute, whatever the processes' directory
        directory.mkdir(parents=True, exist_ok=True)
        files = {job: str(directory / f"{job[1]}-on-{job[0]}.keras") for job in portable}
        processes: dict[tuple[str, str], Child] = {}
        try:
            for job in jobs:
                processes[job] = take_process(job[0])  # started together: imports overlap
            for process in processes.values():
                process.receive()  # ready
            trained = {  # one at a time, so that no timing competes with another's
                job: process.ask(
                    "train",
                    config=config.as_dict(),
                    impl=job[1],
                    repeats=repeats,
                    save=files.get(job),
                )
                for job, process in processes.items()
            }
            for job in portable:  # all at once: loading times nothing
                processes[job].send(
                    "load",
                    config=config.as_dict(),
                    paths={other[0]: path for other, path in files.items() if other != job},
                )
            loaded = {job: processes[job].receive() for job in portable}
        finally:
            stop_all(processes.values())
    runs = []
    for (backend, name), figures in trained.items():
        differences = {
            saved_on: largest_difference(probabilities, trained[saved_on, name]["probabilities"])
            for saved_on, probabilities in loaded.get((backend, name), {}).items()
        }
        figures = {key: value for key, value in figures.items() if key != "probabilities"}
        runs.append(BackendRun(**figures, loaded=differences))
    if kept_in is not None:
        write_runs(runs, kept_in)
    return runs


def write_runs(runs: list[BackendRun], directory) -> None:
    """`runs` as JSON, in RUNS_FILE in `directory`."""
    data = [dataclasses.asdict(run) for run in runs]
    (Path(directory) / RUNS_FILE).write_text(json.dumps(data, indent=1) + "\n")


def read_runs(directory=".") -> list[BackendRun]:
    """The runs `compare_backends(..., save_to=directory)` measured, read back from the
    RUNS_FILE it wrote there: no process started, nothing trained again."""
    path = Path(directory) / RUNS_FILE
    if not path.is_file():
        raise ValueError(
            f"no {RUNS_FILE} in {directory}: compare_backends(..., save_to=...) writes it"
        )
    return [BackendRun(**run) for run in json.loads(path.read_text())]


def largest_difference(first, second) -> float:
    import numpy as np

    return float(np.max(np.abs(np.asarray(first) - np.asarray(second))))


# --8<-- [start:table]
def format_backend_table(runs: list[BackendRun]) -> Markdown:
    """A Markdown table: one row per backend and implementation."""
    lines = [
        "| Backend | Library version | Accuracy on every window | Epochs to 100% "
        "| First epoch (s) | Warm epoch (ms, median) | Predictions |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    several = len({run.impl for run in runs}) > 1  # name the implementation only then
    for run in runs:
        name = f"{run.backend} ({impls.get(run.impl).title})" if several else run.backend
        predictions = ", ".join(f"{text} → {letter}" for text, letter in run.predictions.items())
        lines.append(
            f"| {name} | {run.version} | {run.final_accuracy:.1%} | {run.epochs_to_100 or 'never'} "
            f"| {run.first_epoch_seconds:.2f} | {run.epoch_seconds * 1000:.1f} | {predictions} |"
        )
    return Markdown("\n".join(lines))


# --8<-- [end:table]


def format_round_trip(runs: list[BackendRun]) -> Markdown:
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
    return Markdown("\n".join(lines))


if __name__ == "__main__":  # python -m alphabet_tutorial.backends jax: a process on JAX
    os.environ["KERAS_BACKEND"] = sys.argv[1]  # before anything imports Keras (or TensorFlow)
    os.environ.update(jax_cache_env())  # before JAX starts
    serve(prepare_backend)  # imports Keras, then trains and loads as the parent asks
