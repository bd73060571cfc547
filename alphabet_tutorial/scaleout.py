"""Fresh processes for the runs that cannot share one: a cluster of local workers on
loopback, and setups that need their own devices or Keras backend (both are fixed when
TensorFlow or JAX starts in a process).

`launch_workers` starts N workers of one MultiWorkerMirroredStrategy on free 127.0.0.1
ports, prefixes their logs, and stops them all as soon as one fails or the caller is
interrupted. Where 127.0.0.1 does not answer (a sandbox whose network namespace has its
loopback down), the workers get a network namespace of their own whose loopback is up.
`run_setups` trains the model in every data-parallel setup and measures each run: the
processes start (and pay their imports) together, then train one at a time, so that no
run's timing shares the cores with another's training.

Run as `python -m alphabet_tutorial.scaleout SETUP ...` it is the child side: it prints one
JSON line when it is ready, waits for a line on stdin when asked to, and prints one JSON
line with its results.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import queue
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from alphabet_tutorial import env
from alphabet_tutorial.config import Config
from alphabet_tutorial.display import Markdown

HOST = "127.0.0.1"
SETUPS = ("devices", "worker", "jax")


class WorkerFailed(RuntimeError):
    """A child process failed; the message is its own last line."""


class NoLoopback(RuntimeError):
    """127.0.0.1 does not answer in this network namespace."""


def free_ports(count: int, host: str = HOST) -> list[int]:
    """`count` distinct ports that nothing listens on right now, on an interface that
    answers (a network namespace can hold 127.0.0.1 with its loopback down)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:  # all held open at once, so the ports differ
            sock.bind((host, 0))
        sockets[0].listen()
        try:
            socket.create_connection(sockets[0].getsockname(), timeout=2).close()
        except OSError as error:
            raise NoLoopback(
                f"the workers talk over {host}, which does not answer here: {error}"
            ) from None
        return [sock.getsockname()[1] for sock in sockets]


def loopback_up() -> None:
    """Bring the interface `lo` of this network namespace up (`ip link set lo up`)."""
    import fcntl  # Linux only, like network namespaces

    get_flags, set_flags, up = 0x8913, 0x8914, 0x1  # SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP
    with socket.socket() as sock:
        request = struct.pack("16sH22x", b"lo", 0)  # struct ifreq: name, flags
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, get_flags, request))[1]
        fcntl.ioctl(sock, set_flags, struct.pack("16sH22x", b"lo", flags | up))


def hold_loopback(count: int) -> None:
    """The side of the process that holds the workers' own network namespace open: brings
    its loopback up, prints `count` free ports as a JSON line, and stays until stopped or
    until its stdin closes (the parent died)."""
    loopback_up()
    print(json.dumps({"ports": free_ports(count)}), flush=True)
    sys.stdin.read()


def unshare_flags() -> tuple[list[str] | None, str]:
    """How `unshare` can make a network namespace here: `-n` (root, CAP_SYS_ADMIN), or
    `-rn` inside a user namespace of its own; None and the reason if neither works."""
    if shutil.which("unshare") is None or shutil.which("nsenter") is None:
        return None, "unshare and nsenter (util-linux) are not installed"
    reason = ""
    for flags in (["-n"], ["-rn"]):
        probe = subprocess.run(["unshare", *flags, "true"], capture_output=True, text=True)
        if probe.returncode == 0:
            return flags, ""
        said = probe.stderr.strip().splitlines() or [f"exit status {probe.returncode}"]
        reason = reason or f"unshare {flags[0]}: {said[-1]}"
    return None, reason


def check_cluster(cluster: list[str]) -> None:
    """Refuse a cluster spec that cannot work: bad host:port, or a local port in use."""
    for address in cluster:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"cluster address {address!r} is not host:port")
    if len(set(cluster)) != len(cluster):
        raise ValueError(f"cluster lists an address twice: {','.join(cluster)}")


def check_port_free(address: str) -> None:
    """Refuse a local address that another program listens on."""
    host, _, port = address.rpartition(":")
    with socket.socket() as sock:
        try:
            sock.bind((host, int(port)))
        except OSError as error:
            raise ValueError(f"cannot listen on {address}: {error.strerror}") from None


