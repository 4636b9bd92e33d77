"""Where an export goes: a file replaced only once complete, a FIFO or a device as a stream.

``--out /dev/full`` must not turn the device into a regular file, nor ``--out fifo`` replace the
pipe someone is reading, nor ``--out link`` silently replace a symbolic link (or, followed,
write wherever it points). :func:`write_output` decides by what the path is now.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, TypeVar

from threads.errors import InvalidInput, OutputFailed

T = TypeVar("T")

#: the error code of a symbolic link that is not followed (the CLI names its option for it)
SYMLINK_REFUSED = "output_is_symlink"


def write_output(
    path: Path | str, write: Callable[[TextIO], T], *, follow_symlinks: bool = False
) -> T:
    """Call ``write`` on a UTF-8 text stream to ``path``; what happens depends on what it is:

    - nothing yet, or a regular file: :func:`write_atomically` (replaced only once complete);
    - a FIFO or a character device (``/dev/null``, a terminal): opened and written as a stream,
      never replaced;
    - a symbolic link: refused (InvalidInput, code :data:`SYMLINK_REFUSED`, field ``out``)
      unless ``follow_symlinks``; followed, what it points to is handled by these rules;
    - anything else (a folder, a block device, a socket): refused (InvalidInput, field ``out``).

    A failure to write (a full disk, a device error) raises OutputFailed naming ``path``.
    """
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return write_atomically(path, write)
    except OSError as exc:
        raise _failed(path, exc) from None
    if stat.S_ISLNK(info.st_mode):
        if not follow_symlinks:
            raise InvalidInput(
                f"refusing to write {path}: it is a symbolic link (to {os.readlink(path)})",
                field="out",
                code=SYMLINK_REFUSED,
            )
        try:
            info = os.stat(path)
        except FileNotFoundError:  # a dangling link: create the file it names
            return write_atomically(Path(os.path.realpath(path)), write)
        except OSError as exc:
            raise _failed(path, exc) from None
        if stat.S_ISREG(info.st_mode):
            return write_atomically(Path(os.path.realpath(path)), write)
    if stat.S_ISREG(info.st_mode):
        return write_atomically(path, write)
    if stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
        return _write_stream(path, write, follow_symlinks=follow_symlinks)
    raise InvalidInput(
        f"cannot write {path}: it is {_kind(info.st_mode)}; expected a regular file, a FIFO or "
        "a character device",
        field="out",
    )


def write_atomically(path: Path, write: Callable[[TextIO], T]) -> T:
    """Call ``write`` on a new UTF-8 text file that replaces ``path`` only once it is complete.

    The text goes to a temporary file beside ``path``, which is renamed over ``path`` when
    ``write`` returns; if it raises, the temporary file is removed and ``path`` is untouched.
    A failure to write raises OutputFailed.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InvalidInput(f"cannot write {path}: folder {directory} does not exist", field="out")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _failed(path, exc) from None
    tmp = Path(tmp_name)
    try:
        with open(fd, "w", encoding="utf-8", newline="") as handle:
            result = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            shutil.copymode(path, tmp)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _failed(path, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result


def _write_stream(path: Path, write: Callable[[TextIO], T], *, follow_symlinks: bool) -> T:
    """Write into an existing FIFO or character device, without creating or truncating."""
    flags = os.O_WRONLY | os.O_NOCTTY | (0 if follow_symlinks else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _failed(path, exc) from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:
        os.close(fd)
        raise _failed(path, exc) from None
    if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):  # it changed since it was looked at
        os.close(fd)
        raise InvalidInput(f"cannot write {path}: it changed while it was opened", field="out")
    try:
        with open(fd, "w", encoding="utf-8", newline="") as handle:
            result = write(handle)
            handle.flush()
    except OSError as exc:
        raise _failed(path, exc) from None
    return result


def _failed(path: Path, exc: OSError) -> OutputFailed:
    return OutputFailed(f"cannot write {path}: {exc.strerror or exc}")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


__all__ = ["SYMLINK_REFUSED", "write_atomically", "write_output"]
