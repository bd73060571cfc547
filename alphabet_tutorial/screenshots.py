"""The TensorBoard screenshots of the tutorial, made from real runs by a real browser.

`capture(out_dir)` trains both models from one `Config` into a fresh log directory,
serves it with TensorBoard on 127.0.0.1, drives headless Chromium (loopback only) to
each view, waits until the charts are drawn, crops each shot to what matters, shrinks
it to a palette PNG, and writes the images with a `manifest.json` that records what
made them. The images appear in `out_dir` all at once, or not at all.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import resource
import shutil
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageStat

import alphabet_tutorial
from alphabet_tutorial import impls
from alphabet_tutorial.browser import find_chromium, guard_loopback, launch_chromium
from alphabet_tutorial.config import Config
from alphabet_tutorial.tensorboard import TensorBoardServer

# TensorBoard's names for the log directories of the implementations, in its order.
RUNS = tuple(sorted(f"{name}/train" for name in impls.NAMES))
SETTINGS = {  # TensorBoard's stored settings, preset before the page loads
    "scalarSmoothing": 0,
    "ignoreOutliers": False,
    "autoReload": False,
    "timeSeriesSettingsPaneOpened": False,
    "theme": "light",
}
SCALE = 2  # device pixels per CSS pixel: sharp on high-density screens
PAD = 12  # CSS pixels kept around a cropped element
MAX_BYTES = 400_000  # the largest image we accept
BLANK_STDDEV = 2.0  # grayscale standard deviation below which a picture is blank
CHART_TIMEOUT = 30.0  # seconds a chart may take to appear, stop moving and be painted
MANIFEST = "manifest.json"


@dataclass
class Shot:
    """One image: its file, its alt text, and the runs the page showed in it."""

    file: str
    alt: str
    runs: list[str]
    png: bytes


def capture(out_dir, config: Config = Config(), timeout: float = 60.0, log=None) -> dict:
    """Make every screenshot from fresh training runs; returns the manifest.

    `out_dir` is replaced as a whole, so it must be new or hold only images and the
    manifest of an earlier capture. `timeout` bounds TensorBoard's start, its reading
    of the logs and each browser action (a chart gets `CHART_TIMEOUT` to be drawn);
    `log`, if given, is called with a line at each stage.
    """
    out_dir = Path(out_dir)
    check_replaceable(out_dir)
    find_chromium()  # fail before a minute of training, not after
    say = log or (lambda line: None)
    started = time.perf_counter()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        staging.chmod(0o755)  # mkdtemp's 0700 would make the published images private
        with tempfile.TemporaryDirectory(prefix="alphabet-logs-") as logroot:
            say(f"training both models into {logroot}")
            train_both(config, Path(logroot))
            with TensorBoardServer(logroot, runs=RUNS, timeout=timeout) as board:
                say(f"TensorBoard at {board.url} (process {board.pid})")
                wait_for_data(board.url, config.epochs, timeout)
                shots = take_shots(board.url, config, timeout, say)
        manifest = write_images(staging, shots, config, time.perf_counter() - started)
        replace_directory(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    say(f"{len(shots)} images in {out_dir}")
    return manifest


def check_replaceable(out_dir: Path) -> None:
    """Refuse to replace a directory that holds anything but an earlier capture."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise ValueError(f"{str(out_dir)!r} is not a directory")
    foreign = [p.name for p in out_dir.iterdir() if p.suffix != ".png" and p.name != MANIFEST]
    if foreign:
        raise ValueError(
            f"{str(out_dir)!r} holds {foreign[0]!r}, which screenshots did not write: "
            "give a new directory or one made by an earlier capture"
        )


def train_both(config: Config, logroot: Path) -> None:
    """Every implementation, same config; runs appear as lowlevel/train, keras/train, ..."""
    for name, impl in impls.IMPLS.items():
        impl.train(config, logdir=logroot / name)


def wait_for_data(url: str, epochs: int, timeout: float) -> None:
    """Wait until TensorBoard has read every epoch of both runs' scalars."""
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


# --- driving the browser -------------------------------------------------------------


