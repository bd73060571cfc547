"""One model, three backends: each trains it, their `.keras` files cross over, and
the CLI runs it on the backend asked for (or says which extra is missing).

The three backends' full training runs are the ones the site's build made: the chapter
"One model, three backends" shows them, and the build keeps them beside the page as data
(alphabet_site/hooks/run_data.py; the `built_site` fixture builds the site when `make docs`
has not).
A cheaper comparison of two backends runs here, through the CLI.
"""

from __future__ import annotations

import html
import json
import os
import signal
import subprocess
import sys
import sysconfig
import time
from importlib import metadata
from pathlib import Path

import pytest
from commands import alphabet_tutorial
from helpers import page, read_events, running, tables, text

from alphabet_tutorial import backends, env
from alphabet_tutorial.backends import BACKENDS, EXTRA, backend_env
from alphabet_tutorial.cli import main

REPO = Path(__file__).resolve().parent.parent
CHEAP = ["--epochs", "1", "--train-size", "64"]
SLOW = pytest.mark.slow  # starts processes
THREE_PROCESSES = pytest.mark.timeout(300)


@pytest.fixture(scope="session")
def backend_runs(built_site) -> dict[str, dict]:
    """The chapter's runs, as the build kept them beside the page: {backend: figures}."""
    kept = json.loads((built_site / "backends" / "runs.json").read_text(encoding="utf-8"))
    figures = {run["backend"]: run for run in kept}
    assert list(figures) == list(BACKENDS)
    return figures


def markdown_rows(markdown) -> dict[str, list[str]]:
    """A Markdown table as `tables` reads an HTML one: {first cell: the other cells}."""
    rows = [line.strip("|").split("|") for line in str(markdown).splitlines()]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows[:1] + rows[2:]}


def test_the_page_shows_the_runs_the_build_kept(built_site, backend_runs):
    runs = [backends.BackendRun(**run) for run in backend_runs.values()]
    trained, round_trip = tables(page(built_site, "backends/"))[:2]  # then the GPU record
    for shown, markdown in (
        (trained, backends.format_backend_table(runs)),
        (round_trip, backends.format_round_trip(runs)),
    ):
        unescaped = {row: [html.unescape(cell) for cell in cells] for row, cells in shown.items()}
        assert unescaped == markdown_rows(markdown)


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_backend_trains_the_keras_model_to_100_percent_on_every_window(
    backend_runs, backend, config
):
    run = backend_runs[backend]
    assert run["impl"] == "keras"
    assert run["final_accuracy"] == 1.0  # 100.0 % of 23 windows: every one
    assert run["epochs_to_100"] is not None and run["epochs_to_100"] <= config.epochs
    assert run["predictions"] == {"abc": "d", "klm": "n", "wxy": "z"}
    assert run["first_epoch_seconds"] > 0 and run["epoch_seconds"] > 0


def test_pytorch_prepares_nothing_so_its_first_epoch_is_the_shortest(backend_runs):
    """What the page says of the first table: TensorFlow traces its training step and JAX
    compiles it during the first epoch; PyTorch runs eagerly."""
    first = {backend: run["first_epoch_seconds"] for backend, run in backend_runs.items()}
    assert min(first, key=first.get) == "torch", first


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


def test_a_keras_file_saved_on_one_backend_predicts_the_same_on_every_other(backend_runs):
    pairs = {(saved, loaded) for loaded, run in backend_runs.items() for saved in run["loaded"]}
    assert pairs == {(a, b) for a in BACKENDS for b in BACKENDS if a != b}
    for loaded, run in backend_runs.items():
        for saved, difference in run["loaded"].items():
            assert difference < 1e-5, f"saved on {saved}, loaded on {loaded}: {difference}"


def test_the_runs_kept_beside_the_keras_files_read_back_as_they_were(backend_runs, tmp_path):
    """The page reads its runs back with `read_runs` after the confident-mistake listing
    (a cell after a listing cannot continue the cells before it)."""
    runs = [backends.BackendRun(**run) for run in backend_runs.values()]
    with pytest.raises(ValueError, match=f"no {backends.RUNS_FILE} in "):
        backends.read_runs(tmp_path)
    backends.write_runs(runs, tmp_path)
    assert backends.read_runs(tmp_path) == runs