class Child:
    """One child process: JSON lines from its stdout, its stderr forwarded with a prefix.
    Its temporary files (TensorFlow's autograph sources) go to a directory of its own,
    removed when it stops."""

    def __init__(self, name: str, argv: list[str], env: dict | None = None, log=None):
        self.name, self.log, self.last_line = name, log, ""
        self.lines: queue.Queue[str] = queue.Queue()
        self.scratch = tempfile.mkdtemp(prefix="alphabet-child-")
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**(os.environ if env is None else env), "TMPDIR": self.scratch},
            start_new_session=True,  # its own group: a terminal's Ctrl-C reaches us only
        )
        for stream, sink in (
            (self.process.stdout, self.lines.put),
            (self.process.stderr, self._log),
        ):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()

    @staticmethod
    def _pump(stream, sink) -> None:
        for line in stream:
            sink(line.rstrip("\n"))

    def _log(self, line: str) -> None:
        if line.strip():
            self.last_line = line.strip()
        if self.log is not None:
            print(f"[{self.name}] {line}", file=self.log, flush=True)

    def go(self) -> None:
        assert self.process.stdin is not None  # a pipe, see __init__
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def failure(self) -> str | None:
        """Why the child failed, if it has exited with an error."""
        code = self.process.poll()
        if code is None or code == 0:
            return None
        if code < 0:
            cause = f"killed by {signal.Signals(-code).name}"
        else:
            time.sleep(0.2)  # let the stderr pump take its last line
            cause = self.last_line or f"exit status {code}"
        return f"{self.name} failed: {cause}"

    def stop(self) -> None:
        """End the child and everything it started."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def next_message(children: list[Child], child: Child, deadline: float) -> dict:
    """The next JSON line of `child`; fails as soon as any of `children` fails."""
    while True:
        for other in children:
            if (why := other.failure()) is not None:
                raise WorkerFailed(why)
        try:
            return json.loads(child.lines.get(timeout=0.1))
        except queue.Empty:
            if child.process.poll() == 0 and child.lines.empty():
                raise WorkerFailed(f"{child.name} exited without a result") from None
        if time.monotonic() > deadline:
            raise WorkerFailed(f"{child.name} gave no answer in time")


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
    """The environment of a Keras-on-JAX process that sees `devices` CPU devices."""
    from alphabet_tutorial.backends import backend_env, check_backend

    check_backend("jax")
    flags = f"--xla_force_host_platform_device_count={devices}"
    return {**backend_env("jax"), "XLA_FLAGS": flags}


def worker_network(count: int) -> tuple[str, list[str], list[Child]]:
    """Where `count` local workers can talk: their cluster spec, the command that starts a
    worker there, and the process that holds that place (none when it is this machine's
    127.0.0.1). Where 127.0.0.1 does not answer, that place is a network namespace of
    their own with its loopback up; the one clear error only if none can be made."""
    try:
        return ",".join(f"{HOST}:{port}" for port in free_ports(count)), [], []
    except NoLoopback as error:
        here = str(error)
    flags, why = unshare_flags()
    if flags is None:
        raise NoLoopback(f"{here}; and no network namespace of their own can be made: {why}")
    code = f"from alphabet_tutorial.scaleout import hold_loopback; hold_loopback({count})"
    holder = Child("loopback", ["unshare", *flags, sys.executable, "-c", code])
    try:
        ports = next_message([holder], holder, time.monotonic() + 60)["ports"]
    except BaseException:
        holder.stop()
        raise
    namespaces = f"/proc/{holder.process.pid}/ns"
    enter = ["nsenter", f"--net={namespaces}/net"]
    if "-rn" in flags:  # the user namespace that owns it first, keeping our own user
        enter = ["nsenter", "--preserve-credentials", f"--user={namespaces}/user", enter[1]]
    cluster = ",".join(f"{HOST}:{port}" for port in ports)
    return cluster, [*enter, "--"], [holder]


def launch_workers(
    config: Config, count: int, log=None, save: Path | None = None, timeout: float = 600
) -> list[dict]:
    """Train the low-level model on `count` local workers; one result per worker."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"workers must be a positive integer, got {count!r}")
    cluster, enter, holders = worker_network(count)
    workers: list[Child] = []
    try:
        for index in range(count):
            options = ["--cluster", cluster, "--index", str(index)]
            if save is not None and index == 0:
                options += ["--save", str(save)]
            argv = [*enter, *child_argv("worker", config, *options)]
            workers.append(Child(f"worker {index}", argv, log=log))
        children = workers + holders
        deadline = time.monotonic() + timeout
        for child in workers:
            next_message(children, child, deadline)  # ready
        if log is not None:
            print(f"{count} workers ready on {cluster}", file=log, flush=True)
        return [next_message(children, child, deadline)["runs"][0] for child in workers]
    finally:
        for child in workers + holders:  # the namespace's holder last
            child.stop()


