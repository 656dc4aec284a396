"""One training process per run directory: `RUN/.lock`, created with O_EXCL.

The lock holds the pid and host of the process training in the folder and is removed
when training ends, also on an exception. A lock left by a process that no longer
exists on this host (killed with SIGKILL, a power cut) is taken over with a note.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from pix2pix_tf import layout
from pix2pix_tf.errors import DataError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _create(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as f:
        json.dump({"pid": os.getpid(), "host": socket.gethostname()}, f)
    return True


def _read_owner(path: Path) -> str:
    # Its creator writes the pid just after creating the file: wait a moment for it.
    for _ in range(20):
        text = path.read_text()
        if text:
            return text
        time.sleep(0.05)
    return text


@contextlib.contextmanager
def run_lock(run_dir: str | os.PathLike) -> Iterator[Path]:
    """Holds `run_dir/.lock` for the duration of the `with` block.

    Raises:
        DataError: another live process holds the lock (the message names the folder
            and its pid), or the lock cannot be read.
    """
    run_dir = Path(run_dir)
    created = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    path = layout.lock_path(run_dir)
    try:
        for _ in range(2):  # the second try after taking over a stale lock
            if _create(path):
                break
            try:
                owner = json.loads(_read_owner(path))
                pid, host = int(owner["pid"]), str(owner["host"])
            except FileNotFoundError:
                continue  # released meanwhile
            except (ValueError, KeyError, TypeError):
                raise DataError(f"{path}: damaged lock file; if no process is training in "
                                f"{run_dir}, delete it.") from None
            if host != socket.gethostname():
                raise DataError(f"{run_dir} is in use by process {pid} on {host} ({path}); "
                                "if that process is gone, delete the lock file.")
            if pid == os.getpid() or _alive(pid):
                raise DataError(f"{run_dir} is in use: process {pid} is training in it "
                                f"({path}). Wait for it, or choose another --out.")
            print(f"note: {path} was left by process {pid}, which no longer runs; taking it "
                  "over.")
            path.unlink(missing_ok=True)
        else:
            raise DataError(f"{path}: could not take the lock of {run_dir}; try again.")
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                run_dir.rmdir()
        raise
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
        if created:  # nothing was written (e.g. a bad option): leave no empty folder
            with contextlib.suppress(OSError):
                run_dir.rmdir()
