"""Replacing a file or a directory as a whole: readers see the old one or the new one,
never a mix and never half of it.

What is made follows the umask, as a file the user wrote would; what is replaced keeps
its mode; a symbolic link stays a link, and what it points to is replaced.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TypeVar

from alphabet_tutorial import stopping


@contextmanager
def replacing_file(path) -> Iterator[BinaryIO]:
    """Yield a new file, open for writing, beside `path`; when the body succeeds, it is
    synced to disk and takes `path`'s place by a rename, and when it fails, it is removed
    and `path` stays as it was."""
    target = Path(os.path.realpath(path))  # a link's target: the link stays a link
    target.parent.mkdir(parents=True, exist_ok=True)
    staging, handle = fresh(target, lambda new: os.open(new, CREATE_FILE, 0o666))
    try:
        with os.fdopen(handle, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        publish(staging, target, os.replace)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


@contextmanager
def replacing_directory(target) -> Iterator[Path]:
    """Yield a fresh staging directory beside `target`; when the body succeeds, the
    staging directory takes `target`'s place, and when it fails, it is removed and
    `target` stays as it was."""
    target = Path(os.path.realpath(target))  # a link's target: the link stays a link
    target.parent.mkdir(parents=True, exist_ok=True)
    staging, _ = fresh(target, lambda new: os.mkdir(new, 0o777))
    try:
        yield staging
        publish(staging, target, replace_directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


T = TypeVar("T")
CREATE_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def fresh(target: Path, make: Callable[[Path], T]) -> tuple[Path, T]:
    """A new hidden name beside `target` and what `make` returned when it made it there.
    Not tempfile's: its modes (0600, 0700) ignore the umask, which the kernel applies to
    `os.open(..., 0o666)` and `os.mkdir(..., 0o777)`."""
    while True:
        name = target.parent / f".{target.name}-{secrets.token_hex(4)}"
        try:
            return name, make(name)
        except FileExistsError:
            continue


def publish(staging: Path, target: Path, replace: Callable[[Path, Path], None]) -> None:
    """Give `staging` the mode of the `target` it replaces, then put it in its place."""
    stopping.check()  # a stop signal swallowed inside the body: do not publish
    if target.exists():
        os.chmod(staging, stat.S_IMODE(target.stat().st_mode))
    replace(staging, target)


def replace_directory(new: Path, old: Path) -> None:
    """Put `new` in place of `old` by two renames: never a half-written set of files."""
    if not old.exists():
        os.replace(new, old)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{old.name}-old-", dir=old.parent))
    try:
        os.replace(old, retired / old.name)
        try:
            os.replace(new, old)
        except BaseException:
            os.replace(retired / old.name, old)
            raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)