def take_shots(url: str, config: Config, timeout: float, say) -> list[Shot]:
    """Visit each view in a fresh page of one loopback-only browser context."""
    shots = []
    with launch_chromium() as browser:
        context = browser.new_context(
            viewport={"width": 1100, "height": 900}, device_scale_factor=SCALE
        )
        context.set_default_timeout(timeout * 1000)
        blocked = guard_loopback(context)
        settings = json.dumps(json.dumps(SETTINGS))
        context.add_init_script(f"localStorage.setItem('_tb_global_settings', {settings})")
        for shoot in (
            shoot_scalars,
            shoot_keras_conceptual,
            shoot_keras_ops,
            shoot_lowlevel_train_step,
            shoot_histograms,
        ):
            page = context.new_page()
            try:
                shots.append(shoot(page, url, config))
            except Exception as error:  # Playwright's errors too: name the view that failed
                first_line = str(error).strip().splitlines()[0]
                raise RuntimeError(f"{shoot.__name__}: {first_line}") from error
            page.close()
            say(f"  {shots[-1].file}")
        context.close()
    if blocked:
        raise RuntimeError(f"the browser tried to leave 127.0.0.1: {', '.join(blocked)}")
    return shots


def shoot_scalars(page, url: str, config: Config) -> Shot:
    page.goto(url + "?tagFilter=" + urllib.parse.quote("^epoch_(loss|accuracy)$") + "#timeseries")
    wait_stable(page, "scalar-card", minimum=2)
    wait_painted(page.locator("scalar-card canvas"))
    tables = " ".join(page.locator("scalar-card tb-data-table").all_inner_texts())
    return Shot(
        "scalars.png",
        "TensorBoard's Time Series dashboard: epoch_accuracy and epoch_loss of the runs "
        "keras/train and lowlevel/train overlaid, smoothing off; under each chart, each "
        "run's value at the last epoch.",
        runs_in(tables),
        crop(page, page.locator("scalar-card")),
    )


def shoot_keras_conceptual(page, url: str, config: Config) -> Shot:
    model = open_graph(page, url, "keras/train", "next_letter_sequential", "keras", True)
    expand(page, model)
    return graph_shot(
        page,
        "graph_keras_conceptual.png",
        "TensorBoard's Graphs dashboard, conceptual graph of the Keras run: the Sequential "
        "model next_letter_sequential opened to its layers: input_layer, lstm, dense.",
    )


def shoot_keras_ops(page, url: str, config: Config) -> Shot:
    model = open_graph(page, url, "keras/train", r"next_letter_sequential(_\d+)?")  # Keras
    expand(page, model)  # numbers its scopes when it calls the model in a tf.function
    return graph_shot(
        page,
        "graph_keras_ops.png",
        "TensorBoard's Graphs dashboard, op graph of one forward pass of the Keras model: "
        "the model's name scope opened to its lstm and dense parts, from inputs to the output.",
    )


def shoot_lowlevel_train_step(page, url: str, config: Config) -> Shot:
    window = config.window
    page.set_viewport_size({"width": 1700, "height": 1000})  # room for the wide graph
    open_graph(page, url, "lowlevel/train", "lstm")
    if not page.locator('g.core g.node[data-name="adam"]').count():  # high degree: moved
        page.locator('g.node[data-name="adam"] .nodeshape').first.click()  # out; bring it
        page.locator("paper-button", has_text="Add to main graph").click()  # back
        wait_stable(page, 'g.core g.node[data-name="adam"]')
    expand(page, "lstm", inside=f"step_{window - 1}")
    return graph_shot(
        page,
        "graph_lowlevel_train_step.png",
        "TensorBoard's Graphs dashboard, op graph of the low-level train step: the lstm "
        f"scope opened to its {window} unrolled steps, step_0 to step_{window - 1}, feeding "
        "dense, loss and accuracy, with the backward pass (gradient_tape) and the "
        "hand-written Adam update (adam).",
    )


