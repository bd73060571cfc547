"""Run every python fence of every chapter at build time and show what it printed.

The chapters hold plain ```python fences, the only kind pytest-codeblocks tests. At
build time this hook rewrites each of them into a markdown-exec fence, so the page shows
the code and, under it, the output of that very build. Fences chained with
`<!--pytest-codeblocks:cont-->` share one session, the others start a fresh one: the
build runs the code exactly as the snippet tests do. A block that raises logs a warning,
which fails the strict build.

It also quiets TensorFlow and keeps Keras's config out of $HOME before any code runs
(notebook kernels inherit the environment), places the TensorBoard screenshots with the
alt text and provenance from their manifest, and keeps the notebook pages from loading
MathJax from a CDN.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fences import parse, sessions

from alphabet_tutorial import env

TENSORBOARD = Path("docs/img/tensorboard")
FIGURE = re.compile(r"^(?P<indent>[ \t]*)<!-- tensorboard-figure: (?P<name>[\w.-]+) -->$", re.M)
MANIFEST = re.compile(r"^(?P<indent>[ \t]*)<!-- tensorboard-manifest -->$", re.M)


def on_startup(command, dirty) -> None:
    # Before any fence imports Keras or TensorFlow, in this process and in notebook kernels.
    env.setup(private_keras_home=True)


def on_config(config):
    global TENSORBOARD
    TENSORBOARD = Path(config["docs_dir"]) / "img" / "tensorboard"
    return config


def on_page_markdown(markdown: str, page, config, files) -> str:
    markdown = executable(markdown, page.file.src_uri)
    markdown = FIGURE.sub(lambda match: figure(match["name"], match["indent"]), markdown)
    return MANIFEST.sub(lambda match: provenance(match["indent"]), markdown)


def executable(markdown: str, src_uri: str) -> str:
    """Each runnable ```python fence becomes a markdown-exec fence, in its session."""
    lines = markdown.splitlines()
    fences = parse(markdown)
    names = sessions(fences, re.sub(r"\W+", "_", src_uri))
    for fence in fences:
        if not fence.runnable:
            continue
        options = f'exec="on" source="above" session="{names[fence.start]}"'
        options += f' id="{src_uri}:{fence.start + 1}"'
        if not fence.markdown_output:
            options += ' result="text"'
        lines[fence.start] = f"{fence.indent}{fence.ticks}python {options}"
    return "\n".join(lines) + "\n"


def manifest() -> dict:
    return json.loads((TENSORBOARD / "manifest.json").read_text())


def figure(name: str, indent: str) -> str:
    """A screenshot with the alt text its manifest gives it."""
    images = {image["file"]: image for image in manifest()["images"]}
    if name not in images:
        raise ValueError(f"{name!r} is not in {TENSORBOARD / 'manifest.json'}")
    alt = images[name]["alt"].replace("[", "(").replace("]", ")")
    return f"{indent}![{alt}](img/tensorboard/{name})"


def provenance(indent: str) -> str:
    """How the screenshots were made: versions, config and date, from the manifest."""
    data = manifest()
    versions = ", ".join(f"{name} {version}" for name, version in data["versions"].items())
    config = ", ".join(f"`{key}={value}`" for key, value in data["config"].items())
    body = [
        '??? info "How these screenshots were made"',
        f"    Captured by `{data['made_by']}` on {data['date'][:10]}, from fresh training runs "
        "of both models in a real TensorBoard, in headless Chromium.",
        "",
        f"    - Versions: {versions}",
        f"    - Config: {config}",
        f"    - Whole capture: {data['wall_seconds']:.0f} s",
        "",
        "    Remake them with `make screenshots`. The manifest, as written:",
        "",
        "    ```json",
        *(f"    {line}" for line in json.dumps(data, indent=2).splitlines()),
        "    ```",
    ]
    return "\n".join(indent + line if line else line for line in body)


def on_post_page(output: str, page, config) -> str:
    """nbconvert's template always adds a MathJax <script>; our notebooks have no maths."""
    if getattr(page, "nb_url", None) is None:
        return output
    output = re.sub(r"<!-- Load mathjax -->\s*<script src=\"[^\"]*\">\s*</script>", "", output)
    return re.sub(
        r"<!-- MathJax configuration -->\s*<script type=\"text/x-mathjax-config\">.*?</script>",
        "",
        output,
        flags=re.S,
    )
