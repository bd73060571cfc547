"""The task: read a run of consecutive letters, predict the letter that comes next.

Letters become indices (a=0 ... z=25) and then one-hot vectors, so a window of
`window` letters is a (window, 26) matrix and its target is one of 26 classes.
Unless `wrap` is set, z has no successor: "xyz" is not a window, "wxy" -> "z" is the
last one.
"""

from __future__ import annotations

import string

import numpy as np

ALPHABET = string.ascii_lowercase
NUM_LETTERS = len(ALPHABET)  # 26 classes


def is_integer(value) -> bool:
    """An int or a NumPy integer, not a bool (which Python counts as an int)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def check_positive_integer(name: str, value) -> int:
    """`value` as a plain int, or ValueError naming `name` unless it is an integer >= 1."""
    if not is_integer(value) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _check_text(text: str) -> None:
    """ValueError unless `text` is one or more letters a to z, all lower- or all upper-case."""
    if not isinstance(text, str):
        raise ValueError(f"expected a string of letters, got {text!r}")
    if not text:
        raise ValueError("expected at least one letter, got an empty string ''")
    if text != text.lower() and text != text.upper():
        raise ValueError(f"mixed-case text {text!r}: use all lower-case or all upper-case")
    bad = [char for char in text.lower() if char not in ALPHABET]
    if bad:
        raise ValueError(f"{bad[0]!r} in {text!r} is not a letter from a to z")


def _index_list(indices) -> list[int]:
    """A sequence of letter indices as a list of ints in 0..25, or ValueError naming the bad one."""
    if isinstance(indices, str) or not hasattr(indices, "__iter__"):
        raise ValueError(f"expected a sequence of letter indices, got {indices!r}")
    checked = []
    for index in indices:
        if not is_integer(index):
            raise ValueError(f"letter index {index!r} is not an integer")
        if not 0 <= int(index) < NUM_LETTERS:
            raise ValueError(f"letter index {index!r} is outside 0..{NUM_LETTERS - 1}")
        checked.append(int(index))
    return checked


def _index_array(indices) -> np.ndarray:
    """`indices` as an integer array with values in 0..25, or ValueError."""
    indices = np.asarray(indices)
    if not indices.size:
        indices = indices.astype(np.int64)  # np.asarray([]) is float
    if not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(f"letter indices must be integers, got {indices}")
    if indices.size and (indices.min() < 0 or indices.max() >= NUM_LETTERS):
        raise ValueError(f"letter indices must lie in 0..{NUM_LETTERS - 1}, got {indices}")
    return indices


# --8<-- [start:encoding]
def encode(text: str) -> list[int]:
    """Letters to indices: "abc" or "ABC" -> [0, 1, 2]; mixed case ("aBc") is refused."""
    _check_text(text)  # ValueError for anything else
    return [ALPHABET.index(char) for char in text.lower()]


def decode(indices) -> str:
    """Indices to letters: [0, 1, 2] -> "abc"."""
    indices = _index_list(indices)  # ValueError unless integers in 0..25
    return "".join(ALPHABET[index] for index in indices)


def one_hot(indices) -> np.ndarray:
    """Indices of shape (...) to one-hot float32 of shape (..., 26)."""
    indices = _index_array(indices)  # ValueError unless integers in 0..25
    # row i of the identity matrix: a 1 at position i, zeros elsewhere
    return np.eye(NUM_LETTERS, dtype=np.float32)[indices]


# --8<-- [end:encoding]


def check_window(window: int) -> int:
    """`window` as a plain int (NumPy integers too), or ValueError naming it."""
    window = check_positive_integer("window", window)
    if window >= NUM_LETTERS:
        raise ValueError(
            f"window must be shorter than the alphabet ({NUM_LETTERS} letters), got {window}"
        )
    return int(window)


def check_wrap(wrap: bool) -> bool:
    """`wrap` as a plain bool (NumPy's too), or ValueError naming it."""
    if not isinstance(wrap, bool | np.bool_):
        raise ValueError(f"wrap must be True or False, got {wrap!r}")
    return bool(wrap)


# --8<-- [start:windows]
def windows(window: int = 3, wrap: bool = False) -> list[tuple[str, str]]:
    """Every (run of `window` consecutive letters, next letter) pair of the task."""
    window = check_window(window)
    check_wrap(wrap)
    starts = range(NUM_LETTERS) if wrap else range(NUM_LETTERS - window)
    pairs = []
    for start in starts:
        run = [(start + offset) % NUM_LETTERS for offset in range(window + 1)]
        pairs.append((decode(run[:-1]), decode(run[-1:])))
    return pairs


def encode_windows(pairs) -> tuple[np.ndarray, np.ndarray]:
    """(text, next letter) pairs to inputs (n, window, 26) and targets (n, 26)."""
    inputs = one_hot([encode(text) for text, _ in pairs])  # (n, window, 26)
    targets = one_hot([encode(letter)[0] for _, letter in pairs])  # (n, 26)
    return inputs, targets


def training_set(config) -> tuple[np.ndarray, np.ndarray]:
    """`config.train_size` windows drawn at random from the task, reproducible from the seed."""
    pairs = windows(config.window, config.wrap)
    rng = np.random.default_rng(config.seed)
    picks = rng.integers(0, len(pairs), size=config.train_size)
    return encode_windows([pairs[i] for i in picks])


def evaluation_set(config) -> tuple[np.ndarray, np.ndarray]:
    """Every window of the task exactly once, in alphabetical order."""
    return encode_windows(windows(config.window, config.wrap))


# --8<-- [end:windows]


def encode_prompt(text: str, window: int) -> np.ndarray:
    """The last `window` letters of `text` as a batch of one: (1, window, 26)."""
    window = check_window(window)
    indices = encode(text)
    if len(indices) < window:
        raise ValueError(
            f"{text!r} has {len(indices)} letter(s); the model reads windows of {window}"
        )
    return one_hot([indices[-window:]])


def top_letters(probabilities, top: int = 3) -> list[tuple[str, float]]:
    """The `top` most likely next letters with their probabilities, most likely first."""
    if not is_integer(top) or not 1 <= top <= NUM_LETTERS:
        raise ValueError(f"top must be an integer from 1 to {NUM_LETTERS}, got {top!r}")
    probabilities = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    order = np.argsort(-probabilities, kind="stable")[:top]
    return [(ALPHABET[i], float(probabilities[i])) for i in order]