def test_the_page_shows_the_code_each_backend_process_runs(built_site):
    """How to pick a backend, and each process's own code, included from the package."""
    shown = text(built_site, "backends/")
    assert 'os.environ["KERAS_BACKEND"] = "jax"' in shown
    assert "print(keras.config.backend())  # jax" in shown
    for listing in ("train_and_save", "load_and_predict", "confident_mistake_loss"):
        assert f"def {listing}(" in shown, listing


def test_the_page_opens_the_file_the_torch_process_saved(built_site):
    """The file names PyTorch's Adam; loaded without it and compiled again, the model has
    the Adam of the page's own backend."""
    shown = text(built_site, "backends/")
    assert "saved with    keras.src.backend.torch.optimizers.torch_adam.Adam" in shown
    assert "compiled with keras.src.optimizers.adam.Adam, on tensorflow" in shown


def test_the_page_turns_a_loaded_models_output_into_numpy_on_its_own_backend(built_site):
    """The JAX process's file, loaded in the page's process: a TensorFlow tensor out of the
    model, a NumPy array of every window's 26 probabilities out of convert_to_numpy."""
    shown = text(built_site, "backends/")
    assert "EagerTensor -> ndarray (23, 26)" in shown


@SLOW
def test_the_scripts_first_lines_the_page_shows_put_keras_on_jax():
    """alphabet_tutorial/choose_backend.py, as a learner runs it: it prints what its
    comment says, `jax`, although this process's Keras runs on TensorFlow."""
    process = subprocess.run(
        [sys.executable, "-m", "alphabet_tutorial.choose_backend"],
        capture_output=True,
        text=True,
        timeout=60,
        env={key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"},
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout == "jax\n"


# A notebook kernel runs Keras on TensorFlow and the chapter's JAX code: on a GPU runtime,
# both take the GPU's memory as they need it. The variables are set before TensorFlow is
# imported (a finder placed first sees the import), and a reader's own values are kept.
KERNEL_SETUP = """
import json, os, sys
from alphabet_tutorial import env
seen = {}
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "tensorflow" and not seen:
            seen.update({key: os.environ.get(key) for key in env.SHARE_GPU})
sys.meta_path.insert(0, Watch())
env.setup_notebook()
print(json.dumps(seen))
"""


@SLOW
def test_a_notebook_kernel_shares_a_gpu_between_tensorflow_and_jax():
    clean = {key: value for key, value in os.environ.items() if key not in env.SHARE_GPU}
    own = {"XLA_PYTHON_CLIENT_PREALLOCATE": "true"}  # a reader's own choice
    for given, expected in (({}, env.SHARE_GPU), (own, {**env.SHARE_GPU, **own})):
        process = subprocess.run(
            [sys.executable, "-c", KERNEL_SETUP],
            capture_output=True,
            text=True,
            timeout=120,
            env={**clean, **given},
        )
        assert process.returncode == 0, process.stderr
        assert json.loads(process.stdout) == expected


def test_each_backend_process_shares_a_gpu_unless_told_otherwise(monkeypatch):
    for name in env.SHARE_GPU:
        monkeypatch.delenv(name, raising=False)
    assert backend_env("jax").items() >= env.SHARE_GPU.items()
    monkeypatch.setenv("TF_FORCE_GPU_ALLOW_GROWTH", "false")
    assert backend_env("tensorflow")["TF_FORCE_GPU_ALLOW_GROWTH"] == "false"


@SLOW
@THREE_PROCESSES
def test_cli_compare_trains_on_two_backends_and_crosses_their_files():
    """A real comparison in this session (the build's is above): two backends, two epochs."""
    process = alphabet_tutorial(
        *("compare", "--json", "--backends", "jax,torch", "--epochs", "2", "--train-size", "64"),
        timeout=300,
    )
    assert process.returncode == 0, process.stderr
    runs = {run["backend"]: run for run in json.loads(process.stdout)}
    assert list(runs) == ["jax", "torch"]
    assert runs["jax"]["tensor_type"].startswith("jax") and runs["jax"]["version"]
    assert runs["torch"]["tensor_type"] == "torch.Tensor"
    assert runs["jax"]["loaded"].keys() == {"torch"} and runs["torch"]["loaded"].keys() == {"jax"}
    for backend, run in runs.items():
        assert run["impl"] == "keras" and 0 <= run["final_accuracy"] <= 1
        assert max(run["loaded"].values()) < 1e-5, backend


# --- processes started early (the build's alphabet_site/hooks/backend_workers.py) -------


@SLOW
def test_processes_started_early_are_taken_once_and_the_rest_stopped():
    backends.start_processes(["tensorflow", "tensorflow"])
    first, second = backends.STARTED["tensorflow"]
    try:
        assert backends.take_process("tensorflow") is first
    finally:
        first.stop()
        backends.stop_processes()
    assert backends.STARTED == {}
    for process in (first, second):
        assert process.process.poll() is not None
        assert not Path(process.scratch).exists()


@SLOW
@pytest.mark.timeout(300)
def test_a_backend_process_ends_and_removes_its_files_when_its_parent_is_killed():
    """SIGTERM skips the parent's own cleanup: the child sees its input close and ends."""
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT_THAT_STARTS_PROCESSES],
        stdout=subprocess.PIPE,
        text=True,
        env=backend_env("tensorflow"),
    )
    with parent.stdout:
        started = json.loads(parent.stdout.readline())
    parent.terminate()
    assert parent.wait(timeout=60) == -signal.SIGTERM
    for child in started:
        deadline = time.monotonic() + 120  # it ends once its warm-up is done
        while running(child["pid"]) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not running(child["pid"]), child
        assert not Path(child["scratch"]).exists(), child


