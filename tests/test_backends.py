"""One Keras model, three backends: each trains it, their `.keras` files cross over, and
the CLI runs it on the backend asked for (or says which extra is missing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest
from test_keras_model import read_events

from alphabet_tutorial import backends
from alphabet_tutorial.backends import BACKENDS, EXTRA, backend_env
from alphabet_tutorial.cli import main

REPO = Path(__file__).resolve().parent.parent
CHEAP = ["--epochs", "2", "--train-size", "64"]
# The first test to use a session fixture below waits for its three backend processes.
SLOW = pytest.mark.slow  # starts processes
THREE_PROCESSES = pytest.mark.timeout(300)


@pytest.fixture(scope="session")
def backend_runs() -> dict[str, dict]:
    """`compare --backends tensorflow,jax,torch --json`, run once: {backend: figures}."""
    process = subprocess.run(
        [sys.executable, "-m", "alphabet_tutorial", "compare", "--json"]
        + ["--backends", ",".join(BACKENDS)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert process.returncode == 0, process.stderr
    runs = json.loads(process.stdout)
    assert [run["backend"] for run in runs] == list(BACKENDS)
    return {run["backend"]: run for run in runs}


@SLOW
@THREE_PROCESSES
@pytest.mark.parametrize("backend", BACKENDS)
def test_each_backend_trains_the_keras_model_to_100_percent_on_every_window(
    backend_runs, backend, config
):
    run = backend_runs[backend]
    assert run["impl"] == "keras"
    assert run["final_accuracy"] == 1.0
    assert run["epochs_to_100"] is not None and run["epochs_to_100"] <= config.epochs
    assert run["predictions"] == {"abc": "d", "klm": "n", "wxy": "z"}
    assert run["first_epoch_seconds"] > 0 and run["epoch_seconds"] > 0


@SLOW
@THREE_PROCESSES
def test_each_backend_answers_with_its_own_tensors_and_version(backend_runs):
    import keras
    import tensorflow as tf

    types = {backend: run["tensor_type"] for backend, run in backend_runs.items()}
    assert types["tensorflow"].startswith("tensorflow.")
    assert types["jax"].startswith("jax")  # jaxlib's ArrayImpl
    assert types["torch"] == "torch.Tensor"
    versions = {backend: run["version"] for backend, run in backend_runs.items()}
    assert versions == {
        "tensorflow": tf.__version__,
        "jax": metadata.version("jax"),
        "torch": metadata.version("torch"),
    }
    assert keras.config.backend() == "tensorflow"  # this process never switched


@SLOW
@THREE_PROCESSES
def test_a_keras_file_saved_on_one_backend_predicts_the_same_on_every_other(backend_runs):
    pairs = {(saved, loaded) for loaded, run in backend_runs.items() for saved in run["loaded"]}
    assert pairs == {(a, b) for a in BACKENDS for b in BACKENDS if a != b}
    for loaded, run in backend_runs.items():
        for saved, difference in run["loaded"].items():
            assert difference < 1e-5, f"saved on {saved}, loaded on {loaded}: {difference}"


def import_check(backend: str | None, statement: str) -> list[str]:
    """The backend libraries in sys.modules after `statement`, in a fresh interpreter."""
    code = (
        statement + "; import sys; print(sorted(set(sys.modules) & {'jax', 'torch', 'tensorflow'}))"
    )
    env = backend_env(backend) if backend else dict(os.environ)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.replace("'", '"'))


@SLOW
def test_importing_the_package_and_its_cli_imports_no_backend():
    assert import_check(None, "import alphabet_tutorial, alphabet_tutorial.cli") == []


@SLOW
def test_the_keras_model_under_jax_imports_neither_tensorflow_nor_torch():
    # Under tensorflow and torch, Keras 3.15 itself imports JAX when it is installed
    # (keras/src/callbacks/orbax_checkpoint.py); our modules add no backend of their own.
    assert import_check("jax", "import alphabet_tutorial.keras_model") == ["jax"]


# --- the CLI -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def cli_runs(tmp_path_factory) -> dict[str, tuple[int, str, str, Path]]:
    """`train --impl keras --backend B --logdir ...` for every backend, started together."""
    started = {}
    for backend in BACKENDS:
        logdir = tmp_path_factory.mktemp(f"runs-{backend}")
        command = [sys.executable, "-m", "alphabet_tutorial", "train", "--impl", "keras"]
        command += ["--backend", backend, "--logdir", str(logdir), *CHEAP]
        env = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        started[backend] = (process, logdir)
    finished = {}
    for backend, (process, logdir) in started.items():
        stdout, stderr = process.communicate(timeout=300)
        finished[backend] = (process.returncode, stdout.decode(), stderr.decode(), logdir)
    return finished


@SLOW
@THREE_PROCESSES
@pytest.mark.parametrize("backend", BACKENDS)
def test_cli_trains_on_the_backend_asked_for_and_logs_for_tensorboard(cli_runs, backend):
    status, stdout, stderr, logdir = cli_runs[backend]
    assert status == 0, stderr
    assert stdout.startswith("keras: ")
    events, graphs = read_events(logdir / "keras" / "train")
    assert [step for step, *_ in events["epoch_loss"]] == [0, 1]
    assert len([tag for tag, values in events.items() if values[0][1] == "histograms"]) == 5
    assert [plugin for _, plugin, _ in events["keras"]] == ["graph_keras_model"]
    if backend == "tensorflow":
        assert graphs == 1 and "note:" not in stdout
    else:  # no op graph, and the CLI says so
        assert graphs == 0
        assert f"note: no op graph under the {backend} backend" in stdout


@pytest.mark.parametrize("current", ["tensorflow", "jax"])
def test_backend_applies_to_the_keras_model_only(monkeypatch, capfd, current):
    monkeypatch.setenv("KERAS_BACKEND", current)
    status = main(["train", "--impl", "lowlevel", "--backend", "jax"])
    assert status == 2
    assert capfd.readouterr().err == (
        "alphabet-tutorial: error: --backend jax: the lowlevel model runs on tensorflow only\n"
    )


def environment_without(module: str, tmp_path: Path) -> dict[str, str]:
    """Every installed package except `module`, as the import path of `python -S`."""
    site_packages = Path(sysconfig.get_paths()["purelib"])
    visible = tmp_path / "site-packages"
    visible.mkdir()
    for entry in site_packages.iterdir():
        if entry.name != module and not entry.name.startswith(f"{module}-"):
            (visible / entry.name).symlink_to(entry)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(visible), str(REPO)])}


@SLOW
@pytest.mark.parametrize(
    "command",
    [
        ["train", "--impl", "keras", "--backend", "jax"],
        ["compare", "--backends", "tensorflow,jax", "--json"],
    ],
    ids=["train", "compare"],
)
def test_cli_names_the_extra_when_the_backend_is_not_installed(command, tmp_path):
    env = environment_without("jax", tmp_path)
    probe = "import importlib.util as u; print(u.find_spec('jax'), u.find_spec('keras') is None)"
    hidden = subprocess.run([sys.executable, "-S", "-c", probe], capture_output=True, env=env)
    assert hidden.stdout.decode().split() == ["None", "False"]  # jax hidden, the rest visible
    result = subprocess.run(
        [sys.executable, "-S", "-m", "alphabet_tutorial", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "alphabet-tutorial: error: the jax backend is not installed (jax cannot be imported): "
        f"pip install 'alphabet-tutorial[{EXTRA}]'\n"
    )


def test_unknown_backends_are_usage_errors(capfd):
    assert main(["compare", "--backends", "tensorflow,theano"]) == 2
    assert "unknown backend 'theano': choose from tensorflow, jax, torch" in capfd.readouterr().err
    with pytest.raises(ValueError, match="unknown backend 'cntk'"):
        backends.check_backend("cntk")
