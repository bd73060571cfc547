"""Place the TensorBoard screenshots, with the alt text and provenance of their manifest.

A chapter writes `<!-- tensorboard-figure: NAME.png -->` where a screenshot goes and
`<!-- tensorboard-manifest -->` where the note on how they were made goes (a reader's
note: when, and with which versions); both are read from docs/img/tensorboard/manifest.json,
written by `alphabet-tutorial screenshots`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

FIGURE = re.compile(r"^(?P<indent>[ \t]*)<!-- tensorboard-figure: (?P<name>[\w.-]+) -->$", re.M)
MANIFEST = re.compile(r"^(?P<indent>[ \t]*)<!-- tensorboard-manifest -->$", re.M)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if not FIGURE.search(markdown) and not MANIFEST.search(markdown):
        return markdown
    path = Path(config["docs_dir"]) / "img" / "tensorboard" / "manifest.json"
    manifest = json.loads(path.read_text())
    markdown = FIGURE.sub(lambda match: figure(manifest, path, **match.groupdict()), markdown)
    return MANIFEST.sub(lambda match: provenance(manifest, match["indent"]), markdown)


def figure(manifest: dict, path: Path, name: str, indent: str) -> str:
    """A screenshot with the alt text its manifest gives it."""
    images = {image["file"]: image for image in manifest["images"]}
    if name not in images:
        raise ValueError(f"{name!r} is not in {path}")
    alt = images[name]["alt"].replace("[", "(").replace("]", ")")
    return f"{indent}![{alt}](img/tensorboard/{name})"


def provenance(data: dict, indent: str) -> str:
    """How the screenshots were made, for a reader: one collapsed note, from the manifest."""
    versions = ", ".join(f"{name} {version}" for name, version in data["versions"].items())
    body = [
        '??? note "How this page was measured"',
        "",
        "    The screenshots come from a real TensorBoard, in a headless browser, reading the "
        "logs of fresh training runs of both models with the default `Config`, on "
        f"{data['date'][:10]}, with {versions}.",
    ]
    return "\n".join(indent + line if line else line for line in body)
