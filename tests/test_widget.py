"""The next-letter widget: the weights asset, the JavaScript forward pass against Python,
and the widget on the built site, driven in headless Chromium on loopback."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import AXE, axe_violations, cannot_run_here, describe
from mkdocs.exceptions import PluginError

from alphabet_site.hooks import widget as widget_hook
from alphabet_site.screenshots.browser import guard_loopback
from alphabet_site.widget_export import arrays_of, asset, to_json
from alphabet_tutorial import Config, __version__, cli, impls
from alphabet_tutorial.task import encode_prompt, windows
from alphabet_tutorial.weights import save_weights, weight_shapes

REPO = Path(__file__).resolve().parent.parent
WIDGET = REPO / "docs" / "widget"
SCRIPTS = ("lstm.js", "widget.js")  # the forward pass, then the widget that uses it
LAZY = ("lstm.js", "widget.js", "widget.css", "weights.json")  # loaded once in view
SHORT = {"width": 1280, "height": 500}  # a desktop window where the teaser starts out of view
PHONE = {"width": 360, "height": 740}
BUDGET = 100_000  # bytes: the weights and everything the widget loads
# Text no window of the task is, upper-case text, longer text (only the last letters count).
UNSEEN = ["xyz", "zyx", "aaa", "qwe", "mno" * 3, "ABC", "HIJKLMNO", "XYZ", "dcba"]
# Text the command line refuses: too short, mixed case, characters that are not letters.
REFUSED = ["", "a", "ab", "AB", "aBc", "Abc", "ab1", "a c", "abc ", "don't", 'say "a"', "abé"]
REFUSED += ["ab\tc", "a\u200bb", "ab\\", 'it\'s "a"', "abc\U0001f642"]  # as repr() quotes them


def python_answer(model, config, text: str):
    """What the package says about `text`: 26 probabilities, or the ValueError's message."""
    try:
        inputs = encode_prompt(text, config.window)
    except ValueError as error:
        return str(error)
    return np.asarray(model(inputs), dtype=np.float64)[0]


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """Exit status, stdout and stderr (stripped) of `alphabet-tutorial ARGV`, in-process."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = cli.main(argv)
    return status, stdout.getvalue().strip(), stderr.getvalue().strip()


# --- the asset -------------------------------------------------------------------------


def test_asset_holds_the_five_arrays_exactly(trained_keras, config):
    model, _ = trained_keras
    data = json.loads(to_json(asset(model.get_weights(), config, "keras")))
    assert (data["impl"], data["title"], data["version"]) == ("keras", "Keras", __version__)
    assert data["config"] == {"window": config.window, "units": config.units, "wrap": False}
    for exported, weight in zip(arrays_of(data), model.get_weights(), strict=True):
        np.testing.assert_array_equal(exported, weight)


def test_asset_refuses_what_a_weights_file_refuses(trained_keras, config):
    weights = trained_keras[0].get_weights()
    with pytest.raises(ValueError, match="expected 5 arrays"):
        asset(weights[:4], config, "keras")
    with pytest.raises(ValueError, match="dense_bias has shape"):
        asset([*weights[:4], weights[4][:25]], config, "keras")
    with pytest.raises(ValueError, match="lstm_bias holds non-finite values"):
        asset([*weights[:2], weights[2] * np.nan, *weights[3:]], config, "keras")
    with pytest.raises(ValueError, match="impl must be one of"):
        asset(weights, config, "numpy")


def test_the_build_writes_the_weights_of_the_model_trained_above_the_widget(
    trained_keras, trained_lowlevel, config, tmp_path
):

    def page(source: str, sessions: list) -> SimpleNamespace:
        file = SimpleNamespace(src_uri="chapter.md")
        return SimpleNamespace(markdown=source, meta={"code_sessions": sessions}, file=file)

    widget_hook.on_pre_build({})
    teaser = "Try it:\n\n<!-- next-letter-widget -->\n"  # shows the widget, trains nothing
    shown = widget_hook.on_page_markdown(teaser, page(teaser, []), {}, None)
    assert '<input id="next-letter-input"' in shown and "data-next-letter" in shown
    assert "data-top" not in shown  # the whole chart
    top = "<!-- next-letter-widget: top 5 -->\n"
    shown = widget_hook.on_page_markdown(top, page(top, []), {}, None)
    assert 'data-next-letter data-top="5"' in shown and "next-letter-widget" not in shown
    with pytest.raises(PluginError, match="no page trained a model"):
        widget_hook.on_post_build({"site_dir": str(tmp_path)})
    assert not (tmp_path / "widget").exists()

    source = "```python\n...\n```\n\n<!-- next-letter-widget: the model trained above -->\n"
    keras_model, lowlevel_model = trained_keras[0], trained_lowlevel[0]
    sessions = [(0, {"model": keras_model, "config": config})]
    shown = widget_hook.on_page_markdown(source + "output\n", page(source, sessions), {}, None)
    assert "data-next-letter" in shown and "next-letter-widget" not in shown
    widget_hook.on_post_build({"site_dir": str(tmp_path)})
    written = (tmp_path / "widget" / "weights.json").read_text()
    assert written == to_json(asset(keras_model.get_weights(), config, "keras"))
    for sessions in ([], [(0, {"model": lowlevel_model, "config": config})]):
        with pytest.raises(PluginError, match="chapter.md: no code block above the next-letter"):
            widget_hook.on_page_markdown(source, page(source, sessions), {}, None)
    widget_hook.on_pre_build({})


# --- the browser -----------------------------------------------------------------------


@pytest.fixture
def context(browser):
    """A fresh browser context kept to loopback, failing the test on any outside request."""
    context = browser.new_context(service_workers="block")
    blocked = guard_loopback(context)
    yield context
    context.close()
    assert not blocked, f"requests to other hosts: {blocked}"


def javascript_answers(context, data: dict, prompts: list[str]) -> list:
    """What the widget's JavaScript answers (problem, or probabilities, ranked letters and
    note), in a blank page holding only its two files."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    for name in SCRIPTS:
        page.add_script_tag(content=(WIDGET / name).read_text(encoding="utf-8"))
    answers = page.evaluate(
        """([asset, prompts]) => {
          const model = NextLetterModel.load(asset);
          return prompts.map((text) => NextLetterWidget.answer(model, asset.config, text));
        }""",
        [data, prompts],
    )
    assert not errors, f"JavaScript errors: {errors}"
    return answers


