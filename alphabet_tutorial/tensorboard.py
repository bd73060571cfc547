"""A real TensorBoard on 127.0.0.1, started as a subprocess and always stopped again.

`TensorBoardServer` is a context manager: it launches `tensorboard.main` in a process
group of its own, moves to another port if the chosen one is taken, waits until the
server answers (and lists the runs it was asked to wait for), and on leaving, by any
path, stops it and its process group (alphabet_tutorial/processes.py). Errors carry
the tail of TensorBoard's log. Nothing here imports TensorFlow or Keras.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from pathlib import Path

from alphabet_tutorial.env import QUIET
from alphabet_tutorial.processes import LOOPBACK, Child, check_port_free, free_ports

PORT_ATTEMPTS = 5  # how many ports to try when the chosen one is taken
PORT_TAKEN = "could not bind to port"  # what TensorBoard logs when its port is in use


class TensorBoardServer:
    """`with TensorBoardServer(logdir) as board:` serves `logdir` at `board.url`.

    `runs` names runs (e.g. "keras/train") that must be listed before the server counts
    as ready; `timeout` is the deadline in seconds for that, for each port tried.
    """

    def __init__(self, logdir, port=None, host=LOOPBACK, timeout=60.0, runs=()):
        self.logdir = Path(logdir)
        self.port = port
        self.host = host
        self.timeout = timeout
        self.runs = set(runs)
        self.child: Child | None = None  # TensorBoard; its log holds its stdout and stderr

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def pid(self) -> int | None:
        return self.child.pid if self.child else None

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
        port = self.port or free_ports(1, self.host)[0]
        if 0 < port < 2**16:  # spare a start that would fail
            try:
                check_port_free(self.host, port)
            except ValueError:
                port = free_ports(1, self.host)[0]
        for _ in range(PORT_ATTEMPTS):  # still retried: the port may go between check and use
            self.port = port
            self.child = self._launch()
            if self._wait(self.child):
                return
            self.child.stop()  # the port was taken: TensorBoard has exited
            port = free_ports(1, self.host)[0]
        raise RuntimeError(f"TensorBoard found no free port in {PORT_ATTEMPTS} tries{self._tail()}")

    def stop(self) -> None:
        """Stop TensorBoard's process group, and remove what it left in its TMPDIR."""
        if self.child is not None:
            self.child.stop()

    def log_tail(self, lines: int = 20) -> str:
        """The last lines TensorBoard wrote to its log."""
        return "\n".join(self.child.log_tail(lines)) if self.child else ""

    def log_cause(self) -> str:
        """TensorBoard's own reason for failing: its last ERROR line, else its last line."""
        lines = [line.strip() for line in self.log_tail(200).splitlines() if line.strip()]
        errors = [
            line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")
        ]
        return (errors or lines or ["it logged nothing"])[-1]

    def _launch(self) -> Child:
        command = [sys.executable, "-m", "tensorboard.main", "--logdir", str(self.logdir)]
        command += ["--host", self.host, "--port", str(self.port), "--reload_interval", "1"]
        env = {**os.environ, **QUIET}  # what env.setup() gives this process
        return Child("TensorBoard", command, env, talks=False)

    def _wait(self, child: Child) -> bool:
        """True once the runs are served; False if the port was taken; raises otherwise."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                if PORT_TAKEN in self.log_tail():
                    return False
                raise RuntimeError(
                    f"TensorBoard exited with status {child.process.returncode}: "
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