PARENT_THAT_STARTS_PROCESSES = """
import json, time
from alphabet_tutorial import backends
backends.start_processes(["jax"])  # the lightest to start; every one ends the same way
children = [c for started in backends.STARTED.values() for c in started]
print(json.dumps([{"pid": c.pid, "scratch": c.scratch} for c in children]), flush=True)
time.sleep(300)
"""


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
    assert [step for step, *_ in events["epoch_loss"]] == [0]
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
    result = alphabet_tutorial(*command, env=env, python=("-S",))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "alphabet-tutorial: error: the jax backend is not installed (jax cannot be imported): "
        f"pip install 'alphabet-tutorial[{EXTRA}]'\n"
    )


def test_comparing_backends_needs_a_later_epoch_to_time(capfd):
    assert main(["compare", "--backends", "tensorflow", "--epochs", "1"]) == 2
    assert capfd.readouterr().err == (
        "alphabet-tutorial: error: comparing backends needs at least 2 epochs, got 1: "
        "the first epoch is timed apart from the later ones\n"
    )


def test_unknown_backends_are_usage_errors(capfd):
    assert main(["compare", "--backends", "tensorflow,theano"]) == 2
    assert "unknown backend 'theano': choose from tensorflow, jax, torch" in capfd.readouterr().err
    with pytest.raises(ValueError, match="unknown backend 'cntk'"):
        backends.check_backend("cntk")


@pytest.fixture
def without_tensorflow(tmp_path) -> dict[str, str]:
    """An environment whose Python cannot import TensorFlow, as on a machine without it
    (the GPU machines the GPU figures were recorded on have JAX and PyTorch only)."""
    shadow = tmp_path / "no-tensorflow"
    shadow.mkdir()
    (shadow / "tensorflow.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'tensorflow'\", name='tensorflow')\n"
    )
    path = os.pathsep.join(filter(None, [str(shadow), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


@SLOW
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_cli_trains_on_jax_and_torch_without_tensorflow(without_tensorflow, backend, tmp_path):
    result = alphabet_tutorial(
        "train",
        "--impl",
        "keras",
        "--backend",
        backend,
        *CHEAP,
        "--save",
        str(tmp_path / "w.npz"),
        env=without_tensorflow,
    )
    assert result.returncode == 0, result.stderr
    assert "keras: " in result.stdout and "weights saved to" in result.stdout
    # Logging is refused before training, in one line: Keras writes its logs with TensorFlow.
    logdir = tmp_path / "runs"
    refused = alphabet_tutorial(
        "train",
        "--impl",
        "keras",
        "--backend",
        backend,
        *CHEAP,
        "--logdir",
        str(logdir),
        env=without_tensorflow,
    )
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0, refused.stderr
    assert "--logdir" in refused.stderr and "TensorFlow" in refused.stderr
    assert not logdir.exists()