def run_setups(config: Config, devices: int = 2, workers: int = 2, timeout=600) -> list[dict]:
    """Train the next-letter model in every data-parallel setup; one summary per run (its
    setup, replicas, accuracy, epochs to 100 %, time of each epoch, a checksum of its
    weights). Both implementations train on one device (in this process) and on `devices`
    devices, the low-level model on `workers` local workers, and Keras on JAX over
    `devices` devices: each setup that needs devices or a backend of its own gets fresh
    processes, which start together and pay their imports first; then every run trains
    in turn, one at a time."""
    jax = jax_env(devices)
    cluster, enter, holders = worker_network(workers)
    worker = ("--cluster", cluster, "--wait", "--index")
    started: list[Child] = []
    try:
        groups = [
            [Child("devices", child_argv("devices", config, "--devices", str(devices), "--wait"))],
            [
                Child(f"worker {i}", [*enter, *child_argv("worker", config, *worker, str(i))])
                for i in range(workers)
            ],
            [Child("jax", child_argv("jax", config, "--devices", str(devices), "--wait"), jax)],
        ]
        started = [child for group in groups for child in group]
        children = started + holders
        deadline = time.monotonic() + timeout
        for child in started:
            next_message(children, child, deadline)  # ready: imports paid, devices set
        results = [run() for run in single_device_runs(config)]
        for group in groups:  # one group trains at a time
            for child in group:
                child.go()
            for child in group:
                results.extend(next_message(children, child, deadline)["runs"])
        return results
    finally:
        for child in started + holders:  # the namespace's holder last
            child.stop()


def warmed_epoch_seconds(run: dict) -> float:
    """Median time of an epoch's training steps, the first (compiling) epoch left out."""
    return statistics.median(run["epoch_seconds"][1:] or run["epoch_seconds"])


def machine() -> str:
    """The processor this ran on, as a reader would name it."""
    cpuinfo = Path("/proc/cpuinfo")
    names = (
        re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        if cpuinfo.exists()
        else []
    )
    name = names[0] if names else platform.processor() or platform.machine()
    return f"{name}, {os.cpu_count()} cores"


def label(run: dict) -> str:
    """The implementation of a run, with its Keras backend."""
    return run.get("backend", "keras on tensorflow" if run["impl"] == "keras" else "low-level TF")


def format_setups(results: list[dict]) -> Markdown:
    """The runs of `run_setups` as a Markdown table, and what their figures say."""
    baseline = {label(r): warmed_epoch_seconds(r) for r in results if r["replicas"] == 1}
    rows = [
        "| Run | Batch per replica | 100 % at epoch | Time per epoch | vs. one device |",
        "| --- | --: | --: | --: | --: |",
    ]
    for r in results:
        seconds = warmed_epoch_seconds(r)
        rows.append(
            f"| {label(r)}, {r['setup']} | {r['per_replica_batch']:g} "
            f"| {r['epochs_to_100'] or 'never'} | {seconds * 1000:.0f} ms "
            f"| {seconds / baseline[label(r)]:.2f}× |"
        )
    workers = [r for r in results if "worker" in r]
    same = len({r["checksum"] for r in workers}) == 1
    missed = [f"{r['setup']} ({r['impl']})" for r in results if r["accuracy"] < 1.0]
    changes = [
        f"{label(r)} on {r['setup']} takes {warmed_epoch_seconds(r) / baseline[label(r)]:.2f}×"
        for r in results
        if r["replicas"] > 1 and r.get("worker", 0) == 0
    ]
    notes = [
        f"Measured on {machine()}, with {results[0]['parameters']:,} parameters per model "
        f"and a global batch of {results[0]['global_batch']} windows.",
        f"Per epoch, against one device (above 1× is slower): {'; '.join(changes)}.",
        "Every run predicts every window right."
        if not missed
        else f"Not every window right after training: {', '.join(missed)}.",
        f"The {len(workers)} workers end with "
        + ("identical weights (one checksum)." if same else "different weights: a bug."),
    ]
    replicated = {r["checksum"] for r in results if r["impl"] == "lowlevel" and r["replicas"] > 1}
    if len(replicated) == 1:
        notes.append(
            "The low-level runs on several devices and on several workers end with the same "
            "weights too: they add the same numbers in the same order."
        )
    return Markdown("\n".join(rows) + "\n\n" + " ".join(notes))


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


