"""The TensorBoard screenshots (alphabet_site.screenshots): the whole pipeline for real
(training, TensorBoard, Chromium) into a temporary directory, each failure path on its
own, and the `alphabet-site screenshots` command.
"""

import datetime
import json
import logging
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import cannot_run_here, command_name, descendants, running
from PIL import Image, ImageStat

from alphabet_site.screenshots import browser, capture, tensorboard_ui
from alphabet_site.screenshots.images import MADE_BY, MANIFEST
from alphabet_tutorial import Config, atomic, processes, tensorboard
from alphabet_tutorial.tensorboard import TensorBoardServer

EXPECTED_RUNS = {  # image -> the runs it must show
    "scalars.png": ["keras/train", "lowlevel/train"],
    "graph_keras_conceptual.png": ["keras/train"],
    "graph_keras_ops.png": ["keras/train"],
    "graph_lowlevel_train_step.png": ["lowlevel/train"],
    "histograms.png": ["keras/train", "lowlevel/train"],
}


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def image_entry(manifest: dict, name: str) -> dict:
    return next(image for image in manifest["images"] if image["file"] == name)


def installed(*names: str) -> str:
    """The version of the first of `names` installed as a distribution."""
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    raise AssertionError(f"none of {names} is installed")


# --- the whole pipeline ----------------------------------------------------------------


# Fewer epochs and windows than the default config: the pipeline is the same, the
# training shorter (make screenshots uses the default config).
CAPTURE_CONFIG = Config(epochs=4, train_size=128)


@pytest.fixture(scope="module")
def captured(tmp_path_factory, chromium):
    """(output directory, manifest, seconds the capture() call took) of one real capture,
    made over an earlier capture's directory (which it replaces)."""
    out_dir = tmp_path_factory.mktemp("docs") / "tensorboard"
    earlier_capture(out_dir, "stale.png")
    started = time.perf_counter()
    manifest = capture.capture(out_dir, CAPTURE_CONFIG)
    return out_dir, manifest, time.perf_counter() - started


@pytest.mark.screenshots
def test_capture_writes_each_image_and_the_manifest(captured):
    out_dir, manifest, _ = captured
    assert sorted(p.name for p in out_dir.iterdir()) == sorted([*EXPECTED_RUNS, "manifest.json"])
    assert json.loads((out_dir / "manifest.json").read_text()) == manifest
    assert [image["file"] for image in manifest["images"]] == list(EXPECTED_RUNS)


@pytest.mark.screenshots
@pytest.mark.parametrize("name", EXPECTED_RUNS)
def test_each_image_is_a_small_readable_palette_png_that_is_not_blank(captured, name):
    out_dir, manifest, _ = captured
    entry = image_entry(manifest, name)
    path = out_dir / name
    with Image.open(path) as image:
        assert image.format == "PNG" and image.mode == "P"  # optimised to a palette
        assert (image.width, image.height) == (entry["width"], entry["height"])
        assert 600 <= image.width <= 3000 and 400 <= image.height <= 2000  # 2x, cropped
        assert ImageStat.Stat(image.convert("L")).stddev[0] > 10  # drawn, not blank
    assert 4_000 < path.stat().st_size == entry["bytes"] <= 400_000
    assert len(entry["alt"]) > 40


@pytest.mark.screenshots
@pytest.mark.parametrize("name", EXPECTED_RUNS)
def test_each_page_showed_the_expected_runs(captured, name):
    _, manifest, _ = captured
    entry = image_entry(manifest, name)
    assert entry["runs"] == EXPECTED_RUNS[name]


@pytest.mark.screenshots
def test_manifest_records_what_made_the_images(captured):
    _, manifest, _ = captured
    assert manifest["versions"] == {  # as the installed distributions say, not the modules
        "alphabet_tutorial": installed("alphabet-tutorial"),
        "tensorflow": installed("tensorflow", "tensorflow-cpu"),
        "keras": installed("keras"),
        "tensorboard": installed("tensorboard"),
    }
    assert manifest["config"] == CAPTURE_CONFIG.as_dict()
    made = datetime.datetime.fromisoformat(manifest["date"])
    assert made.tzinfo is not None
    assert abs(datetime.datetime.now(datetime.timezone.utc) - made).total_seconds() < 3600


