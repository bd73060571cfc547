"""Data-parallel training (alphabet_tutorial.distribute, .keras_distribution, .scaleout):
the chapter's runs as the site build measured and kept them, real runs of the command line on 2
logical CPU devices and on 2 worker processes on loopback, and their failures."""

from __future__ import annotations

import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from helpers import running, table_rows

from alphabet_tutorial import Config, task
from alphabet_tutorial.processes import check_port_free
from alphabet_tutorial.scaleout import Setup, check_cluster, format_setups, label

REPO = Path(__file__).resolve().parent.parent

# --- every setup of the chapter, as this build ran it ---------------------------------------
# Building "Beyond one machine" runs every setup once and shows their figures
# (`format_setups`); the build keeps those runs beside the page as data
# (alphabet_site/hooks/run_data.py).
# These tests check that very run rather than train every setup again. A run that misses
# a window, a setup that is absent or replicated wrongly, workers that disagree: each
# fails here.

CHAPTER = (REPO / "docs" / "beyond-one-machine.md").read_text(encoding="utf-8")
EPOCHS = int(re.search(r"config = Config\(epochs=(\d+)\)", CHAPTER).group(1))


@pytest.fixture(scope="module")
def runs(built_site) -> list[dict]:
    """The chapter's runs, as the build kept them."""
    return json.loads((built_site / "beyond-one-machine" / "runs.json").read_text())


def named(runs: list[dict], name: str) -> list[dict]:
    """The runs of one row name of the chapter's table, e.g. 'Low-level TF, one device'."""
    return [run for run in runs if f"{label(run)}, {run['setup']}" == name]


def test_the_page_shows_the_runs_the_build_kept(built_site, runs):
    page = (built_site / "beyond-one-machine" / "index.html").read_text(encoding="utf-8")
    ((*rows,),) = table_rows(page)
    expected = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in str(format_setups(runs)).splitlines()
        if line.startswith("| ") and not line.startswith("| ---")
    ]
    assert [[html.unescape(cell) for cell in row] for row in rows] == expected


@pytest.mark.parametrize(
    ("setup", "count"),
    [
        ("Low-level TF, 2 workers (MultiWorkerMirroredStrategy)", 2),
        ("Keras on JAX, 2 devices (DataParallel)", 1),
    ],
)
def test_every_replicated_setup_learns_every_window(runs, setup, count):
    found = named(runs, setup)
    assert len(found) == count, [f"{label(run)}, {run['setup']}" for run in runs]
    for run in found:
        assert run["replicas"] == 2
        assert run["per_replica_batch"] == run["global_batch"] / 2
        assert run["accuracy"] == 1.0
        assert run["epochs_to_100"] is not None and run["epochs_to_100"] <= EPOCHS


def test_both_workers_end_with_identical_weights(runs):
    workers = [run for run in runs if "worker" in run]
    assert sorted(run["worker"] for run in workers) == [0, 1]
    assert len({run["checksum"] for run in workers}) == 1


def notebook_cells(built_site) -> list[dict]:
    notebook = built_site / "notebooks" / "beyond-one-machine" / "beyond-one-machine.ipynb"
    return json.loads(notebook.read_text(encoding="utf-8"))["cells"]


def script_output(built_site) -> str:
    """What the chapter's run of alphabet_tutorial.keras_mirrored printed, as its notebook
    keeps it (the page shows the same output)."""
    (cell,) = [
        cell
        for cell in notebook_cells(built_site)
        if cell["cell_type"] == "code" and "script = [sys.executable" in "".join(cell["source"])
    ]
    return "".join("".join(output["text"]) for output in cell["outputs"])