def single_device_runs(config: Config):
    """Both implementations as they are, on one device: the baseline rows."""
    from alphabet_tutorial import keras_model, lowlevel

    def run(train):
        model, history = train(config)
        return summary("one device", 1, config, model, history)

    return [lambda: run(lowlevel.train), lambda: run(keras_model.train)]


def plain_evaluate(model, config: Config) -> str:
    """What `evaluate` on every window, unpadded, gives under the model's strategy."""
    from alphabet_tutorial.evaluation import check_model_fits
    from alphabet_tutorial.task import evaluation_set

    check_model_fits(model, config)
    try:
        accuracy = model.evaluate(*evaluation_set(config), verbose=0, return_dict=True)["accuracy"]
    except Exception as error:  # the uneven split fails inside TensorFlow
        first = re.sub(r"\{\{.*?\}\}\s*", "", str(error).strip().splitlines()[0])
        return f"{type(error).__name__}: {first}"
    return f"accuracy {accuracy:.1%}"


def child_runs(args, config: Config):
    """The training runs of one child: a list of functions, each returning a summary."""
    if args.setup == "jax":
        import keras

        from alphabet_tutorial import keras_model
        from alphabet_tutorial.keras_distribution import train_data_parallel

        backend = f"keras on {keras.backend.backend()}"

        def jax_single():  # before any distribution is set: one device
            model, history = keras_model.train(config)
            return summary("one device", 1, config, model, history, backend=backend)

        def jax_run():
            model, history = train_data_parallel(config)
            setup = f"{args.devices} devices (DataParallel)"
            return summary(setup, args.devices, config, model, history, backend=backend)

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
    names = distribute.use_devices(args.devices)
    if args.devices == 1:
        return single_device_runs(config)
    strategy = tf.distribute.MirroredStrategy(names)
    setup = f"{args.devices} devices (MirroredStrategy)"

    def lowlevel_run():
        model, history = distribute.train_lowlevel(config, strategy)
        return summary(setup, args.devices, config, model, history)

    def keras_run():
        model, history = distribute.train_keras(config, strategy)
        plain = plain_evaluate(model, config)
        evaluated = distribute.evaluate_keras(model, config, args.devices)["accuracy"]
        return summary(
            setup,
            args.devices,
            config,
            model,
            history,
            plain_evaluate=plain,
            evaluate_accuracy=evaluated,
        )

    return [lowlevel_run, keras_run]


def child_main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alphabet_tutorial.scaleout")
    parser.add_argument("setup", choices=SETUPS)
    parser.add_argument("--config", required=True, help="the Config's fields as JSON")
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--cluster", help="host:port of every worker, comma-separated")
    parser.add_argument("--index", type=int, default=0, help="this worker's place in --cluster")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--wait", action="store_true", help="train after a line on stdin")
    args = parser.parse_args(argv)
    env.setup()
    try:
        config = Config(**json.loads(args.config))
        runs = child_runs(args, config)
        print(json.dumps({"ready": True}), flush=True)
        if args.wait:
            sys.stdin.readline()
        print(json.dumps({"runs": [run() for run in runs]}), flush=True)
    except Exception as error:  # one line for the parent, which reports it
        message = str(error).strip().splitlines()
        print(f"error: {type(error).__name__}: {message[0] if message else ''}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(child_main())