@pytest.mark.screenshots
def test_pipeline_reports_its_wall_time_and_peak_memory(captured, capsys):
    _, manifest, measured = captured
    seconds, memory = manifest["wall_seconds"], manifest["peak_rss_mb"]
    with capsys.disabled():
        print(
            f"\nscreenshot pipeline: {seconds} s wall, peak RSS {memory['python']} MB "
            f"(this process), {memory['largest_child']} MB (largest child)"
        )
    # the capture() call, less its checks (which take longer on a loaded machine)
    assert 0.8 * measured - 5 < seconds <= measured + 0.05
    own_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert 100 < memory["python"] <= own_peak_mb + 1  # TensorFlow alone takes more than 100
    assert 100 < memory["largest_child"] < 4000  # TensorBoard or Chromium


# --- Chromium ------------------------------------------------------------------------


def test_missing_chromium_is_a_one_line_error_that_says_how_to_install_it(monkeypatch):
    monkeypatch.setenv("CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(RuntimeError) as error:
        with browser.launch_chromium():
            pass
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("Chromium not found: install it with `apt-get install chromium`")


def test_no_chromium_on_the_machine_gives_the_install_hint(monkeypatch):
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setattr(browser.os, "access", lambda path, mode: False)
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="^Chromium not found: install it") as error:
        browser.find_chromium()
    assert str(error.value) == browser.INSTALL_HINT


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:6006/data/runs", True),
        ("http://localhost:8000/", True),
        ("http://[::1]:8000/", True),
        ("data:image/png;base64,AAAA", True),
        ("https://fonts.googleapis.com/css", False),
        ("http://127.0.0.1.example.com/", False),
    ],
)
def test_loopback_means_this_machine_only(url, loopback):
    assert browser.is_loopback(url) is loopback


def test_playwright_s_log_records_are_dropped_once_a_stop_signal_arrived(monkeypatch, caplog):
    from alphabet_tutorial import stopping

    logger = logging.getLogger("playwright")  # the logger Playwright's connection logs to
    monkeypatch.setattr(stopping, "received", [])
    logger.error("Error occurred in event listener")
    monkeypatch.setattr(stopping, "received", [signal.SIGINT])
    logger.error("Cannot find command to respond: 37")
    assert [r.getMessage() for r in caplog.records] == ["Error occurred in event listener"]


# A driver that a stop signal killed, on an event loop closed before asyncio saw it exit.
DRIVER_KILLED_BEFORE_ITS_LOOP_NOTICED = """
import asyncio, gc, sys, threading, time
from alphabet_site.screenshots import browser
from alphabet_tutorial import stopping
stopping.received[:] = [int(s) for s in sys.argv[1:]]
loop = asyncio.new_event_loop()
pipes = dict(stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
driver = loop.run_until_complete(asyncio.create_subprocess_exec("sleep", "30", **pipes))
driver.kill()  # as a stop signal would (SIGKILL: a background job ignores SIGINT)
loop.close()
deadline = time.monotonic() + 30  # the child watcher's thread reaps the driver, too late
while any("waitpid-" in t.name for t in threading.enumerate()):  # for the loop
    assert time.monotonic() < deadline, "the driver was never reaped"
    time.sleep(0.05)
del driver
gc.collect()  # the driver's pipes close on the closed loop
print("end", file=sys.stderr)
"""


def child_stderr(script: str, stop: signal.Signals | None) -> str:
    """What a child running `script` printed on stderr, once `stop` arrived (or none did)."""
    child = [sys.executable, "-c", script, *([str(int(stop))] if stop else [])]
    return subprocess.run(child, capture_output=True, text=True, timeout=60, check=True).stderr


