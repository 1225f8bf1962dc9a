"""Atomic output: a crash never leaves a half-written file behind.

Every file ``geo`` writes (maps, PNGs, CSV outputs, side files, caches, the registry) goes
through :func:`atomic_path`, so they all share one policy for where bytes land:

* a regular file (or a new name) is written to a temporary file beside it, then renamed onto
  it; a symbolic link is followed, so the link stays and its target is replaced;
* a character device or a FIFO (``/dev/null``, ``/dev/stdout``, a named pipe) cannot be
  replaced by a rename without destroying it, so it is written in place, as a shell redirection
  would;
* a folder or a block device is refused;
* any failure (disk full, read-only or pseudo filesystem, a parent that is a file) is an
  :class:`OutputError` naming the path and the reason, and the file that was there is kept.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from geo._errors import GeoError


class OutputError(GeoError, OSError):
    """An output could not be written; the file that was there, if any, is unchanged.

    A :class:`GeoError` (the CLI prints it as one line) and an ``OSError`` (callers that treat
    an unwritable cache as a cost in speed only keep catching it).
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        #: The operating system's words for what went wrong ("No space left on device").
        self.reason = reason


def _default_mode() -> int:
    """The mode a plain ``open()`` would give a new file (mkstemp's files are 0600)."""
    mask = os.umask(0)  # there is no portable way to read the umask without setting it
    os.umask(mask)
    return 0o666 & ~mask


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _failed(path: Path, exc: OSError, kept: str = "") -> OutputError:
    if isinstance(exc, OutputError):
        return exc
    return OutputError(f"Could not write {path} ({_reason(exc)}){'; ' + kept if kept else ''}.", _reason(exc))


def _target(path: Path) -> tuple[Path, bool, bool]:
    """Where to write ``path``: (the file to replace or write, whether in place, whether it exists)."""
    try:
        mode = os.stat(path).st_mode  # follows symbolic links
    except FileNotFoundError:  # a new file, or a link to one not yet there: create the link's target
        return Path(os.path.realpath(path)), False, False
    except OSError as exc:  # a parent that is a file, a loop of links, no permission to look
        raise _failed(path, exc) from None
    if stat.S_ISDIR(mode):
        raise OutputError(f"{path} is a folder; give the name of a file to write.", "Is a directory")
    if stat.S_ISBLK(mode):
        raise OutputError(f"{path} is a block device (a disk); give the name of a file to write.", "Block device")
    if not stat.S_ISREG(mode):  # a character device or a FIFO: renaming would destroy it
        return path, True, True
    return Path(os.path.realpath(path)), False, True


@contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path to write to; on success it becomes ``path``.

    For writers that want a file name rather than text (GeoParquet, Chromium's screenshot).
    A regular file is replaced by a rename (a symbolic link is followed: the link stays and its
    target is replaced); a character device or FIFO is written in place. A crash inside the
    block removes the temporary file and leaves ``path`` as it was. ``suffix`` ends the
    temporary's name, for writers that pick a format by it.

    Raises
    ------
    OutputError
        When ``path`` is a folder or a block device, or cannot be written (disk full,
        read-only filesystem, ...); the file there is kept.
    """
    path = Path(path)
    target, in_place, existed = _target(path)
    kept = "" if in_place else "the file already there is unchanged" if existed else "nothing was written"
    folder = Path(tempfile.gettempdir()) if in_place else target.parent  # /dev is not ours to write in
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=suffix)
        os.close(fd)
    except OSError as exc:  # a pseudo or read-only filesystem (/proc), a parent that is a file
        raise OutputError(f"Could not write {path}: no file can be made in {folder} ({_reason(exc)}); "
                          f"{kept or 'nothing was written'}.", _reason(exc)) from None
    try:
        yield Path(tmp)
        if in_place:
            with open(tmp, "rb") as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst)
        else:
            os.chmod(tmp, _default_mode())  # a shared map should be readable like any other file
            os.replace(tmp, target)  # atomic on POSIX and Windows when on the same volume
    except OSError as exc:
        raise _failed(path, exc, kept) from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file, then rename (see :func:`atomic_path`).

    Parameters
    ----------
    path
        Destination file; its parent folders are created. A symbolic link is followed; a
        character device or FIFO (``/dev/stdout``) is written in place.
    text
        Content, written as UTF-8.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    OutputError
        When it cannot be written; the file that was there is kept.
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")
    return Path(path)


def silence_stdout() -> None:
    """Point standard output at the null device after a write to it failed (a full disk, a
    closed pipe): what is still buffered then goes nowhere, instead of Python reporting the same
    failure again when it flushes at exit."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # no real descriptor (a test runner's stdout)
        pass
