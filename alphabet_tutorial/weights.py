"""Weight files: the five arrays both implementations share, and the config, in one .npz.

Weights trained by one implementation load into the other: both networks hold the
same arrays in Keras's order and layout.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from alphabet_tutorial import impls
from alphabet_tutorial.atomic import replacing_file
from alphabet_tutorial.config import Config
from alphabet_tutorial.task import NUM_LETTERS

# Both networks hold the same five arrays, in Keras's order.
WEIGHT_NAMES = ("lstm_kernel", "lstm_recurrent_kernel", "lstm_bias", "dense_kernel", "dense_bias")


def weight_shapes(config: Config) -> list[tuple[int, ...]]:
    """The shapes of the five arrays, in `WEIGHT_NAMES` order."""
    units = config.units
    return [
        (NUM_LETTERS, 4 * units),  # lstm_kernel
        (units, 4 * units),  # lstm_recurrent_kernel
        (4 * units,),  # lstm_bias
        (units, NUM_LETTERS),  # dense_kernel
        (NUM_LETTERS,),  # dense_bias
    ]


def check_weights(weights, config: Config) -> list[np.ndarray]:
    """The five arrays as float32, or ValueError naming the first one that is wrong."""
    if not isinstance(config, Config):
        raise TypeError(f"config must be a Config, got {config!r}")
    if isinstance(weights, str | bytes | dict) or not hasattr(weights, "__len__"):
        raise ValueError(f"weights must be a list of {len(WEIGHT_NAMES)} arrays, got {weights!r}")
    if len(weights) != len(WEIGHT_NAMES):
        raise ValueError(
            f"expected {len(WEIGHT_NAMES)} arrays ({', '.join(WEIGHT_NAMES)}), got {len(weights)}"
        )
    checked = []
    for name, value, shape in zip(WEIGHT_NAMES, weights, weight_shapes(config), strict=True):
        array = np.asarray(value)
        if array.dtype.kind not in "iuf":  # signed, unsigned, floating; not bool or text
            raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}")
        if array.shape != shape:
            raise ValueError(
                f"{name} has shape {array.shape}, but units={config.units} needs {shape}"
            )
        if not np.isfinite(array).all():
            raise ValueError(f"{name} holds non-finite values (NaN or infinity)")
        checked.append(array.astype(np.float32))
    return checked


def check_impl(impl: str) -> str:
    """`impl` if it names an implementation, else ValueError naming it."""
    return impls.get(impl).name


def save_weights(path, weights, config: Config, impl: str) -> Path:
    """Write the five arrays and the config to one .npz file, atomically (`replacing_file`:
    a replaced file keeps its mode, and a symbolic link its place)."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"weights file {str(path)!r} must end in .npz")
    arrays: dict[str, Any] = dict(zip(WEIGHT_NAMES, check_weights(weights, config), strict=True))
    meta = json.dumps({"impl": check_impl(impl), "config": config.as_dict()})
    try:
        with replacing_file(path) as file:
            np.savez(file, meta=np.array(meta), **arrays)
    except OSError as error:
        if error.filename is None:  # name the file
            raise OSError(error.errno, error.strerror, str(path)) from None
        raise
    return path


def load_weights(path) -> tuple[Config, list[np.ndarray], str]:
    """Read a file written by `save_weights`: (config, five arrays, implementation).

    Nothing in the file is unpickled; anything but five finite arrays of the shapes its
    config needs is refused with a ValueError that names the file and the problem.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no weights file at {str(path)!r}")
    try:
        config, weights, impl = _read_weights(path)
    except ValueError as error:
        raise ValueError(f"{str(path)!r} is not a weights file of this package: {error}") from None
    return config, weights, impl


def _read_weights(path: Path) -> tuple[Config, list[np.ndarray], str]:
    arrays = {}
    with path.open("rb") as file:  # our own handle: np.load leaks its own on a broken zip
        if not zipfile.is_zipfile(file):
            raise ValueError("it is not an .npz (zip) archive")
        file.seek(0)
        try:
            with np.load(file, allow_pickle=False) as data:
                for name in ("meta", *WEIGHT_NAMES):
                    if name not in data.files:
                        raise ValueError(f"it has no array {name!r}")
                    try:
                        arrays[name] = data[name]
                    except (OSError, EOFError, zipfile.BadZipFile, ValueError):
                        raise ValueError(f"its array {name!r} is unreadable") from None
        except (EOFError, zipfile.BadZipFile):
            raise ValueError("its zip archive is broken") from None
    try:
        meta = json.loads(str(arrays["meta"]))
        config = Config(**meta["config"])
        impl = check_impl(meta["impl"])
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"its metadata is not ours ({type(error).__name__}: {error})") from None
    return config, check_weights([arrays[name] for name in WEIGHT_NAMES], config), impl