def test_the_notebook_writes_the_script_and_runs_the_file_it_wrote(built_site):
    """The page shows the package's script and runs its module; its notebook writes the
    same code to keras_mirrored.py, for the reader to change, and runs that file."""
    module = (REPO / "alphabet_tutorial" / "keras_mirrored.py").read_text(encoding="utf-8")
    script = module.split("# --8<-- [start:script]\n")[1].split("# --8<-- [end:script]")[0]
    script = re.sub(r"(?m)^ *# --8<-- \[(start|end):\w+\]\n", "", script)  # the page shows none
    sources = ["".join(cell["source"]) for cell in notebook_cells(built_site)]
    writing = sources.index(f"%%writefile keras_mirrored.py\n{script.rstrip()}")
    (running,) = [n for n, source in enumerate(sources) if "script = [sys.executable" in source]
    assert writing < running
    assert 'script = [sys.executable, "keras_mirrored.py", ' in sources[running]
    assert "alphabet_tutorial.keras_mirrored" not in sources[running]
    assert 'module = "alphabet_tutorial.keras_mirrored"' in CHAPTER  # the page runs the module
    assert notebook_cells(built_site)[writing]["outputs"] == []  # the build does not run it


def test_keras_evaluate_fails_on_an_uneven_first_batch_and_an_even_one_fixes_it(built_site):
    printed = script_output(built_site)
    windows = len(task.windows(Config().window))
    assert windows % 2 == 1  # one batch of every window: an uneven split over 2 replicas
    # The script's own evaluate: an even first batch, then a smaller last batch.
    assert_script_output(printed, replicas=2, windows=windows, as_on_one_device=True)
    as_is = printed.splitlines()[-1]
    assert as_is.startswith("evaluate() as on one device: InvalidArgumentError: ")
    half = windows // 2
    assert f"[{half + 1},3,26] != input 1: [{half},3,26]" in as_is
    page = (built_site / "beyond-one-machine" / "index.html").read_text(encoding="utf-8")
    assert html.escape(as_is.rstrip(), quote=False) in page


def assert_script_output(
    printed: str, replicas: int, windows: int, as_on_one_device: bool = False
) -> None:
    """What alphabet_tutorial.keras_mirrored prints after learning every window (a fifth
    line with --evaluate-as-on-one-device)."""
    lines = printed.splitlines()
    assert lines[0] == f"MirroredStrategy: {replicas} replicas"
    assert re.fullmatch(r"fit: accuracy \d+\.\d% in the last epoch", lines[1]), lines[1]
    batch_size = windows // replicas * replicas  # the largest batch that splits evenly
    assert re.fullmatch(
        rf"evaluate\(batch_size={batch_size}\): accuracy 100\.0%, loss 0\.\d{{3}}", lines[2]
    ), lines[2]
    timed = re.fullmatch(
        rf"time per epoch: (\d+\.\d) ms on {replicas} devices, (\d+\.\d) ms on one "
        r"\((\d+\.\d)× one device's\)",
        lines[3],
    )
    assert timed, lines[3]
    replicated, one_device, ratio = (float(figure) for figure in timed.groups())
    assert replicated > 0 and one_device > 0
    assert ratio == pytest.approx(replicated / one_device, rel=0.05, abs=0.05)
    assert len(lines) == 4 + as_on_one_device


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_two_copies_of_the_worker_script_train_together_to_the_same_weights(tmp_path):
    """The page's two commands, on two free ports: each worker learns every window, and
    both print the same checksum."""
    from alphabet_tutorial.processes import free_ports
    from alphabet_tutorial.scaleout import cpu_env

    cluster = ",".join(f"127.0.0.1:{port}" for port in free_ports(2))
    env = {**in_tmp(tmp_path), **cpu_env(), "KERAS_HOME": str(tmp_path / "keras")}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "alphabet_tutorial.lowlevel_worker"]
            + ["--index", str(index), "--cluster", cluster],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env=env,
        )
        for index in (0, 1)
    ]
    printed = []
    try:
        for worker in workers:
            out, err = worker.communicate(timeout=180)
            assert worker.returncode == 0, err
            printed.append(out.strip())
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
    line = re.compile(r"worker (\d): accuracy 100%, weights ([0-9a-f]{16})")
    found = [line.fullmatch(text) for text in printed]
    assert all(found), printed
    assert [m[1] for m in found] == ["0", "1"]
    assert found[0][2] == found[1][2]


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_the_keras_mirrored_script_runs_as_it_is(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "alphabet_tutorial.keras_mirrored"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**in_tmp(tmp_path), "KERAS_HOME": str(tmp_path / "keras")},
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert_script_output(result.stdout, replicas=2, windows=len(task.windows(Config().window)))


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    ("devices", "message"),
    [("0", "--devices must be at least 1, got 0"), ("3", "--devices must divide the batch size")],
)
def test_the_keras_mirrored_script_refuses_a_device_count_it_cannot_use(tmp_path, devices, message):
    result = subprocess.run(
        [sys.executable, "-m", "alphabet_tutorial.keras_mirrored", "--devices", devices],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**in_tmp(tmp_path), "KERAS_HOME": str(tmp_path / "keras")},
        timeout=180,
    )
    assert result.returncode == 2
    assert f"error: {message}" in result.stderr.splitlines()[-1]
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_weights_trained_on_one_device_and_on_two_differ_a_little(runs):
    for one, two in [
        ("Low-level TF, one device", "Low-level TF, 2 workers (MultiWorkerMirroredStrategy)"),
        ("Keras on JAX, one device", "Keras on JAX, 2 devices (DataParallel)"),
    ]:
        assert named(runs, one)[0]["checksum"] != named(runs, two)[0]["checksum"]
    (data_parallel,) = named(runs, "Keras on JAX, 2 devices (DataParallel)")
    assert 0 < data_parallel["largest_difference_from_one_device"] < 0.1