@pytest.mark.parametrize("impl", impls.NAMES)
def test_javascript_gives_python_probabilities_and_messages(impl, trained, context, config):
    model, _ = trained(impl)
    prompts = [text for text, _ in windows(config.window, config.wrap)] + UNSEEN + REFUSED
    data = asset(model.get_weights(), config, impl)
    answers = javascript_answers(context, data, prompts)
    compared = 0
    for text, answer in zip(prompts, answers, strict=True):
        expected = python_answer(model, config, text)
        if isinstance(expected, str):
            assert answer.get("problem") == expected, f"{text!r}: the browser says {answer}"
            continue
        assert "problem" not in answer, f"{text!r}: the browser refused it: {answer['problem']}"
        in_browser = answer["probabilities"]
        np.testing.assert_allclose(in_browser, expected, rtol=0, atol=1e-5, err_msg=repr(text))
        compared += 1
    assert compared == len(windows(config.window, config.wrap)) + len(UNSEEN)
    assert answers[prompts.index("abc")]["ranked"][0]["letter"] == "d"


def test_refusals_and_notes_are_the_command_lines(context, trained_lowlevel, config, tmp_path):
    model, _ = trained_lowlevel
    weights_file = str(
        save_weights(tmp_path / "lowlevel.npz", model.get_weights(), config, "lowlevel")
    )
    prompts = [*REFUSED, *UNSEEN, "abc", "hijklmno"]
    data = asset(model.get_weights(), config, "lowlevel")
    for text, answer in zip(prompts, javascript_answers(context, data, prompts), strict=True):
        status, stdout, stderr = run_cli(["predict", "--load", weights_file, "--", text])
        if "problem" in answer:
            assert (status, stderr) == (2, f"alphabet-tutorial: error: {answer['problem']}")
        else:
            assert status == 0 and stdout.startswith(f"{text} -> {answer['ranked'][0]['letter']}")
            assert stderr == (answer["note"] or ""), f"{text!r}"


# --- a weights.json that is not what the build writes ---------------------------------

ORIGIN = "http://127.0.0.1:9"  # never reached: the page routes every request it makes


def tampered(change) -> str:
    """weights.json of a small model (units=4), changed by `change(data)`, as JSON text."""
    config = Config(units=4)
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=shape).astype(np.float32) for shape in weight_shapes(config)]
    data = asset(weights, config, "keras")
    change(data)
    return to_json(data)


def setting(path: str, value):
    """A change that sets data[key][key]... at `path` (keys joined by dots)."""

    def change(data):
        *parents, last = path.split(".")
        for key in parents:
            data = data[key]
        data[last] = value

    return change


def float32_text(values) -> str:
    return base64.b64encode(np.asarray(values, "<f4").tobytes()).decode()


