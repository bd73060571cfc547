"""The child-process supervisor (alphabet_tutorial/processes.py): the protocol both ways,
failures named in one line, and a stop that leaves no process and no file. The children
here are small Python programs, so these tests take about a second."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import pytest

from alphabet_tutorial import processes
from alphabet_tutorial.processes import Child, ChildFailed, check_port_free, free_ports

SERVE = """
import os, sys, time
from alphabet_tutorial.processes import serve

def prepare():
    if {fail!r}:
        raise ValueError("no config\\nsecond line")
    print("a library's chatter")  # goes to stderr, never into the replies
    return {{
        "add": lambda a, b: a + b,
        "scratch": lambda: os.environ["TMPDIR"],
        "sleep": lambda seconds: time.sleep(seconds),
    }}

serve(prepare)
"""


def child(fail: bool = False, echo=None) -> Child:
    return Child("adder", [sys.executable, "-c", SERVE.format(fail=fail)], echo=echo)


def test_a_child_answers_requests_in_order_and_ends_when_its_input_closes(capsys):
    adder = child(echo=sys.stderr)
    try:
        assert adder.receive(time.monotonic() + 30) == {"ready": True}
        assert adder.ask("add", a=2, b=3) == 5
        scratch = Path(adder.ask("scratch"))
        assert scratch == Path(adder.scratch) and scratch.is_dir()
        assert adder.process.stdin is not None
        adder.process.stdin.close()
        assert adder.process.wait(30) == 0
        assert not scratch.exists()  # the child removed its own directory
    finally:
        adder.stop()
    assert "[adder] a library's chatter" in capsys.readouterr().err


def test_a_failing_child_is_named_with_its_own_last_line():
    failing = child(fail=True)
    try:
        with pytest.raises(ChildFailed, match=r"^adder failed: error: ValueError: no config$"):
            failing.receive(time.monotonic() + 30)
    finally:
        failing.stop()
    assert not Path(failing.scratch).exists()


def test_a_watched_child_that_dies_ends_the_wait_for_another():
    busy, victim = child(), child()
    try:
        for each in (busy, victim):
            each.receive(time.monotonic() + 30)
        busy.send("sleep", seconds=60)
        victim.process.kill()
        started = time.monotonic()
        with pytest.raises(ChildFailed, match="^adder failed: killed by SIGKILL$"):
            busy.receive(time.monotonic() + 30, watch=[victim])
        assert time.monotonic() - started < 5
    finally:
        processes.stop_all([busy, victim])


def test_stop_ends_the_child_s_whole_group_and_removes_its_directory():
    """A grandchild that ignores SIGTERM, as TensorBoard's data server may outlive it."""
    code = (
        "import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "p = subprocess.Popen([sys.executable, '-c', "
        "'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)']); "
        "print(p.pid, flush=True); time.sleep(60)"
    )
    parent = Child("stubborn", [sys.executable, "-c", code], talks=False)
    deadline = time.monotonic() + 30
    while not parent.log and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchild = int(parent.log[0])
    started = time.monotonic()
    parent.stop(grace=1)
    assert time.monotonic() - started < 1 + processes.REAPED
    assert parent.process.returncode == -9  # SIGKILL, after the grace
    with pytest.raises(ProcessLookupError):
        os.killpg(parent.pid, 0)  # nothing left in its group
    assert (
        not Path(f"/proc/{grandchild}").exists()
        or "Z" in Path(f"/proc/{grandchild}/stat").read_text().rsplit(")", 1)[1].split()[:1]
    )
    assert not Path(parent.scratch).exists()
    assert parent not in processes.LIVE


def test_free_ports_differ_and_a_port_in_use_is_named():
    ports = free_ports(3)
    assert len(set(ports)) == 3
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        with pytest.raises(ValueError, match=f"cannot listen on 127.0.0.1:{port}: Address"):
            check_port_free("127.0.0.1", port)
    check_port_free("127.0.0.1", port)  # free again
