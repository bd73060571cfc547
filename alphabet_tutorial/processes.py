"""Child processes, started and stopped one way, and the one way they talk.

`Child` starts a command in a process group of its own (a terminal's Ctrl-C reaches the
parent, which stops its children), with a temporary directory of its own as TMPDIR. Its
stderr is read line by line as it comes: the last lines are kept for the error message,
and each is echoed with the child's name when asked. `stop` ends the child and everything
it started, then removes its directory; every child still running when this process
exits is stopped then too.

The protocol, JSON lines: a child that talks writes `{"ready": true}` once it has paid its
imports; then each request `{"do": NAME, "args": {...}}` on its stdin gets one line back.
It ends when its stdin closes, so also when its parent dies, however that happens. A child
that fails writes one line `error: TYPE: MESSAGE` to stderr and exits with status 1.
`serve` is the child's side.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import IO, Any, NoReturn

from alphabet_tutorial.stopping import signals_deferred

LOOPBACK = "127.0.0.1"
SCRATCH = "ALPHABET_CHILD_SCRATCH"  # the directory a child removes when it ends
LOG_LINES = 200  # the last lines of a child's log kept for its error message
REAPED = 10.0  # seconds to wait, at most, for the killed processes of a group to be gone


def free_ports(count: int = 1, host: str = LOOPBACK) -> list[int]:
    """`count` distinct ports that nothing listens on right now (the OS picks them), on an
    address that answers: RuntimeError if it does not (a loopback interface can be down)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:  # all held open at once, so the ports differ
            sock.bind((host, 0))
        sockets[0].listen()
        try:
            socket.create_connection(sockets[0].getsockname(), timeout=2).close()
        except OSError as error:
            raise RuntimeError(f"{host} does not answer here: {error}") from None
        return [sock.getsockname()[1] for sock in sockets]


def check_port_free(host: str, port: int) -> None:
    """ValueError naming the address if something on this machine listens on it."""
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ValueError(f"cannot listen on {host}:{port}: {error.strerror}") from None


class ChildFailed(RuntimeError):
    """A child process failed; the message names it and gives its own last line."""


