"""Output paths, checked before any work starts, and file-system faults told in one line.

A command that would train for a minute and then fail to write its result checks the
path first: `check_output_file` and `check_output_dir` raise a ValueError naming the
path and the reason (a directory where a file should go, a file where a directory
should be, nowhere to write) while nothing has been done. What can only fail later,
such as a disk that fills up, `describe` turns into one line for the CLI.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from pathlib import Path

# errno values that are the machine's fault, not the user's: exit status 1, not 2
MACHINE_FAULTS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.ENOMEM, errno.EFBIG}


def check_output_file(path, what="output file", suffix=None, directory=False) -> Path:
    """`path` can be written, or replaced as a whole by a rename in its parent: a file (or,
    with `directory`, a directory), whose missing parents can be made."""
    path = Path(path)
    if suffix is not None and path.suffix != suffix:
        raise ValueError(f"{what} {str(path)!r} must end in {suffix}")
    real = Path(os.path.realpath(path))  # a symbolic link's target is what gets replaced
    reason: str | None
    if real.exists() and real.is_dir() != directory:
        reason = "it is a directory" if real.is_dir() else "it is a file, not a directory"
    elif os.path.ismount(real):
        reason = "it is a mount point, which cannot be replaced"
    else:
        reason = _unwritable(real.parent)
    if reason:
        raise ValueError(f"cannot write {what} {str(path)!r}: {reason}")
    return path


def check_output_dir(path, what: str = "output directory") -> Path:
    """`path` is a directory we can write in, or one we can make."""
    path = Path(path)
    reason = _unwritable(path)
    if reason:
        raise ValueError(f"cannot write {what} {str(path)!r}: {reason}")
    return path


def _unwritable(directory: Path) -> str | None:
    """Why files cannot be made in `directory` (made first if missing); None if they can."""
    existing = directory
    while not existing.exists() and existing != existing.parent:  # nearest existing ancestor
        existing = existing.parent
    if not existing.is_dir():
        return f"{str(existing)!r} is a file, not a directory"
    try:  # the one reliable test: os.access says yes to root on a read-only mount
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".write-test-"):
            pass
    except OSError as error:
        return f"{error.strerror} ({str(existing)!r})" if existing != directory else error.strerror
    return None


def describe(error: OSError) -> str:
    """One line naming the path and the cause: "'w.npz': No space left on device"."""
    paths = [repr(str(name)) for name in (error.filename, error.filename2) if name is not None]
    cause = error.strerror or os.strerror(error.errno or 0) or type(error).__name__
    return f"{' -> '.join(paths)}: {cause}" if paths else cause


def describe_op_error(message: str) -> str:
    """TensorFlow's "{{function_node ...}} path; cause" as "'path': cause"."""
    message = re.sub(r"^\{\{[^}]*\}\}\s*", "", message.strip().splitlines()[0])
    path, separator, cause = message.rpartition("; ")
    return f"{path!r}: {cause}" if separator else message


def is_machine_fault(error: OSError) -> bool:
    return error.errno in MACHINE_FAULTS