def test_data_parallel_runs_on_jax_next_to_a_one_device_jax_baseline(runs):
    jax_runs = [run for run in runs if label(run) == "Keras on JAX"]
    assert [run["setup"] for run in jax_runs] == ["one device", "2 devices (DataParallel)"]
    assert [run["per_replica_batch"] for run in jax_runs] == [32, 16]  # 1 replica, then 2


def test_every_run_is_kept_each_setup_once(runs):
    from alphabet_tutorial.lowlevel import LowLevelLSTM

    one_device = ["Keras on JAX", "Low-level TF"]
    assert sorted(label(run) for run in runs if run["setup"] == "one device") == one_device
    assert len(runs) == 2 + 3  # one device each; 2 workers, DataParallel
    assert {run["parameters"] for run in runs} == {LowLevelLSTM(Config()).count_params()}
    assert all(len(run["epoch_seconds"]) == EPOCHS for run in runs)


def run(setup: str, impl: str, **changes) -> dict:
    """A run as `Setup.train` reports it: 2 replicas, 100% at epoch 3, same weights."""
    figures = {"setup": setup, "impl": impl, "replicas": 2, "global_batch": 32}
    figures |= {"per_replica_batch": 16.0, "accuracy": 1.0, "epochs_to_100": 3}
    figures |= {"epoch_seconds": [0.5, 0.02, 0.02], "checksum": "abc", "parameters": 8410}
    return figures | changes


def test_format_setups_shows_a_missed_window_and_workers_that_disagree():
    results = [
        run("one device", "lowlevel", replicas=1, per_replica_batch=32.0),
        run("2 workers (MultiWorkerMirroredStrategy)", "lowlevel", worker=0, accuracy=0.9),
        run("2 workers (MultiWorkerMirroredStrategy)", "lowlevel", worker=1, checksum="abd"),
    ]
    table = str(format_setups(results)).splitlines()
    assert len(table) == 2 + len(results)  # header, rule, one row per run
    assert table[2:] == [
        "| Low-level TF, one device | 32 | 100.0% | 3 | 20.0 ms | 1.0× | abc |",
        "| Low-level TF, 2 workers (MultiWorkerMirroredStrategy), worker 0 | 16 | 90.0% | 3 "
        "| 20.0 ms | 1.0× | abc |",
        "| Low-level TF, 2 workers (MultiWorkerMirroredStrategy), worker 1 | 16 | 100.0% | 3 "
        "| 20.0 ms | 1.0× | abd |",
    ]


def test_use_devices_refuses_after_tensorflow_started():
    import tensorflow as tf

    from alphabet_tutorial.distribute import use_devices

    tf.constant(1.0)  # TensorFlow has run an op in this process
    current = len(tf.config.list_logical_devices("CPU"))
    with pytest.raises(RuntimeError, match="must be set before its first op"):
        use_devices(current + 1)
    with pytest.raises(ValueError, match="devices must be a positive integer, got 0"):
        use_devices(0)


