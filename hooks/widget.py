"""The live next-letter widget: its markup where a page asks for it, and this build's weights.

A page asks for the widget with a line `<!-- next-letter-widget -->`; the hook puts the
form there (a labelled text box, a status line, an empty chart). docs/widget/loader.js,
loaded on every page, fetches the rest when a widget scrolls into view: the forward pass
(lstm.js), the widget (widget.js, widget.css) and `widget/weights.json`.

That JSON is never committed: a page trains a model and hands it over with
`alphabet_tutorial.widget.publish`, and after the build this hook writes the asset of the
last model published. A build in which no page published a model fails.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.exceptions import PluginError

from alphabet_tutorial import widget

MARKER = re.compile(r"^<!-- next-letter-widget -->$", re.M)
ASSET = Path("widget") / "weights.json"

FORM = """\
<div class="next-letter" data-next-letter>
<label for="next-letter-input">Letters for the model to continue</label>
<input id="next-letter-input" type="text" value="abc" autocomplete="off" autocapitalize="none"
 spellcheck="false" aria-describedby="next-letter-status">
<p id="next-letter-status" class="next-letter__status" role="status">The model loads when
this box comes into view.</p>
<ol class="next-letter__chart" aria-label="Next-letter probabilities, most likely first"></ol>
<p class="next-letter__source"></p>
</div>"""


def on_pre_build(config) -> None:
    widget.clear_published()  # `mkdocs serve` rebuilds in the same process


def on_page_markdown(markdown: str, page, config, files) -> str:
    return MARKER.sub(FORM, markdown)


def on_post_build(config) -> None:
    assets = widget.published()
    if not assets:
        raise PluginError(
            "no page published a trained model for the next-letter widget "
            "(alphabet_tutorial.widget.publish): widget/weights.json cannot be written"
        )
    path = Path(config["site_dir"]) / ASSET
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(widget.to_json(assets[-1]), encoding="utf-8")
