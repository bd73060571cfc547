"""The weights of a trained model as a small JSON asset for the site's next-letter widget.

The widget (docs/widget/) runs the model in the reader's browser with a forward pass
written in JavaScript. It needs the five arrays every weights file holds, the config and
the package version. `asset` packs them: each array as the base64 of its little-endian
float32 bytes (a quarter of the size of decimal text, and exact). The site's build
(hooks/widget.py) writes the asset of the model a chapter trains.
"""

from __future__ import annotations

import base64
import json

import numpy as np

from alphabet_tutorial import __version__, impls
from alphabet_tutorial.config import Config
from alphabet_tutorial.weights import WEIGHT_NAMES, check_weights


def asset(weights, config: Config, impl: str) -> dict:
    """The five arrays of a trained model, its config and where they come from, as JSON data."""
    arrays = {
        name: {
            "shape": list(array.shape),
            "float32": base64.b64encode(array.astype("<f4").tobytes()).decode(),
        }
        for name, array in zip(WEIGHT_NAMES, check_weights(weights, config), strict=True)
    }
    return {
        "package": "alphabet-tutorial",
        "version": __version__,
        "impl": impls.get(impl).name,
        "title": impls.get(impl).title,  # how the page names the implementation
        "config": {"window": config.window, "units": config.units, "wrap": config.wrap},
        "arrays": arrays,
    }


def to_json(data: dict) -> str:
    """The asset as the compact JSON text the site serves."""
    return json.dumps(data, separators=(",", ":"))


def arrays_of(data: dict) -> list[np.ndarray]:
    """The five arrays back from an asset, in the order of `WEIGHT_NAMES`."""
    return [
        np.frombuffer(base64.b64decode(data["arrays"][name]["float32"]), dtype="<f4").reshape(
            data["arrays"][name]["shape"]
        )
        for name in WEIGHT_NAMES
    ]