def shoot_histograms(page, url: str, config: Config) -> Shot:
    page.set_viewport_size({"width": 1100, "height": 1400})  # two rows of cards
    page.goto(url + "#histograms&tagFilter=" + urllib.parse.quote("lstm.*kernel"))
    pane = page.locator("tf-category-paginated-view").first
    wait_stable(page, "vz-histogram-timeseries", minimum=4)
    wait_painted(pane.locator("vz-histogram-timeseries"))
    cards = pane.locator("tf-histogram-loader")
    runs = cards.evaluate_all("cards => cards.map(card => card.run)")
    return Shot(
        "histograms.png",
        "TensorBoard's Histograms dashboard: the LSTM's kernel and recurrent kernel of "
        "lowlevel/train (top) and keras/train (bottom), one slice per epoch, the first epoch "
        "at the back.",
        runs_in(" ".join(runs)),
        crop(page, pane),
    )


def open_graph(page, url: str, run: str, top: str, tag=None, conceptual=False) -> str:
    """The Graphs dashboard on `run` (and `tag`); its selectors ignore the URL, so click.

    Returns the name of the first node whose name matches the regex `top`, once drawn.
    """
    page.goto(url + "#graphs")
    wait_stable(page, "g.node")
    page.locator(".runs-row paper-dropdown-menu").click()
    page.locator(".runs-row paper-item", has_text=run).click()
    if tag is not None:
        page.locator(".tags-row paper-dropdown-menu").click()
        page.locator(".tags-row paper-item", has_text=tag).click()
    if conceptual:
        page.locator("paper-radio-button", has_text="Conceptual graph").click()
    selected = page.locator(".runs-row paper-dropdown-menu").evaluate("m => m.selectedItemLabel")
    if selected != run:
        raise RuntimeError(f"the Graphs dashboard shows run {selected!r}, not {run!r}")
    deadline = time.monotonic() + CHART_TIMEOUT
    while True:  # the graph shown before the clicks may linger a moment
        names = page.locator("g.node").evaluate_all("ns => ns.map(n => n.dataset.name)")
        found = [name for name in names if re.fullmatch(top, name or "")]
        if found:
            wait_stable(page, "g.node")
            return found[0]
        if time.monotonic() > deadline:
            raise RuntimeError(f"the {run} graph has no node {top!r}; it has {names}")
        page.wait_for_timeout(250)


def expand(page, name: str, inside: str = "") -> None:
    """Double-click the namespace node `name` open, until its child `inside...` shows."""
    page.locator(f'g.node[data-name="{name}"] .nodeshape').first.dblclick()
    wait_stable(page, f'g.node[data-name^="{name}/{inside}"]')


def graph_shot(page, file: str, alt: str) -> Shot:
    """Deselect what a click selected, fit the graph, crop to the main graph."""
    svg = page.locator("tf-graph-scene svg#svg")
    box = svg.bounding_box()
    page.mouse.click(box["x"] + 4, box["y"] + box["height"] - 4)  # background, not minimap
    page.locator("tf-node-info").wait_for(state="hidden")
    page.locator("paper-button", has_text="Fit to screen").click()  # a click would stop it
    core = page.locator("tf-graph-scene #root > g.scene > g.core")
    wait_stable_box(core)
    wait_painted(core)
    run = page.locator(".runs-row paper-dropdown-menu").evaluate("m => m.selectedItemLabel")
    scene = svg.bounding_box()
    title = page.get_by_text("Main Graph", exact=True).bounding_box()  # keep it out
    below = title["y"] + title["height"]
    scene = {**scene, "y": below, "height": scene["y"] + scene["height"] - below}
    return Shot(file, alt, runs_in(run), crop(page, core, within=scene))


# --- waiting, cropping, checking -----------------------------------------------------


def wait_stable(page, selector: str, minimum: int = 1, polls: int = 3) -> None:
    """Network idle, then at least `minimum` elements, their count unchanged `polls` times."""
    page.wait_for_load_state("networkidle")
    deadline = time.monotonic() + CHART_TIMEOUT
    counts: list[int] = []
    while time.monotonic() < deadline:
        counts = [*counts[-(polls - 1) :], page.locator(selector).count()]
        if len(counts) == polls and counts[0] >= minimum and len(set(counts)) == 1:
            return
        page.wait_for_timeout(250)
    raise RuntimeError(f"TensorBoard did not draw {selector!r} (counts {counts})")


