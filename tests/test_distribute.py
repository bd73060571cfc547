"""Data-parallel training (alphabet_tutorial.distribute, .keras_distribution, .scaleout):
real runs on 2 logical CPU devices, 2 worker processes on loopback, and Keras on JAX."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest

from alphabet_tutorial import Config
from alphabet_tutorial.scaleout import check_cluster, check_port_free, format_setups, run_setups


@pytest.fixture(scope="session")
def setups() -> list[dict]:
    """Every setup of the chapter, trained once: the same call the chapter makes."""
    return run_setups(Config(epochs=5), devices=2, workers=2)


def runs(setups, setup_suffix: str, impl: str) -> list[dict]:
    found = [r for r in setups if r["setup"].endswith(setup_suffix) and r["impl"] == impl]
    assert found, f"no {impl} run of {setup_suffix}"
    return found


@pytest.mark.parametrize(
    ("setup_suffix", "impl", "count"),
    [
        ("(MirroredStrategy)", "lowlevel", 1),
        ("(MirroredStrategy)", "keras", 1),
        ("(MultiWorkerMirroredStrategy)", "lowlevel", 2),
        ("(DataParallel)", "keras", 1),
    ],
)
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_every_replicated_setup_learns_every_window(setups, setup_suffix, impl, count):
    found = runs(setups, setup_suffix, impl)
    assert len(found) == count
    for run in found:
        assert run["replicas"] == 2
        assert run["per_replica_batch"] == run["global_batch"] / 2
        assert run["accuracy"] == 1.0, run
        assert run["epochs_to_100"] is not None and run["epochs_to_100"] <= 5


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_both_workers_end_with_identical_weights(setups):
    workers = runs(setups, "(MultiWorkerMirroredStrategy)", "lowlevel")
    assert {run["worker"] for run in workers} == {0, 1}
    assert len({run["checksum"] for run in workers}) == 1


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_keras_evaluate_fails_on_an_uneven_split_and_padding_fixes_it(setups):
    (keras_run,) = runs(setups, "(MirroredStrategy)", "keras")
    assert keras_run["plain_evaluate"].startswith("InvalidArgumentError")
    assert "[12,3,26] != input 1: [11,3,26]" in keras_run["plain_evaluate"]
    assert keras_run["evaluate_accuracy"] == 1.0


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_data_parallel_runs_on_jax_next_to_a_one_device_jax_baseline(setups):
    jax_runs = [r for r in setups if r.get("backend") == "keras on jax"]
    assert [r["replicas"] for r in jax_runs] == [1, 2]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_format_setups_reports_every_run_and_what_it_shows(setups):
    text = format_setups(setups)
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(table) == 2 + len(setups)  # header, rule, one row per run
    assert "Every run predicts every window right." in text
    assert "identical weights" in text
    assert f"{setups[0]['parameters']:,} parameters" in text


def test_use_devices_refuses_after_tensorflow_started():
    import tensorflow as tf

    from alphabet_tutorial.distribute import use_devices

    tf.constant(1.0)  # TensorFlow has run an op in this process
    current = len(tf.config.list_logical_devices("CPU"))
    with pytest.raises(RuntimeError, match="must be set before its first op"):
        use_devices(current + 1)
    with pytest.raises(ValueError, match="devices must be a positive integer, got 0"):
        use_devices(0)


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
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        with pytest.raises(ValueError, match=f"cannot listen on {address}: Address already in use"):
            check_port_free(address)


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
def test_train_on_two_devices_from_the_command_line(tmp_path):
    result = train(tmp_path, "--impl", "lowlevel", "--devices", "2", "--epochs", "4", timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("lowlevel (on 2 devices): 100.0% of every window right")


def start_workers(tmp_path, *prefix: str) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """`train --workers 2` for long enough to interrupt; returns it once both workers run,
    with every process it started."""
    args = ["train", "--impl", "lowlevel", "--workers", "2", "--epochs", "2000"]
    cli = subprocess.Popen(
        [*prefix, *PROG, *args],
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
        assert not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE, worker


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


def network_namespace(pid: int) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize("loopback", ["up", "down"])
def test_sigterm_stops_every_worker(tmp_path, loopback):
    """With loopback down (`unshare -n`), the workers train in a network namespace of their
    own, held by one more process: SIGTERM stops that one too."""
    prefix = []
    if loopback == "down":
        probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
        if probe.returncode:
            reason = f"unshare -n is not permitted here: {probe.stderr.strip()}"
            if os.environ.get("CI"):
                pytest.fail(f"{reason}; CI is set, so this must run")
            pytest.skip(reason)
        prefix = ["unshare", "-n"]
    cli, workers = start_workers(tmp_path, *prefix)
    spaces = {network_namespace(worker.pid) for worker in workers}
    if loopback == "down":
        assert len(workers) == 3 and len(spaces) == 1  # the workers and the holder
        assert spaces != {network_namespace(cli.pid)}
    else:
        assert spaces == {network_namespace(cli.pid)}
    with cli:
        cli.send_signal(signal.SIGTERM)
        cli.wait(timeout=30)
        last = cli.stderr.read().splitlines()[-1]
    assert cli.returncode == 128 + signal.SIGTERM
    assert last == "alphabet-tutorial: stopped by SIGTERM"
    assert_gone(workers)
