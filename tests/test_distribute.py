"""Data-parallel training (alphabet_tutorial.distribute, .keras_distribution, .scaleout):
real runs on 2 logical CPU devices, 2 worker processes on loopback, and Keras on JAX."""

from __future__ import annotations

import socket

import pytest

from alphabet_tutorial import Config
from alphabet_tutorial.scaleout import check_cluster, check_port_free, format_setups, run_setups

pytestmark = pytest.mark.timeout(600)


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
def test_every_replicated_setup_learns_every_window(setups, setup_suffix, impl, count):
    found = runs(setups, setup_suffix, impl)
    assert len(found) == count
    for run in found:
        assert run["replicas"] == 2
        assert run["per_replica_batch"] == run["global_batch"] / 2
        assert run["accuracy"] == 1.0, run
        assert run["epochs_to_100"] is not None and run["epochs_to_100"] <= 5


def test_both_workers_end_with_identical_weights(setups):
    workers = runs(setups, "(MultiWorkerMirroredStrategy)", "lowlevel")
    assert {run["worker"] for run in workers} == {0, 1}
    assert len({run["checksum"] for run in workers}) == 1


def test_keras_evaluate_fails_on_an_uneven_split_and_padding_fixes_it(setups):
    (keras_run,) = runs(setups, "(MirroredStrategy)", "keras")
    assert keras_run["plain_evaluate"].startswith("InvalidArgumentError")
    assert "[12,3,26] != input 1: [11,3,26]" in keras_run["plain_evaluate"]
    assert keras_run["evaluate_accuracy"] == 1.0


def test_data_parallel_runs_on_jax_next_to_a_one_device_jax_baseline(setups):
    jax_runs = [r for r in setups if r.get("backend") == "keras on jax"]
    assert [r["replicas"] for r in jax_runs] == [1, 2]


def test_format_setups_reports_every_run_and_what_it_shows(setups):
    text = format_setups(setups)
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(setups)  # header + one row per run
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
