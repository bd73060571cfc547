"""Fresh processes for the runs that cannot share one: a cluster of local workers on
loopback, and setups that need their own devices or Keras backend (both are fixed when
TensorFlow or JAX starts in a process).

`Setup` starts the processes of one data-parallel setup (N logical devices, N workers of
one MultiWorkerMirroredStrategy on free 127.0.0.1 ports, or Keras's DataParallel on N JAX
devices); its `train` trains there, stopping every process as soon as one fails or the
caller is interrupted. Setups started together pay their imports together: a setup
trains only once every one of them is ready, so that no run's timing shares the cores
with another's imports; `train_on_one_device` is the baseline, trained in this process.

Run as `python -m alphabet_tutorial.scaleout SETUP ...` it is the child side
(alphabet_tutorial/processes.py): it answers `train` with the summary of its runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from alphabet_tutorial import env
from alphabet_tutorial.config import Config
from alphabet_tutorial.display import Markdown
from alphabet_tutorial.history import warmed_epoch_seconds
from alphabet_tutorial.processes import LOOPBACK, Child, free_ports, serve, stop_all
from alphabet_tutorial.task import check_positive_integer

KINDS = ("devices", "workers", "jax")


def check_cluster(cluster: list[str]) -> None:
    """Refuse a cluster spec that cannot work: bad host:port, or an address twice."""
    for address in cluster:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"cluster address {address!r} is not host:port")
    if len(set(cluster)) != len(cluster):
        raise ValueError(f"cluster lists an address twice: {','.join(cluster)}")


def child_argv(setup: str, config: Config, *options: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "alphabet_tutorial.scaleout",
        setup,
        "--config",
        json.dumps(config.as_dict()),
        *options,
    ]


def jax_env(devices: int) -> dict:
    """The environment of a Keras-on-JAX process that sees `devices` CPU devices (and no
    GPU, so that the count holds on a GPU machine too)."""
    from alphabet_tutorial.backends import backend_env, check_backend

    check_backend("jax")
    flags = f"--xla_force_host_platform_device_count={devices}"
    return {**backend_env("jax"), "XLA_FLAGS": flags, "JAX_PLATFORMS": "cpu"}


def cpu_env() -> dict:
    """The environment of a TensorFlow process that sees no GPU: local workers train on
    the CPU, as their baseline does, rather than share one GPU."""
    return {**os.environ, "CUDA_VISIBLE_DEVICES": ""}


STARTING: list[Setup] = []  # setups whose processes may still be importing


class Setup:
    """The processes of one data-parallel setup, started at once: `kind` "devices" trains
    both implementations on `count` logical devices (MirroredStrategy), "workers" the
    low-level model on `count` local workers (MultiWorkerMirroredStrategy), "jax" Keras on
    JAX, on one device and then on `count` (DataParallel). `log`: a stream for the
    processes' logs, each line prefixed with its process's name; `save`: a weights file
    for the first worker's model."""

    def __init__(self, kind: str, count: int, config: Config = Config(), log=None, save=None):
        if kind not in KINDS:
            raise ValueError(f"unknown setup {kind!r}: choose from {', '.join(KINDS)}")
        check_positive_integer("workers" if kind == "workers" else "devices", count)
        self.kind, self.count, self.log = kind, count, log
        ports = free_ports(count) if kind == "workers" else []
        self.cluster = ",".join(f"{LOOPBACK}:{port}" for port in ports)
        self.children: list[Child] = []
        try:
            if kind == "workers":
                for index in range(count):
                    options = ["--cluster", self.cluster, "--index", str(index)]
                    if save is not None and index == 0:
                        options += ["--save", str(save)]
                    argv = child_argv("worker", config, *options)
                    self.children.append(Child(f"worker {index}", argv, cpu_env(), echo=log))
            else:
                argv = child_argv(kind, config, "--devices", str(count))
                environment = jax_env(count) if kind == "jax" else None
                self.children.append(Child(kind, argv, environment, echo=log))
        except BaseException:
            stop_all(self.children)
            raise
        STARTING.append(self)

    def wait_ready(self, deadline: float) -> None:
        """Return once every process has paid its imports and set its devices."""
        if self in STARTING:
            for child in self.children:
                child.receive(deadline, watch=self.children)
            STARTING.remove(self)
            if self.log is not None and self.kind == "workers":
                print(f"{self.count} workers ready on {self.cluster}", file=self.log, flush=True)

    def train(self, timeout: float = 600) -> list[dict]:
        """Train, once every setup started meanwhile is ready; one summary per run (its
        setup, replicas, accuracy, epochs to 100%, time of each epoch, a checksum of its
        weights). The processes are stopped then, whatever happens."""
        deadline = time.monotonic() + timeout
        try:
            wait_for_starting_setups(deadline)
            for child in self.children:
                child.send("train")
            return [
                run
                for child in self.children
                for run in child.receive(deadline, watch=self.children)
            ]
        finally:
            self.stop()

    def stop(self) -> None:
        if self in STARTING:
            STARTING.remove(self)
        stop_all(self.children)


def wait_for_starting_setups(deadline: float) -> None:
    for setup in list(STARTING):
        try:
            setup.wait_ready(deadline)
        except BaseException:
            setup.stop()
            raise


def launch_workers(
    config: Config, count: int, log=None, save: Path | None = None, timeout: float = 600
) -> list[dict]:
    """Train the low-level model on `count` local workers; one result per worker."""
    return Setup("workers", count, config, log=log, save=save).train(timeout)