TAMPERED = {  # id -> (weights.json text, what the widget's status says after "weights.json: ")
    "arrays-for-another-config": (
        tampered(setting("config.units", 8)),
        "lstm_kernel has shape (26, 16), but units=8 needs (26, 32)",
    ),
    "nan": (
        tampered(setting("arrays.lstm_bias.float32", float32_text([np.nan] * 16))),
        "lstm_bias holds non-finite values (NaN or infinity)",
    ),
    "infinity": (
        tampered(setting("arrays.dense_bias.float32", float32_text([np.inf] * 26))),
        "dense_bias holds non-finite values (NaN or infinity)",
    ),
    "huge-declared-shape": (  # decoded as declared, it blocked the tab for seconds
        tampered(setting("arrays.lstm_recurrent_kernel.shape", [10**8, 16])),
        "lstm_recurrent_kernel has shape (100000000, 16), but units=4 needs (4, 16)",
    ),
    "huge-units": (
        tampered(setting("config.units", 10**6)),
        "units must be a whole number from 1 to 512 (the largest model the widget runs), "
        "got 1000000",
    ),
    "fewer-values-than-the-shape": (
        tampered(setting("arrays.dense_kernel.float32", float32_text(np.zeros(100)))),
        "dense_kernel holds 400 bytes, but shape (4, 26) needs 416",
    ),
    "not-base64": (
        tampered(setting("arrays.dense_bias.float32", "!" * 140)),
        "dense_bias is not base64 text",
    ),
    "missing-array": (
        tampered(lambda data: data["arrays"].pop("dense_bias")),
        "it has no array dense_bias",
    ),
    "missing-config": (tampered(lambda data: data.pop("config")), "it has no config"),
    "window-as-text": (
        tampered(setting("config.window", "3")),
        'window must be a whole number from 1 to 25, got "3"',
    ),
    "wrap-missing": (
        tampered(lambda data: data["config"].pop("wrap")),
        "wrap must be true or false, got undefined",
    ),
    "not-json": ("<!doctype html><title>Not found</title>", "it is not JSON"),
    "larger-than-any-model-the-widget-runs": (
        " " * 9_000_000,
        "it holds 9000000 characters, more than the 8000000 a model the widget runs takes",
    ),
    "a-list": ("[1, 2, 3]", "it has no config"),
}


@pytest.mark.parametrize(("text", "message"), TAMPERED.values(), ids=TAMPERED)
def test_a_tampered_weights_file_is_named_in_the_widget_at_once(context, text, message):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def serve(route):
        name = route.request.url.rsplit("/", 1)[-1]
        if name == "weights.json":
            route.fulfill(body=text, content_type="application/json")
        else:
            route.fulfill(path=WIDGET / name)

    form = widget_hook.form(None)
    html = f'<!doctype html><html lang="en"><title>w</title>{form}<script src="widget/loader.js">'
    page.route(f"{ORIGIN}/widget/*", serve)
    page.route(f"{ORIGIN}/", lambda route: route.fulfill(body=html + "</script>"))
    arrived: list[float] = []  # when weights.json had come in full
    page.on(
        "requestfinished",
        lambda request: arrived.append(time.perf_counter()) if "weights" in request.url else None,
    )
    page.goto(f"{ORIGIN}/")
    status = page.locator(".next-letter__status")
    waiting = "The model loads"  # the status until the widget has loaded, or failed to
    page.wait_for_function(
        "(waiting) => !document.querySelector('.next-letter__status').textContent"
        ".startsWith(waiting)",
        arg=waiting,
        timeout=10_000,
    )
    seconds = time.perf_counter() - arrived[0]
    assert status.text_content() == f"The model did not load: weights.json: {message}"
    assert page.locator(".next-letter--error").count() == 1  # marked as an error
    assert page.locator(".next-letter__chart li").count() == 0
    assert not errors, f"JavaScript errors: {errors}"
    assert seconds < 1, f"{seconds:.1f} s from its arrival to the refusal"


# --- the widget on the built site ------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(built_site: Path):
    """The built site served on a free loopback port."""
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_QuietHandler, directory=str(built_site))
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_built_weights_are_this_builds_keras_model_within_budget(built_site: Path):
    data = json.loads((built_site / "widget" / "weights.json").read_text())
    assert data["impl"] == "keras" and data["version"] == __version__
    assert [array.shape for array in arrays_of(data)][0] == (26, 4 * data["config"]["units"])
    sizes = {name: (built_site / "widget" / name).stat().st_size for name in ("loader.js", *LAZY)}
    assert sum(sizes.values()) < BUDGET, sizes
    chapter = (built_site / "keras-implementation" / "index.html").read_text()
    assert 'id="next-letter-input"' in chapter  # the widget's form


