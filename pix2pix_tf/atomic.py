"""Atomic file writes: a temporary name in the same folder, then `os.replace`.

A reader (or a resumed run) sees the old file or the new one, never half of one; the
temporary is removed on any error. A full disk (ENOSPC) or an exceeded quota (EDQUOT)
becomes one `DataError` line naming the file, so the CLI says what happened and where.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from pix2pix_tf.errors import DataError

_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _disk_full(error: BaseException | None) -> bool:
    # Libraries (Keras, h5py) may wrap the OSError: look along the chain too.
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in _DISK_FULL:
            return True
        error = error.__cause__ or error.__context__
    return False


def temporary_name(path: Path, keep_suffix: bool = False) -> Path:
    """`NAME.PID.tmp` beside `path` (`STEM.PID.tmp.SUFFIX` with `keep_suffix`, for
    writers that check the extension, such as Keras' `.keras`); the pid keeps two
    processes writing the same file (a shared cache) from using one temporary."""
    if keep_suffix:
        return path.with_name(f"{path.stem}.{os.getpid()}.tmp{path.suffix}")
    return path.with_name(f"{path.name}.{os.getpid()}.tmp")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, keep_suffix: bool = False) -> Iterator[Path]:
    """Yields a temporary path to write; on success it replaces `path`.

    Raises:
        DataError: the disk is full or over quota (the message names `path`); the old
            `path` is intact and the temporary removed.
    """
    path = Path(path)
    tmp = temporary_name(path, keep_suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if _disk_full(e):
            raise DataError(f"{path}: the disk is full (or over quota) at {path.parent}; "
                            "nothing was replaced. Free space and resume.") from None
        raise


def write_bytes(path: str | os.PathLike, data: bytes, fsync: bool = False) -> None:
    """Writes `data` to `path` atomically (`fsync`: on disk before the rename)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
        if fsync:
            f.flush()
            os.fsync(f.fileno())


def write_text(path: str | os.PathLike, text: str, fsync: bool = False) -> None:
    """Writes `text` (UTF-8) to `path` atomically."""
    write_bytes(path, text.encode("utf-8"), fsync=fsync)


def output_folder(path: str | os.PathLike, option: str = "--out") -> Path:
    """Creates the folder `path` (and parents) and checks it is writable; otherwise one
    `DataError` line naming `option` and the folder."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"{option} {path}: cannot create the folder "
                        f"({e.strerror or e}).") from None
    if not os.access(path, os.W_OK):
        raise DataError(f"{option} {path}: the folder is not writable.")
    return path

