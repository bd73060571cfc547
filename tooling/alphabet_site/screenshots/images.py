"""The screenshots as files: palette PNGs checked for blankness and size, and the
manifest that records what made them (versions, config, date, time and memory).
"""

from __future__ import annotations

import datetime
import io
import json
import resource
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageStat

import alphabet_tutorial
from alphabet_tutorial.config import Config

MAX_BYTES = 400_000  # the largest image we accept
BLANK_STDDEV = 2.0  # grayscale standard deviation below which a picture is blank
MANIFEST = "manifest.json"
MADE_BY = "alphabet-tutorial screenshots"  # the manifest's mark: an earlier capture made this


@dataclass
class Shot:
    """One image: its file, its alt text, and the runs the page showed in it."""

    file: str
    alt: str
    runs: list[str]
    png: bytes


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
        "made_by": MADE_BY,
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
