"""Give every image of the site its size, lazy loading, and a 1x version for 1x screens.

Each `<img>` of a page that points at a file of the build, or holds an SVG image inline
(a notebook's figure, as nbconvert writes it), gets the image's intrinsic `width` and
`height` (so the page does not jump while it loads), `loading="lazy"` and
`decoding="async"`, except the first image of a page when it comes before the page's
first section heading (it may be in the first screen, where lazy loading delays it).
The TensorBoard screenshots are taken at twice the scale they are shown: for each PNG
wider than a size in `WIDTHS`, this hook writes a copy of that width beside it in the
built site (`name-960w.png`) and offers them with the original through `srcset`, so a
phone or a 1x screen loads a small one and a wide high-DPI screen the sharp original.
A notebook page's images point at their published address (for Jupyter and Colab):
here they point at the built site again, relatively, before they are sized.
Nothing is written into docs/.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import re
from pathlib import Path
from urllib.parse import unquote, urljoin

from PIL import Image

WIDTHS = (480, 960)  # px: the resized copies of a wide PNG
# How wide Material's content column is: 748 px in a 1280 px window with both sidebars
# (from 76.25em), about 3/4 of the window with the table of contents only, all of it on
# a phone.
SIZES = "(min-width: 76.25em) 60vw, (min-width: 60em) 75vw, 100vw"
IMG = re.compile(r"<img\b[^>]*>")
ATTRIBUTE = re.compile(r'\s([\w-]+)="([^"]*)"')
INLINE_SVG = "data:image/svg+xml;base64,"
SVG_SIZE = re.compile(r'<svg\b[^>]*?\swidth="(\d+(?:\.\d+)?)"[^>]*?\sheight="(\d+(?:\.\d+)?)"')
FIRST_SECTION = re.compile(r"<h2\b")

_files: dict[str, Path] = {}  # site URL of each file of the build -> its source


def on_files(files, config):
    _files.clear()
    _files.update({file.url: Path(file.abs_src_path) for file in files if file.abs_src_path})
    return files


def intrinsic_size(source: Path) -> tuple[int, int]:
    if source.suffix == ".svg":
        return svg_size(source.read_text(encoding="utf-8"), str(source))
    with Image.open(source) as image:
        return image.size


def svg_size(svg: str, where: str) -> tuple[int, int]:
    match = SVG_SIZE.search(svg)
    if not match:
        raise ValueError(f"{where}: the <svg> element has no width and height")
    return round(float(match[1])), round(float(match[2]))


def resized(source: Path, url: str, width: int, site_dir: Path) -> str:
    """Write a `width`-wide copy of a PNG into the built site (once); its file name."""
    name = re.sub(r"\.png$", f"-{width}w.png", url.rsplit("/", 1)[-1])
    target = site_dir / unquote(url).rsplit("/", 1)[0] / name
    if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(resized_png(source, source.stat().st_mtime_ns, width))
    return name


@functools.cache  # `make serve` rebuilds into an emptied site: resize each PNG once
def resized_png(source: Path, modified: int, width: int) -> bytes:
    """The PNG `source`, as it was at `modified`, resized to `width` pixels wide."""
    with Image.open(source) as image:
        height = round(image.height * width / image.width)
        copy = io.BytesIO()
        image.resize((width, height), Image.Resampling.LANCZOS).save(copy, "PNG", optimize=True)
    return copy.getvalue()


def sized(tag: str, page_url: str, lazy: bool, site_dir: Path) -> str:
    attributes = dict(ATTRIBUTE.findall(tag))
    src = html.unescape(attributes.get("src", ""))
    url = urljoin("/" + page_url, src).lstrip("/")
    source = _files.get(unquote(url))
    if source is not None:
        width, height = intrinsic_size(source)
    elif src.startswith(INLINE_SVG):
        svg = base64.b64decode(src.removeprefix(INLINE_SVG)).decode("utf-8")
        width, height = svg_size(svg, f"an inline image of {page_url or 'the home page'}")
    else:  # neither a file of this build nor an SVG (another data: URI)
        return tag
    extra = {"width": str(width), "height": str(height), "decoding": "async"}
    if lazy:
        extra["loading"] = "lazy"
    smaller = [size for size in WIDTHS if size < width]
    if source is not None and source.suffix == ".png" and smaller:
        folder = src[: len(src) - len(src.rsplit("/", 1)[-1])]  # as the src writes it
        candidates = [f"{folder}{resized(source, url, size, site_dir)} {size}w" for size in smaller]
        extra["srcset"] = ", ".join([*candidates, f"{src} {width}w"])
        extra["sizes"] = SIZES
    added = "".join(f' {name}="{value}"' for name, value in extra.items() if name not in attributes)
    return tag[:-1].rstrip("/").rstrip() + added + ">"


def on_post_page(output: str, page, config) -> str:
    site_dir = Path(config["site_dir"])
    if getattr(page, "nb_url", None) is not None:
        # A notebook's images are at their published address (for Jupyter and Colab); on
        # the site they load from it, relatively, like every page's, and are sized here.
        root = "../" * page.url.count("/")
        output = output.replace(f'src="{config["site_url"]}', f'src="{root}')
    first_section = FIRST_SECTION.search(output)
    head_end = first_section.start() if first_section else len(output)
    parts, last, count = [], 0, 0
    for match in IMG.finditer(output):
        lazy = count > 0 or match.start() > head_end
        parts += [output[last : match.start()], sized(match[0], page.url, lazy, site_dir)]
        last, count = match.end(), count + 1
    return "".join(parts) + output[last:]