def serve_sitemap_here(page, built_site: Path, site_url: str) -> None:
    """Material's instant navigation handles only links its sitemap lists, mapped onto this
    host by protocol and host name but not port: name the loopback port in the sitemap."""
    sitemap = (built_site / "sitemap.xml").read_text(encoding="utf-8")
    published = re.search(r"<loc>(.*?)</loc>", sitemap).group(1)  # the home page: site_url
    body = sitemap.replace(published, site_url)
    page.route("**/sitemap.xml", lambda route: route.fulfill(body=body, content_type="text/xml"))


def test_widget_loads_in_view_and_answers_d_after_abc(context, built_site, site_url, config):
    page = context.new_page()
    page.set_viewport_size(SHORT)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url.rsplit("/", 1)[-1]))
    box = page.locator("#next-letter-input")
    top = page.locator(".next-letter__chart .next-letter__top .next-letter__letter")
    status = page.locator("#next-letter-status")

    # The home page's teaser: nothing of the widget loads before it scrolls into view.
    serve_sitemap_here(page, built_site, site_url)
    page.goto(site_url, wait_until="load")
    page.wait_for_load_state("networkidle")
    assert box.bounding_box()["y"] > SHORT["height"], "the teaser is in view at once"
    assert not set(requested) & set(LAZY), f"loaded before it came into view: {requested}"
    box.scroll_into_view_if_needed()
    top.wait_for()
    assert sorted(set(requested) & set(LAZY)) == sorted(LAZY)
    assert box.input_value() == "abc" and top.text_content() == "d"
    assert page.locator(".next-letter__chart li").count() == 5  # its top 5 only

    # The chapter, reached through Material's instant navigation (no page load).
    page.evaluate("window.sameDocument = true")
    teaser = box.element_handle()
    page.click(".md-nav--primary a[href$='keras-implementation/']")
    page.wait_for_url("**/keras-implementation/")
    page.wait_for_function("(teaser) => !teaser.isConnected", arg=teaser)  # content swapped
    assert page.evaluate("window.sameDocument === true"), "the page was reloaded"
    box.scroll_into_view_if_needed()
    top.wait_for()
    box.fill("")
    box.press_sequentially("abc")
    assert top.text_content() == "d"
    assert status.text_content().startswith("Most likely after abc: d (")
    source = page.locator(".next-letter__source").text_content()
    assert "the Keras model trained in this tutorial" in source

    # Screen readers get the chart as a list: each letter with its probability.
    chart = page.locator(".next-letter__chart").aria_snapshot().splitlines()
    assert chart[0] == '- list "Next-letter probabilities, most likely first":', chart
    assert len(chart) == 27 and re.fullmatch(r"  - listitem: d, \d+\.\d\d%", chart[1]), chart

    # A phone's width: nothing sticks out of the widget or the page.
    page.set_viewport_size(PHONE)
    widths = page.evaluate(
        """() => [document.querySelector(".next-letter").scrollWidth,
                  document.querySelector(".next-letter").clientWidth,
                  document.documentElement.scrollWidth]"""
    )
    assert widths[0] <= widths[1] and widths[2] <= PHONE["width"], widths

    box.press("Backspace")
    assert status.text_content() == encode_prompt_error("ab", config.window)
    assert page.locator(".next-letter__chart li").count() == 0
    assert box.get_attribute("aria-invalid") == "true"
    assert not errors, f"JavaScript errors: {errors}"


def encode_prompt_error(text: str, window: int) -> str:
    with pytest.raises(ValueError) as error:
        encode_prompt(text, window)
    return str(error.value)


def test_the_working_widget_passes_axe_in_both_schemes(context, site_url):
    """axe-core (as tests/test_site_browser.py runs it on every page) on the chapter with the
    widget mounted: showing a chart, then a refusal."""
    if not AXE.is_file():
        cannot_run_here(f"axe-core is not installed ({AXE}): `npm ci --prefix .ci` installs it")
    page = context.new_page()
    page.goto(f"{site_url}keras-implementation/", wait_until="load")
    box = page.locator("#next-letter-input")
    box.scroll_into_view_if_needed()
    page.locator(".next-letter__top").wait_for()
    problems = []
    for text in ("abc", "ab1"):
        box.fill(text)
        for scheme, violations in axe_violations(page, AXE.read_text(encoding="utf-8")).items():
            problems += [f"{text!r} [{scheme}] {describe(violation)}" for violation in violations]
    assert not problems, "\n".join(problems)