class Child:
    """One child process. `talks`: it answers requests (`send`, `receive`, `ask`) on
    stdin and stdout; otherwise its stdout goes to its log with its stderr. `echo`: a
    stream that gets each line of its log as it comes, prefixed with `[name]`."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str] | None = None,
        talks: bool = True,
        echo: IO[str] | None = None,
    ):
        self.name, self.echo = name, echo
        self.log: deque[str] = deque(maxlen=LOG_LINES)
        self.replies: queue.Queue[str] = queue.Queue()
        self.scratch = tempfile.mkdtemp(prefix="alphabet-child-")
        try:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE if talks else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE if talks else subprocess.STDOUT,
                text=True,
                errors="replace",
                env={
                    **(os.environ if env is None else env),
                    "TMPDIR": self.scratch,
                    SCRATCH: self.scratch,
                },
                start_new_session=True,
            )
        except BaseException:
            shutil.rmtree(self.scratch, ignore_errors=True)
            raise
        LIVE.append(self)
        streams = [(self.process.stdout, self.replies.put if talks else self._logged)]
        if talks:
            streams.append((self.process.stderr, self._logged))
        self.pumps = [threading.Thread(target=pump, args=stream, daemon=True) for stream in streams]
        for thread in self.pumps:
            thread.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _logged(self, line: str) -> None:
        self.log.append(line)
        if self.echo is not None:
            print(f"[{self.name}] {line}", file=self.echo, flush=True)

    def log_tail(self, lines: int = 20) -> list[str]:
        """The last lines of its log (all of them, once it has exited)."""
        if self.process.poll() is not None:
            for thread in self.pumps:  # a second at most: a grandchild may hold the pipe
                thread.join(1)
        return [line for line in self.log if line.strip()][-lines:]

    def failure(self) -> str | None:
        """Why the child failed, if it has exited with an error."""
        code = self.process.poll()
        if not code:
            return None
        if code < 0:
            return f"{self.name} failed: killed by {signal.Signals(-code).name}"
        last = self.log_tail(1)
        return f"{self.name} failed: {last[0].strip() if last else f'exit status {code}'}"

    def send(self, do: str, **args: Any) -> None:
        """Ask the child to do something; its answer comes with `receive`."""
        assert self.process.stdin is not None, f"{self.name} does not talk"
        try:
            self.process.stdin.write(json.dumps({"do": do, "args": args}) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:  # it has ended: say why
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
            raise ChildFailed(self.failure() or f"{self.name} stopped reading") from None

    def receive(self, deadline: float = math.inf, watch: list[Child] | tuple = ()) -> Any:
        """The child's next line; ChildFailed as soon as it or a child in `watch` fails,
        or when `deadline` (of time.monotonic) passes."""
        while True:
            for child in (self, *watch):
                if (why := child.failure()) is not None:
                    raise ChildFailed(why)
            try:
                return json.loads(self.replies.get(timeout=0.1))
            except queue.Empty:
                if not self.pumps[0].is_alive() and self.replies.empty():  # its output ended
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        self.process.wait(5)  # so that its exit status says why
                    why = self.failure() or f"{self.name} ended without an answer"
                    raise ChildFailed(why) from None
            if time.monotonic() > deadline:
                raise ChildFailed(f"{self.name} gave no answer in time")

    def ask(self, do: str, **args: Any) -> Any:
        self.send(do, **args)
        return self.receive()

    def terminate(self) -> None:
        """SIGTERM to the child's process group (`stop` waits for it)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self, grace: float = 5.0) -> None:
        """End the child and every process of its group: SIGTERM, SIGKILL after `grace`
        seconds; then close its pipes and remove its directory."""
        with signals_deferred():  # a Ctrl-C now would leave half of it undone
            self.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(grace)
            try:  # what is left of its group (TensorBoard's data server), until it is gone
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
                deadline = time.monotonic() + REAPED  # orphans are reaped by PID 1
                while time.monotonic() < deadline:
                    os.killpg(self.process.pid, 0)  # raises once the group is empty
                    time.sleep(0.05)
            except (ProcessLookupError, PermissionError):
                pass
            self.process.wait()
            for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            shutil.rmtree(self.scratch, ignore_errors=True)
            with contextlib.suppress(ValueError):
                LIVE.remove(self)


def pump(stream: IO[str], sink: Callable[[str], object]) -> None:
    """Hand each line of `stream` to `sink` until the stream ends."""
    with contextlib.suppress(ValueError, OSError):  # closed by `stop`
        for line in stream:
            sink(line.rstrip("\n"))


LIVE: list[Child] = []  # the children started and not yet stopped


def stop_all(children=None) -> None:
    """Stop `children` (default: every child still running): all signalled at once, then
    each waited for."""
    children = list(LIVE if children is None else children)
    for child in children:
        child.terminate()
    for child in children:
        child.stop()


atexit.register(stop_all)


def run(argv: list[str], env: dict[str, str] | None = None) -> int:
    """Run a command in the foreground (sharing this terminal) to its end: its exit status."""
    return subprocess.run(argv, env=env).returncode


# --- the child's side ---------------------------------------------------------------------


def serve(prepare: Callable[[], dict[str, Callable[..., Any]]]) -> NoReturn:
    """Be a child that talks: `prepare()` (the imports, the setup) returns the handler of
    each request; answer the requests on stdin until it closes, then end this process."""
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever a library prints goes to stderr, never into the replies
    status = 0
    try:
        handlers = prepare()
        replies.write(json.dumps({"ready": True}) + "\n")
        for line in sys.stdin:
            request = json.loads(line)
            replies.write(json.dumps(handlers[request["do"]](**request["args"])) + "\n")
    except Exception as error:  # one line for the parent, which reports it
        message = str(error).strip().splitlines()
        print(f"error: {type(error).__name__}: {message[0] if message else ''}", file=sys.stderr)
        status = 1
    finally:
        if SCRATCH in os.environ:
            shutil.rmtree(os.environ[SCRATCH], ignore_errors=True)
    replies.flush()
    sys.stderr.flush()
    # Nothing is left to save: skip the interpreter's teardown, which takes TensorFlow or
    # PyTorch seconds, so that the parent is not kept waiting.
    os._exit(status)
