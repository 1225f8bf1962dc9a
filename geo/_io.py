"""Atomic output: a crash never leaves a half-written file behind."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def _default_mode() -> int:
    """The mode a plain ``open()`` would give a new file (mkstemp's files are 0600)."""
    mask = os.umask(0)  # there is no portable way to read the umask without setting it
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to; rename it onto ``path`` on success.

    For writers that want a file name rather than text (GeoParquet, GeoPackage): a crash
    inside the block removes the temporary file and leaves ``path`` as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _default_mode())  # a shared map should be readable like any other file
        os.replace(tmp, path)  # atomic on POSIX and Windows when on the same volume
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename.

    Parameters
    ----------
    path
        Destination file; its parent folders are created.
    text
        Content, written as UTF-8.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")
    return Path(path)