@pytest.mark.parametrize("stopped", [False, True], ids=["no-stop", "after-a-stop"])
def test_a_closed_loop_s_echoes_are_dropped_once_a_stop_signal_arrived(stopped):
    stderr = child_stderr(DRIVER_KILLED_BEFORE_ITS_LOOP_NOTICED, signal.SIGINT if stopped else None)
    if stopped:
        assert stderr == "end\n"
    else:  # what a stopped command printed after its own line before
        assert "that handles pid" in stderr
        assert "RuntimeError: Event loop is closed\nend\n" in stderr


# A coroutine the stop left unawaited, collected after the command's own line.
COROUTINE_NEVER_AWAITED = """
import gc, sys
from alphabet_site.screenshots import browser
from alphabet_tutorial import stopping
stopping.received[:] = [int(s) for s in sys.argv[1:]]
async def request():
    pass
pending = request()  # created, then the loop that would await it ends
del pending
gc.collect()
print("end", file=sys.stderr)
"""


@pytest.mark.parametrize("stopped", [False, True], ids=["no-stop", "after-a-stop"])
def test_an_unawaited_coroutine_s_warning_is_dropped_once_a_stop_signal_arrived(stopped):
    stderr = child_stderr(COROUTINE_NEVER_AWAITED, signal.SIGTERM if stopped else None)
    if stopped:
        assert stderr == "end\n"
    else:  # what a stopped command printed after its own line before
        assert "RuntimeWarning: coroutine 'request' was never awaited" in stderr


def test_guard_blocks_and_reports_requests_to_other_hosts(chromium):
    with browser.launch_chromium() as chromium:
        context = chromium.new_context()
        blocked = browser.guard_loopback(context)
        page = context.new_page()
        page.set_content('<img src="http://example.com/tracker.png"><p>page</p>')
        page.wait_for_load_state("networkidle")
        context.close()
    assert blocked == ["http://example.com/tracker.png"]


# --- TensorBoard ---------------------------------------------------------------------


def test_a_port_held_by_another_socket_is_taken_and_a_free_one_is_not():
    with socket.create_server(("127.0.0.1", 0)) as squatter:
        with pytest.raises(ValueError, match="Address already in use"):
            processes.check_port_free("127.0.0.1", squatter.getsockname()[1])
    processes.check_port_free("127.0.0.1", processes.free_ports(1)[0])


@pytest.mark.slow
def test_taken_port_makes_tensorboard_use_another_and_a_raising_body_stops_it_by_pid(
    tmp_path, monkeypatch
):
    """The port looks free when checked but is taken when TensorBoard binds it (the race
    the check cannot close): TensorBoard exits saying so, and starts again elsewhere."""
    monkeypatch.setattr(tensorboard, "check_port_free", lambda host, port: None)
    with socket.create_server(("127.0.0.1", 0)) as squatter:
        taken = squatter.getsockname()[1]
        board = TensorBoardServer(tmp_path, port=taken, timeout=60)
        with pytest.raises(KeyboardInterrupt), board:
            assert board.port != taken
            assert board.url == f"http://127.0.0.1:{board.port}/"
            assert is_running(board.pid)
            raise KeyboardInterrupt
    assert not is_running(board.pid)
    with pytest.raises(ProcessLookupError):  # nothing left in its process group either
        os.killpg(board.pid, 0)


@pytest.mark.slow
def test_tensorboard_failing_to_start_gives_its_own_reason_in_the_first_line(tmp_path):
    board = TensorBoardServer(tmp_path, port=70000, timeout=60)
    with pytest.raises(RuntimeError) as error:
        with board:
            pass
    first_line = str(error.value).splitlines()[0]
    assert first_line.startswith("TensorBoard exited with status ")
    assert first_line.endswith(": TensorBoard cannot bind to port 70000 > 65535")
    assert "TensorBoard's log ends with:" in str(error.value)  # the tail follows
    assert not is_running(board.pid)


