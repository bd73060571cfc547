"""Driving TensorBoard's web UI in headless Chromium: one function per view.

Each `shoot_*` function opens one view of a TensorBoard that serves both runs, waits
until its charts are drawn (network idle, then the elements exist, then their count
stops changing, then they are painted), and returns a cropped `Shot`. TensorBoard's
selectors ignore the URL on the Graphs dashboard, so runs and graph kinds are chosen by
clicking, as a reader would.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Callable

from alphabet_site.screenshots.browser import guard_loopback, launch_chromium
from alphabet_site.screenshots.images import BLANK_STDDEV, Shot, stddev
from alphabet_tutorial import impls, stopping

# TensorBoard's names for the implementations' log directories, in its order.
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
CHART_TIMEOUT = 30.0  # seconds a chart may take to appear, stop moving and be painted


def take_shots(url: str, window: int, timeout: float, say) -> list[Shot]:
    """Visit each view in a fresh page of one loopback-only browser context.

    `window` is the config's window: the number of unrolled steps in the low-level graph.
    """
    views: dict[str, Callable] = {
        "scalars": shoot_scalars,
        "keras_conceptual": shoot_keras_conceptual,
        "keras_ops": shoot_keras_ops,
        "lowlevel_train_step": lambda page, url: shoot_lowlevel_train_step(page, url, window),
        "histograms": shoot_histograms,
    }
    shots = []
    with launch_chromium() as browser:
        context = browser.new_context(
            viewport={"width": 1100, "height": 900}, device_scale_factor=SCALE
        )
        context.set_default_timeout(timeout * 1000)
        blocked = guard_loopback(context)
        settings = json.dumps(json.dumps(SETTINGS))
        context.add_init_script(f"localStorage.setItem('_tb_global_settings', {settings})")
        for name, shoot in views.items():
            stopping.check()  # the signal's exception can be lost in Playwright's loop
            page = context.new_page()
            try:
                shots.append(shoot(page, url))
            except Exception as error:  # Playwright's errors too: name the view that failed
                first_line = str(error).strip().splitlines()[0]
                raise RuntimeError(f"shoot_{name}: {first_line}") from error
            page.close()
            say(f"  {shots[-1].file}")
        context.close()
    if blocked:
        raise RuntimeError(f"the browser tried to leave 127.0.0.1: {', '.join(blocked)}")
    return shots


def shoot_scalars(page, url: str) -> Shot:
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


def shoot_keras_conceptual(page, url: str) -> Shot:
    model = open_graph(
        page, url, "keras/train", "next_letter_sequential", tag="keras", conceptual=True
    )
    expand(page, model)
    return graph_shot(
        page,
        "graph_keras_conceptual.png",
        "TensorBoard's Graphs dashboard, conceptual graph of the Keras run: the Sequential "
        "model next_letter_sequential opened to its layers: input_layer, lstm, dense.",
    )


def shoot_keras_ops(page, url: str) -> Shot:
    # Keras numbers its scopes when it calls the model in a tf.function.
    model = open_graph(page, url, "keras/train", r"next_letter_sequential(_\d+)?")
    expand(page, model)
    return graph_shot(
        page,
        "graph_keras_ops.png",
        "TensorBoard's Graphs dashboard, op graph of one forward pass of the Keras model: "
        "the model's name scope opened to its lstm and dense parts, from inputs to the output.",
    )


def shoot_lowlevel_train_step(page, url: str, window: int) -> Shot:
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


def shoot_histograms(page, url: str) -> Shot:
    page.set_viewport_size({"width": 1100, "height": 1400})  # two rows of cards
    page.goto(url + "#histograms&tagFilter=" + urllib.parse.quote("lstm.*kernel"))
    pane = page.locator("tf-category-paginated-view").first
    wait_stable(page, "vz-histogram-timeseries", minimum=4)
    wait_painted(pane.locator("vz-histogram-timeseries"))
    cards = pane.locator("tf-histogram-loader")
    shown = " ".join(cards.evaluate_all("cards => cards.map(card => card.run)"))
    return Shot(
        "histograms.png",
        "TensorBoard's Histograms dashboard: the LSTM's kernel and recurrent kernel of "
        "lowlevel/train (top) and keras/train (bottom), one slice per epoch, the first epoch "
        "at the back.",
        runs_in(shown),
        crop(page, pane),
    )


# --- the Graphs dashboard ------------------------------------------------------------


def open_graph(
    page, url: str, run: str, top: str, *, tag: str | None = None, conceptual: bool = False
) -> str:
    """The Graphs dashboard on `run` (and `tag`, and its conceptual graph if asked).

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
    selected = selected_run(page)
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


