"""A real TensorBoard on 127.0.0.1, started as a subprocess and always stopped again.

`TensorBoardServer` is a context manager: it launches `tensorboard.main` in a process
group of its own, moves to another port if the chosen one is taken, waits until the
server answers (and lists the runs it was asked to wait for), and on leaving, by any
path, terminates the process group by TensorBoard's pid. Errors carry the tail of
TensorBoard's log. Nothing here imports TensorFlow or Keras.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from alphabet_tutorial.env import QUIET

PORT_ATTEMPTS = 5  # how many ports to try when the chosen one is taken
PORT_TAKEN = "could not bind to port"  # what TensorBoard logs when its port is in use


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def is_taken(port: int, host: str = "127.0.0.1") -> bool:
    """True if something holds `port` already, so TensorBoard could not bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


class TensorBoardServer:
    """`with TensorBoardServer(logdir) as board:` serves `logdir` at `board.url`.

    `runs` names runs (e.g. "keras/train") that must be listed before the server counts
    as ready; `timeout` is the deadline in seconds for that, for each port tried.
    """

    def __init__(self, logdir, port=None, host="127.0.0.1", timeout=60.0, runs=()):
        self.logdir = Path(logdir)
        self.port = port
        self.host = host
        self.timeout = timeout
        self.runs = set(runs)
        self.process: subprocess.Popen | None = None
        self._log: IO[bytes] | None = None  # TensorBoard's stdout and stderr
        self._scratch: Path | None = None  # its TMPDIR: log, data server files, info file

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def __enter__(self) -> TensorBoardServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        """Launch TensorBoard and wait until it serves the runs; try other ports if taken."""
        self._scratch = Path(tempfile.mkdtemp(prefix="tensorboard-"))
        log = self._log = (self._scratch / "tensorboard.log").open("w+b")
        port = self.port or free_port(self.host)
        if 0 < port < 2**16 and is_taken(port, self.host):  # spare a start that would fail
            port = free_port(self.host)
        for _ in range(PORT_ATTEMPTS):  # still retried: the port may go between check and use
            self.port = port
            self.process = self._launch(log)
            if self._wait(self.process):
                return
            port = free_port(self.host)  # the port was taken: TensorBoard has exited
        raise RuntimeError(f"TensorBoard found no free port in {PORT_ATTEMPTS} tries{self._tail()}")

    def stop(self) -> None:
        """Terminate TensorBoard's process group by its pid; kill it after a grace period."""
        with signals_deferred():  # a Ctrl-C now would leave half of it undone
            self._stop()

    def _stop(self) -> None:
        if self.process is not None:
            _terminate(self.process)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._scratch is not None:  # the log and whatever TensorBoard left in its TMPDIR
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def log_tail(self, lines: int = 20) -> str:
        """The last lines TensorBoard wrote to its log."""
        if self._log is None:
            return ""
        text = Path(self._log.name).read_text(errors="replace")
        return "\n".join(text.rstrip().splitlines()[-lines:])

    def log_cause(self) -> str:
        """TensorBoard's own reason for failing: its last ERROR line, else its last line."""
        lines = [line.strip() for line in self.log_tail(200).splitlines() if line.strip()]
        errors = [
            line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")
        ]
        return (errors or lines or ["it logged nothing"])[-1]

    def _launch(self, log: IO[bytes]) -> subprocess.Popen:
        log.truncate(0)
        log.seek(0)
        command = [sys.executable, "-m", "tensorboard.main", "--logdir", str(self.logdir)]
        command += ["--host", self.host, "--port", str(self.port), "--reload_interval", "1"]
        env = {**os.environ, **QUIET}  # what env.setup() gives this process
        env["TMPDIR"] = str(self._scratch)  # nothing it leaves outlives stop()
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # its own process group, with its data server
        )

    def _wait(self, process: subprocess.Popen) -> bool:
        """True once the runs are served; False if the port was taken; raises otherwise."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                if PORT_TAKEN in self.log_tail():
                    _terminate(process)  # reap it and anything it started
                    return False
                raise RuntimeError(
                    f"TensorBoard exited with status {process.returncode}: "
                    f"{self.log_cause()}{self._tail()}"
                )
            served = self._served_runs()
            if served is not None and self.runs <= served:
                return True
            time.sleep(0.25)
        raise RuntimeError(
            f"TensorBoard did not serve {sorted(self.runs) or 'any page'} at {self.url} "
            f"within {self.timeout:g} s{self._tail()}"
        )

    def _served_runs(self) -> set[str] | None:
        """The runs TensorBoard lists now; None if it does not answer yet."""
        try:
            with urllib.request.urlopen(self.url + "data/runs", timeout=2) as response:
                return set(json.load(response))
        except (OSError, ValueError):
            return None

    def _tail(self) -> str:
        tail = self.log_tail()
        # the first line of the message stays the reason: the CLI shows only that line
        return (
            f"\nTensorBoard's log ends with:\n{tail}" if tail else " (TensorBoard logged nothing)"
        )


@contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP arriving in the body take effect after it (main thread)."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not (
        threading.main_thread()
    ):
        yield
        return
    stops = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, stops)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _terminate(process: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM to the process group led by `process.pid`, SIGKILL if still alive after `grace`."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    try:  # the data server may outlive TensorBoard in the same group: wait until it is gone
        os.killpg(process.pid, signal.SIGKILL)
        while time.monotonic() < deadline:
            os.killpg(process.pid, 0)  # raises once the group is empty (zombies reaped)
            time.sleep(0.05)
    except (ProcessLookupError, PermissionError):
        pass
