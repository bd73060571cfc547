"""Weight files: the five arrays both implementations share, and the config, in one .npz.

Weights trained by one implementation load into the other: both networks hold the
same arrays in Keras's order and layout.
"""

from __future__ import annotations

import contextlib
import json
import math
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from alphabet_tutorial import impls
from alphabet_tutorial.atomic import replacing_file
from alphabet_tutorial.config import Config
from alphabet_tutorial.task import NUM_LETTERS

# Both networks hold the same five arrays, in Keras's order.
WEIGHT_NAMES = ("lstm_kernel", "lstm_recurrent_kernel", "lstm_bias", "dense_kernel", "dense_bias")

# What a weights file may hold, checked before anything is read from it.
MAX_FILE_BYTES = 2**30  # the file, and its arrays uncompressed
MAX_META_BYTES = 2**16  # the metadata (about 600 bytes as `save_weights` writes it)
MAX_HEADER_BYTES = 2**12  # one array's .npy header (128 bytes as NumPy writes ours)
READ_HEADER = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}
KINDS = {"U": "text", "iuf": "real numbers"}


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
        with np.errstate(over="ignore"):  # what float32 cannot hold becomes infinite
            converted = array.astype(np.float32)
        if not np.isfinite(converted).all():  # checked after the conversion, not before
            if np.isfinite(array).all():
                raise ValueError(f"{name} holds values beyond float32's range (about 3.4e38)")
            raise ValueError(f"{name} holds non-finite values (NaN or infinity)")
        checked.append(converted)
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

    Nothing in the file is unpickled, and no array is read before every header is checked;
    anything but five finite arrays of the shapes its config needs is refused with a
    ValueError that names the file and the problem.
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
    """Check the archive's members and every array header before reading any array, so a
    crafted file costs no more memory than the small arrays its config needs."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"it is larger than a weights file may be ({MAX_FILE_BYTES} bytes)")
    with path.open("rb") as file:
        if not zipfile.is_zipfile(file):
            raise ValueError("it is not an .npz (zip) archive")
        file.seek(0)
        try:
            with zipfile.ZipFile(file) as archive:
                return _read_members(archive)
        except (EOFError, zlib.error, zipfile.BadZipFile, NotImplementedError):
            raise ValueError("its zip archive is broken") from None


def _read_members(archive: zipfile.ZipFile) -> tuple[Config, list[np.ndarray], str]:
    members = {info.filename: info for info in archive.infolist()}
    expected = ("meta", *WEIGHT_NAMES)
    if len(members) > len(expected):
        raise ValueError(f"it holds {len(members)} members; a weights file holds {len(expected)}")
    for name in expected:
        if f"{name}.npy" not in members:
            raise ValueError(f"it has no array {name!r}")
    meta_info = members["meta.npy"]
    if meta_info.file_size > MAX_META_BYTES:
        raise ValueError(
            f"its metadata takes {meta_info.file_size} bytes, more than {MAX_META_BYTES}"
        )
    with archive.open(meta_info) as member:
        meta_array = _array_reader(member, "meta", meta_info.file_size, "U", (), "a weights file")()
    try:
        meta = json.loads(str(meta_array))
        config = Config(**meta["config"])
        impl = check_impl(meta["impl"])
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"its metadata is not ours ({type(error).__name__}: {error})") from None
    needed = sum(8 * math.prod(shape) for shape in weight_shapes(config))  # float64 at most
    if needed > MAX_FILE_BYTES:
        raise ValueError(
            f"units={config.units} needs {needed} bytes of arrays, more than a weights file "
            f"may hold ({MAX_FILE_BYTES})"
        )
    needs = f"units={config.units}"
    with contextlib.ExitStack() as stack:  # every header checked, then every array read

        def reader(name: str, shape: tuple):
            info = members[f"{name}.npy"]
            member = stack.enter_context(archive.open(info))
            return _array_reader(member, name, info.file_size, "iuf", shape, needs)

        readers = [reader(*pair) for pair in zip(WEIGHT_NAMES, weight_shapes(config), strict=True)]
        weights = [read() for read in readers]
    return config, check_weights(weights, config), impl


def _array_reader(member, name: str, size: int, kinds: str, shape: tuple, needs: str):
    """Check the header of one .npy member (version, dtype, shape, size as the archive
    declares it); returns the function that reads its data."""
    unreadable = ValueError(f"its array {name!r} is unreadable")
    try:
        version = np.lib.format.read_magic(member)
    except (ValueError, EOFError):
        raise unreadable from None
    if version not in READ_HEADER:  # 3.0 differs only for text field names: none of ours
        raise ValueError(f"its array {name!r} has .npy version {version}, not 1.0 or 2.0")
    try:
        declared, fortran, dtype = READ_HEADER[version](member, max_header_size=MAX_HEADER_BYTES)
    except (ValueError, EOFError):
        raise unreadable from None
    if dtype.kind not in kinds:
        raise ValueError(f"{name} must hold {KINDS[kinds]}, got dtype {dtype}")
    if declared != shape:
        raise ValueError(f"{name} has shape {declared}, but {needs} needs {shape}")
    length = math.prod(shape) * dtype.itemsize
    if size != member.tell() + length:
        raise ValueError(
            f"its array {name!r} takes {size} bytes, but its header declares "
            f"{member.tell() + length}"
        )

    def read() -> np.ndarray:
        data = member.read(length)
        if len(data) != length:
            raise unreadable
        return np.frombuffer(data, dtype).reshape(shape, order="F" if fortran else "C")

    return read