def test_use_devices_takes_gpus_only_when_there_are_enough(monkeypatch):
    import tensorflow as tf

    from alphabet_tutorial import machine
    from alphabet_tutorial.distribute import use_devices

    tf.constant(1.0)  # TensorFlow has started: its CPU split is fixed
    cpus = len(tf.config.list_logical_devices("CPU"))
    physical = tf.config.list_physical_devices
    monkeypatch.setattr(machine, "cpu_count", lambda: cpus + 1)

    def with_gpus(count):
        fake = [tf.config.PhysicalDevice(f"/physical_device:GPU:{i}", "GPU") for i in range(count)]
        return lambda kind=None: fake if kind == "GPU" else physical(kind)

    hidden = []  # what use_devices asks to hide (TensorFlow has started: it could not)
    monkeypatch.setattr(tf.config, "set_visible_devices", lambda *args: hidden.append(args))
    monkeypatch.setattr(tf.config, "list_physical_devices", with_gpus(cpus + 1))
    assert use_devices(cpus + 1) == [f"/gpu:{index}" for index in range(cpus + 1)]
    assert hidden == []  # the GPUs are the devices
    # One GPU too few (one GPU, as on a notebook's GPU runtime, and 2 asked): the CPU path,
    # which hides the GPU (so that a model without a strategy runs on the CPU too) and
    # here finds the split already fixed.
    monkeypatch.setattr(tf.config, "list_physical_devices", with_gpus(cpus))
    with pytest.raises(RuntimeError, match=f"already runs TensorFlow on {cpus} CPU device"):
        use_devices(cpus + 1)
    assert hidden == [([], "GPU")]


def test_worker_strategy_refuses_an_index_outside_the_cluster():
    from alphabet_tutorial.distribute import worker_strategy

    with pytest.raises(ValueError, match=r"worker index must be in 0\.\.1, got 2"):
        worker_strategy(["127.0.0.1:1", "127.0.0.1:2"], 2)


@pytest.mark.parametrize(
    ("cluster", "message"),
    [
        (["127.0.0.1"], "'127.0.0.1' is not host:port"),
        (["127.0.0.1:99999"], "is not host:port"),
        (["a:1", "a:1"], "lists an address twice"),
    ],
)
def test_check_cluster_refuses_bad_addresses(cluster, message):
    with pytest.raises(ValueError, match=message):
        check_cluster(cluster)


def test_check_port_free_names_a_port_in_use():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(ValueError, match=f"on 127.0.0.1:{port}: Address already in use"):
            check_port_free("127.0.0.1", port)


# --- the command line -------------------------------------------------------------------

PROG = [sys.executable, "-m", "alphabet_tutorial"]


def in_tmp(tmp_path) -> dict:
    """The environment of a command whose temporary files (autograph's) stay in tmp_path."""
    return {**os.environ, "TMPDIR": str(tmp_path)}