def selected_run(page) -> str:
    return page.locator(".runs-row paper-dropdown-menu").evaluate("m => m.selectedItemLabel")


def expand(page, name: str, inside: str = "") -> None:
    """Double-click the namespace node `name` open, until its child `inside...` shows."""
    page.locator(f'g.node[data-name="{name}"] .nodeshape').first.dblclick()
    wait_stable(page, f'g.node[data-name^="{name}/{inside}"]')


def graph_shot(page, file: str, alt: str) -> Shot:
    """Deselect what a click selected, fit the graph, crop to the main graph."""
    svg = page.locator("tf-graph-scene svg#svg")
    deselect(page, svg)
    page.locator("paper-button", has_text="Fit to screen").click()  # a click would stop it
    core = page.locator("tf-graph-scene #root > g.scene > g.core")
    wait_unchanged(page, core.bounding_box, lambda box: box is not None, f"{core} kept moving")
    wait_painted(core)
    shown = selected_run(page)
    scene = svg.bounding_box()
    title = page.get_by_text("Main Graph", exact=True).bounding_box()  # keep it out
    below = title["y"] + title["height"]
    scene = {**scene, "y": below, "height": scene["y"] + scene["height"] - below}
    return Shot(file, alt, runs_in(shown), crop(page, core, within=scene))


# The first of these points (CSS pixels from the scene's corner; the minimap is at the
# bottom right) where the scene's background, not the graph, is on top; else null.
BACKGROUND_POINT = """svg => {
    const r = svg.getBoundingClientRect(), graph = svg.querySelector("#root");
    for (const [x, y] of [[4, r.height - 4], [4, r.height / 2], [r.width / 2, r.height - 4]]) {
        const hit = svg.getRootNode().elementFromPoint(r.left + x, r.top + y);
        if (svg.contains(hit) && !graph.contains(hit)) return [r.left + x, r.top + y];
    }
    return null;
}"""
CLICK_TIME = 1.0  # seconds a background click gets to deselect before another is made


def deselect(page, svg) -> None:
    """Click the graph's background until no node is selected (its info card hides).

    TensorBoard ignores a background click while the graph pans or zooms, and it pans to
    a node a click selected when that node is not wholly in view (250 ms later, for 500
    ms): so each click waits until the graph stands still, lands on the background, and
    is made again if it was lost.
    """
    card = page.locator("tf-node-info")
    deadline = time.monotonic() + CHART_TIMEOUT
    clicks, clicked, last, point = 0, -CLICK_TIME, None, None
    while card.is_visible():
        now = time.monotonic()
        if now > deadline:
            name = card.evaluate("card => card.graphNodeName")
            where = f"at {point}" if point else "(no point of it was free to click)"
            raise RuntimeError(
                f"node {name!r} stayed selected after {clicks} click(s) on the background {where}"
            )
        box = svg.locator("#root").bounding_box()
        if box == last and now - clicked >= CLICK_TIME:  # still for 250 ms; no click pending
            point = svg.evaluate(BACKGROUND_POINT)
            if point:
                page.mouse.click(*point)
                clicks, clicked = clicks + 1, now
        last = box
        page.wait_for_timeout(250)


def runs_in(text: str) -> list[str]:
    """The runs whose names appear in `text`: what a page showed."""
    return [run for run in RUNS if run in text]


# --- waiting and cropping ------------------------------------------------------------


def wait_unchanged(page, read: Callable, ready: Callable, failure: str, polls: int = 3) -> None:
    """Until `polls` readings of `read()` in a row are equal and `ready`; else RuntimeError."""
    deadline = time.monotonic() + CHART_TIMEOUT
    readings: list = []
    while time.monotonic() < deadline:
        readings = [*readings[-(polls - 1) :], read()]
        if len(readings) == polls and ready(readings[0]) and readings.count(readings[0]) == polls:
            return
        page.wait_for_timeout(250)
    raise RuntimeError(f"{failure} (last readings {readings})")


def wait_stable(page, selector: str, minimum: int = 1) -> None:
    """Network idle, then at least `minimum` elements, their count unchanged a few times."""
    page.wait_for_load_state("networkidle")
    count = page.locator(selector).count
    wait_unchanged(page, count, lambda n: n >= minimum, f"TensorBoard did not draw {selector!r}")


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
