"""Replacing a directory as a whole: readers see the old set of files or the new one,
never a mix and never half a set.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alphabet_tutorial import stopping


@contextmanager
def replacing_directory(target) -> Iterator[Path]:
    """Yield a fresh staging directory beside `target`; when the body succeeds, the
    staging directory takes `target`'s place, and when it fails, it is removed and
    `target` stays as it was."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        staging.chmod(0o755)  # mkdtemp's 0700 would make published files private
        yield staging
        stopping.check()  # a stop signal swallowed inside the body: do not publish
        replace_directory(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


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
