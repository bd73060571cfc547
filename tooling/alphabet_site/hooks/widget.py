"""The live next-letter widget: its markup where a page asks for it, and this build's weights.

A page asks for the widget with a line `<!-- next-letter-widget -->`; the hook puts the
form there (a labelled text box, a status line, an empty chart); with
`<!-- next-letter-widget: top 5 -->` the chart shows the 5 most likely letters only.
docs/widget/loader.js, loaded on every page, fetches the rest when a widget scrolls into
view: the forward pass (lstm.js), the widget (widget.js, widget.css) and
`widget/weights.json`.

That JSON is never committed. The line `<!-- next-letter-widget: the model trained above -->`
also says where its weights come from: the Keras `model` (and its `config`) left by the
last code block above the line, as hooks/execute.py ran it. The reader's code stays what
a reader would write, and after the build this hook writes the asset of that model. A
build in which no page names a trained model fails.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.exceptions import PluginError

from alphabet_site import widget_export as widget
from alphabet_site.hooks.execute import derived

MARKER = re.compile(
    r"^<!-- next-letter-widget(?:: (?:(?P<trained>the model trained above)"
    r"|top (?P<top>[1-9]\d*)))? -->$",
    re.M,
)
ASSET = Path("widget") / "weights.json"
ASSETS: list[dict] = []  # the trained models' assets, in the order of the pages
FAILED: list[str] = []  # `make serve` only: pages whose code failed before their widget

FORM = """\
<div class="next-letter" data-next-letter{top}>
<label for="next-letter-input">Letters for the model to continue</label>
<input id="next-letter-input" type="text" value="abc" autocomplete="off" autocapitalize="none"
 spellcheck="false" aria-describedby="next-letter-status">
<p id="next-letter-status" class="next-letter__status" role="status">The model loads when
this box comes into view.</p>
<noscript><p>With JavaScript turned off, it cannot load: the chapters show the model's answers
as printed output.</p></noscript>
<ol class="next-letter__chart" aria-label="{label}"></ol>
<p class="next-letter__source"></p>
</div>"""


def on_pre_build(config) -> None:
    ASSETS.clear()  # `mkdocs serve` rebuilds in the same process
    FAILED.clear()


def on_page_markdown(markdown: str, page, config, files) -> str:
    # page.markdown is the page's source until every hook has run: the lines execute.py read
    lines = page.markdown.splitlines() if page is not None else []
    trained = [n for n, line in enumerate(lines) if (m := MARKER.fullmatch(line)) and m["trained"]]
    if trained and "code_error" in page.meta:  # `make serve`: the page shows the failure
        FAILED.append(page.file.src_uri)
    elif trained:
        ASSETS.extend(assets(page, trained))
    return MARKER.sub(lambda match: form(match["top"]), markdown)


def form(top: str | None) -> str:
    """The widget's markup; with `top`, its chart shows only that many letters."""
    if top is None:
        return FORM.format(top="", label="Next-letter probabilities, most likely first")
    label = f"The {top} most likely next letters, with their probabilities"
    return FORM.format(top=f' data-top="{top}"', label=label)


def assets(page, lines: list[int]) -> list[dict]:
    """The assets of the widgets at `lines` (under `make serve`, kept with the chapter's
    execution cache entry: hooks/execute.py's `derived`)."""
    return derived(page, "widget", lambda: [trained_above(page, line) for line in lines])


def trained_above(page, line: int) -> dict:
    """The asset of the Keras `model` left by the last code block above `line` of the
    page's source (hooks/execute.py ran the blocks before this hook)."""
    import keras

    above = [namespace for start, namespace in page.meta.get("code_sessions", []) if start < line]
    model, config = (above[-1].get(name) if above else None for name in ("model", "config"))
    if not isinstance(model, keras.Model) or config is None:
        raise PluginError(
            f"{page.file.src_uri}: no code block above the next-letter widget left a Keras "
            "`model` and its `config` for the widget's weights"
        )
    return widget.asset(model.get_weights(), config, impl="keras")


def on_post_build(config) -> None:
    if not ASSETS and FAILED:
        return  # the preview of a failed chapter: no weights until its code runs again
    if not ASSETS:
        raise PluginError(
            "no page trained a model for the next-letter widget "
            "(<!-- next-letter-widget: the model trained above -->): "
            "widget/weights.json cannot be written"
        )
    path = Path(config["site_dir"]) / ASSET
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(widget.to_json(ASSETS[-1]), encoding="utf-8")
