"""The TensorBoard screenshots of the tutorial, made from real runs by a real browser.

`capture(out_dir)` trains every implementation from one `Config` into a fresh log
directory, serves it with TensorBoard on 127.0.0.1, has headless Chromium (loopback
only) shoot each view (`tensorboard_ui`), shrinks the shots to checked palette PNGs with
a `manifest.json` that records what made them (`images`), and publishes them in
`out_dir` all at once, or not at all (`atomic`).
"""

from __future__ import annotations

import json
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from alphabet_site.screenshots.browser import find_chromium
from alphabet_site.screenshots.images import MADE_BY, MANIFEST, write_images
from alphabet_site.screenshots.tensorboard_ui import RUNS, take_shots
from alphabet_tutorial import impls
from alphabet_tutorial.atomic import replacing_directory
from alphabet_tutorial.config import Config
from alphabet_tutorial.output_paths import check_output_file
from alphabet_tutorial.tensorboard import TensorBoardServer


def capture(out_dir, config: Config = Config(), timeout: float = 60.0, log=None) -> dict:
    """Make every screenshot from fresh training runs; returns the manifest.

    `out_dir` is replaced as a whole, so it must be new, empty, or hold only what an
    earlier capture wrote there (the files its manifest lists, and that manifest); this
    is checked before the work and again just before the swap. `timeout` bounds
    TensorBoard's start, its reading of the logs and each browser action (a chart gets
    `CHART_TIMEOUT` to be drawn); `log`, if given, is called with a line at each stage.
    """
    out_dir = check_output_file(out_dir, "screenshots directory", directory=True)
    check_replaceable(out_dir)
    find_chromium()  # fail before a minute of training, not after
    say = log or (lambda line: None)
    started = time.perf_counter()
    with replacing_directory(out_dir) as staging:
        with tempfile.TemporaryDirectory(prefix="alphabet-logs-") as logroot:
            say(f"training every implementation into {logroot}")
            train_both(config, Path(logroot))
            with TensorBoardServer(logroot, runs=RUNS, timeout=timeout) as board:
                say(f"TensorBoard at {board.url} (process {board.pid})")
                wait_for_data(board.url, config.epochs, timeout)
                shots = take_shots(board.url, config.window, timeout, say)
        manifest = write_images(staging, shots, config, time.perf_counter() - started)
        check_replaceable(out_dir)  # again: nothing of the user's came in during the capture
    say(f"{len(shots)} images in {out_dir}")
    return manifest


class NotACapture(ValueError):
    """The output directory holds something an earlier capture did not write."""


def check_replaceable(out_dir: Path) -> None:
    """Refuse to replace a directory unless it is empty or an earlier capture made it: its
    manifest says so, and every entry is a plain file that manifest lists (or the manifest)."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise NotACapture(f"{str(out_dir)!r} is not a directory")
    ours = set(capture_entries(out_dir / MANIFEST))
    foreign = sorted(
        p.name for p in out_dir.iterdir() if p.name not in ours or p.is_symlink() or not p.is_file()
    )
    if foreign:
        raise NotACapture(
            f"{str(out_dir)!r} holds {foreign[0]!r}, which screenshots did not write: "
            "give a new or empty directory, or one made by an earlier capture"
        )


def capture_entries(manifest: Path) -> list[str]:
    """What an earlier capture wrote, as its `manifest` lists it (and the manifest); none
    if that file is not such a manifest."""
    try:
        small = manifest.is_file() and manifest.stat().st_size <= 1_000_000  # ours: ~2 KB
        recorded = json.loads(manifest.read_text()) if small else {}
        if recorded["made_by"] == MADE_BY:
            return [MANIFEST, *(str(image["file"]) for image in recorded["images"])]
    except (OSError, ValueError, LookupError, TypeError):
        pass
    return []


def train_both(config: Config, logroot: Path) -> None:
    """Every implementation, same config; runs appear as lowlevel/train, keras/train, ..."""
    for name, impl in impls.IMPLS.items():
        impl.train(config, logdir=logroot / name)


def wait_for_data(url: str, epochs: int, timeout: float) -> None:
    """Wait until TensorBoard has read every epoch of every run's scalars."""
    deadline = time.monotonic() + timeout
    while True:
        counts = {run: len(scalar_points(url, run, "epoch_loss")) for run in RUNS}
        if all(count >= epochs for count in counts.values()):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"TensorBoard read only {counts} of {epochs} epochs")
        time.sleep(0.5)


def scalar_points(url: str, run: str, tag: str) -> list:
    query = urllib.parse.urlencode({"run": run, "tag": tag})
    try:
        with urllib.request.urlopen(f"{url}data/plugin/scalars/scalars?{query}", timeout=5) as r:
            return json.load(r)
    except (OSError, ValueError):
        return []
