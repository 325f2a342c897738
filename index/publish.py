"""Folders that take a while to build appear whole or not at all.

The build writes into a temporary sibling folder that is renamed into place when it is done, so
an interrupted build never leaves a half-written folder at the target. When two processes build
the same folder at once, the first rename wins and the other's copy is dropped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def publish_folder(target: Path, marker: str, prefix: str = ".building-") -> Iterator[Path]:
    """Yield a temporary folder beside ``target`` to build in; on a clean exit it becomes ``target``.

    ``marker`` is the file a finished ``target`` holds: if another process published ``target``
    first (with its marker), that copy stands. The temporary folder is removed in every case.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    try:
        yield tmp
        tmp.chmod(0o755)  # mkdtemp makes it private; the rest of the cache is readable too
        try:
            os.rename(tmp, target)
        except OSError:  # another process finished first
            if not (target / marker).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