def test_tensorboard_missing_its_deadline_raises_with_its_log_and_is_stopped(tmp_path):
    board = TensorBoardServer(tmp_path, runs=["never/train"], timeout=3)
    started = time.monotonic()
    with pytest.raises(RuntimeError) as error:
        with board:
            pass
    message = str(error.value)
    assert message.startswith("TensorBoard did not serve ['never/train'] at http://127.0.0.1:")
    first_line, _, rest = message.partition("\n")
    assert first_line.endswith(" within 3 s") or first_line.endswith(
        " within 3 s (TensorBoard logged nothing)"
    )
    assert rest.startswith("TensorBoard's log ends with:\n") or not rest  # its log, if any
    assert time.monotonic() - started < 3 + 10  # the deadline, then the stop's grace period
    assert not is_running(board.pid)
    with pytest.raises(ProcessLookupError):
        os.killpg(board.pid, 0)


# --- the Graphs dashboard ------------------------------------------------------------


@pytest.fixture(scope="module")
def graph_page(tmp_path_factory, chromium):
    """A page of a real TensorBoard on the Graphs dashboard of a small op graph (x * 2)."""
    import tensorflow as tf

    logdir = tmp_path_factory.mktemp("graph")
    double = tf.function(lambda x: 2.0 * x, input_signature=[tf.TensorSpec([None])])
    with tf.summary.create_file_writer(str(logdir / "ops")).as_default():
        tf.summary.graph(double.get_concrete_function().graph)
    with TensorBoardServer(logdir, runs=["ops"]) as board, browser.launch_chromium() as tab:
        page = tab.new_page()
        tensorboard_ui.open_graph(page, board.url, "ops", "mul")
        yield page


def select_and_count_background_clicks(page) -> None:
    """Select the node mul; count in window.clicks the clicks on the background."""
    page.locator('g.node[data-name="mul"] .nodeshape').click()
    page.locator("tf-node-info").wait_for()
    page.evaluate("() => { window.clicks = 0; window.onGraphSelect ??= () => window.clicks++ }")
    page.evaluate("() => addEventListener('graph-select', window.onGraphSelect)")


@pytest.mark.slow
def test_a_background_click_tensorboard_dropped_is_made_again_until_deselected(graph_page):
    """While the graph pans (to a node a click selected), TensorBoard drops a click on the
    background: it fires disable-click when a pan starts. Fired here by hand, it makes the
    first click be lost for sure; deselect() clicks again and the node's card hides."""
    select_and_count_background_clicks(graph_page)
    graph_page.locator("tf-graph-scene").evaluate("scene => scene.fire('disable-click')")
    tensorboard_ui.deselect(graph_page, graph_page.locator("tf-graph-scene svg#svg"))
    assert graph_page.locator("tf-node-info").is_hidden()
    assert graph_page.evaluate("window.clicks") == 2  # the first one was dropped


@pytest.mark.slow
def test_a_node_that_stays_selected_is_named_when_the_deadline_passes(graph_page, monkeypatch):
    monkeypatch.setattr(tensorboard_ui, "CHART_TIMEOUT", 3)
    select_and_count_background_clicks(graph_page)
    scene = graph_page.locator("tf-graph-scene")
    scene.evaluate("scene => window.dropEach = () => scene.fire('disable-click')")
    graph_page.evaluate("() => addEventListener('graph-select', dropEach, true)")  # first
    try:
        with pytest.raises(RuntimeError) as error:
            tensorboard_ui.deselect(graph_page, graph_page.locator("tf-graph-scene svg#svg"))
    finally:
        graph_page.evaluate("() => removeEventListener('graph-select', dropEach, true)")
    clicks = graph_page.evaluate("window.clicks")
    assert str(error.value).startswith(
        f"node 'mul' stayed selected after {clicks} click(s) on the background at ["
    )
    assert clicks >= 1


# --- the output directory ------------------------------------------------------------


def fail(*args, **kwargs):
    raise RuntimeError("training failed")