def train_on_one_device(config: Config, impls=("lowlevel",)) -> list[dict]:
    """The implementations named ("lowlevel", "keras"), as they are, in this process, on its
    CPU (like the local workers, even where a GPU is visible): the baseline of the
    TensorFlow setups. Trains once every setup started meanwhile is ready."""
    import tensorflow as tf

    from alphabet_tutorial import keras_model, lowlevel

    wait_for_starting_setups(time.monotonic() + 600)
    runs = []
    for impl in impls:
        with tf.device("/cpu:0"):
            model, history = {"lowlevel": lowlevel, "keras": keras_model}[impl].train(config)
        runs.append(summary("one device", 1, config, model, history))
    return runs


def label(run: dict) -> str:
    """The implementation of a run, with its Keras backend."""
    return run.get("backend", "Keras on TensorFlow" if run["impl"] == "keras" else "Low-level TF")


def worker(run: dict) -> str:
    """Which worker of its run a row is, for the runs of several workers."""
    return f", worker {run['worker']}" if "worker" in run else ""


def format_setups(results: list[dict]) -> Markdown:
    """The runs of `Setup.train` and `train_on_one_device` as a table, one row per run.
    Time per epoch: the median of the epochs after the first, which traces the step."""
    seconds = [warmed_epoch_seconds(r["epoch_seconds"]) for r in results]
    baseline = {label(r): t for r, t in zip(results, seconds, strict=True) if r["replicas"] == 1}
    rows = [
        "| Run | Batch per replica | Windows right | 100% at epoch | Time per epoch "
        "| vs. one device | Weights |",
        "| --- | --: | --: | --: | --: | --: | --- |",
    ]
    for r, time_per_epoch in zip(results, seconds, strict=True):
        rows.append(
            f"| {label(r)}, {r['setup']}{worker(r)} | {r['per_replica_batch']:g} "
            f"| {r['accuracy']:.1%} | {r['epochs_to_100'] or 'never'} "
            f"| {time_per_epoch * 1000:.1f} ms "
            f"| {time_per_epoch / baseline[label(r)]:.1f}× | {r['checksum'][:8]} |"
        )
    return Markdown("\n".join(rows))


# --- the child side -------------------------------------------------------------------


def summary(setup: str, replicas: int, config: Config, model, history, **extra) -> dict:
    from alphabet_tutorial.distribute import checksum

    return {
        "setup": setup,
        "impl": history.impl,
        "replicas": replicas,
        "global_batch": config.batch_size,
        "per_replica_batch": config.batch_size / replicas,
        "accuracy": history.eval_accuracy[-1],
        "epochs_to_100": history.epochs_to_100,
        "epoch_seconds": history.epoch_seconds,
        "checksum": checksum(model.get_weights()),
        "parameters": int(model.count_params()),
        **extra,
    }


def largest_difference(weights, others) -> float:
    """The largest absolute difference between two models' weights, array by array."""
    return max(float(np.max(np.abs(a - b))) for a, b in zip(weights, others, strict=True))


def child_runs(args, config: Config):
    """The training runs of one child: a list of functions, each returning a summary."""
    if args.setup == "jax":
        from alphabet_tutorial import keras_model
        from alphabet_tutorial.keras_distribution import train_data_parallel

        backend = "Keras on JAX"  # jax_env sets KERAS_BACKEND

        one_device = []  # the weights of the first run, for the second to compare with

        def jax_single():  # before any distribution is set: one device
            model, history = keras_model.train(config)
            one_device.extend(model.get_weights())
            return summary("one device", 1, config, model, history, backend=backend)

        def jax_run():
            model, history = train_data_parallel(config)
            setup = f"{args.devices} devices (DataParallel)"
            difference = largest_difference(one_device, model.get_weights())
            extra = {"backend": backend, "largest_difference_from_one_device": difference}
            return summary(setup, args.devices, config, model, history, **extra)

        return [jax_single, jax_run]
    import tensorflow as tf

    from alphabet_tutorial import distribute

    if args.setup == "worker":
        cluster = args.cluster.split(",")
        strategy = distribute.worker_strategy(cluster, args.index)

        def worker_run():
            from alphabet_tutorial.progress import ProgressBar

            with ProgressBar(config.epochs, "lowlevel") as progress:
                model, history = distribute.train_lowlevel(config, strategy, progress=progress)
            if args.save is not None:
                from alphabet_tutorial.weights import save_weights

                save_weights(args.save, model.get_weights(), config, "lowlevel")
            setup = f"{len(cluster)} workers (MultiWorkerMirroredStrategy)"
            return summary(setup, len(cluster), config, model, history, worker=args.index)

        return [worker_run]
    strategy = tf.distribute.MirroredStrategy(distribute.use_devices(args.devices))
    setup = f"{args.devices} devices (MirroredStrategy)"

    def devices_run(train):  # both implementations, on the same devices
        return lambda: summary(setup, args.devices, config, *train(config, strategy))

    return [devices_run(distribute.train_keras), devices_run(distribute.train_lowlevel)]


def child_main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m alphabet_tutorial.scaleout")
    parser.add_argument("setup", choices=("devices", "worker", "jax"))
    parser.add_argument("--config", required=True, help="the Config's fields as JSON")
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--cluster", help="host:port of every worker, comma-separated")
    parser.add_argument("--index", type=int, default=0, help="this worker's place in --cluster")
    parser.add_argument("--save", type=Path)
    args = parser.parse_args(argv)

    def prepare():
        env.setup()
        runs = child_runs(args, Config(**json.loads(args.config)))
        return {"train": lambda: [run() for run in runs]}

    serve(prepare)


if __name__ == "__main__":
    child_main()