def train(tmp_path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`alphabet-tutorial train ARGS`, run to its end in tmp_path."""
    return subprocess.run(
        [*PROG, "train", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=in_tmp(tmp_path),
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--impl", "keras", "--workers", "2"], "keras-team/keras#20585"),
        (["--workers", "0", "--impl", "lowlevel"], "--workers must be at least 1, got 0"),
        (["--devices", "2", "--workers", "2"], "--devices and --workers cannot be combined"),
        (["--impl", "lowlevel", "--cluster", "127.0.0.1:1"], "--cluster and --worker-index go"),
        (["--impl", "lowlevel", "--cluster", "a:1,b:2", "--worker-index", "2"], "in 0..1"),
        (["--devices", "2", "--logdir", "logs"], "--logdir cannot be combined with --devices"),
    ],
)
@pytest.mark.slow
@pytest.mark.timeout(240)
def test_train_refuses_a_data_parallel_request_that_cannot_run(args, message, tmp_path):
    result = train(tmp_path, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_taken_port_in_the_cluster_is_named(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        args = ["--impl", "lowlevel", "--cluster", f"{address},127.0.0.1:1", "--worker-index", "0"]
        result = train(tmp_path, *args)
    assert result.returncode == 2
    assert (
        result.stderr
        == f"alphabet-tutorial: error: cannot listen on {address}: Address already in use\n"
    )


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize("replicas", ["devices", "workers"])
def test_train_on_two_replicas_from_the_command_line(tmp_path, replicas):
    result = train(
        tmp_path, "--impl", "lowlevel", f"--{replicas}", "2", "--epochs", "4", timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"lowlevel (on 2 {replicas}): 100.0% of every window right")
    if replicas == "workers":
        assert "every worker holds the same weights" in result.stdout


def start_workers(tmp_path) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """`train --workers 2` for long enough to interrupt; returns it once both workers run,
    with every process it started."""
    args = ["train", "--impl", "lowlevel", "--workers", "2", "--epochs", "2000"]
    cli = subprocess.Popen(
        [*PROG, *args],
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=in_tmp(tmp_path),
    )
    for line in cli.stderr:
        if "workers ready on 127.0.0.1:" in line:
            break
    else:
        pytest.fail(f"the workers never became ready (exit {cli.wait()})")
    children = psutil.Process(cli.pid).children()
    assert sum("worker" in child.cmdline() for child in children) == 2
    return cli, children


def assert_gone(workers: list[psutil.Process]) -> None:
    for worker in workers:
        assert not running(worker.pid), worker


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_dead_worker_stops_the_run_within_30_s_and_leaves_no_process(tmp_path):
    cli, workers = start_workers(tmp_path)
    victim = next(w for w in workers if w.cmdline()[w.cmdline().index("--index") + 1] == "1")
    with cli:
        victim.kill()
        started = time.monotonic()
        cli.wait(timeout=30)
        assert time.monotonic() - started < 30
        last = [line for line in cli.stderr.read().splitlines() if line.strip()][-1]
    assert cli.returncode == 1
    assert last == "alphabet-tutorial: error: worker 1 failed: killed by SIGKILL"
    assert_gone(workers)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_sigterm_stops_every_worker(tmp_path):
    cli, workers = start_workers(tmp_path)
    with cli:
        cli.send_signal(signal.SIGTERM)
        cli.wait(timeout=30)
        last = cli.stderr.read().splitlines()[-1]
    assert cli.returncode == 128 + signal.SIGTERM
    assert last == "alphabet-tutorial: stopped by SIGTERM"
    assert_gone(workers)
    assert list(tmp_path.iterdir()) == []  # the workers' temporary directories too


@pytest.mark.parametrize(
    ("kind", "count", "message"),
    [
        ("gpus", 2, "unknown setup 'gpus': choose from devices, workers, jax"),
        ("workers", 0, "workers must be a positive integer, got 0"),
        ("devices", True, "devices must be a positive integer, got True"),
    ],
)
def test_a_setup_that_cannot_run_is_refused_before_any_process_starts(kind, count, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Setup(kind, count)


def test_local_workers_see_no_gpu(monkeypatch):
    """Like their baseline, trained on this process's CPU, the workers train on the CPU,
    rather than share one GPU."""
    from alphabet_tutorial import scaleout

    envs = {}
    monkeypatch.setattr(scaleout, "free_ports", lambda count: [1000 + i for i in range(count)])
    monkeypatch.setattr(
        scaleout, "Child", lambda name, argv, env=None, echo=None: envs.setdefault(name, env)
    )
    monkeypatch.setattr(scaleout, "stop_all", lambda children: None)  # no process started
    scaleout.Setup("workers", 2).stop()
    assert [env["CUDA_VISIBLE_DEVICES"] for env in envs.values()] == ["", ""]


def test_the_jax_setup_splits_the_cpu_even_on_a_gpu_machine(monkeypatch):
    from alphabet_tutorial import backends
    from alphabet_tutorial.scaleout import jax_env

    monkeypatch.setattr(backends, "check_backend", lambda name: None)  # JAX need not be here
    env = jax_env(2)
    assert env["XLA_FLAGS"] == "--xla_force_host_platform_device_count=2"
    assert env["JAX_PLATFORMS"] == "cpu" and env["KERAS_BACKEND"] == "jax"