def wait_stable_box(locator, polls: int = 3) -> None:
    """Until the element stops moving (the graph's zoom is animated)."""
    boxes: list = []
    deadline = time.monotonic() + CHART_TIMEOUT
    while time.monotonic() < deadline:
        boxes = [*boxes[-(polls - 1) :], locator.bounding_box()]
        if len(boxes) == polls and boxes[0] is not None and all(b == boxes[0] for b in boxes):
            return
        locator.page.wait_for_timeout(200)
    raise RuntimeError(f"{locator} kept moving")


def wait_painted(locator) -> None:
    """Until every matched element shows more than a blank area (canvas or SVG)."""
    deadline = time.monotonic() + CHART_TIMEOUT
    for element in locator.all():
        while stddev(element.screenshot()) <= BLANK_STDDEV:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{locator} stayed blank")
            locator.page.wait_for_timeout(250)


def crop(page, locator, within: dict | None = None) -> bytes:
    """A PNG of the elements plus a margin, inside `within` (default: the viewport)."""
    boxes = [element.bounding_box() for element in locator.all()]
    view = page.viewport_size
    limit = within or {"x": 0, "y": 0, "width": view["width"], "height": view["height"]}
    left, top = min(b["x"] for b in boxes), min(b["y"] for b in boxes)
    right = max(b["x"] + b["width"] for b in boxes)
    bottom = max(b["y"] + b["height"] for b in boxes)
    if (
        left < limit["x"] - 1
        or top < limit["y"] - 1
        or right > limit["x"] + limit["width"] + 1
        or bottom > limit["y"] + limit["height"] + 1
    ):
        raise RuntimeError(f"{locator} does not fit in the window: it would be cut")
    left, top = max(left - PAD, limit["x"]), max(top - PAD, limit["y"])
    right = min(right + PAD, limit["x"] + limit["width"])
    bottom = min(bottom + PAD, limit["y"] + limit["height"])
    clip = {"x": left, "y": top, "width": right - left, "height": bottom - top}
    return page.screenshot(clip=clip, animations="disabled")


def runs_in(text: str) -> list[str]:
    return [run for run in RUNS if run in text]


def stddev(png: bytes) -> float:
    """Standard deviation of the grayscale pixels: near 0 for a blank picture."""
    with Image.open(io.BytesIO(png)) as image:
        return ImageStat.Stat(image.convert("L")).stddev[0]


def optimise(png: bytes) -> bytes:
    """An 8-bit palette PNG: TensorBoard's flat colours survive, the size drops ~4x."""
    with Image.open(io.BytesIO(png)) as image:
        palette = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# --- writing the results -------------------------------------------------------------


def write_images(directory: Path, shots: list[Shot], config: Config, seconds: float) -> dict:
    """Optimised PNGs and the manifest, checked: not blank, not too big."""
    images = []
    for shot in shots:
        data = optimise(shot.png)
        if stddev(data) <= BLANK_STDDEV:
            raise RuntimeError(f"{shot.file} is blank")
        if len(data) > MAX_BYTES:
            raise RuntimeError(f"{shot.file} has {len(data)} bytes, more than {MAX_BYTES}")
        (directory / shot.file).write_bytes(data)
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
        images.append(
            {
                "file": shot.file,
                "alt": shot.alt,
                "runs": shot.runs,
                "width": width,
                "height": height,
                "bytes": len(data),
            }
        )
    manifest = {
        "made_by": "alphabet-tutorial screenshots",
        "versions": versions(),
        "config": config.as_dict(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(seconds, 1),
        "peak_rss_mb": peak_rss_mb(),
        "images": images,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def versions() -> dict:
    import keras
    import tensorflow as tf
    from tensorboard.version import VERSION

    return {
        "alphabet_tutorial": alphabet_tutorial.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "tensorboard": VERSION,
    }


def peak_rss_mb() -> dict:
    """Peak resident memory of this process and of its largest finished child (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"python": round(own / 1024), "largest_child": round(child / 1024)}


def replace_directory(new: Path, old: Path) -> None:
    """Put `new` in place of `old` by two renames: never a half-written set of images."""
    if not old.exists():
        os.replace(new, old)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{old.name}-old-", dir=old.parent))
    os.replace(old, retired / old.name)
    try:
        os.replace(new, old)
    except BaseException:
        os.replace(retired / old.name, old)
        raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)
