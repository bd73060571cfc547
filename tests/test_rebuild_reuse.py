"""What a rebuild of `make serve` takes from the last one instead of making it again: the
compiled templates (alphabet_site/hooks/templates.py), a chapter's notebook
(hooks/notebooks.py) and the smaller copies of a PNG (hooks/images.py). Each is kept only
while what it is made of is unchanged: these tests change each part and see it made again.
"""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
from mkdocs.config import load_config
from PIL import Image

from alphabet_site.hooks import images, notebooks, templates
from alphabet_site.hooks.execute import Output

REPO = Path(__file__).resolve().parent.parent

CHAPTER = "# A chapter\n\nSome prose.\n\n```python\nprint(6 * 7)\n```\n"


class Counting(jinja2.Environment):
    compiled = 0

    def compile(self, *args, **kwargs):
        Counting.compiled += 1
        return super().compile(*args, **kwargs)


def test_a_template_is_compiled_once_until_its_source_changes():
    cache = templates.MemoryBytecodeCache()
    sources = {"page.html": "Hello {{ name }}"}

    def render() -> str:  # a new environment, as each rebuild (each notebook) makes
        loader = jinja2.FunctionLoader(lambda name: (sources[name], name, lambda: True))
        return (
            Counting(loader=loader, bytecode_cache=cache)
            .get_template("page.html")
            .render(name="you")
        )

    Counting.compiled = 0
    assert [render(), render()] == ["Hello you", "Hello you"]
    assert Counting.compiled == 1
    sources["page.html"] = "Goodbye {{ name }}"
    assert render() == "Goodbye you" and Counting.compiled == 2


def test_a_notebook_is_made_again_when_a_part_of_it_changes(monkeypatch):
    config = load_config(str(REPO / "mkdocs.yml"))
    made = []
    chapter_notebook = notebooks.chapter_notebook
    monkeypatch.setattr(
        notebooks,
        "chapter_notebook",
        lambda *args: made.append(args) or chapter_notebook(*args),
    )
    monkeypatch.setattr(notebooks, "_made", {})
    outputs = [("print(6 * 7)\n", Output("42\n", None))]
    first = notebooks.notebook_text(CHAPTER, "a.md", config, outputs)
    assert notebooks.notebook_text(CHAPTER, "a.md", config, outputs) == first
    assert len(made) == 1  # the same parts: the same text, not made again
    other = [("print(6 * 7)\n", Output("43\n", None))]
    assert '"43\\n"' in notebooks.notebook_text(CHAPTER, "a.md", config, other)
    prose = CHAPTER.replace("Some prose", "Other prose")
    assert "Other prose" in notebooks.notebook_text(prose, "a.md", config, other)
    config["site_name"] = "Another site"
    assert "Another site" in notebooks.notebook_text(prose, "a.md", config, other)
    assert len(made) == 4


def test_a_png_is_resized_again_once_it_changed(tmp_path):
    source = tmp_path / "wide.png"
    Image.new("RGB", (1000, 500), "red").save(source)
    site = tmp_path / "site"
    images.resized(source, "img/wide.png", 480, site)
    copy = site / "img" / "wide-480w.png"
    with Image.open(copy) as image:
        assert image.size == (480, 240) and image.getpixel((0, 0)) == (255, 0, 0)
    copy.unlink()  # a rebuild empties the site
    Image.new("RGB", (1000, 400), "blue").save(source)
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 10**9))
    images.resized(source, "img/wide.png", 480, site)
    with Image.open(copy) as image:
        assert image.size == (480, 192) and image.getpixel((0, 0)) == (0, 0, 255)