@pytest.fixture
def failing_training(monkeypatch):
    """capture() finds a browser, then its training fails: no Chromium or TF needed."""
    monkeypatch.setattr(capture, "find_chromium", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(capture, "train_both", fail)


def test_failed_capture_leaves_no_output_directory(tmp_path, failing_training):
    with pytest.raises(RuntimeError, match="training failed"):
        capture.capture(tmp_path / "tensorboard")
    assert list(tmp_path.iterdir()) == []  # neither the directory nor a staging one


def earlier_capture(out_dir, *files: str) -> None:
    """A directory as an earlier capture leaves it: its images and the manifest listing them."""
    out_dir.mkdir(parents=True)
    for name in files:
        (out_dir / name).write_bytes(b"previous")
    images = [{"file": name} for name in files]
    (out_dir / MANIFEST).write_text(json.dumps({"made_by": MADE_BY, "images": images}))


def test_failed_capture_keeps_the_previous_images(tmp_path, failing_training):
    out_dir = tmp_path / "tensorboard"
    earlier_capture(out_dir, "scalars.png")
    with pytest.raises(RuntimeError, match="training failed"):
        capture.capture(out_dir)
    assert [p.name for p in tmp_path.iterdir()] == ["tensorboard"]
    assert (out_dir / "scalars.png").read_bytes() == b"previous"


def test_capture_without_chromium_fails_before_training(tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setattr(capture, "train_both", fail)
    with pytest.raises(RuntimeError, match="^Chromium not found: install it"):
        capture.capture(tmp_path / "tensorboard")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("mine", "named"),
    [("notes.md", "notes.md"), ("beach.png", "beach.png"), ("holiday.png/sea.jpg", "holiday.png")],
)
def test_capture_refuses_a_directory_holding_other_files(tmp_path, failing_training, mine, named):
    """The user's notes, pictures, a folder named like a picture: refused before training
    (which would fail here), whether or not an earlier capture's manifest is beside them."""
    for manifest in (False, True):
        out_dir = tmp_path / f"with-manifest-{manifest}"
        earlier_capture(out_dir, *(["scalars.png"] if manifest else []))
        if not manifest:
            (out_dir / MANIFEST).unlink()
        (out_dir / mine).parent.mkdir(exist_ok=True)
        (out_dir / mine).write_text("mine")
        with pytest.raises(ValueError, match=f"holds '{named}', which screenshots did not write"):
            capture.capture(out_dir)
        assert (out_dir / mine).read_text() == "mine"


def test_an_empty_directory_or_an_earlier_capture_may_be_replaced(tmp_path):
    capture.check_replaceable(tmp_path)  # empty: nothing to lose
    earlier_capture(tmp_path / "shots", "scalars.png", "histograms.png")
    (tmp_path / "shots" / "histograms.png").unlink()  # listed, gone: still a capture
    capture.check_replaceable(tmp_path / "shots")


def test_a_file_that_came_into_the_directory_during_the_capture_is_kept(tmp_path, monkeypatch):
    """The capture checks the directory again just before the swap: a file the user saved
    there meanwhile (here, during training) stops it, and nothing is replaced."""
    out_dir = tmp_path / "tensorboard"
    earlier_capture(out_dir, "scalars.png")
    monkeypatch.setattr(capture, "find_chromium", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(capture, "train_both", lambda *_: (out_dir / "mine.txt").write_text("x"))
    board = SimpleNamespace(url="http://127.0.0.1:9/", pid=0)  # never asked: no shots
    monkeypatch.setattr(capture, "TensorBoardServer", lambda *_, **__: nullcontext(board))
    monkeypatch.setattr(capture, "wait_for_data", lambda *_: None)
    monkeypatch.setattr(capture, "take_shots", lambda *_: [])
    with pytest.raises(capture.NotACapture, match="holds 'mine.txt', which screenshots did"):
        capture.capture(out_dir)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tensorboard"]
    assert sorted(p.name for p in out_dir.iterdir()) == [MANIFEST, "mine.txt", "scalars.png"]


def test_new_images_replace_the_old_directory_as_a_whole(tmp_path):
    old, new = tmp_path / "tensorboard", tmp_path / "staging"
    old.mkdir()
    (old / "stale.png").write_bytes(b"old")
    new.mkdir()
    (new / "scalars.png").write_bytes(b"new")
    atomic.replace_directory(new, old)
    assert [p.name for p in tmp_path.iterdir()] == ["tensorboard"]
    assert [p.name for p in old.iterdir()] == ["scalars.png"]


# --- `alphabet-site screenshots`: prerequisites first, and no leftovers when stopped -----

WITHOUT_TENSORFLOW = """
import sys
{prepare}
from alphabet_site.cli import main
status = main(sys.argv[1:])
assert "tensorflow" not in sys.modules, "TensorFlow was imported before the refusal"
sys.exit(status)
"""


@pytest.mark.parametrize(
    ("prepare", "chromium", "message"),
    [
        (
            "sys.modules['playwright'] = None  # as if the extra were not installed",
            None,
            "screenshots need the package 'playwright': "
            "pip install -e tooling (and Chromium: apt-get install chromium)",
        ),
        ("", "/nonexistent/chromium", "Chromium not found: install it with `apt-get install"),
    ],
    ids=["no-playwright", "no-chromium"],
)
def test_screenshots_without_prerequisites_fail_at_once_in_one_line(
    tmp_path, prepare, chromium, message
):
    env = {**os.environ, "CHROMIUM": chromium} if chromium else os.environ
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_TENSORFLOW.format(prepare=prepare)]
        + ["screenshots", "--out", str(tmp_path / "shots")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    seconds = time.monotonic() - started
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"alphabet-site: error: {message}")
    assert result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
    print(f"refused in {seconds:.2f} s (no TensorFlow imported)")


@pytest.mark.screenshots  # the whole capture, with its longer timeout
@pytest.mark.browser
@pytest.mark.parametrize(
    ("stop", "to_group"),
    [(signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["SIGTERM-to-the-command", "SIGINT-to-its-group-like-Ctrl-C"],
)
def test_screenshots_stopped_with_chromium_running_leave_no_process_and_no_file(
    tmp_path, request, stop, to_group
):
    try:
        browser.find_chromium()
    except RuntimeError as error:
        cannot_run_here(str(error))
    # Chromium's socket path must stay under 108 bytes: a short TMPDIR, not one in tmp_path
    temporary, out = Path(tempfile.mkdtemp()), tmp_path / "out"
    request.addfinalizer(lambda: shutil.rmtree(temporary, ignore_errors=True))
    out.mkdir()
    command = [sys.executable, "-m", "alphabet_site", "screenshots", "--out", str(out / "img")]
    command += ["--epochs", "1", "--train-size", "64", "--units", "4"]
    seen: set[int] = set()
    with subprocess.Popen(
        command,
        env={**os.environ, "TMPDIR": str(temporary)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a group of its own, as a shell gives a job
    ) as cli:
        try:
            deadline = time.monotonic() + 300
            while cli.poll() is None and time.monotonic() < deadline:
                seen |= descendants(cli.pid)
                if any("chrom" in command_name(pid) for pid in seen):
                    break  # training is done, TensorBoard serves, Chromium runs
                time.sleep(0.2)
            assert any("chrom" in command_name(pid) for pid in seen), cli.stderr.read()
            time.sleep(4)  # into the page visits, where Playwright has requests in flight
            seen |= descendants(cli.pid)
        finally:
            if to_group:
                os.killpg(cli.pid, stop)
            else:
                cli.send_signal(stop)
            out_text, err_text = cli.communicate(timeout=120)
    assert cli.returncode == 128 + stop
    assert out_text == ""
    assert err_text.splitlines()[-1] == f"alphabet-site: stopped by {stop.name}"
    assert "Traceback" not in err_text and "Future exception" not in err_text
    assert [pid for pid in seen if running(pid)] == []  # TensorBoard, data server, Chromium
    left = sorted(str(p.relative_to(temporary)) for p in temporary.rglob("*"))
    assert left == []  # logs, TensorBoard's files, Chromium's profile, autograph files
    assert list(out.iterdir()) == []  # no staging directory beside --out
